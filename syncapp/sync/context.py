"""What a per-object sync needs to know about the job running it."""

from collections.abc import Callable
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
    on_success: Callable[["SyncResult"], None] | None = None
    recorded: bool = False

    @property
    def forced(self) -> bool:
        return self.trigger == Trigger.FORCED

    def finish(self, result: "SyncResult") -> None:
        """Record the run's success as the last write of the sync's own transaction.

        The child jobs queued in that transaction can start the moment it commits;
        recording the parent's end in it too means no child ever starts before its
        parent's run is finished, even by a millisecond.
        """
        if self.on_success is not None:
            self.on_success(result)
            self.recorded = True


@dataclass
class SyncResult:
    outcome: ListingOutcome = field(default_factory=ListingOutcome)
    jobs_deferred: int = 0
    warnings: list[str] = field(default_factory=list)
