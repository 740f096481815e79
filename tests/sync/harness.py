"""Real worker processes against the test database and a simulator served over HTTP."""

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager

from django.db import connection

from ..conftest import ROOT

# Ticks only when a test asks: the cron of the periodic tick never fires during a test.
NEVER = "0 0 1 1 *"


class WorkerProcess:
    def __init__(self, env: dict, *, name: str, concurrency: int = 4, log_path=None):
        self.name = name
        self.log_path = log_path
        self._log = open(log_path, "w") if log_path else subprocess.DEVNULL
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), "sync_worker", "--no-initial-tick",
             "--concurrency", str(concurrency), "--name", name],
            env=env, cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT,
        )

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self, timeout: float = 30) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        if self._log is not subprocess.DEVNULL:
            self._log.close()
        return self.process.returncode

    def output(self) -> str:
        if not self.log_path:
            return ""
        with open(self.log_path) as handle:
            return handle.read()


def worker_env(process_env: dict, server, tmp_path, **overrides) -> dict:
    env = dict(process_env)
    env.update({
        "LOGIKAL_API_BASE_URL": server.base_url,
        "LOGIKAL_USERNAME": "demo",
        "LOGIKAL_PASSWORD": "demo",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "SCHEDULER_CRON": NEVER,
        "STALLED_JOB_SECONDS": "15",
        "STALLED_JOB_CHECK_CRON": "* * * * * */5",
        "LOG_FORMAT": "text",
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


def wait_idle(timeout: float = 120, *, queues=("sync", "parser"), settle: float = 0.5, workers=()) -> None:
    """Wait until no sync/parser job is waiting or running (twice in a row, a settle apart)."""
    deadline = time.monotonic() + timeout
    quiet = 0
    while time.monotonic() < deadline:
        for worker in workers:
            if worker.process.poll() is not None:
                raise AssertionError(f"worker {worker.name} exited ({worker.process.returncode}):\n{worker.output()[-3000:]}")
        if pending_jobs(queues) == 0:
            quiet += 1
            if quiet >= 2:
                return
        else:
            quiet = 0
        time.sleep(settle)
    raise AssertionError(f"jobs still pending after {timeout} s")


@contextmanager
def running_worker(env, tmp_path, *, name="w1", concurrency=4):
    worker = WorkerProcess(env, name=name, concurrency=concurrency, log_path=tmp_path / f"{name}.log")
    try:
        yield worker
    finally:
        worker.stop()


def shift_back(minutes: int) -> None:
    """Pretend `minutes` passed since every verification (the mirror's clocks move, not the test's)."""
    from datetime import timedelta

    from syncapp.models import Directory, Elevation, Phase, Project

    delta = timedelta(minutes=minutes)
    from django.db.models import F

    for model in (Directory, Project, Phase):
        model.objects.exclude(listed_at=None).update(listed_at=F("listed_at") - delta)
    for model in (Directory, Project, Phase, Elevation):
        model.objects.exclude(synced_at=None).update(synced_at=F("synced_at") - delta)


def request_count(stats: dict, template: str, status: str = "200") -> int:
    return stats["requests"].get(template, {}).get(status, 0)
