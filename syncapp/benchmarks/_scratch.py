"""A throw-away database for benchmarks, so they never touch the real mirror."""

import os
from contextlib import contextmanager
from urllib.parse import quote

from django.db import connection


@contextmanager
def scratch_database(label: str):
    """Create a migrated database beside the configured one, switch to it, drop it afterwards."""
    original = connection.settings_dict["NAME"]
    connection.settings_dict.setdefault("TEST", {})["NAME"] = f"bench_{label}_{os.getpid()}"
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    name = connection.settings_dict["NAME"]
    try:
        from syncapp.defaults import ensure_defaults

        ensure_defaults()
        yield name
    finally:
        _disconnect_others(name)
        connection.creation.destroy_test_db(original, verbosity=0)


def _disconnect_others(name: str) -> None:
    """Threads (the session pool's) or stray children may still hold connections: end them."""
    from django.db import connections

    connections.close_all()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [name],
        )


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
