"""Housekeeping: keep the run history and the job table from growing without bound."""

from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from .models import SchedulerTick, SyncRun

FINISHED_JOB_STATUSES = ("succeeded", "failed", "cancelled", "aborted")


def prune_history(*, now=None) -> dict:
    """Delete SyncRuns, ticks and finished jobs older than their retention; returns counts."""
    now = now or timezone.now()
    run_cutoff = now - timedelta(days=settings.SYNC_RUN_RETENTION_DAYS)
    job_cutoff = now - timedelta(days=settings.JOB_RETENTION_DAYS)
    with transaction.atomic():
        runs, _ = SyncRun.objects.filter(started_at__lt=run_cutoff).delete()
        ticks, _ = SchedulerTick.objects.filter(ticked_at__lt=run_cutoff).delete()
        # Procrastinate's own tables are not written through the ORM; its events
        # cascade with the job. A job's last event time is its finish time.
        with connection.cursor() as cursor:
            cursor.execute(
                """
                DELETE FROM procrastinate_jobs j
                WHERE j.status = ANY(%s)
                  AND NOT EXISTS (
                    SELECT 1 FROM procrastinate_events e
                    WHERE e.job_id = j.id AND e.at >= %s
                  )
                """,
                [list(FINISHED_JOB_STATUSES), job_cutoff],
            )
            jobs = cursor.rowcount
    return {"sync_runs": runs, "ticks": ticks, "jobs": jobs}
