"""Forcing syncs and exclusions from the admin, through the sync engine's own functions."""

from dataclasses import dataclass

from .common import plural


@dataclass
class ForceTally:
    queued: int = 0
    already_queued: int = 0
    skipped: int = 0

    def message(self) -> str:
        parts = [f"Queued {plural(self.queued, 'sync job')}"]
        if self.already_queued:
            parts.append(f"{self.already_queued} already queued")
        if self.skipped:
            parts.append(f"{self.skipped} skipped (removed upstream or excluded)")
        return "; ".join(parts) + "."


def force_objects(queryset, *, subtree: bool) -> ForceTally:
    """Force every live object of ``queryset`` in one batch; removed and excluded ones are skipped.

    The engine refuses a whole batch when one object is removed or excluded, so
    the selection is narrowed to live objects first and the rest reported.
    """
    from ..sync.force import force_sync_many

    live = list(queryset.live())
    tally = ForceTally(skipped=queryset.count() - len(live))
    if live:
        result = force_sync_many(live, subtree=subtree)
        tally.queued, tally.already_queued = len(result.job_ids), len(result.already_queued)
    return tally


def set_excluded(directories, excluded: bool) -> int:
    """Exclude or include each directory with its subtree; the number of directories changed."""
    from ..sync.exclusion import set_directory_excluded

    return sum(set_directory_excluded(directory, excluded) for directory in directories)
