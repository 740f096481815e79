"""The capacity estimate's inputs, read from the database, and the cached estimate readers share.

A handful of counting statements (measured at `large`: see the README's benchmark figures); the
dashboard refreshes every 10 s and /metrics is scraped often, so both read the estimate through
``cached_estimate`` (computed at most every CAPACITY_CACHE_S per process).
"""

from dataclasses import replace
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import Avg, Case, Count, IntegerField, Value, When
from django.db.models.functions import Length, Replace
from django.utils import timezone

from ..logikal.navigation import DEFAULT_LATENCY_S
from ..models import Directory, Elevation, ObjectSyncConfig, Phase, Project, UpstreamLatency
from ..models.config import ObjectType
from ..models.tree import TYPES
from .capacity import MirrorCounts, cycle_seconds, estimate, job_costs
from .planner import count_due, job_enabled

CACHE_KEY = "syncapp:capacity-estimate"
# Parts lists follow upstream changes: the last day's changes, per hour, stand for the rate.
CHANGE_WINDOW = timedelta(days=1)


def mirror_counts(now) -> MirrorCounts:
    """Live objects per type, the mean directory depth of a project and the recent change rate."""
    depth = Case(When(directory__path="", then=Value(0)),
                 default=Length("directory__path") - Length(Replace("directory__path", Value("/"), Value(""))) + 1,
                 output_field=IntegerField())
    projects = Project.objects.live().aggregate(n=Count("pk"), depth=Avg(depth),
                                                directories=Count("directory", distinct=True))
    elevations = Elevation.objects.live()
    changed = elevations.filter(is_in_recycle_bin=False, changed_date__gte=now - CHANGE_WINDOW).count()
    return MirrorCounts(
        directories=Directory.objects.live().count(),
        projects=projects["n"],
        phases=Phase.objects.live().count(),
        elevations=elevations.count(),
        parts_lists_per_hour=changed / (CHANGE_WINDOW.total_seconds() / 3600),
        mean_depth=float(projects["depth"] or 0.0),
        projects_per_directory=projects["n"] / projects["directories"] if projects["directories"] else 1.0,
    )


def change_visits_per_hour(now, configs=None) -> float | None:
    """Project visits per hour while directory listings vouch for unchanged projects (None when they
    do not): the projects whose changedDate moved in the last day, per hour (a project changed twice
    between two listings of its directory is visited once, so a project counts once), and the
    trust sweep's samples."""
    from ..models.trust import trust_state
    from .tick import tick_period
    from .trust import SWEEP_CRON, SWEEP_PROJECTS_PER_RUN

    if not trust_state(configs).trusted:
        return None
    changed = Project.objects.live().filter(changed_date__gte=now - CHANGE_WINDOW).count()
    sweep = SWEEP_PROJECTS_PER_RUN * 3600 / tick_period(SWEEP_CRON, now).total_seconds()
    return changed / (CHANGE_WINDOW.total_seconds() / 3600) + sweep


def latencies() -> tuple[dict[str, float], bool]:
    """Seconds per request kind: API.md's figures, replaced by what this installation measured."""
    stored = dict(UpstreamLatency.objects.values_list("endpoint", "seconds"))
    return {**DEFAULT_LATENCY_S, **stored}, bool(stored)


def schedule_intervals(now, configs, counts: MirrorCounts) -> dict[str, float]:
    """Minutes per type as ``hourly_demand`` reads them: the configured intervals, except where the
    activity rule makes listings rarer (syncapp.models.freshness): a project's phase listing serves
    the phase row, a phase's elevation listing the elevation row, each at the mean interval its
    objects have now (live count x 60 / listings per hour, two statements)."""
    intervals = {name: float(configs[name].interval_minutes) for name in TYPES}
    listings = ((Project, ObjectType.PHASE, counts.projects), (Phase, ObjectType.ELEVATION, counts.phases))
    for model, served, count in listings:
        per_hour = model.objects.listings_per_hour(now, configs)
        if count and per_hour:
            intervals[served] = count * 60.0 / per_hour
    return intervals


def current_estimate(now=None, *, navigation: str | None = None, latency: dict[str, float] | None = None):
    """The estimate for the mirror as it is now (about six statements and the planner's due counts).

    `latency`: seconds per request kind to use instead of ``latencies()`` (a benchmark's full-scale
    figures, when the installation measured a scaled simulator)."""
    now = now or timezone.now()
    configs = ObjectSyncConfig.objects.as_map()
    latency, measured = (latency, False) if latency else latencies()
    due = {name: c["due"] for name, c in count_due(now=now, configs=configs).items()}
    # Only the schedule's estimate asks about trust; the cycle estimate counts every visit anyway.
    counts = replace(mirror_counts(now), change_visits_per_hour=change_visits_per_hour(now, configs))
    return estimate(
        counts=counts,
        intervals=schedule_intervals(now, configs, counts),
        enabled={name: job_enabled(configs, name) for name in TYPES},
        latency=latency, measured=measured, due=due,
        sessions=settings.LOGIKAL_MAX_SESSIONS, navigation=navigation or settings.LOGIKAL_NAVIGATION,
    )


def cached_estimate() -> dict:
    """``current_estimate().as_dict()``, recomputed at most every CAPACITY_CACHE_S seconds per process."""
    data = cache.get(CACHE_KEY)
    if data is None:
        data = current_estimate().as_dict()
        data["computed_at"] = timezone.now().isoformat()
        cache.set(CACHE_KEY, data, settings.CAPACITY_CACHE_S)
    return data



def cycle_estimate(*, navigation: str, sessions: int) -> dict:
    """The cost model's figure for one unchanged cycle of the mirror at API.md's (full-scale) latencies."""
    counts = mirror_counts(timezone.now())
    costs = job_costs(DEFAULT_LATENCY_S, navigation=navigation, depth=counts.mean_depth,
                      projects_per_directory=counts.projects_per_directory)
    return {"navigation": navigation, "sessions": sessions,
            "cycle_full_scale_s": round(cycle_seconds(counts, costs, sessions), 1)}
