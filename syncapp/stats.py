"""Read-only figures for the dashboard, /metrics and `sync_status`, all from the database.

Reading from PostgreSQL (not process memory) keeps them right with several
web and worker processes. Each function is a constant number of queries.
"""

from datetime import UTC, datetime, timedelta

from django.db import connection
from django.db.models import Count, IntegerField, Min, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce, TruncHour
from django.utils import timezone

from .models import (
    ObjectSyncConfig,
    SchedulerTick,
    SyncRun,
    UpstreamRequestCount,
    UpstreamSessionLease,
)
from .models.tree import MODELS



def freshness_by_type(now=None) -> dict[str, dict[str, int]]:
    now = now or timezone.now()
    configs = ObjectSyncConfig.objects.as_map()
    return {
        object_type: model.objects.freshness_counts(now, configs[object_type])
        for object_type, model in MODELS.items()
    }


def oldest_stale(now=None) -> dict[str, dict | None]:
    """Per type, the live object verified longest ago among the stale ones (never-synced first)."""
    now = now or timezone.now()
    configs = ObjectSyncConfig.objects.as_map()
    result = {}
    for object_type, model in MODELS.items():
        obj = model.objects.stale(now, configs[object_type]).order_by("synced_at").first()
        if obj is None:
            result[object_type] = None
            continue
        age = None if obj.synced_at is None else (now - obj.synced_at).total_seconds()
        result[object_type] = {"id": obj.pk, "label": str(obj), "synced_at": obj.synced_at, "age_s": age}
    return result


def queue_depth() -> dict[tuple[str, str], int]:
    """Jobs by (queue, status). Procrastinate's table is read with SQL, never written here."""
    from procrastinate.contrib.django.models import ProcrastinateJob

    rows = ProcrastinateJob.objects.order_by().values_list("queue_name", "status").annotate(n=Count("id"))
    return {(queue, str(status)): n for queue, status, n in rows}


def workers_alive(within_s: int = 60) -> int:
    from procrastinate.contrib.django.models import ProcrastinateWorker

    return ProcrastinateWorker.objects.filter(last_heartbeat__gt=timezone.now() - timedelta(seconds=within_s)).count()


def next_tick_at(now=None):
    """When the periodic scheduler tick runs next (SCHEDULER_CRON is read in UTC)."""
    from croniter import croniter
    from django.conf import settings

    now = now or timezone.now()
    return croniter(settings.SCHEDULER_CRON, now.astimezone(UTC)).get_next(datetime)


def last_tick() -> SchedulerTick | None:
    return SchedulerTick.objects.order_by("-ticked_at").first()


def _latest_per_object(runs):
    """Of ``runs``, the newest of each object (PostgreSQL's DISTINCT ON), as a subquery of ids."""
    return runs.order_by("object_type", "object_id", "-started_at").distinct("object_type", "object_id").values("pk")


def open_problems():
    """Objects whose sync failed and has not succeeded since: the newest failure of each, newest first.

    A queryset (slice it); each run carries ``failed_times``, its object's unresolved failures.
    """
    latest = _latest_per_object(SyncRun.objects.open_failures())
    attempts = (SyncRun.objects.open_failures().filter(object_type=OuterRef("object_type"),
                                                       object_id=OuterRef("object_id"))
                .order_by().values("object_type").annotate(n=Count("pk")).values("n"))
    return (SyncRun.objects.filter(pk__in=Subquery(latest)).order_by("-started_at")
            .annotate(failed_times=Subquery(attempts, output_field=IntegerField())))


def resolved_problems(now=None, *, hours: int = 24, limit: int = 5) -> list[SyncRun]:
    """Problems fixed by a later sync within the last ``hours``: the last failure of each object."""
    now = now or timezone.now()
    recent = SyncRun.objects.failures().filter(resolved_at__gte=now - timedelta(hours=hours))
    return list(SyncRun.objects.filter(pk__in=Subquery(_latest_per_object(recent))).order_by("-resolved_at")[:limit])


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


def sessions(now=None) -> dict[str, int]:
    """Upstream sessions: busy (serving a job), open (logged in, busy or idle) and the cap."""
    from django.conf import settings

    now = now or timezone.now()
    held = UpstreamSessionLease.objects.exclude(holder="").filter(expires_at__gt=now)
    figures = held.aggregate(open=Count("pk"), busy=Count("pk", filter=Q(busy=True)))
    return {"busy": figures["busy"], "open": figures["open"], "max": settings.LOGIKAL_MAX_SESSIONS}


