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


def resync_stats(sim, env: dict, tmp_path, *, concurrency: int) -> dict:
    """A first sync through a real worker, then a day later (everything due again) an unchanged
    one: the simulator's stats of the second pass alone."""
    from syncapp.sync.tick import scheduler_tick

    with running_worker(env, tmp_path, concurrency=concurrency) as worker:
        scheduler_tick()
        wait_idle(workers=[worker])
        shift_back(24 * 60)
        sim.reset_stats()
        scheduler_tick()
        wait_idle(workers=[worker])
    return sim.stats()
