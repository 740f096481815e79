"""Read-only figures for the dashboard, /metrics and `sync_status`, all from the database.

Reading from PostgreSQL (not process memory) keeps them right with several
web and worker processes. Each function is a constant number of queries.
"""

from datetime import timedelta

from django.db import connection
from django.db.models import Count, Min
from django.db.models.functions import TruncHour
from django.utils import timezone

from .models import Directory, Elevation, ObjectSyncConfig, Phase, Project, SchedulerTick, SyncRun, UpstreamSessionLease
from .models.freshness import Freshness

MIRROR_MODELS = {"directory": Directory, "project": Project, "phase": Phase, "elevation": Elevation}


def freshness_by_type(now=None) -> dict[str, dict[str, int]]:
    now = now or timezone.now()
    configs = ObjectSyncConfig.objects.as_map()
    return {
        object_type: model.objects.freshness_counts(now, configs[object_type])
        for object_type, model in MIRROR_MODELS.items()
    }


def oldest_stale(now=None) -> dict[str, dict | None]:
    """Per type, the live object verified longest ago among the stale ones (never-synced first)."""
    now = now or timezone.now()
    configs = ObjectSyncConfig.objects.as_map()
    result = {}
    for object_type, model in MIRROR_MODELS.items():
        obj = model.objects.stale(now, configs[object_type]).order_by("synced_at").first()
        if obj is None:
            result[object_type] = None
            continue
        age = None if obj.synced_at is None else (now - obj.synced_at).total_seconds()
        result[object_type] = {"id": obj.pk, "label": str(obj), "synced_at": obj.synced_at, "age_s": age}
    return result


def queue_depth() -> dict[tuple[str, str], int]:
    """Jobs by (queue, status). Procrastinate's table is read with SQL, never written here."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT queue_name, status::text, count(*) FROM procrastinate_jobs GROUP BY 1, 2")
        return {(queue, status): n for queue, status, n in cursor.fetchall()}


def workers_alive(within_s: int = 60) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM procrastinate_workers WHERE last_heartbeat > now() - make_interval(secs => %s)",
            [within_s],
        )
        return cursor.fetchone()[0]


def last_tick() -> SchedulerTick | None:
    return SchedulerTick.objects.order_by("-ticked_at").first()


def recent_failures(limit: int = 20):
    return list(SyncRun.objects.failures().order_by("-started_at")[:limit])


def syncs_per_hour(now=None, hours: int = 24) -> list[dict]:
    """Finished runs per hour and outcome over the last `hours`, oldest first."""
    now = now or timezone.now()
    since = now - timedelta(hours=hours)
    rows = (
        SyncRun.objects.filter(started_at__gte=since)
        .exclude(outcome="running")
        .annotate(hour=TruncHour("started_at"))
        .values("hour", "outcome")
        .annotate(n=Count("pk"))
        .order_by("hour")
    )
    return list(rows)


def sessions_in_use(now=None) -> int:
    now = now or timezone.now()
    return UpstreamSessionLease.objects.exclude(holder="").filter(expires_at__gt=now).count()


def staleness_summary(now=None) -> dict[str, dict]:
    """What `sync_status` prints: per type, counts, stale count and the oldest verification."""
    now = now or timezone.now()
    configs = ObjectSyncConfig.objects.as_map()
    summary = {}
    for object_type, model in MIRROR_MODELS.items():
        config = configs[object_type]
        counts = model.objects.freshness_counts(now, config)
        oldest = model.objects.live().aggregate(oldest=Min("synced_at"))["oldest"]
        summary[object_type] = {
            "counts": counts,
            "stale": counts[Freshness.STALE] + counts[Freshness.NEVER],
            "oldest_synced_at": oldest,
            "interval_minutes": config.interval_minutes,
            "staleness_minutes": config.staleness_minutes,
            "enabled": config.enabled,
        }
    return summary
