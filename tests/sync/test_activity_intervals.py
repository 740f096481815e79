"""Activity-based intervals: clamp(factor x time since the last upstream change, interval, maximum).

An independent Python statement of the rule (``expected_interval``) is checked against the SQL
in ``syncapp/models/freshness.py`` on random rows, then the rule's consequences: a quiet
project's phases are left alone, a recently changed one's are listed, a moved changedDate acts
at once whatever the interval, and the capacity helper sums 1 / interval.
"""

import random
from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from syncapp.models import Directory, Elevation, ObjectSyncConfig, Phase, Project
from syncapp.models.freshness import Freshness
from syncapp.sync.planner import plan_due_jobs

from . import factories as f
from .interval_rule import expected_interval

pytestmark = pytest.mark.django_db


def expected_state(config, synced_at, last_change, now) -> str:
    if synced_at is None:
        return Freshness.NEVER
    if synced_at < now - expected_interval(config, last_change, now, stale=True):
        return Freshness.STALE
    if synced_at < now - expected_interval(config, last_change, now):
        return Freshness.DUE
    return Freshness.FRESH


def configure(object_type, **values):
    ObjectSyncConfig.objects.filter(object_type=object_type).update(**values)
    return ObjectSyncConfig.objects.get(object_type=object_type)


@pytest.mark.parametrize("seed", range(4))
def test_the_sql_rule_matches_the_stated_rule_on_random_rows(seed):
    rng = random.Random(seed)
    configs = {
        "project": configure("project", activity_based=rng.random() < 0.8, activity_factor=rng.choice([0.05, 0.1, 0.5, 1]),
                             interval_minutes=30, staleness_minutes=rng.choice([30, 60, 100]),
                             max_interval_minutes=rng.choice([30, 600, 1440, 10080])),
        "phase": configure("phase", activity_based=True, activity_factor=rng.choice([0.1, 0.25]),
                           interval_minutes=15, staleness_minutes=45, max_interval_minutes=rng.choice([60, 1440])),
        "elevation": configure("elevation", activity_based=rng.random() < 0.8, activity_factor=0.1,
                               interval_minutes=15, staleness_minutes=30, max_interval_minutes=2880),
    }
    now = timezone.now()
    ages = [None, 0, 5, 90, 600, 3000, 20000, 200000, -60]  # minutes since the last change (-60: clock skew)
    top, _ = f.fresh_tree(n_projects=0)
    for _ in range(30):
        age = rng.choice(ages)
        project = f.project(top, listed_minutes_ago=1)
        Project.objects.filter(pk=project.pk).update(synced_at=now - timedelta(minutes=rng.randint(0, 5000)),
                                                     changed_date=None if age is None else now - timedelta(minutes=age))
        phase = f.phase(project, listed_minutes_ago=1)
        Phase.objects.filter(pk=phase.pk).update(synced_at=now - timedelta(minutes=rng.randint(0, 5000)))
        e_age = rng.choice(ages)
        elevation = f.elevation(phase, changed_date=None if e_age is None else now - timedelta(minutes=e_age))
        Elevation.objects.filter(pk=elevation.pk).update(synced_at=now - timedelta(minutes=rng.randint(0, 5000)))

    checked = 0
    for model, last_change in ((Project, lambda p: p.changed_date), (Phase, lambda p: p.project.changed_date),
                               (Elevation, lambda e: e.changed_date)):
        config = configs[model.OBJECT_TYPE]
        for row in model.objects.with_freshness(now, config).select_related():
            change = last_change(row)
            want = expected_interval(config, change, now)
            assert abs(row.effective_interval - want) < timedelta(seconds=1), (model.__name__, change, config.__dict__)
            want_stale = expected_interval(config, change, now, stale=True)
            assert abs(row.effective_staleness - want_stale) < timedelta(seconds=1)
            if abs((now - row.synced_at) - want) > timedelta(seconds=2) and \
                    abs((now - row.synced_at) - want_stale) > timedelta(seconds=2):  # not on a boundary
                assert row.freshness == expected_state(config, row.synced_at, change, now), (model.__name__, change)
                checked += 1
        # due() and stale() are the badge's conditions, row by row.
        badges = dict(model.objects.with_freshness(now, config).values_list("pk", "freshness"))
        assert set(model.objects.due(now, config).values_list("pk", flat=True)) == {
            pk for pk, state in badges.items() if state in (Freshness.DUE, Freshness.STALE, Freshness.NEVER)}
        assert set(model.objects.stale(now, config).values_list("pk", flat=True)) == {
            pk for pk, state in badges.items() if state in (Freshness.STALE, Freshness.NEVER)}
    assert checked > 50


def test_a_quiet_projects_phases_are_verified_daily_a_busy_ones_every_interval():
    configure("phase", activity_based=True, activity_factor=0.1, max_interval_minutes=1440)
    top, _ = f.fresh_tree(n_projects=0)
    quiet = f.project(top, listed_minutes_ago=120, changed=timezone.now() - timedelta(days=300))
    busy = f.project(top, listed_minutes_ago=120, changed=timezone.now() - timedelta(hours=1))
    for project in (quiet, busy):
        f.phase(project, listed_minutes_ago=1)
    Phase.objects.update(synced_at=f.ago(120))

    states = dict(Phase.objects.with_freshness().values_list("project_id", "freshness"))
    assert states == {quiet.pk: Freshness.FRESH, busy.pk: Freshness.STALE}
    intervals = dict(Phase.objects.with_freshness().values_list("project_id", "effective_interval"))
    assert intervals == {quiet.pk: timedelta(days=1), busy.pk: timedelta(minutes=15)}
    assert [(j.object_type, j.object_id) for j in plan_due_jobs().jobs] == [("project", busy.pk)]

    # The same tree with the rule off: both are stale and both projects list their phases.
    configure("phase", activity_based=False)
    assert set(Phase.objects.with_freshness().values_list("freshness", flat=True)) == {Freshness.STALE}
    assert sorted(j.object_id for j in plan_due_jobs().jobs) == sorted([quiet.pk, busy.pk])


