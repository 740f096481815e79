"""Prometheus metrics, read from PostgreSQL at scrape time.

Every value comes from the database when /metrics is requested, never from
process memory: with several web and worker processes, any one of them answers
for the whole system. The figures are the ones of ``syncapp/stats.py`` (the
dashboard shows the same numbers).

SyncRun history is pruned, so per-run figures are exposed over a window (the
last hour) as gauges and a gauge histogram, never as counters that would run
backwards. Upstream request counts are never pruned and are a true counter.
"""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeHistogramMetricFamily, GaugeMetricFamily

from . import stats
from .sync import blocked
from .sync.capacity_data import cached_estimate

PREFIX = "logikal_sync"
RUN_WINDOW = timedelta(hours=1)
# A worker heartbeats every few seconds; one silent for a minute is gone.
WORKER_ALIVE_WITHIN_S = 60


def _le(bound: float) -> str:
    return "+Inf" if bound == float("inf") else repr(float(bound))


class DatabaseCollector:
    """A prometheus_client collector whose ``collect`` runs a fixed set of queries."""

    def __init__(self, now=None):
        self._now = now

    def collect(self):
        now = self._now or timezone.now()
        yield from self._freshness(now)
        yield from self._runs(now)
        yield from self._upstream(now)
        yield from self._jobs()
        yield from self._api()
        yield from self._capacity()

    def _freshness(self, now):
        objects = GaugeMetricFamily(
            f"{PREFIX}_objects", "Mirrored objects by type and freshness state.", labels=["object_type", "state"]
        )
        for object_type, counts in stats.freshness_by_type(now).items():
            for state, n in counts.items():
                objects.add_metric([object_type, state], n)
        yield objects

        oldest = GaugeMetricFamily(
            f"{PREFIX}_oldest_stale_age_seconds",
            "Age of the verification of the stale object verified longest ago (never-synced: since first seen); "
            "0 when nothing is stale.",
            labels=["object_type"],
        )
        for object_type, age in stats.oldest_stale_age_s(now).items():
            oldest.add_metric([object_type], age)
        yield oldest

    def _runs(self, now):
        since = now - RUN_WINDOW
        runs = GaugeMetricFamily(
            f"{PREFIX}_runs_last_hour",
            "Sync runs started in the last hour by object type and outcome (running ones included).",
            labels=["object_type", "outcome"],
        )
        for (object_type, outcome), n in sorted(stats.runs_by_type_and_outcome(since).items()):
            runs.add_metric([object_type, outcome], n)
        yield runs

        durations = GaugeHistogramMetricFamily(
            f"{PREFIX}_run_duration_seconds",
            "Duration of the sync runs that finished in the last hour, by object type.",
            labels=["object_type"],
        )
        for object_type, histogram in sorted(stats.run_duration_histogram(since).items()):
            buckets = [(_le(bound), n) for bound, n in histogram["buckets"]]
            durations.add_metric([object_type], buckets, histogram["sum_s"])
        yield durations

        background = GaugeMetricFamily(
            f"{PREFIX}_background_enabled", "1 when the scheduler plans syncs by itself (BACKGROUND_SYNC_ENABLED)."
        )
        background.add_metric([], 1 if settings.BACKGROUND_SYNC_ENABLED else 0)
        yield background

        tick = stats.last_tick()
        last_tick = GaugeMetricFamily(
            f"{PREFIX}_last_tick_timestamp_seconds",
            "Unix time of the last scheduler tick (absent until the first tick).",
        )
        if tick is not None:
            last_tick.add_metric([], tick.ticked_at.timestamp())
        yield last_tick

    def _upstream(self, now):
        requests = CounterMetricFamily(
            "logikal_upstream_requests",
            "Requests sent to LogiKal by endpoint and HTTP status (or error class), all processes together.",
            labels=["endpoint", "status"],
        )
        for (endpoint, status), n in sorted(stats.upstream_requests().items()):
            requests.add_metric([endpoint, status], n)
        yield requests

        sessions = stats.sessions(now)
        in_use = GaugeMetricFamily("logikal_upstream_sessions_in_use",
                                   "Upstream sessions held (logged in) by workers now, busy or idle.")
        in_use.add_metric([], sessions["open"])
        yield in_use
        busy = GaugeMetricFamily("logikal_upstream_sessions_busy", "Upstream sessions serving a job right now.")
        busy.add_metric([], sessions["busy"])
        yield busy

        cap = GaugeMetricFamily("logikal_upstream_sessions_max", "Cap on concurrent upstream sessions (LOGIKAL_MAX_SESSIONS).")
        cap.add_metric([], settings.LOGIKAL_MAX_SESSIONS)
        yield cap

    def _jobs(self):
        queue = GaugeMetricFamily(
            f"{PREFIX}_queue_jobs", "Procrastinate jobs by queue and status.", labels=["queue", "status"]
        )
        for (queue_name, status), n in sorted(stats.queue_depth().items()):
            queue.add_metric([queue_name, status], n)
        yield queue

        workers = GaugeMetricFamily(
            f"{PREFIX}_workers_alive", f"Worker processes that sent a heartbeat in the last {WORKER_ALIVE_WITHIN_S} s."
        )
        workers.add_metric([], stats.workers_alive(WORKER_ALIVE_WITHIN_S))
        yield workers

        stuck = blocked.counts()
        too_long = GaugeMetricFamily(
            f"{PREFIX}_jobs_running_too_long",
            "Jobs running longer than STALLED_JOB_SECONDS (very slow, or their worker died and the rescue has not "
            "settled them yet).")
        too_long.add_metric([], stuck["jobs_running_too_long"])
        yield too_long
        held_up = GaugeMetricFamily(
            f"{PREFIX}_objects_blocked",
            "Objects whose due job waits behind a job of the same object running longer than STALLED_JOB_SECONDS.")
        held_up.add_metric([], stuck["objects_blocked"])
        yield held_up

    def _api(self):
        requests = CounterMetricFamily(
            "logikal_api_requests",
            "Requests to /api/ by API client (empty: not authenticated) and HTTP status, all web processes together "
            "(written every API_USAGE_FLUSH_S).",
            labels=["client", "status"],
        )
        for (client, status), n in sorted(stats.api_requests().items()):
            requests.add_metric([client, str(status)], n)
        yield requests


    def _capacity(self):
        """The capacity estimate (syncapp/sync/capacity.py), cached for CAPACITY_CACHE_S like the dashboard's."""
        data = cached_estimate()
        eta = data["backlog_eta_s"]
        yield _single(f"{PREFIX}_capacity_needed_sessions",
                      "Upstream sessions the configured schedule needs, estimated from the mirror's counts, the "
                      "intervals and the measured latencies (compare logikal_upstream_sessions_max).",
                      data["needed_sessions"])
        yield _labelled(f"{PREFIX}_capacity_demand_session_seconds_per_hour",
                        "Session-seconds per hour the schedule needs, by kind of work.", "work",
                        data["demand_s_per_hour"])
        yield _labelled(f"{PREFIX}_backlog_jobs", "Sync jobs due now, by object type.", "object_type",
                        data["backlog_jobs"])
        yield _single(f"{PREFIX}_backlog_session_seconds", "Session-seconds the due jobs cost.", data["backlog_s"])
        yield _single(f"{PREFIX}_backlog_eta_seconds",
                      "Estimated time until the backlog is done beside the schedule (+Inf: the schedule leaves no "
                      "spare session time).", float("inf") if eta is None else eta)


def _single(name: str, text: str, value: float) -> GaugeMetricFamily:
    gauge = GaugeMetricFamily(name, text)
    gauge.add_metric([], value)
    return gauge


def _labelled(name: str, text: str, label: str, values: dict) -> GaugeMetricFamily:
    gauge = GaugeMetricFamily(name, text, labels=[label])
    for key, value in values.items():
        gauge.add_metric([key], value)
    return gauge


def render_metrics(now=None) -> bytes:
    """The Prometheus text exposition (format 0.0.4) of every metric above."""
    # A registry per scrape: nothing is kept in process memory between scrapes.
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector(now))
    return generate_latest(registry)
