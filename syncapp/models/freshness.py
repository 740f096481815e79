"""Due, stale and freshness state: one definition used by planner, admin, metrics and commands."""

from datetime import timedelta

from django.db import models
from django.db.models import Case, Q, Value, When
from django.utils import timezone


class Freshness(models.TextChoices):
    FRESH = "fresh", "Fresh"
    DUE = "due", "Due"
    STALE = "stale", "Stale"
    NEVER = "never", "Never synced"
    FAILING = "failing", "Failing"
    REMOVED = "removed", "Removed upstream"
    EXCLUDED = "excluded", "Excluded"


class MirrorQuerySet(models.QuerySet):
    """Reads shared by every mirrored type.

    Each model names the lookup that reaches its directory's effective exclusion
    flag (``EXCLUSION_LOOKUP``) and its config type (``OBJECT_TYPE``).
    """

    def _config(self, config=None):
        from .config import ObjectSyncConfig

        return config or ObjectSyncConfig.objects.as_map()[self.model.OBJECT_TYPE]

    def excluded_q(self) -> Q:
        return Q(**{self.model.EXCLUSION_LOOKUP: True})

    def live(self):
        """Present upstream (not tombstoned) and not excluded by staff."""
        return self.filter(removed_at__isnull=True).exclude(self.excluded_q())

    def due(self, now=None, config=None):
        now = now or timezone.now()
        config = self._config(config)
        cutoff = now - timedelta(minutes=config.interval_minutes)
        return self.live().filter(Q(synced_at__isnull=True) | Q(synced_at__lt=cutoff))

    def stale(self, now=None, config=None):
        now = now or timezone.now()
        config = self._config(config)
        cutoff = now - timedelta(minutes=config.staleness_minutes)
        return self.live().filter(Q(synced_at__isnull=True) | Q(synced_at__lt=cutoff))

    def failing(self):
        return self.live().filter(failure_count__gt=0)

    def with_freshness(self, now=None, config=None):
        """Annotate ``freshness`` with the badge state, the most urgent state winning."""
        now = now or timezone.now()
        config = self._config(config)
        stale_cutoff = now - timedelta(minutes=config.staleness_minutes)
        due_cutoff = now - timedelta(minutes=config.interval_minutes)
        return self.annotate(
            freshness=Case(
                When(removed_at__isnull=False, then=Value(Freshness.REMOVED)),
                When(self.excluded_q(), then=Value(Freshness.EXCLUDED)),
                When(failure_count__gt=0, then=Value(Freshness.FAILING)),
                When(synced_at__isnull=True, then=Value(Freshness.NEVER)),
                When(synced_at__lt=stale_cutoff, then=Value(Freshness.STALE)),
                When(synced_at__lt=due_cutoff, then=Value(Freshness.DUE)),
                default=Value(Freshness.FRESH),
                output_field=models.CharField(),
            )
        )

    def freshness_counts(self, now=None, config=None) -> dict[str, int]:
        """Counts per freshness state in one query (every state present, zero when empty)."""
        rows = self.with_freshness(now, config).order_by().values("freshness").annotate(n=models.Count("pk"))
        counts = {state.value: 0 for state in Freshness}
        counts.update({row["freshness"]: row["n"] for row in rows})
        return counts
