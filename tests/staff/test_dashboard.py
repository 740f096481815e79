"""The sync dashboard: the page, its refresh fragment, the JSON figures and the chart."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from syncapp.models import FreshnessSnapshot, SchedulerTick, SyncRun
from syncapp.snapshots import fresh_share, take_freshness_snapshot
from syncapp.sync.force import force_sync

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("sync_dashboard")
JSON = reverse("sync_dashboard_json")


def run(minutes_ago: float, outcome: str, **fields) -> SyncRun:
    started = timezone.now() - timedelta(minutes=minutes_ago)
    return SyncRun.objects.create(
        object_type=fields.pop("object_type", "project"), object_id=fields.pop("object_id", 1),
        object_label=fields.pop("object_label", "Alpha"), trigger="scheduled", outcome=outcome, started_at=started,
        finished_at=started + timedelta(seconds=2), **fields,
    )


@pytest.fixture
def history(tree):
    SchedulerTick.objects.create(ticked_at=timezone.now() - timedelta(seconds=90), background_enabled=True,
                                 jobs_deferred=7)
    run(10, "success")
    run(70, "success")
    run(75, "failed", object_type="elevation", object_id=tree.e1.pk, object_label="E1",
        error="PartsListInvalid: the file has no Elevations table")
    force_sync(tree.alpha)
    return tree


def cell(html: str, object_type: str, state: str) -> str:
    row = re.search(rf'<tr data-type="{object_type}">(.*?)</tr>', html, re.S).group(1)
    return re.sub(r"<[^>]+>", "", re.search(rf'data-state="{state}">(.*?)</td>', row, re.S).group(1)).strip()


def test_the_admin_index_links_to_the_dashboard(login, viewer):
    response = login(viewer).get(reverse("admin:index"))
    assert f'href="{DASHBOARD}"' in response.text


def test_the_page_shows_freshness_queues_tick_failures_and_a_chart(login, viewer, superuser, history):
    response = login(viewer).get(DASHBOARD)
    assert response.status_code == 200
    html = response.text
    assert cell(html, "project", "never") == "1"
    assert cell(html, "project", "failing") == "1"
    assert cell(html, "project", "due") == "1"
    assert cell(html, "directory", "stale") == "1"
    assert cell(html, "directory", "excluded") == "1"
    # A count links to the list filtered by that state.
    assert reverse("admin:syncapp_project_changelist") + "?freshness=never" in html
    # The oldest stale project is the never-synced one.
    assert reverse("admin:syncapp_project_change", args=[history.beta.pk]) in html
    assert re.search(r'id="background-sync">on<', html)
    assert re.search(r'id="last-tick"[^>]*>1\xa0minute ago<', html), "the tick 90 s ago"
    assert "7 jobs queued" in html
    queue_link = re.search(r'<tr data-queue="sync">.*?data-status="todo"><a href="([^"]+)">1</a>', html, re.S).group(1)
    jobs_page = login(superuser).get(queue_link.replace("&amp;", "&"))  # Procrastinate's admin
    assert jobs_page.status_code == 200 and jobs_page.context["cl"].result_count == 1
    assert "PartsListInvalid: the file has no Elevations table" in html
    svg = re.search(r"<svg xmlns.*?</svg>", html, re.S).group(0)
    assert svg.count("<rect") >= 3 + 3  # three runs in two hours, plus three legend swatches (no "skipped")
    assert "1 failed</title>" in svg
    assert "<script" in html and "fragment=1" in html  # refreshes itself


def test_the_fragment_is_the_body_alone(login, viewer, history):
    response = login(viewer).get(DASHBOARD + "?fragment=1")
    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'data-type="project"' in response.text


def test_the_json_carries_the_same_figures(login, viewer, history):
    data = login(viewer).get(JSON).json()
    types = {row["object_type"]: row for row in data["types"]}
    assert list(types) == ["directory", "project", "phase", "elevation"]
    assert types["project"]["counts"] == {
        "fresh": 1, "due": 1, "stale": 0, "never": 1, "failing": 1, "removed": 0, "excluded": 0,
    }
    assert types["project"]["oldest_stale"]["label"] == "Beta"
    assert data["background_sync_enabled"] is True
    assert data["last_tick"]["jobs_deferred"] == 7
    assert data["workers_alive"] == 0
    assert data["sessions"] == {"busy": 0, "open": 0, "max": 4}
    assert {"queue": "sync", "counts": {"todo": 1, "doing": 0, "failed": 0, "succeeded": 0, "cancelled": 0,
                                       "aborted": 0}} in data["queues"]
    assert [p["error"] for p in data["problems"]["open"]] == ["PartsListInvalid: the file has no Elevations table"]
    assert data["problems"]["open_count"] == 1 and data["problems"]["resolved"] == []
    assert sum(row["count"] for row in data["syncs_per_hour"]) == 3
    assert data["freshness_history"][-1]["fresh_share"] == pytest.approx(fresh_share(
        {row["object_type"]: row["counts"] for row in data["types"]}
    ))


def test_it_says_when_background_sync_is_off_and_no_tick_ever_ran(login, viewer, tree, settings):
    settings.BACKGROUND_SYNC_ENABLED = False
    html = login(viewer).get(DASHBOARD).text
    assert re.search(r'id="background-sync">off<', html)
    assert re.search(r'id="last-tick">never<', html)
    assert "No open problems." in html


def test_snapshots_draw_the_freshness_line_and_old_ones_are_dropped(login, viewer, tree, settings):
    now = timezone.now()
    old = FreshnessSnapshot.objects.create(taken_at=now - timedelta(days=settings.SYNC_RUN_RETENTION_DAYS + 1))
    take_freshness_snapshot(now=now - timedelta(hours=2))
    take_freshness_snapshot(now=now - timedelta(hours=1))
    assert not FreshnessSnapshot.objects.filter(pk=old.pk).exists()
    data = login(viewer).get(JSON).json()
    assert len(data["freshness_history"]) == 3  # two snapshots and the live figure
    svg = re.search(r"<svg xmlns.*?</svg>", login(viewer).get(DASHBOARD).text, re.S).group(0)
    assert "<polyline" in svg
    assert svg.count("<circle") == 3


def test_the_fresh_share_ignores_removed_and_excluded_objects():
    counts = {"project": {"fresh": 2, "due": 1, "stale": 1, "never": 0, "failing": 0, "removed": 5, "excluded": 3}}
    assert fresh_share(counts) == pytest.approx(0.75)
    assert fresh_share({"project": {"removed": 2}}) is None


def test_a_problem_fixed_by_a_later_sync_shows_as_resolved_and_leaves_the_open_ones(login, viewer, tree):
    from syncapp.models import UpstreamSessionLease

    first = run(30, "retrying", object_id=tree.alpha.pk, error="UpstreamUnavailable: GET /phases -> 500",
                error_summary="LogiKal server error while listing phases")
    second = run(20, "failed", object_id=tree.alpha.pk, error="UpstreamUnavailable: GET /phases -> 500",
                 error_summary="LogiKal server error while listing phases")
    other = run(15, "failed", object_id=tree.beta.pk, object_label="Beta", error="LoginFailed: ...",
                error_summary="LogiKal refused the configured login")
    data = login(viewer).get(JSON).json()["problems"]
    assert [(p["object_label"], p["failed_times"]) for p in data["open"]] == [("Beta", 1), ("Alpha", 2)]

    # Alpha's sync succeeds (what the runner records on success): both its failures resolve.
    assert SyncRun.objects.resolve_failures_of("project", tree.alpha.pk, at=timezone.now()) == 2
    data = login(viewer).get(JSON).json()["problems"]
    assert [p["id"] for p in data["open"]] == [other.pk] and data["open_count"] == 1
    assert [p["id"] for p in data["resolved"]] == [second.pk]
    assert data["resolved"][0]["resolved_at"] is not None
    html = login(viewer).get(DASHBOARD).text
    resolved_row = re.search(r'<tr class="problem-resolved" data-run="%d"[^>]*>(.*?)</tr>' % second.pk, html, re.S).group(1)
    assert "resolved " in resolved_row and "LogiKal server error while listing phases" in resolved_row
    assert SyncRun.objects.get(pk=first.pk).resolved_at is not None

    # Sessions: busy ones serve a job, idle ones are open but waiting.
    soon = timezone.now() + timedelta(minutes=1)
    for slot, busy in enumerate((True, False, False)):
        UpstreamSessionLease.objects.create(scope="x", slot=slot, holder=f"h:{slot}", acquired_at=timezone.now(),
                                            expires_at=soon, busy=busy)
    assert login(viewer).get(JSON).json()["sessions"] == {"busy": 1, "open": 3, "max": 4}
    assert "1 busy / 3 open / 4 max" in login(viewer).get(DASHBOARD).text


def test_the_dashboard_says_how_many_sessions_the_schedule_needs_and_warns_when_it_cannot_be_met(
        login, viewer, tree, settings):
    from django.core.cache import cache

    from syncapp.models import ObjectSyncConfig, UpstreamLatency

    settings.LOGIKAL_MAX_SESSIONS = 4
    cache.clear()
    response = login(viewer).get(DASHBOARD + "?fragment=1")
    needed = re.search(r'id="capacity-needed"[^>]*>needs ([0-9.]+) of 4 sessions<', response.text)
    assert needed and float(needed.group(1)) < 4
    assert 'id="capacity-warning"' not in response.text
    assert "Backlog: " in response.text

    # Logins of an hour each and every list re-read every minute: no four sessions can keep that up.
    UpstreamLatency.objects.create(endpoint="POST /auth", seconds=3600, samples=1, updated_at=timezone.now())
    ObjectSyncConfig.objects.update(interval_minutes=1, staleness_minutes=2)
    assert 'id="capacity-warning"' not in login(viewer).get(DASHBOARD + "?fragment=1").text  # cached for a minute
    cache.clear()
    html = login(viewer).get(DASHBOARD + "?fragment=1").text
    assert re.search(r'id="capacity-needed" class="bad">needs [0-9.]+ of 4 sessions<', html)
    warning = re.search(r'id="capacity-warning">(.*?)</p>', html).group(1)
    assert warning.startswith("The configured intervals cannot be met with LOGIKAL_MAX_SESSIONS=4")
    assert "raise LOGIKAL_MAX_SESSIONS to" in warning
    data = login(viewer).get(JSON).json()["capacity"]
    assert data["can_be_met"] is False and data["sessions"] == 4 and data["fixes"]
