"""Live runs: real `sync_worker` processes against a served simulator, and the waits around them.

The end-to-end tests and the benchmarks drive the same path with these: jobs in PostgreSQL,
worker processes, the simulator over HTTP.
"""

import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from django.db.models import F
from procrastinate.contrib.django.models import ProcrastinateJob

from .processes import WorkerProcess


def quiet_cron(minutes: int = 5) -> str:
    """A cron with a period of `minutes` that fires only on 29 February: a live run's worker does
    not tick by itself (the run ticks when it chooses), yet its tick period, the look-ahead of the
    planner and of a project's walk (``syncapp/sync/walk.py``), is a real one."""
    return f"*/{minutes} * 29 2 *"


# Ticks only when asked: the periodic tick's cron does not fire during a live run.
NEVER = quiet_cron()


def worker_env(base_env: dict, *, base_url: str, database_url: str, media_root, **overrides) -> dict:
    env = dict(base_env)
    env.update({
        "DATABASE_URL": database_url,
        "LOGIKAL_API_BASE_URL": base_url,
        "LOGIKAL_USERNAME": "demo",
        "LOGIKAL_PASSWORD": "demo",
        "MEDIA_ROOT": str(media_root),
        "SCHEDULER_CRON": NEVER,
        "STALLED_JOB_SECONDS": "15",
        "STALLED_JOB_CHECK_CRON": "* * * * * */5",
        "LOG_FORMAT": "text",
        "PYTHONUNBUFFERED": "1",
        "DJANGO_SETTINGS_MODULE": "project.settings",
    })
    env.update({key: str(value) for key, value in overrides.items()})
    return env


def pending_jobs(queues=("sync", "parser")) -> int:
    """Jobs of `queues` waiting or running."""
    return ProcrastinateJob.objects.filter(status__in=["todo", "doing"], queue_name__in=list(queues)).count()


def wait_idle(timeout: float = 120, *, queues=("sync", "parser"), settle: float = 0.3, workers=(),
              progress=None) -> float:
    """Wait until no job of `queues` is waiting or running (twice in a row); returns seconds waited."""
    started = time.monotonic()
    deadline = started + timeout
    quiet = 0
    last_report = started
    while time.monotonic() < deadline:
        for worker in workers:
            if not worker.running():
                raise RuntimeError(f"worker {worker.name} exited ({worker.process.returncode}):\n{worker.tail(3000)}")
        pending = pending_jobs(queues)
        quiet = quiet + 1 if pending == 0 else 0
        if quiet >= 2:
            return time.monotonic() - started
        if progress and time.monotonic() - last_report > 5:
            progress(f"{pending} jobs pending")
            last_report = time.monotonic()
        time.sleep(settle)
    raise RuntimeError(f"jobs still pending after {timeout} s")


@contextmanager
def running_worker(env, log_dir, *, name="w1", concurrency=4, extra_args=()):
    worker = WorkerProcess(env, name=name, concurrency=concurrency, log_path=Path(log_dir) / f"{name}.log",
                           extra_args=extra_args)
    try:
        yield worker
    finally:
        worker.stop()


def shift_back(minutes: int) -> None:
    """Pretend `minutes` passed since every verification (the mirror's clocks move, not ours)."""
    from syncapp.models.tree import TYPES

    delta = timedelta(minutes=minutes)
    for mirrored in TYPES.values():
        if mirrored.child_types:  # a listing type: its listings age too
            mirrored.model.objects.exclude(listed_at=None).update(listed_at=F("listed_at") - delta)
        mirrored.model.objects.exclude(synced_at=None).update(synced_at=F("synced_at") - delta)


def request_count(stats: dict, template: str, status: str = "200") -> int:
    return stats["requests"].get(template, {}).get(status, 0)


def mirror_size() -> int:
    """Live mirrored objects of every type."""
    from syncapp.models.tree import MODELS

    return sum(model.objects.filter(removed_at=None).count() for model in MODELS.values())