def test_a_moved_changed_date_makes_a_quiet_project_due_at_once():
    top, _ = f.fresh_tree(n_projects=0)
    project = f.project(top, listed_minutes_ago=1, changed=timezone.now() - timedelta(days=300))
    f.phase(project, listed_minutes_ago=1)
    assert plan_due_jobs().jobs == []
    Project.objects.filter(pk=project.pk).update(changed_date=timezone.now())
    assert [(j.object_type, j.object_id) for j in plan_due_jobs().jobs] == [("project", project.pk)]


def test_a_quiet_elevation_keeps_its_phase_listing_rare_and_a_fresh_edit_does_not():
    top, (project,) = f.fresh_tree(n_phases=1, n_elevations=0)
    Project.objects.filter(pk=project.pk).update(changed_date=timezone.now() - timedelta(days=30),
                                                 listed_changed_date=timezone.now() - timedelta(days=30))
    phase = project.phases.get()
    Phase.objects.filter(pk=phase.pk).update(listed_at=f.ago(60))
    elevation = f.elevation(phase, changed_date=timezone.now() - timedelta(days=30))
    Elevation.objects.filter(pk=elevation.pk).update(synced_at=f.ago(60))
    assert plan_due_jobs().jobs == []  # 30 days quiet: the phase is listed once a day
    Elevation.objects.filter(pk=elevation.pk).update(changed_date=timezone.now() - timedelta(minutes=100))
    # Its own date says it changed 100 minutes ago: interval 15 min, so its phase lists it again.
    assert ("phase", phase.pk) in [(j.object_type, j.object_id) for j in plan_due_jobs().jobs]


def test_verifications_per_hour_sum_one_over_each_objects_own_interval():
    configure("project", activity_based=True, activity_factor=0.1, interval_minutes=30, staleness_minutes=60,
              max_interval_minutes=1440)
    top, _ = f.fresh_tree(n_projects=0)
    now = timezone.now()
    f.project(top, changed=now - timedelta(days=100))   # 1 day
    f.project(top, changed=now - timedelta(hours=20))   # 2 h
    undated = f.project(top)                            # 30 min
    removed = f.project(top)
    Project.objects.filter(pk__in=[undated.pk, removed.pk]).update(changed_date=None)
    Project.objects.filter(pk=removed.pk).update(removed_at=now)  # not live: not verified at all
    assert Project.objects.verifications_per_hour(now) == pytest.approx(1 / 24 + 1 / 2 + 2, rel=1e-6)
    configure("project", activity_based=False)
    assert Project.objects.verifications_per_hour(now) == pytest.approx(6, rel=1e-6)


def test_listings_per_hour_sum_one_over_each_listings_own_interval():
    configure("phase", activity_based=True, activity_factor=0.1, interval_minutes=15, staleness_minutes=30,
              max_interval_minutes=1440)
    top, _ = f.fresh_tree(n_projects=0)
    now = timezone.now()
    f.project(top, changed=now - timedelta(days=100))   # its phases listed daily
    f.project(top, changed=now - timedelta(hours=5))    # every 30 min
    assert Project.objects.listings_per_hour(now) == pytest.approx(1 / 24 + 2, rel=1e-6)
    # A directory's listing keeps two rows: the shorter of the directory (60) and project (15) intervals.
    assert Directory.objects.filter(pk=top.pk).listings_per_hour(now) == pytest.approx(4, rel=1e-6)


@pytest.mark.parametrize(("values", "constraint"), [
    ({"activity_factor": 0}, "syncconfig_activity_factor_range"),
    ({"activity_factor": -0.5}, "syncconfig_activity_factor_range"),
    ({"activity_factor": 1.01}, "syncconfig_activity_factor_range"),
    ({"activity_based": True, "interval_minutes": 60, "staleness_minutes": 60, "max_interval_minutes": 59},
     "syncconfig_max_interval_range"),
    ({"max_interval_minutes": 0}, "syncconfig_max_interval_range"),
    ({"max_interval_minutes": 7 * 24 * 60 + 1}, "syncconfig_max_interval_range"),
])
def test_the_database_refuses_a_bad_activity_setting(values, constraint):
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        ObjectSyncConfig.objects.filter(object_type="phase").update(**values)


def test_a_maximum_below_the_interval_is_allowed_while_the_rule_is_off():
    ObjectSyncConfig.objects.filter(object_type="phase").update(
        activity_based=False, interval_minutes=120, staleness_minutes=240, max_interval_minutes=60)
    assert ObjectSyncConfig.objects.get(object_type="phase").max_interval_minutes == 60


def test_the_defaults_turn_the_rule_on_where_an_upstream_date_exists():
    rules = dict(ObjectSyncConfig.objects.values_list("object_type", "activity_based"))
    assert rules == {"directory": False, "project": True, "phase": True, "elevation": True, "parts_list": False}
    assert set(ObjectSyncConfig.objects.filter(activity_based=True).values_list("activity_factor", "max_interval_minutes")) \
        == {(0.1, 1440)}
