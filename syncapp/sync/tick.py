"""The scheduler tick: plan what is due and queue it, in a constant number of statements."""

import logging
import time
from datetime import datetime, timedelta, timezone as dt_timezone

from croniter import croniter
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from ..maintenance import refresh_statistics
from ..models import ObjectSyncConfig, SchedulerTick
from ..models.runs import Trigger
from .jobs import defer_sync_jobs
from .planner import plan_tick

logger = logging.getLogger("syncapp.scheduler")


def tick_period(cron: str | None = None, now: datetime | None = None) -> timedelta:
    """Time between two ticks of the cron expression (the planner's look-ahead)."""
    now = now or datetime.now(dt_timezone.utc)
    iterator = croniter(cron or settings.SCHEDULER_CRON, now)
    first = iterator.get_next(datetime)
    return iterator.get_next(datetime) - first


class StatementCounter:
    """Counts the SQL statements run on a connection while installed (``connection.execute_wrapper``)."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def scheduler_tick(*, now=None) -> SchedulerTick:
    """One tick. With background sync disabled it records the tick and queues nothing."""
    now = now or timezone.now()
    clock = time.monotonic()
    if not settings.BACKGROUND_SYNC_ENABLED:
        logger.info("Background sync is disabled, skipping scheduled sync")
        return SchedulerTick.objects.create(ticked_at=now, background_enabled=False)
    logger.info("Starting smart sync scheduler task")
    statements = StatementCounter()
    with connection.execute_wrapper(statements), transaction.atomic():
        configs = ObjectSyncConfig.objects.as_map()
        # Only what this tick queues is read: the capped, most-recent-first share of the due jobs
        # not already waiting. What is left over is chosen again by the next tick.
        batch = plan_tick(now=now, lookahead=tick_period(now=now), configs=configs,
                          cap=settings.SCHEDULER_MAX_JOBS_PER_TICK)
        result = defer_sync_jobs(batch, trigger=Trigger.SCHEDULED, configs=configs)
    if len(result.job_ids) >= 200:
        refresh_statistics()  # a burst of jobs: the job fetch needs fresh statistics now
    tick = SchedulerTick.objects.create(
        ticked_at=now, background_enabled=True, jobs_deferred=len(result.job_ids),
        duration_ms=int((time.monotonic() - clock) * 1000), statements=statements.count,
    )
    by_type: dict[str, int] = {}
    for job in batch:
        by_type[job.object_type] = by_type.get(job.object_type, 0) + 1
    full = len(batch) >= settings.SCHEDULER_MAX_JOBS_PER_TICK
    logger.info(
        "Scheduler tick queued %d jobs (%d taken by another process meanwhile%s) in %d ms, %d SQL statements",
        len(result.job_ids), len(result.already_queued), "; the cap was reached, more may be due" if full else "",
        tick.duration_ms, tick.statements,
        extra={"jobs_deferred": len(result.job_ids), "already_queued": len(result.already_queued),
               "cap_reached": full, "by_type": by_type},
    )
    return tick