def staleness_summary(now=None) -> dict[str, dict]:
    """What `sync_status` prints: per type, counts, stale count and the oldest verification."""
    now = now or timezone.now()
    configs = ObjectSyncConfig.objects.as_map()
    summary = {}
    for object_type, model in MODELS.items():
        config = configs[object_type]
        counts = model.objects.freshness_counts(now, config)
        oldest = model.objects.live().aggregate(oldest=Min("synced_at"))["oldest"]
        summary[object_type] = {
            "counts": counts,
            # Past the staleness threshold or never verified, whatever badge wins (a failing
            # object that is also stale counts): the QuerySet's own stale(), one number.
            "past_threshold": model.objects.stale(now, config).count(),
            "oldest_synced_at": oldest,
            "interval_minutes": config.interval_minutes,
            "staleness_minutes": config.staleness_minutes,
            "enabled": config.enabled,
        }
    return summary


# --- Figures for /metrics (syncapp/metrics.py) ----------------------------------

# Upper bounds of the sync duration histogram, in seconds (Prometheus `le` buckets).
DURATION_BUCKETS_S = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)


def oldest_stale_age_s(now=None) -> dict[str, float]:
    """Per type, seconds since the stale object verified longest ago was verified (0 when none is stale).

    A never-synced object counts from when it was first seen, so a backlog of new
    objects shows as a growing age instead of hiding behind "never".
    """
    now = now or timezone.now()
    configs = ObjectSyncConfig.objects.as_map()
    ages = {}
    for object_type, model in MODELS.items():
        oldest = model.objects.stale(now, configs[object_type]).aggregate(
            oldest=Min(Coalesce("synced_at", "first_seen_at"))
        )["oldest"]
        ages[object_type] = max(0.0, (now - oldest).total_seconds()) if oldest else 0.0
    return ages


def runs_by_type_and_outcome(since) -> dict[tuple[str, str], int]:
    """SyncRuns started since ``since`` by (object type, outcome), running ones included."""
    rows = (
        SyncRun.objects.filter(started_at__gte=since)
        .order_by()
        .values_list("object_type", "outcome")
        .annotate(n=Count("pk"))
    )
    return {(object_type, outcome): n for object_type, outcome, n in rows}


def run_duration_histogram(since, buckets_s=DURATION_BUCKETS_S) -> dict[str, dict]:
    """Per type, cumulative bucket counts, count and sum (seconds) of runs finished since ``since``.

    One query: PostgreSQL counts each bucket with a FILTER clause, so no duration
    is ever loaded into Python. Returns ``{type: {"buckets": [(le_s, n), ...,
    (inf, n)], "count": n, "sum_s": x}}``.
    """
    bucket_columns = ", ".join("count(*) FILTER (WHERE duration_ms <= %s)" for _ in buckets_s)
    sql = f"""
        SELECT object_type, {bucket_columns}, count(*), coalesce(sum(duration_ms), 0)
        FROM {SyncRun._meta.db_table}
        WHERE finished_at >= %s AND duration_ms IS NOT NULL
        GROUP BY object_type
    """  # noqa: S608 - only placeholders and our own table name are interpolated
    params = [bound * 1000 for bound in buckets_s] + [since]
    histogram = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for row in cursor.fetchall():
            object_type, counts, total, sum_ms = row[0], row[1 : 1 + len(buckets_s)], row[-2], row[-1]
            histogram[object_type] = {
                "buckets": [*zip(buckets_s, counts), (float("inf"), total)],
                "count": total,
                "sum_s": float(sum_ms) / 1000,
            }
    return histogram


def upstream_requests() -> dict[tuple[str, str], int]:
    """Upstream requests by (endpoint, status), summed over every stored hour and process."""
    rows = UpstreamRequestCount.objects.order_by().values_list("endpoint", "status").annotate(n=Sum("count"))
    return {(endpoint, status): n for endpoint, status, n in rows}


def api_requests() -> dict[tuple[str, int], int]:
    """API requests by (client name, HTTP status), summed over every stored hour and web process."""
    from .models import ApiRequestCount

    rows = ApiRequestCount.objects.order_by().values_list("client_name", "status").annotate(n=Sum("count"))
    return {(client, status): n for client, status, n in rows}
