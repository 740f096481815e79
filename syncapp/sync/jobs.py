"""Turning planned syncs into Procrastinate jobs.

Jobs are deferred through Django's own connection (a JobManager over the
DjangoConnector), even inside a worker whose app runs on a psycopg pool: that way
a sync's writes and the child jobs it queues commit in one transaction, so a
crash can never keep the one without the other.
"""

import logging
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone
from procrastinate import exceptions as procrastinate_exceptions
from procrastinate import manager
from procrastinate.contrib.django.django_connector import DjangoConnector

from ..models import ObjectSyncConfig

logger = logging.getLogger(__name__)

SYNC_TASK = "sync_object"
SYNC_QUEUE = "sync"
FORCED_PRIORITY_BOOST = 100  # forced syncs run before any scheduled or cascaded work


@dataclass(frozen=True)
class PlannedJob:
    object_type: str
    object_id: int
    label: str
    reason: str


def object_lock(object_type: str, object_id: int) -> str:
    """One running job per object: scheduled, cascaded and forced jobs share it."""
    return f"sync:{object_type}:{object_id}"


def queueing_lock(object_type: str, object_id: int, trigger: str) -> str:
    # Forced jobs queue separately so that forcing never silently merges into a
    # waiting low-priority scheduled job; the later of the two then finds the
    # object freshly synced and skips itself.
    suffix = ":forced" if trigger == "forced" else ""
    return f"{object_lock(object_type, object_id)}{suffix}"


def job_manager() -> manager.JobManager:
    return manager.JobManager(DjangoConnector())


def _make_job(planned: PlannedJob, *, trigger: str, priority: int, options: dict):
    from procrastinate.jobs import Job

    return Job(
        id=None,
        queue=SYNC_QUEUE,
        priority=priority,
        lock=object_lock(planned.object_type, planned.object_id),
        queueing_lock=queueing_lock(planned.object_type, planned.object_id, trigger),
        task_name=SYNC_TASK,
        task_kwargs={
            "object_type": planned.object_type,
            "object_id": planned.object_id,
            "trigger": trigger,
            "deferred_at": timezone.now().isoformat(),
            **options,
        },
    )


@dataclass
class DeferResult:
    job_ids: list[int]
    already_queued: list[PlannedJob]


def defer_sync_jobs(planned: list[PlannedJob], *, trigger: str, subtree: bool = False,
                    include_excluded: bool = False, configs=None) -> DeferResult:
    """Queue one job per planned object in one statement, skipping objects already waiting.

    Runs on the caller's connection and transaction.
    """
    if not planned:
        return DeferResult([], [])
    configs = configs or ObjectSyncConfig.objects.as_map()
    locks = {queueing_lock(p.object_type, p.object_id, trigger): p for p in planned}
    waiting = _waiting_locks(list(locks))
    already = [locks[lock] for lock in waiting]
    fresh = [p for lock, p in locks.items() if lock not in waiting]
    options = {"subtree": subtree, "include_excluded": include_excluded}
    jobs = []
    for p in fresh:
        priority = configs[p.object_type].priority
        if trigger == "forced":
            priority += FORCED_PRIORITY_BOOST
        jobs.append(_make_job(p, trigger=trigger, priority=priority, options=options))
    if not jobs:
        return DeferResult([], already)
    try:
        with transaction.atomic():  # a savepoint: a clash must not poison the caller's transaction
            deferred = job_manager().batch_defer_jobs(jobs)
        return DeferResult([job.id for job in deferred], already)
    except procrastinate_exceptions.AlreadyEnqueued:
        # Another process queued one of them between our check and the insert:
        # fall back to one by one for this batch (rare) under a savepoint each.
        return _defer_one_by_one(jobs, fresh, already)


def _defer_one_by_one(jobs, planned, already) -> DeferResult:
    ids = []
    for job, p in zip(jobs, planned):
        try:
            with transaction.atomic():
                ids.append(job_manager().defer_job(job).id)
        except procrastinate_exceptions.AlreadyEnqueued:
            already.append(p)
    return DeferResult(ids, already)


def _waiting_locks(locks: list[str]) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT queueing_lock FROM procrastinate_jobs WHERE status = 'todo' AND queueing_lock = ANY(%s)",
            [locks],
        )
        return {row[0] for row in cursor.fetchall()}
