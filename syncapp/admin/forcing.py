"""Forcing syncs and exclusions from the admin, through the sync engine's own functions."""

from dataclasses import dataclass, field

from .common import plural


NAMES_SHOWN = 3


@dataclass
class ForceTally:
    queued: int = 0
    already_queued: int = 0
    skipped: int = 0
    subtree: bool = False
    kind: str = "object"  # the model's verbose name
    kind_plural: str = "objects"
    names: list = field(default_factory=list)
    forced: list = field(default_factory=list, repr=False)  # the live objects asked for, for the audit trail

    def _sentence(self, first: str) -> str:
        parts = [first]
        if self.already_queued:
            parts.append(f"{self.already_queued} already queued")
        if self.skipped:
            parts.append(f"{self.skipped} skipped (removed upstream or excluded)")
        return "; ".join(parts) + "."

    def count_message(self) -> str:
        """Counts only, for whole types ("Queued 40 sync jobs; 2 already queued.")."""
        return self._sentence(f"Queued {plural(self.queued, 'sync job')}")

    def message(self) -> str:
        """ "Queued a forced sync of project DOS22309 with everything below it." and the like."""
        if not self.queued:
            return self._sentence("Queued no new sync")
        one = self.queued == 1
        what = f"a forced sync of {self.kind}" if one else f"forced syncs of {self.queued} {self.kind_plural}"
        shown = ", ".join(self.names[:NAMES_SHOWN]) + (", ..." if len(self.names) > NAMES_SHOWN else "")
        below = ("with everything below it" if one else "each with everything below it") if self.subtree else \
            ("only the object itself, not what is below it" if one else "only these, not what is below them")
        if one:
            return self._sentence(f"Queued {what} {shown}, {below}" if shown else f"Queued {what}, {below}")
        return self._sentence(f"Queued {what}{f' ({shown})' if shown else ''}, {below}")


def force_objects(queryset, *, subtree: bool) -> ForceTally:
    """Force every live object of ``queryset`` in one batch; removed and excluded ones are skipped.

    The engine refuses a whole batch when one object is removed or excluded, so
    the selection is narrowed to live objects first and the rest reported.
    """
    from ..sync.force import force_sync_many

    live = list(queryset.live())
    opts = queryset.model._meta
    tally = ForceTally(skipped=queryset.count() - len(live), subtree=subtree, kind=str(opts.verbose_name),
                       kind_plural=str(opts.verbose_name_plural))
    if live:
        result = force_sync_many(live, subtree=subtree)
        tally.forced = live
        tally.queued, tally.already_queued = len(result.job_ids), len(result.already_queued)
        waiting = {(p.object_type, p.object_id) for p in result.already_queued}
        tally.names = [str(obj) for obj in live if (obj.OBJECT_TYPE, obj.pk) not in waiting][:NAMES_SHOWN + 1]
    return tally


def set_excluded(request, directories, excluded: bool) -> int:
    """Exclude or include each directory with its subtree; the number of directories changed.

    Each directory whose own flag changes gets one audit entry (``excluded``: old -> new).
    """
    from .. import audit
    from ..sync.exclusion import set_directory_excluded

    directories = list(directories)
    flipped = [directory for directory in directories if directory.excluded != excluded]
    affected = sum(set_directory_excluded(directory, excluded) for directory in directories)
    audit.record_many(request, audit.AuditAction.EXCLUDE if excluded else audit.AuditAction.INCLUDE, flipped,
                      changes={"excluded": [not excluded, excluded]})
    return affected


def audit_forced(request, tally: ForceTally) -> None:
    """One audit entry per object a staff member forced (removed and excluded ones were skipped)."""
    from .. import audit

    action = audit.AuditAction.FORCE_SYNC_SUBTREE if tally.subtree else audit.AuditAction.FORCE_SYNC
    audit.record_many(request, action, tally.forced)
