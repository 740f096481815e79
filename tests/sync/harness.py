"""Test-side helpers for live runs: the shared machinery lives in syncapp.harness."""

from syncapp.harness.live import (  # noqa: F401
    NEVER,
    pending_jobs,
    request_count,
    running_worker,
    shift_back,
    wait_idle,
)
from syncapp.harness.live import worker_env as _worker_env
from syncapp.harness.processes import WorkerProcess  # noqa: F401

from ..conftest import database_url


def worker_env(process_env: dict, server, tmp_path, **overrides) -> dict:
    return _worker_env(process_env, base_url=server.base_url, database_url=database_url(),
                       media_root=tmp_path / "media", **overrides)
