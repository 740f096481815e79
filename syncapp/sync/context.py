"""What a per-object sync needs to know about the job running it, and what its apply step reports."""

from dataclasses import dataclass, field
from datetime import datetime

from ..models.runs import Trigger
from .reconcile import ListingOutcome


@dataclass
class SyncContext:
    now: datetime
    trigger: str
    upstream: object
    configs: dict
    subtree: bool = False
    include_excluded: bool = False
    run: object = None  # this job's SyncRun: children synced inside the job record their runs beside it

    @property
    def forced(self) -> bool:
        return self.trigger == Trigger.FORCED


@dataclass
class SyncResult:
    outcome: ListingOutcome = field(default_factory=ListingOutcome)
    jobs_deferred: int = 0
    warnings: list[str] = field(default_factory=list)
    # The object changed upstream: the cascade lists each live child now, due or not.
    relist_children: bool = False
    # Children this sync already listed in its own session (a project's walked phases): not queued again.
    listed_children: set[tuple[str, int]] = field(default_factory=set)
    # Their runs as (SyncRun, CallCounter, counts): logged after the commit, one line each as a job's.
    child_runs: list[tuple] = field(default_factory=list)
