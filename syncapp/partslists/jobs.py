"""Deferring `parse_parts_list` jobs: one waiting and one running job per parts list.

Both Procrastinate locks are ``parse:<id>``: the queueing lock keeps a second job for the
same parts list out of the queue while one waits, the lock keeps two from running at once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import InterfaceError, OperationalError
from procrastinate import BaseRetryStrategy, RetryDecision

from syncapp.sync.retry import backoff_seconds

logger = logging.getLogger(__name__)

TASK_NAME = "parse_parts_list"
QUEUE = "parser"


def parse_lock(parts_list_id: int) -> str:
    return f"parse:{parts_list_id}"


class ParseRetryStrategy(BaseRetryStrategy):
    """Retry what a second try can fix (storage or database hiccups) with capped, jittered backoff.

    An invalid file is not an error of the job (it is recorded and the job succeeds), so the
    only exceptions that reach here are environmental or bugs; bugs are not retried.
    """

    retryable = (OSError, OperationalError, InterfaceError)

    def __init__(self, *, max_attempts: int = 5, base_s: int = 5, cap_s: int = 300):
        self.max_attempts, self.base_s, self.cap_s = max_attempts, base_s, cap_s

    def get_retry_decision(self, *, exception: BaseException, job) -> RetryDecision | None:
        attempt = job.attempts + 1  # this one included
        if attempt >= self.max_attempts or not isinstance(exception, self.retryable):
            return None
        # The sync jobs' backoff: exponential, capped, jittered so failures do not retry in lockstep.
        return RetryDecision(retry_in={"seconds": backoff_seconds(attempt, base=self.base_s, cap=self.cap_s)})


def defer_parse_jobs(parts_list_ids: Iterable[int], *, priority: int | None = None) -> list[int]:
    """Queue a parse for each id that has none waiting; returns the ids that got a new job.

    One INSERT for the batch, on the caller's transaction; ids whose job already waits are
    skipped, not errors.
    """
    from procrastinate.jobs import Job

    from syncapp.models import ObjectSyncConfig
    from syncapp.sync.jobs import defer_jobs

    ids = list(dict.fromkeys(int(i) for i in parts_list_ids))
    if not ids:
        return []
    if priority is None:
        priority = ObjectSyncConfig.objects.as_map()["parts_list"].priority
    jobs = [
        Job(id=None, queue=QUEUE, priority=priority, lock=parse_lock(i), queueing_lock=parse_lock(i),
            task_name=TASK_NAME, task_kwargs={"parts_list_id": i})
        for i in ids
    ]
    _, skipped = defer_jobs(jobs)
    skipped_ids = {job.task_kwargs["parts_list_id"] for job in skipped}
    return [i for i in ids if i not in skipped_ids]


def defer_needed_parses(now=None) -> int:
    """Queue a parse for every stored file still owed one (pending, or stalled in `parsing`)."""
    from syncapp.models import PartsList

    ids = list(PartsList.objects.needing_parse(now).values_list("pk", flat=True)[:10_000])
    deferred = defer_parse_jobs(ids)
    if deferred:
        logger.info("Queued %d parts-list parses", len(deferred))
    return len(deferred)
