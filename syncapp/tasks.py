"""Procrastinate tasks: thin wrappers that take primitive arguments and call the sync code."""

import logging

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import DatabaseError
from procrastinate import RetryStrategy
from procrastinate.contrib.django import app

from .maintenance import prune_history, refresh_statistics
from .partslists.apply import parse_stored_parts_list
from .partslists.jobs import ParseRetryStrategy, defer_needed_parses
from .snapshots import SNAPSHOT_CRON, take_freshness_snapshot
from .sync.recovery import close_interrupted_runs
from .sync.rescue import rescue_stalled_jobs
from .sync.retry import JobRef
from .sync.runner import run_sync_job
from .sync.sync_all import fan_out
from .sync.tick import scheduler_tick
from .sync.trust import SWEEP_CRON, sweep_unchanged_projects

logger = logging.getLogger(__name__)

# Housekeeping must never starve behind a sync backlog: the tick and the stalled-job
# rescue outrank every sync job (forced ones top out at 200).
CONTROL_PRIORITY = 1000


# A failed attempt hands its work on itself (syncapp.sync.retry). Only when even that could not be
# recorded (the database went away) does Procrastinate retry the job in place; a newer job waiting
# under the queueing lock then takes over instead (syncapp.worker_guard.GuardedJobManager).
LOST_DATABASE_RETRY = RetryStrategy(max_attempts=5, wait=5, retry_exceptions={DatabaseError})


@app.task(name="sync_object", queue="sync", pass_context=True, retry=LOST_DATABASE_RETRY)
def sync_object(context, *, object_type: str, object_id: int, trigger: str, subtree: bool = False,
                include_excluded: bool = False, deferred_at: str | None = None, attempt: int = 1,
                retry_of: int | None = None) -> str:
    """`attempt` and `retry_of` are set on the jobs that retries queue."""
    job = context.job
    ref = JobRef(id=job.id, queue=job.queue, priority=job.priority, lock=job.lock, queueing_lock=job.queueing_lock,
                 task_name=job.task_name, task_kwargs=dict(job.task_kwargs))
    return run_sync_job(
        object_type=object_type, object_id=object_id, trigger=trigger, subtree=subtree,
        include_excluded=include_excluded, deferred_at=deferred_at, job=ref,
        # An attempt cut short by a dead worker and rescued in place counts as one.
        attempt=attempt + job.attempts, worker=context.worker_name or "",
    )


@app.task(name="sync_all", queue="scheduler", pass_context=True, priority=CONTROL_PRIORITY)
def sync_all_task(context, *, object_types: list[str], after_pk: int = 0) -> dict:
    """Deferred by syncapp.sync.sync_all.request_sync_all: one chunk of forced syncs, then its own continuation."""
    return fan_out(object_types=object_types, after_pk=after_pk, job_id=context.job.id)


@app.task(name="parse_parts_list", queue="parser", pass_context=False, retry=ParseRetryStrategy())
def parse_parts_list_task(parts_list_id: int) -> str:
    """Deferred with lock and queueing lock ``parse:<id>`` (see syncapp.partslists.jobs)."""
    return parse_stored_parts_list(parts_list_id)


@app.periodic(cron=settings.SCHEDULER_CRON, periodic_id="tick", priority=CONTROL_PRIORITY)
@app.task(name="scheduler_tick", queue="scheduler", queueing_lock="scheduler_tick", lock="scheduler_tick",
          pass_context=False, priority=CONTROL_PRIORITY)
def scheduler_tick_task(timestamp: int | None = None) -> int:
    return scheduler_tick().jobs_deferred


@app.periodic(cron=settings.STALLED_JOB_CHECK_CRON, periodic_id="stalled", priority=CONTROL_PRIORITY)
@app.task(name="retry_stalled_jobs", queue="maintenance", queueing_lock="retry_stalled_jobs", pass_context=True,
          priority=CONTROL_PRIORITY)
async def retry_stalled_jobs(context, timestamp: int | None = None) -> int:
    """Settle jobs left 'doing' by a dead worker (every worker also does it in its own loop,
    `syncapp.worker_guard.rescue_loop`, so this job stalling cannot stop the rescue)."""
    rescued = await sync_to_async(rescue_stalled_jobs)(settings.STALLED_JOB_SECONDS)
    await sync_to_async(close_interrupted_runs)()  # runs whose job is gone altogether
    return len(rescued)


@app.periodic(cron=settings.STALLED_JOB_CHECK_CRON, periodic_id="parse_backstop", priority=CONTROL_PRIORITY)
@app.task(name="defer_needed_parses", queue="maintenance", queueing_lock="defer_needed_parses",
          pass_context=False, priority=CONTROL_PRIORITY)
def defer_needed_parses_task(timestamp: int | None = None) -> int:
    """Backstop: a parse that stalled in `parsing` (its worker died) gets a job again. A stored
    file always has its parse job (they commit together with the elevation sync)."""
    return defer_needed_parses()


@app.periodic(cron=settings.STALLED_JOB_CHECK_CRON, periodic_id="statistics", priority=CONTROL_PRIORITY)
@app.task(name="refresh_statistics", queue="maintenance", queueing_lock="refresh_statistics",
          pass_context=False, priority=CONTROL_PRIORITY)
def refresh_statistics_task(timestamp: int | None = None) -> list[str]:
    """ANALYZE the hot tables that changed a lot (autovacuum may be late for a burst of jobs)."""
    return refresh_statistics()


@app.periodic(cron="17 3 * * *", periodic_id="prune")
@app.task(name="prune_history", queue="maintenance", queueing_lock="prune_history", pass_context=False)
def prune_history_task(timestamp: int | None = None) -> dict:
    return prune_history()


@app.periodic(cron=SNAPSHOT_CRON, periodic_id="freshness_snapshot")
@app.task(name="snapshot_freshness", queue="maintenance", queueing_lock="snapshot_freshness", pass_context=False)
def snapshot_freshness_task(timestamp: int | None = None) -> None:
    take_freshness_snapshot()


@app.periodic(cron=SWEEP_CRON, periodic_id="changed_date_sweep")
@app.task(name="sweep_unchanged_projects", queue="maintenance", queueing_lock="sweep_unchanged_projects",
          pass_context=False)
def sweep_unchanged_projects_task(timestamp: int | None = None) -> list[int]:
    """List the phases of a few projects that trusted changedDates let go unlisted (syncapp.sync.trust)."""
    return sweep_unchanged_projects()


@app.periodic(cron="* * * * *", periodic_id="webhooks")
@app.task(name="dispatch_webhooks", queue="webhooks", queueing_lock="dispatch_webhooks", pass_context=False)
def dispatch_webhooks_task(timestamp: int | None = None) -> int:
    """Changes from the feed -> deliveries; wakes the senders (syncapp.webhooks.dispatch)."""
    from .webhooks.dispatch import dispatch_all, endpoints_due
    from .webhooks.jobs import defer_delivery

    created = dispatch_all(defer_delivery)
    for endpoint_id in endpoints_due():  # retries whose wait has passed
        defer_delivery(endpoint_id)
    return sum(created.values())


@app.task(name="deliver_webhooks", queue="webhooks", pass_context=False)
def deliver_webhooks_task(endpoint_id: int) -> None:
    """One endpoint's due deliveries, in order (one sender per endpoint: syncapp.webhooks.deliver)."""
    from .webhooks.deliver import deliver_endpoint
    from .webhooks.jobs import defer_delivery

    if deliver_endpoint(endpoint_id):
        defer_delivery(endpoint_id)  # its time is up with deliveries left: hand the slot round, then go on
