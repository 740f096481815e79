"""Scratch databases beside the configured one, so benchmarks never touch the mirror."""

import os
from contextlib import contextmanager
from urllib.parse import quote

from django.conf import settings
from django.db import connection, connections


def database_url(name: str | None = None) -> str:
    """A URL for database `name` (default: the current one) on the configured server, for child processes."""
    params = connection.settings_dict
    name = name or params["NAME"]
    user = quote(params["USER"] or "")
    password = f":{quote(params['PASSWORD'])}" if params.get("PASSWORD") else ""
    host = params["HOST"] or ""
    if host.startswith("/"):
        return f"postgresql://{user}{password}@/{name}?host={quote(host)}"
    port = f":{params['PORT']}" if params.get("PORT") else ""
    return f"postgresql://{user}{password}@{host}{port}/{name}"


def scratch_name(label: str) -> str:
    """The scratch database of this process for `label`: named after the PID, so runs never collide."""
    return f"bench_{label}_{os.getpid()}"


@contextmanager
def scratch_database(label: str, *, migrate: bool = True):
    """A database of its own for the run, dropped on the way out (also after Ctrl-C or SIGTERM).

    migrate=True: created migrated, with the default rows, and Django switched over to it; yields
    its name. migrate=False: created empty for processes that migrate it themselves (the
    Procfile's release line); Django stays where it was; yields its URL.
    """
    name = scratch_name(label)
    if not migrate:
        _drop(name)
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        try:
            yield database_url(name)
        finally:
            _drop(name)
        return
    original = connection.settings_dict["NAME"]
    connection.settings_dict.setdefault("TEST", {})["NAME"] = name
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        from syncapp.defaults import ensure_defaults

        ensure_defaults()
        yield name
    finally:
        connections.close_all()  # the session pool's threads may still hold connections
        settings.DATABASES[connection.alias]["NAME"] = connection.settings_dict["NAME"] = original
        _drop(name)


def _drop(name: str) -> None:
    # WITH (FORCE) ends the connections a killed child or a pool thread left behind.
    connection.close()  # a fresh connection: the old one may be broken or idle-timed-out
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
