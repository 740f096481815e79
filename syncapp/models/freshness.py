"""Freshness: the one definition of "due" and "stale", for planner, admin, metrics, commands and API.

An object is *verified* (``synced_at``) when the listing of its parent confirms it (the root
directory by its own listing). It is **due** when that verification is older than its type's
interval, **stale** when older than its type's staleness threshold, and its badge
(``with_freshness``, the API's ``state``) is the most urgent of removed, excluded, failing,
never, stale, due, fresh.

The planner asks the converse question, "whose job is due", through ``job_due()``: a job lists
an object's children (the elevation's job downloads its parts list), so an object's own job is
due when

- a live child it verifies is due (``due()`` above, the very same condition), or
- its listing is older than the shortest interval it serves (a listing also finds new children,
  and an empty parent has no child to be due), or was never done, or
- upstream says something below it changed (a project's changedDate moved past the one its
  phases were listed at; an elevation's changedDate moved past its stored parts list's).

So every object the admin calls due (or stale, or never synced) has its parent's job planned,
and the planner plans nothing the admin would not call due, except a listing that was never done
or that upstream says is outdated. One deliberate exception: a child that a suspicious listing
only noted missing (``missing_since``) waits for its parent's next regular listing (see
``verification_due_below``). ``tests/sync/test_freshness_agreement.py`` holds them to it.
Every rule takes ``lookahead``: the scheduler plans what falls due before its next tick.
"""

from datetime import datetime, timedelta

from django.db import models
from django.db.models import Case, Exists, F, OuterRef, Q, Value, When
from django.utils import timezone

NO_LOOKAHEAD = timedelta(0)


class Freshness(models.TextChoices):
    FRESH = "fresh", "Fresh"
    DUE = "due", "Due"
    STALE = "stale", "Stale"
    NEVER = "never", "Never synced"
    FAILING = "failing", "Failing"
    REMOVED = "removed", "Removed upstream"
    EXCLUDED = "excluded", "Excluded"


def due_cutoff(config, now: datetime, lookahead: timedelta = NO_LOOKAHEAD) -> datetime:
    """Verified before this moment: due (at `now + lookahead`)."""
    return now + lookahead - timedelta(minutes=config.interval_minutes)


def stale_cutoff(config, now: datetime) -> datetime:
    return now - timedelta(minutes=config.staleness_minutes)


def listing_cutoff(mirrored, configs, now: datetime, lookahead: timedelta = NO_LOOKAHEAD) -> datetime:
    """A listing done before this moment is due: the shortest interval among the rows it serves."""
    return max(due_cutoff(configs[served], now, lookahead) for served in mirrored.serves)


def state_since(synced_at: datetime | None, state: str, config) -> datetime | None:
    """When the clock alone moved an object verified at `synced_at` into `state` (due or stale), else None."""
    if synced_at is None:
        return None
    if state == Freshness.STALE:
        return synced_at + timedelta(minutes=config.staleness_minutes)
    if state == Freshness.DUE:
        return synced_at + timedelta(minutes=config.interval_minutes)
    return None


def _all_configs(configs):
    from .config import ObjectSyncConfig

    return configs or ObjectSyncConfig.objects.as_map()


class MirrorQuerySet(models.QuerySet):
    """Reads shared by every mirrored type.

    Each model names the lookup that reaches its directory's effective exclusion
    flag (``EXCLUSION_LOOKUP``) and its config type (``OBJECT_TYPE``).
    """

    def _config(self, config=None):
        return config or _all_configs(None)[self.model.OBJECT_TYPE]

    def excluded_q(self) -> Q:
        return Q(**{self.model.EXCLUSION_LOOKUP: True})

    def live(self):
        """Present upstream (not tombstoned) and not excluded by staff."""
        return self.filter(removed_at__isnull=True).exclude(self.excluded_q())

    def unverified_since_q(self, cutoff) -> Q:
        return Q(synced_at__isnull=True) | Q(synced_at__lt=cutoff)

    def due(self, now=None, config=None, lookahead: timedelta = NO_LOOKAHEAD):
        """Live objects whose verification is past their type's interval (stale and never included)."""
        cutoff = due_cutoff(self._config(config), now or timezone.now(), lookahead)
        return self.live().filter(self.unverified_since_q(cutoff))

    def stale(self, now=None, config=None):
        cutoff = stale_cutoff(self._config(config), now or timezone.now())
        return self.live().filter(self.unverified_since_q(cutoff))

    def failing(self):
        return self.live().filter(failure_count__gt=0)

    def with_freshness(self, now=None, config=None):
        """Annotate ``freshness`` with the badge state, the most urgent state winning."""
        now = now or timezone.now()
        config = self._config(config)
        return self.annotate(
            freshness=Case(
                When(removed_at__isnull=False, then=Value(Freshness.REMOVED)),
                When(self.excluded_q(), then=Value(Freshness.EXCLUDED)),
                When(failure_count__gt=0, then=Value(Freshness.FAILING)),
                When(synced_at__isnull=True, then=Value(Freshness.NEVER)),
                When(synced_at__lt=stale_cutoff(config, now), then=Value(Freshness.STALE)),
                When(synced_at__lt=due_cutoff(config, now), then=Value(Freshness.DUE)),
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

    # -- the planner's side: whose own job is due ------------------------------------------

    def job_due(self, now=None, configs=None, lookahead: timedelta = NO_LOOKAHEAD):
        """Live objects whose own job is due (see the module docstring); one statement."""
        configs = _all_configs(configs)
        return self.live().filter(self.job_due_q(now or timezone.now(), configs, lookahead))

    def job_due_q(self, now, configs, lookahead) -> Q:
        """A listing's rule: never done, older than the shortest interval it serves, or a child is due."""
        from .tree import type_of

        mirrored = type_of(self.model)
        condition = Q(listed_at__isnull=True) | Q(listed_at__lt=listing_cutoff(mirrored, configs, now, lookahead))
        for child in mirrored.children:
            condition |= Exists(child.model.objects.verification_due_below(
                OuterRef("pk"), child, due_cutoff(configs[child.name], now, lookahead)))
        return condition

    def verification_due_below(self, parent, child_type, cutoff):
        """Rows of this (child) type under `parent` that are live as far as their own row tells, and due.

        A child that a suspicious listing only noted missing (``missing_since``) is left to the
        parent's next regular listing: listing again at once could meet the same transient empty
        answer and confirm a removal that is not real.
        """
        rows = self.filter(**{child_type.parent_field: parent}, removed_at__isnull=True, missing_since__isnull=True)
        if not child_type.to_directory:  # a directory carries its own (inherited) exclusion flag
            rows = rows.exclude(self.excluded_q())
        return rows.filter(self.unverified_since_q(cutoff))


class ProjectQuerySet(MirrorQuerySet):
    def job_due_q(self, now, configs, lookahead) -> Q:
        changed_below = Q(changed_date__gt=F("listed_changed_date")) | Q(
            listed_changed_date__isnull=True, changed_date__isnull=False)
        return super().job_due_q(now, configs, lookahead) | changed_below


class ElevationQuerySet(MirrorQuerySet):
    def job_due_q(self, now, configs, lookahead) -> Q:
        """An elevation's job downloads its parts list: due when none is stored or it is older than the elevation."""
        from .partslist import PartsList

        current = PartsList.objects.filter(elevation=OuterRef("pk"), downloaded_at__isnull=False).filter(
            Q(source_changed_date__gte=OuterRef("changed_date")) | Q(elevation__changed_date__isnull=True)
        )
        return Q(is_in_recycle_bin=False) & ~Exists(current)
