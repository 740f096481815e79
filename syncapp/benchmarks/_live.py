"""Live runs for benchmarks and end-to-end tests: real worker processes, a served simulator.

Shared by `manage.py benchmark ...` and the end-to-end tests, so both measure
and check the same path: jobs in PostgreSQL, `manage.py sync_worker` processes,
the simulator over HTTP.
"""

import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.db.models import F

ROOT = Path(settings.BASE_DIR)

# Ticks only when asked: the periodic tick's cron never fires during a live run.
NEVER = "0 0 1 1 *"


class WorkerProcess:
    def __init__(self, env: dict, *, name: str, concurrency: int = 4, log_path=None, extra_args=()):
        self.name = name
        self.log_path = log_path
        self._log = open(log_path, "w") if log_path else subprocess.DEVNULL
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), "sync_worker", "--no-initial-tick",
             "--concurrency", str(concurrency), "--name", name, *extra_args],
            env=env, cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self, timeout: float = 30) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        if self._log is not subprocess.DEVNULL and not self._log.closed:
            self._log.close()
        return self.process.returncode

    def output(self) -> str:
        if not self.log_path:
            return ""
        return Path(self.log_path).read_text()


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
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing') AND queue_name = ANY(%s)",
            [list(queues)],
        )
        return cursor.fetchone()[0]


def wait_idle(timeout: float = 120, *, queues=("sync", "parser"), settle: float = 0.3, workers=(),
              progress=None) -> float:
    """Wait until no job of `queues` is waiting or running (twice in a row); returns seconds waited."""
    started = time.monotonic()
    deadline = started + timeout
    quiet = 0
    last_report = started
    while time.monotonic() < deadline:
        for worker in workers:
            if worker.process.poll() is not None:
                raise RuntimeError(
                    f"worker {worker.name} exited ({worker.process.returncode}):\n{worker.output()[-3000:]}")
        pending = pending_jobs(queues)
        if pending == 0:
            quiet += 1
            if quiet >= 2:
                return time.monotonic() - started
        else:
            quiet = 0
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
    from syncapp.models import Directory, Elevation, Phase, Project

    delta = timedelta(minutes=minutes)
    for model in (Directory, Project, Phase):
        model.objects.exclude(listed_at=None).update(listed_at=F("listed_at") - delta)
    for model in (Directory, Project, Phase, Elevation):
        model.objects.exclude(synced_at=None).update(synced_at=F("synced_at") - delta)


def request_count(stats: dict, template: str, status: str = "200") -> int:
    return stats["requests"].get(template, {}).get(status, 0)


def mirror_size() -> int:
    from syncapp.models import Directory, Elevation, Phase, Project

    return sum(model.objects.filter(removed_at=None).count() for model in (Directory, Project, Phase, Elevation))
