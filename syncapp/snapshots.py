"""Taking and reading freshness snapshots (dashboard history)."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from .models.freshness import Freshness
from .models.snapshots import FreshnessSnapshot
from .stats import freshness_by_type

SNAPSHOT_CRON = "*/10 * * * *"


def take_freshness_snapshot(*, now=None) -> FreshnessSnapshot:
    """Store the current counts; drop snapshots past the run retention so the table stays small."""
    now = now or timezone.now()
    snapshot, _ = FreshnessSnapshot.objects.update_or_create(taken_at=now, defaults={"counts": freshness_by_type(now)})
    FreshnessSnapshot.objects.filter(taken_at__lt=now - timedelta(days=settings.SYNC_RUN_RETENTION_DAYS)).delete()
    return snapshot


def fresh_share(counts: dict[str, dict[str, int]]) -> float | None:
    """Share of live objects (all types) that are fresh or merely due, or None with no live object.

    Due objects are within their staleness threshold, so they count as fresh here:
    the line answers "how much of the mirror can be trusted right now".
    """
    trusted = live = 0
    for states in counts.values():
        for state, n in states.items():
            if state in (Freshness.REMOVED, Freshness.EXCLUDED):
                continue
            live += n
            if state in (Freshness.FRESH, Freshness.DUE):
                trusted += n
    return trusted / live if live else None


def freshness_history(*, now=None, hours: int = 24, current=None) -> list[dict]:
    """[{"taken_at", "fresh_share"}] over the last `hours`, oldest first, ending with the live figure.

    ``current`` is ``freshness_by_type(now)`` when the caller has it already.
    """
    now = now or timezone.now()
    rows = FreshnessSnapshot.objects.filter(taken_at__gte=now - timedelta(hours=hours), taken_at__lt=now)
    points = [{"taken_at": s.taken_at, "fresh_share": fresh_share(s.counts)} for s in rows.order_by("taken_at")]
    points.append({"taken_at": now, "fresh_share": fresh_share(current or freshness_by_type(now))})
    return points
