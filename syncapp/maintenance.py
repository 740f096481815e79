"""Housekeeping: keep the run history and the job table from growing without bound."""

from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from .changefeed import prune_changes
from .models import AuditEntry, SchedulerTick, SyncRun, WebhookDelivery
from .models.webhooks import DeliveryStatus

FINISHED_JOB_STATUSES = ("succeeded", "failed", "cancelled", "aborted")


def prune_history(*, now=None) -> dict:
    """Delete SyncRuns, ticks, finished jobs, feed rows, delivered webhooks, audit entries and logins past retention."""
    from axes.models import AccessFailureLog, AccessLog

    now = now or timezone.now()
    run_cutoff = now - timedelta(days=settings.SYNC_RUN_RETENTION_DAYS)
    job_cutoff = now - timedelta(days=settings.JOB_RETENTION_DAYS)
    audit_cutoff = now - timedelta(days=settings.AUDIT_RETENTION_DAYS)
    with transaction.atomic():
        runs, _ = SyncRun.objects.filter(started_at__lt=run_cutoff).delete()
        ticks, _ = SchedulerTick.objects.filter(ticked_at__lt=run_cutoff).delete()
        audit, _ = AuditEntry.objects.filter(at__lt=audit_cutoff).delete()
        # Successful and failed logins are part of who did what: kept as long as the trail.
        logins = (AccessLog.objects.filter(attempt_time__lt=audit_cutoff).delete()[0]
                  + AccessFailureLog.objects.filter(attempt_time__lt=audit_cutoff).delete()[0])
        # Procrastinate's models are read-only and its remove_old_jobs task counts from the
        # database's now() outside this transaction, so this is SQL; the events cascade with the
        # job. A job's last event time is its finish time.
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
    # Delivered webhooks go with the feed rows they came from; undelivered ones are kept whatever their age.
    deliveries, _ = WebhookDelivery.objects.filter(status=DeliveryStatus.DELIVERED, delivered_at__lt=run_cutoff).delete()
    return {"sync_runs": runs, "ticks": ticks, "jobs": jobs, "changes": prune_changes(now=now),
            "webhook_deliveries": deliveries, "audit_entries": audit, "login_records": logins}


# Tables whose statistics steer hot queries: Procrastinate's job fetch (an anti-join that
# degrades from ~1 ms to ~1 s per fetch on stale statistics) and the planner's reads.
STATISTICS_TABLES = (
    "procrastinate_jobs", "syncapp_directory", "syncapp_project", "syncapp_phase", "syncapp_elevation",
    "syncapp_partslist",
)


def refresh_statistics(*, min_changes: int = 1000, share: float = 0.2) -> list[str]:
    """ANALYZE the tables that changed a lot since their last analysis; returns their names.

    Autovacuum normally does this, but it can be off or late (a burst of thousands of
    queued jobs arrives in seconds); the job fetch then picks a plan that reads the whole
    queue for every job.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT relname FROM pg_stat_user_tables
            WHERE relname = ANY(%s) AND n_mod_since_analyze > greatest(%s, n_live_tup * %s)
            """,
            [list(STATISTICS_TABLES), min_changes, share],
        )
        stale = [row[0] for row in cursor.fetchall()]
        for table in stale:
            # The name comes from the fixed list above, never from data.
            cursor.execute(f'ANALYZE "{table}"')
    return stale
