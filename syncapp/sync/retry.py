"""Retries of sync jobs, owned by us: a failed attempt hands its work on in the transaction that records it.

Procrastinate's own retry turns the failed job back into ``todo`` in place. That collides with
the queueing-lock index when a newer job for the same object already waits (a tick or a cascade
queued it: the index only covers ``todo`` jobs), the worker swallows the error and the job stays
``doing`` forever, its lock blocking the object (procrastinate#1446, #1543). So sync jobs have no
Procrastinate retry. A failed attempt that may be retried instead, in the same transaction that
records it on its SyncRun, either

- merges into the job already waiting under its queueing lock (that job carries the work), or
- queues a new job under the queueing lock, scheduled after the backoff, carrying its attempt
  number (``attempt``) and the job it continues (``retry_of``).

Either way the run records the job that continues it (``SyncRun.next_job_id``), so followers
(``force_sync --wait``, the API's sync requests) and the admin follow the work, not the attempt.
"""

import json
import random
from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone
from procrastinate.jobs import Job

# The model's field defaults, for a config that could not be read.
_FALLBACK = (5, 10, 600)


@dataclass(frozen=True)
class JobRef:
    """What a running sync job knows about itself: enough to queue its successor."""

    id: int
    queue: str
    priority: int
    lock: str | None
    queueing_lock: str | None
    task_name: str
    task_kwargs: dict


@dataclass(frozen=True)
class Continuation:
    job_id: int
    merged: bool  # True: a job that already waited carries the work; False: a retry was queued
    attempt: int  # the attempt number the continuing job will make
    scheduled_at: object  # when it may start (a datetime)


def is_retryable(error: BaseException) -> bool:
    # Upstream errors say for themselves; unknown errors (DB hiccups, bugs) get retried.
    retryable = getattr(error, "retryable", None)
    return True if retryable is None else bool(retryable)


def backoff_seconds(attempt: int, *, base: int, cap: int) -> int:
    """Delay before retry number `attempt` (1 = first retry): full jitter over half the window."""
    window = min(cap, base * (2 ** (attempt - 1)))
    return max(1, int(random.uniform(window / 2, window)))


def will_retry(error: BaseException, *, attempt: int, config) -> bool:
    return is_retryable(error) and attempt < config.max_attempts


def _settings(config) -> tuple[int, int, int]:
    if config is None:
        return _FALLBACK
    return config.max_attempts, config.retry_base_seconds, config.retry_max_seconds


def job_args(value) -> dict:
    """A job's arguments as read through Django's connection (which leaves jsonb as text)."""
    return json.loads(value) if isinstance(value, str) else (value or {})


def waiting_job(queueing_lock: str) -> tuple[int, object, dict] | None:
    """(id, scheduled_at, args) of the job waiting under `queueing_lock`, if any (at most one can)."""
    from procrastinate.contrib.django.models import ProcrastinateJob

    row = (ProcrastinateJob.objects.filter(status="todo", queueing_lock=queueing_lock)
           .values_list("id", "scheduled_at", "args").first())
    return (row[0], row[1], job_args(row[2])) if row else None


def continue_failed_attempt(job: JobRef, *, attempt: int, config) -> Continuation:
    """Hand the work of failed attempt `attempt` of `job` on; runs in the caller's transaction.

    A waiting job under the same queueing lock cannot start before this one ends (they share
    the object's lock, or its project's directory lane, and this one is still ``doing``), so what
    we find here still waits when we commit.
    """
    from .jobs import defer_jobs, object_lock
    from .lanes import is_lane

    if job.queueing_lock:
        found = waiting_job(job.queueing_lock)
        if found is not None:
            return Continuation(found[0], True, _attempt_of(found[2]), found[1] or timezone.now())
    _, base, cap = _settings(config)
    at = timezone.now() + timedelta(seconds=backoff_seconds(attempt, base=base, cap=cap))
    kwargs = {**job.task_kwargs, "attempt": attempt + 1, "retry_of": job.id}
    # A job waiting out its backoff blocks its lock's later jobs: on a directory lane that would be
    # the whole lane, so the retry takes its object's own lock (syncapp/sync/lanes.py).
    lock = object_lock(job.task_kwargs["object_type"], job.task_kwargs["object_id"]) if is_lane(job.lock) else job.lock
    retry = Job(id=None, queue=job.queue, priority=job.priority, lock=lock, queueing_lock=job.queueing_lock,
                task_name=job.task_name, task_kwargs=kwargs, scheduled_at=at)
    ids, skipped = defer_jobs([retry])
    if ids:
        return Continuation(ids[0], False, attempt + 1, at)
    # Someone queued a job for the object between our look and the insert: it carries the work.
    found = waiting_job(job.queueing_lock)
    assert found is not None and skipped, "a skipped job means one waits under its queueing lock"
    return Continuation(found[0], True, _attempt_of(found[2]), found[1] or timezone.now())


def _attempt_of(args: dict) -> int:
    value = (args or {}).get("attempt")
    return value if isinstance(value, int) else 1
