"""Freshness: the one definition of "due" and "stale", for planner, admin, metrics, commands and API.

An object is *verified* (``synced_at``) when the listing of its parent confirms it (the root
directory by its own listing). It is **due** when that verification is older than its own
interval, **stale** when older than its own staleness threshold, and its badge
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

An object's own interval is its type's configured interval, or, with the type's activity rule on
(``ObjectSyncConfig.activity_based``), clamp(factor x time since its last upstream change,
interval, maximum interval): an object quiet for long is verified less often (``own_interval``;
the last change per type is named in the registry, ``MirroredType.last_change``). Its staleness
threshold is that interval times the config's staleness / interval ratio. A listing's own
interval is the rule of the rows it serves applied to the listing object's last change. Both are
SQL expressions, so every reader above gets them in the same statement.
"""

from datetime import datetime, timedelta

from django.db import models
from django.db.models import Case, DurationField, Exists, ExpressionWrapper, F, FloatField, OuterRef, Q, Sum, Value, When
from django.db.models.functions import Extract, Greatest, Least
from django.db.models.lookups import LessThan
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


def own_interval(config, last_change: str | None, at: datetime, *, stale: bool = False):
    """An object's own interval (or, with `stale`, its staleness threshold) at `at`, as SQL.

    The activity rule (RFC 9111 section 4.2.2, heuristic freshness): clamp(factor x (at - the
    object's last upstream change), the configured interval, the configured maximum). The
    staleness threshold is the same clamp times the config's staleness / interval ratio, so it is
    exactly the configured threshold whenever the interval is the configured one. No upstream
    date (a NULL, or a type without one: `last_change` None) or the rule off: the configured value.
    """
    ratio = config.staleness_ratio if stale else 1
    floor = Value(timedelta(minutes=config.interval_minutes * ratio), output_field=DurationField())
    if not config.activity_based or last_change is None:
        return floor
    cap = Value(timedelta(minutes=max(config.max_interval_minutes, config.interval_minutes) * ratio),
                output_field=DurationField())
    grown = ExpressionWrapper(Value(config.activity_factor * ratio) * (Value(at) - F(last_change)),
                              output_field=DurationField())
    # GREATEST and LEAST skip NULLs: an object without a date gets the floor.
    return Least(Greatest(grown, floor), cap)


def overdue_q(field: str, config, last_change: str | None, at: datetime, *, stale: bool = False) -> Q:
    """`field` (a verification or listing time) never set, or older than its own interval at `at`.

    The plain comparison with the configured interval comes first: every own interval is at least
    that long, so it holds whenever the rule does, and it can use the index on the field.
    """
    minutes = config.staleness_minutes if stale else config.interval_minutes
    condition = Q(**{f"{field}__lt": at - timedelta(minutes=minutes)})
    if config.activity_based and last_change is not None:
        condition &= Q(LessThan(F(field) + own_interval(config, last_change, at, stale=stale), Value(at)))
    return Q(**{f"{field}__isnull": True}) | condition


def state_since(synced_at: datetime | None, state: str, interval: timedelta, staleness: timedelta) -> datetime | None:
    """When the clock moved an object verified at `synced_at` into `state` (due or stale), else None.

    `interval` and `staleness` are the object's own (``with_freshness``'s annotations, taken now);
    an interval that grows with the clock makes this a moment at or after the real one, which is
    what a Last-Modified may be.
    """
    if synced_at is None:
        return None
    if state == Freshness.STALE:
        return synced_at + staleness
    if state == Freshness.DUE:
        return synced_at + interval
    return None


def _all_configs(configs):
    from .config import ObjectSyncConfig

    return configs or ObjectSyncConfig.objects.as_map()


