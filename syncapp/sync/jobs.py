"""Turning planned syncs into Procrastinate jobs.

Jobs are deferred through Django's own connection (a JobManager over the
DjangoConnector), even inside a worker whose app runs on a psycopg pool: that way
a sync's writes and the child jobs it queues commit in one transaction, so a
crash can never keep the one without the other.
"""

import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import BigIntegerField
from django.db.models.functions import Cast, Substr
from django.utils import timezone
from procrastinate import exceptions as procrastinate_exceptions
from procrastinate import manager
from procrastinate.contrib.django.django_connector import DjangoConnector

from ..models import ObjectSyncConfig
from . import lanes
from .backfill import recency_bonus

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
    changed: datetime | None = None  # the project's upstream changedDate: the backfill order and priority bonus
    directory_id: int | None = None  # where it is upstream (below a directory): its lane (syncapp/sync/lanes.py)
    project_id: int | None = None


def _lock_prefix(object_type: str) -> str:
    return f"sync:{object_type}:"


def object_lock(object_type: str, object_id: int) -> str:
    """One running job per object: scheduled, cascaded and forced jobs share it."""
    return f"{_lock_prefix(object_type)}{object_id}"


def queueing_lock(object_type: str, object_id: int, trigger: str) -> str:
    # Forced jobs queue separately so that forcing never silently merges into a
    # waiting low-priority scheduled job; the later of the two then finds the
    # object freshly synced and skips itself.
    suffix = ":forced" if trigger == "forced" else ""
    return f"{object_lock(object_type, object_id)}{suffix}"


def waiting_object_ids(object_type: str):
    """SQL: ids of the objects of this type whose scheduled or cascaded job waits (read off its queueing lock).

    A list the planner excludes with ``pk__in`` (a hashed subplan): an anti-join on the lock text
    instead turned into 100,000 x 1,000 comparisons whenever the job table's statistics were stale.
    """
    from procrastinate.contrib.django.models import ProcrastinateJob

    prefix = _lock_prefix(object_type)
    return (ProcrastinateJob.objects.filter(status="todo", queueing_lock__regex=rf"^{prefix}[0-9]+$")
            .values(object_id=Cast(Substr("queueing_lock", len(prefix) + 1), BigIntegerField())))


def job_manager() -> manager.JobManager:
    return manager.JobManager(DjangoConnector())


def _make_job(planned: PlannedJob, *, trigger: str, priority: int, options: dict, lock: str):
    from procrastinate.jobs import Job

    return Job(
        id=None,
        queue=SYNC_QUEUE,
        priority=priority,
        lock=lock,
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
                    include_excluded: bool = False, configs=None, priority: int | None = None) -> DeferResult:
    """Queue one job per planned object in one statement, skipping objects already waiting.

    Runs on the caller's connection and transaction. `priority` replaces the type's (the
    changedDate sweep's background work).
    """
    if not planned:
        return DeferResult([], [])
    configs = configs or ObjectSyncConfig.objects.as_map()
    options = {"subtree": subtree, "include_excluded": include_excluded}
    now = timezone.now()
    pairs = [(p, _priority(p, trigger=trigger, configs=configs, now=now, override=priority)) for p in planned]
    lock_of = _locks_for(planned, trigger=trigger, configs=configs)
    if lanes.lanes_on() and trigger != "forced":
        pairs = lanes.grouped_by_directory(pairs, priority_of=lambda pair: pair[1],
                                           directory_of=lambda pair: pair[0].directory_id)
    planned = [p for p, _ in pairs]
    jobs = [_make_job(p, trigger=trigger, priority=job_priority, options=options, lock=lock_of(p))
            for p, job_priority in pairs]
    ids, skipped = defer_jobs(jobs)
    by_lock = {job.queueing_lock: p for job, p in zip(jobs, planned)}
    return DeferResult(ids, [by_lock[job.queueing_lock] for job in skipped])


def _priority(p: PlannedJob, *, trigger: str, configs, now, override: int | None) -> int:
    if override is not None:
        return override
    value = configs[p.object_type].priority + recency_bonus(p.object_type, p.changed, now)
    return value + FORCED_PRIORITY_BOOST if trigger == "forced" else value


def _locks_for(planned: list[PlannedJob], *, trigger: str, configs):
    """The Procrastinate lock of each planned job: its object's, or its directory lane's (lanes.py)."""
    if trigger == "forced" or not lanes.lanes_on():
        return lambda p: object_lock(p.object_type, p.object_id)
    from django.conf import settings

    counts = lanes.lane_counts(settings.LOGIKAL_MAX_SESSIONS, configs=configs)

    def lock_of(p: PlannedJob) -> str:
        if p.directory_id is None or p.project_id is None:
            return object_lock(p.object_type, p.object_id)
        return lanes.lane_lock(p.directory_id, p.project_id, counts.get(p.directory_id, settings.LOGIKAL_MAX_SESSIONS))

    return lock_of


def defer_jobs(jobs: list) -> tuple[list[int], list]:
    """Insert Procrastinate jobs in one statement; jobs whose queueing lock already waits are skipped.

    Returns (ids of the new jobs, the skipped jobs). Runs on Django's connection, so
    the jobs commit (and their NOTIFY fires) with the caller's transaction.
    """
    if not jobs:
        return [], []
    waiting = _waiting_locks([job.queueing_lock for job in jobs if job.queueing_lock])
    fresh = [job for job in jobs if job.queueing_lock not in waiting]
    skipped = [job for job in jobs if job.queueing_lock in waiting]
    if not fresh:
        return [], skipped
    try:
        with transaction.atomic():  # a savepoint: a clash must not poison the caller's transaction
            return [job.id for job in job_manager().batch_defer_jobs(fresh)], skipped
    except procrastinate_exceptions.AlreadyEnqueued:
        # Another process queued one of them between our check and the insert:
        # fall back to one by one for this batch (rare), each under a savepoint.
        ids = []
        for job in fresh:
            try:
                with transaction.atomic():
                    ids.append(job_manager().defer_job(job).id)
            except procrastinate_exceptions.AlreadyEnqueued:
                skipped.append(job)
        return ids, skipped


def waiting_jobs(locks) -> dict[str, int]:
    """The waiting job of each queueing lock that has one: lock -> job id (one query)."""
    from procrastinate.contrib.django.models import ProcrastinateJob

    locks = list(locks)
    if not locks:
        return {}
    return dict(ProcrastinateJob.objects.filter(status="todo", queueing_lock__in=locks)
                .values_list("queueing_lock", "id"))


def _waiting_locks(locks: list[str]) -> set[str]:
    return set(waiting_jobs(locks))
