"""Recovering work interrupted by a killed worker."""

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from ..models import SyncRun
from ..models.runs import Outcome

# A run still "running" this long after its start was interrupted (its job is retried).
INTERRUPTED_AFTER = timedelta(minutes=30)
INTERRUPTED_ERROR = "interrupted: the worker stopped mid-sync"


def close_interrupted_runs(*, now=None, running_job_ids=()) -> int:
    """Mark SyncRuns left "running" by a dead worker as failed; their jobs are retried separately."""
    now = now or timezone.now()
    stale = SyncRun.objects.filter(outcome=Outcome.RUNNING).filter(
        Q(started_at__lt=now - INTERRUPTED_AFTER) | Q(job_id__in=list(running_job_ids))
    )
    return stale.update(outcome=Outcome.FAILED, finished_at=now, error=INTERRUPTED_ERROR)