class MirrorQuerySet(models.QuerySet):
    """Reads shared by every mirrored type.

    Each model names the lookup that reaches its directory's effective exclusion
    flag (``EXCLUSION_LOOKUP``) and its config type (``OBJECT_TYPE``); the registry
    (``syncapp.models.tree``) names its last upstream change.
    """

    def _config(self, config=None):
        return config or _all_configs(None)[self.model.OBJECT_TYPE]

    def _last_change(self) -> str | None:
        from .tree import type_of

        return type_of(self.model).last_change

    def excluded_q(self) -> Q:
        return Q(**{self.model.EXCLUSION_LOOKUP: True})

    def live(self):
        """Present upstream (not tombstoned) and not excluded by staff."""
        return self.filter(removed_at__isnull=True).exclude(self.excluded_q())

    def with_work(self):
        """Rows a forced job has something to do for: all of them (elevations narrow it)."""
        return self

    def overdue_q(self, config, now, lookahead: timedelta = NO_LOOKAHEAD, *, stale: bool = False) -> Q:
        """Never verified, or verified longer ago than the object's own interval (staleness threshold)."""
        return overdue_q("synced_at", config, self._last_change(), now + lookahead, stale=stale)

    def due(self, now=None, config=None, lookahead: timedelta = NO_LOOKAHEAD):
        """Live objects whose verification is past their own interval (stale and never included)."""
        return self.live().filter(self.overdue_q(self._config(config), now or timezone.now(), lookahead))

    def stale(self, now=None, config=None):
        return self.live().filter(self.overdue_q(self._config(config), now or timezone.now(), stale=True))

    def failing(self):
        return self.live().filter(failure_count__gt=0)

    def with_freshness(self, now=None, config=None):
        """Annotate ``freshness`` (the badge, the most urgent state winning) and the object's own
        ``effective_interval`` and ``effective_staleness`` (timedeltas)."""
        now = now or timezone.now()
        config = self._config(config)
        last_change = self._last_change()
        return self.annotate(
            freshness=Case(
                When(removed_at__isnull=False, then=Value(Freshness.REMOVED)),
                When(self.excluded_q(), then=Value(Freshness.EXCLUDED)),
                When(failure_count__gt=0, then=Value(Freshness.FAILING)),
                When(synced_at__isnull=True, then=Value(Freshness.NEVER)),
                When(self.overdue_q(config, now, stale=True), then=Value(Freshness.STALE)),
                When(self.overdue_q(config, now), then=Value(Freshness.DUE)),
                default=Value(Freshness.FRESH),
                output_field=models.CharField(),
            ),
            effective_interval=own_interval(config, last_change, now),
            effective_staleness=own_interval(config, last_change, now, stale=True),
        )

    def freshness_counts(self, now=None, config=None) -> dict[str, int]:
        """Counts per freshness state in one query (every state present, zero when empty)."""
        rows = self.with_freshness(now, config).order_by().values("freshness").annotate(n=models.Count("pk"))
        counts = {state.value: 0 for state in Freshness}
        counts.update({row["freshness"]: row["n"] for row in rows})
        return counts

    def verifications_per_hour(self, now=None, config=None) -> float:
        """Sum of 1 / own interval over the live objects: how many verifications per hour the
        schedule asks for this type (the capacity estimate's input). One statement."""
        interval = own_interval(self._config(config), self._last_change(), now or timezone.now())
        per_hour = ExpressionWrapper(Value(3600.0) / Extract(interval, "epoch"), output_field=FloatField())
        total = self.live().aggregate(n=Sum(per_hour))["n"]
        return float(total or 0.0)

    def listings_per_hour(self, now=None, configs=None) -> float:
        """Sum of 1 / own listing interval over the live objects: how many of this type's own jobs
        (listings of their children) per hour the schedule asks for when nothing changes. One statement."""
        return float(self.live().aggregate(n=Sum(self._listings_per_hour(now, configs)))["n"] or 0.0)

    def listings_per_hour_by(self, field: str, now=None, configs=None) -> dict:
        """``listings_per_hour`` per value of `field` (e.g. the directory: where the work is). One statement."""
        rows = self.live().values(field).annotate(n=Sum(self._listings_per_hour(now, configs))).order_by()
        return {key: float(n or 0.0) for key, n in rows.values_list(field, "n")}

    def _listings_per_hour(self, now, configs):
        from .tree import type_of

        now, configs = now or timezone.now(), _all_configs(configs)
        intervals = [own_interval(configs[served], self._last_change(), now) for served in type_of(self.model).serves]
        shortest = intervals[0] if len(intervals) == 1 else Least(*intervals)
        return ExpressionWrapper(Value(3600.0) / Extract(shortest, "epoch"), output_field=FloatField())

    # -- the planner's side: whose own job is due ------------------------------------------

    def job_due(self, now=None, configs=None, lookahead: timedelta = NO_LOOKAHEAD):
        """Live objects whose own job is due (see the module docstring); one statement."""
        configs = _all_configs(configs)
        return self.live().filter(self.job_due_q(now or timezone.now(), configs, lookahead))

    def listing_overdue_q(self, now, configs, lookahead) -> Q:
        """The listing never done, or older than the shortest own interval among the rows it serves
        (each config's rule with this object's last upstream change: a listing also finds new children)."""
        from .tree import type_of

        condition = Q(listed_at__isnull=True)
        for served in type_of(self.model).serves:
            condition |= overdue_q("listed_at", configs[served], self._last_change(), now + lookahead)
        return condition

    def job_due_q(self, now, configs, lookahead) -> Q:
        """A listing's rule: never done, older than the shortest interval it serves, or a child is due."""
        from .tree import type_of

        condition = self.listing_overdue_q(now, configs, lookahead)
        for child in type_of(self.model).children:
            condition |= Exists(child.model.objects.verification_due_below(
                OuterRef("pk"), child, configs[child.name], now, lookahead))
        return condition

    def verification_due_below(self, parent, child_type, config, now, lookahead):
        """Rows of this (child) type under `parent` that are live as far as their own row tells, and due.

        A child that a suspicious listing only noted missing (``missing_since``) is left to the
        parent's next regular listing: listing again at once could meet the same transient empty
        answer and confirm a removal that is not real.
        """
        rows = self.filter(**{child_type.parent_field: parent}, removed_at__isnull=True, missing_since__isnull=True)
        if not child_type.to_directory:  # a directory carries its own (inherited) exclusion flag
            rows = rows.exclude(self.excluded_q())
        return rows.filter(self.overdue_q(config, now, lookahead))


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

    def with_work(self):
        # An elevation in LogiKal's recycle bin has no parts list to download.
        return self.filter(is_in_recycle_bin=False)
