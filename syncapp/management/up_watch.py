"""What `manage.py up` tells a person while it runs: when the system is ready, and a short progress line.

Read from the database like the dashboard, on a thread of its own (with its own connection).
"""

import threading
import time
from django.db import connections
from django.db.models import Count
from django.utils import timezone
from procrastinate.contrib.django.models import ProcrastinateJob

from ..models import Elevation, SchedulerTick, SyncRun
from ..models.tree import MODELS

SYNC_QUEUES = ("scheduler", "sync", "parser")
POLL_S = 2.0
READY_WAIT_S = 180  # past this, the banner comes anyway, saying the sync goes on in the background
PROGRESS_EVERY_S = 60


def pending_jobs() -> int:
    return ProcrastinateJob.objects.filter(status__in=["todo", "doing"], queue_name__in=SYNC_QUEUES).count()


def mirror_summary() -> str:
    counts = {name: model.objects.filter(removed_at__isnull=True).count() for name, model in MODELS.items()}
    with_parts = Elevation.objects.filter(parts_list__parsed_sha256__gt="").count()
    return (f"{counts['directory']} directories, {counts['project']} projects, {counts['phase']} phases, "
            f"{counts['elevation']} elevations ({with_parts} with a parts list read)")


def progress_line(since) -> str | None:
    """ "sync since 08:31: 75 done, 2 failed; 12 jobs waiting or running", or None when nothing happened."""
    outcomes = dict(SyncRun.objects.filter(started_at__gte=since).exclude(outcome="running")
                    .values_list("outcome").annotate(n=Count("pk")).order_by())
    pending = pending_jobs()
    if not outcomes and not pending:
        return None
    failed = outcomes.get("failed", 0) + outcomes.get("retrying", 0)
    local = timezone.localtime(since)
    return (f"syncs since {local:%H:%M}: {outcomes.get('success', 0)} done, {failed} failed; "
            f"{pending} job{'s' if pending != 1 else ''} waiting or running")


class Watcher:
    """Says "ready" once the first tick's work is done (or after READY_WAIT_S), then a progress line a minute."""

    def __init__(self, *, on_ready, say, stopping: threading.Event, expect_sync: bool):
        self.on_ready, self.say, self.stopping, self.expect_sync = on_ready, say, stopping, expect_sync
        self._thread = threading.Thread(target=self._run, name="up-watch", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def join(self) -> None:
        self._thread.join(timeout=10)

    def _run(self) -> None:
        try:
            self._wait_until_ready()
            self._report_progress()
        except Exception as error:  # noqa: BLE001 - a status line must never stop `up`
            if not self.stopping.is_set():
                self.say(f"[up] status lines stopped: {error}")
        finally:
            connections.close_all()

    def _wait_until_ready(self) -> None:
        started = time.monotonic()
        quiet = 0
        while self.expect_sync and not self.stopping.wait(POLL_S):
            done = SchedulerTick.objects.exists() and SyncRun.objects.exists() and pending_jobs() == 0
            quiet = quiet + 1 if done else 0
            if quiet >= 2:
                self.on_ready(f"ready: the mirror holds {mirror_summary()}.")
                return
            if time.monotonic() - started > READY_WAIT_S:
                self.on_ready(f"up, still syncing ({pending_jobs()} jobs waiting or running); "
                              "the dashboard shows the progress.")
                return
        if not self.stopping.is_set():
            self.on_ready("up (no sync expected: background sync is off or there is no upstream).")

    def _report_progress(self) -> None:
        since = timezone.now()
        while not self.stopping.wait(PROGRESS_EVERY_S):
            now = timezone.now()
            line = progress_line(since)
            if line:
                self.say(f"[up] {line}")
            since = now
