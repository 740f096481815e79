"""The capacity estimate: a known tree with known latencies, the warning and its fixes, the outputs."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone

from syncapp.models import Elevation, ObjectSyncConfig, UpstreamLatency
from syncapp.sync.capacity import MirrorCounts, capacity_text, estimate
from syncapp.sync.capacity_data import current_estimate

from . import factories as f

# Round figures for every request kind the cost model uses (seconds).
LATENCY = {
    "POST /auth": 5.0, "POST /directories/select": 0.1, "GET /directories": 0.1, "GET /projects": 0.3,
    "POST /projects/select": 0.8, "GET /projects/selected": 0.1, "GET /phases": 0.2, "POST /phases/select": 0.2,
    "GET /elevations": 0.5, "POST /elevations/select": 0.2, "GET /elevations/selected/parts-list": 2.5,
}
INTERVALS = {"directory": 60, "project": 30, "phase": 15, "elevation": 15}
ALL_ENABLED = dict.fromkeys(INTERVALS, True)


@pytest.fixture
def known_tree(db, settings):
    """Directories "", A, A/B; two projects in A (depth 1) and two in A/B (depth 2), two phases each,
    two elevations per phase (16), all synced; 4 elevations changed an hour ago (their parts lists are due),
    the others three days ago. Latencies measured as LATENCY."""
    settings.LOGIKAL_MAX_SESSIONS = 4
    settings.LOGIKAL_NAVIGATION = "strict"
    cache.clear()
    f.fixed_intervals()  # the arithmetic below on the configured intervals; the activity rule has its own test
    ObjectSyncConfig.objects.filter(object_type="project").update(interval_minutes=30, staleness_minutes=60)
    now = timezone.now()
    a, _ = f.fresh_tree(n_projects=2, n_phases=2, n_elevations=2, path="A")
    b = f.directory("A/B", listed_minutes_ago=1)
    for _ in range(2):
        project = f.project(b, listed_minutes_ago=1)
        for _ in range(2):
            phase = f.phase(project, listed_minutes_ago=1)
            for _ in range(2):
                f.elevation(phase, changed_date=now - timedelta(days=3))
    Elevation.objects.update(changed_date=now - timedelta(days=3))
    recent = Elevation.objects.order_by("pk").values_list("pk", flat=True)[:4]
    Elevation.objects.filter(pk__in=list(recent)).update(changed_date=now - timedelta(hours=1))
    UpstreamLatency.objects.bulk_create(
        [UpstreamLatency(endpoint=e, seconds=s, samples=10, updated_at=now) for e, s in LATENCY.items()])


def test_the_estimate_of_a_known_tree_in_strict_navigation(known_tree):
    result = current_estimate()
    # start      = login + mean depth 1.5 x directory select = 5 + 0.15           = 5.15
    # directory  = 5.15 + GET /directories 0.1 + GET /projects 0.3              = 5.55
    # project    = 5.15 + select 0.8 + selected 0.1 + GET /phases 0.2            = 6.25
    # phase      = select phase 0.2 + GET /elevations 0.5                        = 0.7
    # parts list = 5.15 + 0.8 + 0.2 + 0.2 + download 2.5                         = 8.85
    # per hour: 3 directories x 60/min(60, 30) = 6 listings x 5.55              = 33.3
    #           4 projects x 60/15 = 16 visits x 6.25                             = 100.0
    #           8 phases x 60/15 = 32 walks x 0.7                                 = 22.4
    #           4 elevations changed in the last day / 24 = 1/6 per hour x 8.85  = 1.475
    # total 157.175 session-seconds per hour = 0.04366 sessions
    assert result.demand_s_per_hour == pytest.approx(
        {"directory listings": 33.3, "project visits": 100.0, "phase listings": 22.4, "parts lists": 1.475})
    assert result.needed_sessions == pytest.approx(157.175 / 3600)
    assert result.measured and result.can_be_met and result.fixes == []
    # Backlog: the 4 outdated parts lists, 4 x 8.85 = 35.4 s, beside the schedule's 0.04366 of 4 sessions:
    # 35.4 / (4 - 0.04366) = 8.948 s.
    assert result.backlog_jobs == {"directory": 0, "project": 0, "phase": 0, "elevation": 4}
    assert result.backlog_s == pytest.approx(35.4)
    assert result.backlog_eta_s == pytest.approx(35.4 / (4 - 157.175 / 3600))


def test_lenient_navigation_shares_logins_within_a_directory_and_walks_elevations_without_one(known_tree):
    result = current_estimate(navigation="lenient")
    # project    = 5.15 / 2 projects per directory + 0.8 + 0.1 + 0.2 = 3.675; 16 visits = 58.8
    # parts list = 0.2 + 0.2 + 2.5 = 2.9; 1/6 per hour = 0.48333
    assert result.demand_s_per_hour["project visits"] == pytest.approx(58.8)
    assert result.demand_s_per_hour["parts lists"] == pytest.approx(2.9 / 6)
    assert result.backlog_s == pytest.approx(4 * 2.9)


def test_while_directory_listings_vouch_only_changed_projects_and_the_sweep_cost_visits(known_tree):
    from syncapp.models import Project
    from syncapp.sync.capacity import capacity_text

    ObjectSyncConfig.objects.filter(object_type="project").update(trust_changed_date="on")
    quiet = Project.objects.order_by("pk").first()
    Project.objects.filter(pk=quiet.pk).update(changed_date=timezone.now() - timedelta(days=3))
    result = current_estimate()
    # 3 of 4 projects changed in the last day: 3/24 visits per hour, and the sweep's 2 every 20 min;
    # each visit walks the project's 2 phases: (3/24 + 6) x (6.25 + 2 x 0.7) = 46.856
    assert result.demand_s_per_hour["project visits"] == pytest.approx((3 / 24 + 6) * 7.65)
    assert result.demand_s_per_hour["phase listings"] == 0
    assert result.demand_s_per_hour["directory listings"] == pytest.approx(33.3)  # listings still run
    assert result.change_driven
    assert "only projects that changed are visited" in capacity_text(result.as_dict())["summary"]
    ObjectSyncConfig.objects.filter(object_type="project").update(trust_changed_date="off")
    assert current_estimate().demand_s_per_hour["project visits"] == pytest.approx(100.0)


def test_without_measurements_the_estimate_uses_api_md_figures(known_tree):
    UpstreamLatency.objects.all().delete()
    result = current_estimate()
    assert not result.measured
    assert result.latency_s["POST /auth"] == 5.0 and result.latency_s["GET /elevations/selected/parts-list"] == 2.5


LARGE = MirrorCounts(directories=50, projects=1000, phases=5000, elevations=100000, parts_lists_per_hour=0,
                     mean_depth=1.0, projects_per_directory=20)


def test_a_schedule_that_cannot_be_met_says_so_and_what_would_fix_it():
    result = estimate(counts=LARGE, intervals=INTERVALS, enabled=ALL_ENABLED, latency=LATENCY,
                      sessions=4, navigation="strict", due={"project": 10})
    # start 5.1; directory 5.5; project 6.2; phase 0.7
    # 50 x 2 x 5.5 = 550; 1000 x 4 x 6.2 = 24,800; 5000 x 4 x 0.7 = 14,000: 39,350 s/h = 10.93 sessions
    assert result.needed_sessions == pytest.approx(39350 / 3600)
    assert not result.can_be_met
    # Phase and elevation intervals together at N: 550 + (1000 x 6.2 + 5000 x 0.7) x 60 / N <= 14,400
    # -> N >= 582,000 / 13,850 = 42.02 -> 43 min. Either interval alone leaves the visits at 15 min.
    assert result.fixes == ["raise the phase and elevation intervals to 43 min", "raise LOGIKAL_MAX_SESSIONS to 11"]
    assert result.backlog_eta_s is None  # no spare session time: the backlog never drains
    text = capacity_text(result.as_dict())
    assert text["summary"].startswith("The schedule needs 10.9 of 4 sessions (39,350 session-seconds per hour;")
    assert text["warning"] == (
        "The configured intervals cannot be met with LOGIKAL_MAX_SESSIONS=4: objects will go stale. To fix it, "
        "raise the phase and elevation intervals to 43 min or raise LOGIKAL_MAX_SESSIONS to 11.")
    assert text["backlog"].endswith("; never worked off at this capacity: the schedule leaves no spare session time.")
    # Parts lists follow changes, not an interval: when they alone overflow, turning them off is the fix.
    busy = estimate(counts=MirrorCounts(**{**LARGE.__dict__, "parts_lists_per_hour": 9000}),
                    intervals=INTERVALS, enabled=ALL_ENABLED, latency=LATENCY, sessions=12,
                    navigation="strict", due={})
    # Parts lists 9,000 x 8.8 (5.1 + 0.8 + 0.2 + 0.2 + 2.5) = 79,200 s/h, more than 12 sessions' 43,200 by
    # themselves; with the rest 118,550 s/h = 32.9 sessions; without them 39,350 fits.
    assert busy.fixes == ["turn off scheduled parts-list downloads (the parts list row)",
                          "raise LOGIKAL_MAX_SESSIONS to 33"]
    fixed = estimate(counts=LARGE, intervals={**INTERVALS, "phase": 43, "elevation": 43},
                     enabled=ALL_ENABLED, latency=LATENCY, sessions=4, navigation="strict", due={})
    assert fixed.can_be_met and fixed.needed_sessions <= 4


def test_sync_plan_prints_the_estimate_and_its_json_carries_it(known_tree):
    out = StringIO()
    call_command("sync_plan", stdout=out)
    assert "Capacity: The schedule needs 0.0 of 4 sessions (157 session-seconds per hour; strict navigation, " \
           "measured latencies)." in out.getvalue()
    assert "Backlog: 4 due jobs, 35 s of session time; done in 9 s beside the schedule." in out.getvalue()
    out = StringIO()
    call_command("sync_plan", "--json", stdout=out)
    capacity = json.loads(out.getvalue())["capacity"]
    assert capacity["needed_sessions"] == 0.04 and capacity["sessions"] == 4 and capacity["backlog_jobs"]["elevation"] == 4


def test_metrics_export_the_estimate(known_tree):
    from syncapp.metrics import render_metrics

    text = render_metrics().decode()
    assert "logikal_sync_capacity_needed_sessions 0.04" in text
    assert 'logikal_sync_capacity_demand_session_seconds_per_hour{work="project visits"} 100.0' in text
    assert 'logikal_sync_backlog_jobs{object_type="elevation"} 4.0' in text
    assert "logikal_sync_backlog_session_seconds 35.4" in text


def test_the_cycle_estimate_beside_benchmark_cycle_uses_the_same_cost_model(known_tree):
    from syncapp.sync.capacity_data import cycle_estimate

    # API.md's figures: start 5 + 1.5 x 0.1 = 5.15; directory 5.15 + 0.1 + 0.3 = 5.55;
    # project 5.15 + 0.8 + 0.1 + 0.19 = 6.24; phase 0.2 + 0.51 = 0.71.
    # (3 x 5.55 + 4 x 6.24 + 8 x 0.71) / 4 sessions = 47.29 / 4 = 11.82
    assert cycle_estimate(navigation="strict", sessions=4) == {
        "navigation": "strict", "sessions": 4, "cycle_full_scale_s": 11.8}


def test_with_the_activity_rule_quiet_projects_count_at_their_own_longer_intervals(known_tree):
    """The same tree with the default activity rule (factor 0.1, at most 1 day): its projects changed
    10 hours ago, so their phases and elevations are listed every 60 minutes, not every 15."""
    ObjectSyncConfig.objects.filter(object_type__in=["project", "phase", "elevation"]).update(activity_based=True)
    result = current_estimate()
    # 4 projects x 60/60 = 4 visits x 6.25 = 25.0; 8 phases x 60/60 = 8 walks x 0.7 = 5.6
    assert result.demand_s_per_hour == pytest.approx(
        {"directory listings": 33.3, "project visits": 25.0, "phase listings": 5.6, "parts lists": 1.475}, rel=1e-3)
