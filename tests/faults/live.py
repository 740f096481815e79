"""Live fault runs: a served simulator, real worker processes, and the clean reference to compare with."""

import time
from contextlib import contextmanager

from django.db import connection

from syncapp.models import ObjectSyncConfig
from syncapp.simulator import Simulator, SimulatorConfig, serve
from syncapp.sync.tick import scheduler_tick

from ..sync.harness import running_worker, wait_idle, worker_env
from . import mirror

# Every fault test syncs this tree, so that one clean reference run serves them all.
TREE = {"dataset": "small", "seed": 1, "navigation": "strict", "parts_list_size": "small"}

_reference: dict = {}


@contextmanager
def served_simulator(**overrides):
    sim = Simulator(SimulatorConfig(**{**TREE, **overrides}))
    with serve(sim) as server:
        yield sim, server


def fault_env(process_env: dict, server, tmp_path, **overrides) -> dict:
    """A worker environment with short client timeouts and a quick poll for retries due, so that
    hangs and retries cost seconds, not minutes."""
    quick = {"LOGIKAL_READ_TIMEOUT_S": 2, "LOGIKAL_CONNECT_TIMEOUT_S": 2, "WORKER_POLL_INTERVAL_S": 0.5,
             "LOGIKAL_MAX_SESSIONS": 6}
    return worker_env(process_env, server, tmp_path, **{**quick, **overrides})


def fast_retries(max_attempts: int = 10) -> None:
    """Retry failed jobs after 1-2 s instead of the production backoff of 10 s to 10 min."""
    ObjectSyncConfig.objects.update(max_attempts=max_attempts, retry_base_seconds=1, retry_max_seconds=2)


def full_sync(env: dict, log_dir, *, name: str = "w1", concurrency: int = 6, timeout: float = 150) -> None:
    """One scheduler tick, drained by one worker process."""
    with running_worker(env, log_dir, name=name, concurrency=concurrency) as worker:
        scheduler_tick()
        wait_idle(timeout, workers=[worker])


def reference_snapshot(process_env: dict, tmp_path) -> dict:
    """The mirror after a clean sync of TREE (computed once per session; leaves the mirror empty)."""
    if not _reference:
        log_dir = tmp_path / "reference"
        log_dir.mkdir()
        with served_simulator() as (_, server):
            full_sync(worker_env(process_env, server, log_dir), log_dir, name="reference")
        _reference.update(mirror.snapshot())
        mirror.wipe()
        truncate_jobs()
    return dict(_reference)


def remember_reference(clean: dict) -> dict:
    """Keep a clean sync's snapshot as the reference (unless one exists); returns the reference."""
    if not _reference:
        _reference.update(clean)
    return dict(_reference)


def truncate_jobs() -> None:
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE procrastinate_jobs, procrastinate_events, procrastinate_periodic_defers "
                       "RESTART IDENTITY CASCADE")


# A job's work is done when it succeeded, or when it ended handing its work to a later job of the
# same object (a merge or a retry: syncapp.sync.retry, syncapp.sync.rescue) and one such succeeded.
RECOVERED_SQL = """
    SELECT j.id FROM procrastinate_jobs j
    WHERE j.id = ANY(%s) AND (j.status = 'succeeded' OR EXISTS (
        SELECT 1 FROM procrastinate_jobs k WHERE k.lock = j.lock AND k.id > j.id AND k.status = 'succeeded'))
"""
# Jobs that ended without success and without a later job of the same object taking over.
LOST_SQL = """
    SELECT j.id, j.task_name, j.status::text FROM procrastinate_jobs j
    WHERE j.queue_name IN ('sync', 'parser') AND j.status NOT IN ('succeeded', 'cancelled') AND NOT EXISTS (
        SELECT 1 FROM procrastinate_jobs k WHERE k.lock = j.lock AND k.id > j.id AND k.status = 'succeeded')
"""


def recovered_jobs(ids) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(RECOVERED_SQL, [list(ids)])
        return sorted(row[0] for row in cursor.fetchall())


def lost_jobs() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(LOST_SQL)
        return cursor.fetchall()


def retrying_runs_left_behind() -> list[tuple]:
    """Failed attempts whose work no finished job took over (their successor missing, waiting or running)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT r.id, r.object_label, r.next_job_id FROM syncapp_syncrun r "
            "LEFT JOIN procrastinate_jobs j ON j.id = r.next_job_id "
            "WHERE r.outcome = 'retrying' AND (j.id IS NULL OR j.status IN ('todo', 'doing'))")
        return cursor.fetchall()


def job_statuses(ids) -> dict[int, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, status FROM procrastinate_jobs WHERE id = ANY(%s)", [list(ids)])
        return dict(cursor.fetchall())


def running_jobs(queues=("sync", "parser")) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM procrastinate_jobs WHERE status = 'doing' AND queue_name = ANY(%s) ORDER BY id",
                       [list(queues)])
        return [row[0] for row in cursor.fetchall()]


def wait_for(condition, timeout: float, what: str, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def faults_fired(sim) -> int:
    return sum(sim.stats()["faults_fired"].values())
