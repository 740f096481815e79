""""Sync all objects of these types": one small fan-out job, so the web request only queues it.

The job walks the live objects of each type in primary-key order and queues forced syncs
(of each object itself, not its subtree) at most ``SCHEDULER_MAX_JOBS_PER_TICK`` at a time:
each chunk is one run of the job, which then queues its own continuation one tick period
later. A chunk's sync jobs, its continuation and its record (a `SyncRun` of the type, object
id 0, with the counts) commit together, so a crash repeats a chunk at worst, never skips one.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ..models import SyncRun
from ..models.runs import Outcome, Trigger
from ..models.tree import TYPES
from .jobs import PlannedJob, defer_jobs, defer_sync_jobs

logger = logging.getLogger("syncapp.sync")

TASK = "sync_all"
QUEUE = "scheduler"
PRIORITY = 1000  # a fan-out is quick and its chunks must not wait behind the jobs it queued


def _job(object_types: list[str], after_pk: int, scheduled_at=None):
    from procrastinate.jobs import Job

    return Job(id=None, queue=QUEUE, priority=PRIORITY, lock=TASK, queueing_lock=None, task_name=TASK,
               scheduled_at=scheduled_at,
               task_kwargs={"object_types": list(object_types), "after_pk": after_pk})


def request_sync_all(object_types: list[str]) -> int | None:
    """Queue the fan-out job for `object_types` (mirrored types only, parents first); its id."""
    wanted = [name for name in TYPES if name in set(object_types)]
    if not wanted:
        return None
    with transaction.atomic():
        ids, _ = defer_jobs([_job(wanted, 0)])
    return ids[0] if ids else None


def fan_out(*, object_types: list[str], after_pk: int = 0, job_id: int | None = None,
            chunk: int | None = None, pause: timedelta | None = None) -> dict:
    """Queue the next chunk of forced syncs; returns its counts (also kept on its SyncRun)."""
    chunk = chunk or settings.SCHEDULER_MAX_JOBS_PER_TICK
    mirrored = TYPES[object_types[0]]
    rows = list(mirrored.model.objects.live().filter(pk__gt=after_pk).order_by("pk")
                .values_list("pk", mirrored.label_field)[:chunk + 1])  # one more: is there a next chunk of this type?
    more_of_this_type = len(rows) > chunk
    rows = rows[:chunk]
    started = timezone.now()
    with transaction.atomic():
        result = defer_sync_jobs([PlannedJob(mirrored.name, pk, text, "sync all") for pk, text in rows],
                                 trigger=Trigger.FORCED)
        if more_of_this_type:
            follow = (object_types, rows[-1][0])
        else:
            follow = (object_types[1:], 0) if object_types[1:] else None
        if follow is not None:
            from .tick import tick_period

            when = started + (pause if pause is not None else tick_period())
            defer_jobs([_job(follow[0], follow[1], scheduled_at=when)])
        counts = {"queued": len(result.job_ids), "already_queued": len(result.already_queued),
                  "more": follow is not None}
        plural = str(mirrored.model._meta.verbose_name_plural)
        note = (f"{counts['queued']} forced syncs queued, {counts['already_queued']} already waiting"
                f"{'; the next chunk follows a tick later' if follow else '; done'}")
        SyncRun.objects.create(
            object_type=mirrored.name, object_id=0, object_label=f"all {plural} (after id {after_pk})",
            trigger=Trigger.FORCED, outcome=Outcome.SUCCESS, job_id=job_id, started_at=started,
            finished_at=timezone.now(), jobs_deferred=counts["queued"],
            error=note,
        )
    logger.info("sync all %s after id %s: %s", mirrored.name, after_pk, note,
                extra={"object_type": mirrored.name, "trigger": Trigger.FORCED, **counts})
    return counts
