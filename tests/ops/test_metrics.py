"""/metrics: bearer token required, every figure read from the database at scrape time."""

from datetime import timedelta

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from syncapp.models import Directory, Project, SchedulerTick, SyncRun, UpstreamRequestCount, UpstreamSessionLease

TOKEN = "metrics-token-for-tests-0123456789"

pytestmark = pytest.mark.django_db


@pytest.fixture
def token(settings):
    settings.METRICS_TOKEN = TOKEN
    return TOKEN


def scrape(client) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples, name, **labels):
    return samples[(name, tuple(sorted(labels.items())))]


def run(object_type, outcome, duration_ms, *, ago=timedelta(minutes=5)):
    started = timezone.now() - ago
    finished = None if outcome == "running" else started + timedelta(milliseconds=duration_ms or 0)
    return SyncRun.objects.create(
        object_type=object_type, object_id=1, trigger="scheduled", outcome=outcome,
        started_at=started, finished_at=finished, duration_ms=duration_ms,
    )


def test_it_is_disabled_with_a_clear_503_when_no_token_is_configured(client, settings):
    settings.METRICS_TOKEN = None
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer anything")
    assert response.status_code == 503
    assert b"set METRICS_TOKEN" in response.content


@pytest.mark.parametrize("header", [None, "Bearer wrong-token", f"Basic {TOKEN}", "Bearer", f"Bearer {TOKEN}x"])
def test_it_refuses_a_missing_or_wrong_token_with_401(client, token, header):
    extra = {"HTTP_AUTHORIZATION": header} if header is not None else {}
    response = client.get("/metrics", **extra)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert b"logikal_sync" not in response.content


def test_it_counts_runs_and_durations_of_the_last_hour_by_type_and_outcome(client, token):
    run("project", "success", 50)
    run("project", "success", 700)
    run("project", "failed", 3000)
    run("project", "running", None)
    run("phase", "success", 400)
    run("project", "success", 100, ago=timedelta(hours=2))  # outside the window
    samples = scrape(client)
    assert value(samples, "logikal_sync_runs_last_hour", object_type="project", outcome="success") == 2
    assert value(samples, "logikal_sync_runs_last_hour", object_type="project", outcome="failed") == 1
    assert value(samples, "logikal_sync_runs_last_hour", object_type="project", outcome="running") == 1
    assert value(samples, "logikal_sync_runs_last_hour", object_type="phase", outcome="success") == 1
    bucket = lambda le: value(samples, "logikal_sync_run_duration_seconds_bucket", object_type="project", le=le)  # noqa: E731
    assert (bucket("0.1"), bucket("1.0"), bucket("2.5"), bucket("5.0"), bucket("+Inf")) == (1, 2, 2, 3, 3)
    assert value(samples, "logikal_sync_run_duration_seconds_gcount", object_type="project") == 3
    assert value(samples, "logikal_sync_run_duration_seconds_gsum", object_type="project") == pytest.approx(3.75)


def test_it_sums_upstream_requests_over_hours(client, token):
    hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    UpstreamRequestCount.objects.create(hour=hour - timedelta(hours=1), endpoint="GET /projects", status="200", count=7)
    UpstreamRequestCount.objects.create(hour=hour, endpoint="GET /projects", status="200", count=5)
    UpstreamRequestCount.objects.create(hour=hour, endpoint="POST /auth", status="timeout", count=1)
    samples = scrape(client)
    assert value(samples, "logikal_upstream_requests_total", endpoint="GET /projects", status="200") == 12
    assert value(samples, "logikal_upstream_requests_total", endpoint="POST /auth", status="timeout") == 1


def test_it_reports_freshness_ticks_sessions_and_queue_depth(client, token, settings):
    from syncapp.tasks import prune_history_task

    settings.BACKGROUND_SYNC_ENABLED = True
    now = timezone.now()
    root = Directory.objects.get(path="")
    Project.objects.create(guid="00000000-0000-0000-0000-000000000001", directory=root, name="fresh", synced_at=now)
    Project.objects.create(guid="00000000-0000-0000-0000-000000000002", directory=root, name="stale",
                           synced_at=now - timedelta(minutes=90))
    tick = SchedulerTick.objects.create(ticked_at=now - timedelta(minutes=2), background_enabled=True)
    UpstreamSessionLease.objects.create(slot=1, holder="host:1:abc", acquired_at=now, renewed_at=now,
                                        expires_at=now + timedelta(minutes=1))
    UpstreamSessionLease.objects.create(slot=2, holder="")
    prune_history_task.defer()

    samples = scrape(client)
    assert value(samples, "logikal_sync_objects", object_type="project", state="fresh") == 1
    assert value(samples, "logikal_sync_objects", object_type="project", state="stale") == 1
    assert value(samples, "logikal_sync_objects", object_type="elevation", state="fresh") == 0
    assert value(samples, "logikal_sync_oldest_stale_age_seconds", object_type="project") == pytest.approx(5400, abs=30)
    assert value(samples, "logikal_sync_oldest_stale_age_seconds", object_type="elevation") == 0
    assert value(samples, "logikal_sync_last_tick_timestamp_seconds") == pytest.approx(tick.ticked_at.timestamp())
    assert value(samples, "logikal_sync_background_enabled") == 1
    assert value(samples, "logikal_upstream_sessions_in_use") == 1
    assert value(samples, "logikal_upstream_sessions_busy") == 0  # held, idle
    assert value(samples, "logikal_upstream_sessions_max") == settings.LOGIKAL_MAX_SESSIONS
    assert value(samples, "logikal_sync_queue_jobs", queue="maintenance", status="todo") == 1
    assert value(samples, "logikal_sync_workers_alive") == 0


def test_it_is_served_to_a_scraper_that_uses_an_internal_host_name(client, token):
    response = client.get("/metrics", HTTP_HOST="10.244.1.7:8080", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
