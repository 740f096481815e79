"""The planner: the top-most due node of each branch, in a constant number of statements."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from syncapp.models import ObjectSyncConfig, Phase
from syncapp.sync.exclusion import set_directory_excluded
from syncapp.sync.planner import plan_due_jobs

from . import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fixed_intervals():
    """These tests are about the planner's mechanics on the configured intervals; the activity rule
    has its own (tests/sync/test_activity_intervals.py)."""
    f.fixed_intervals()


def planned(plan):
    return sorted((job.object_type, job.object_id) for job in plan.jobs)


def test_a_never_listed_root_is_the_only_job():
    f.fresh_tree()
    root = f.root()
    root.listed_at = None
    root.save()
    assert planned(plan_due_jobs()) == [("directory", root.pk)]


def test_a_fresh_tree_plans_nothing():
    f.fresh_tree(n_projects=2)
    assert plan_due_jobs().jobs == []


def test_a_due_directory_hides_its_due_descendants():
    top, projects = f.fresh_tree()
    top.listed_at = f.ago(45)  # project interval is 30: the directory must list again
    top.save()
    Phase.objects.update(listed_at=f.ago(20))
    assert planned(plan_due_jobs()) == [("directory", top.pk)]


def test_a_project_whose_phases_are_due_gets_one_job_covering_its_phases():
    _, (project,) = f.fresh_tree(n_phases=2)
    project.listed_at = f.ago(20)  # phase interval 15
    project.save()
    Phase.objects.update(listed_at=f.ago(20))
    assert planned(plan_due_jobs()) == [("project", project.pk)]


def test_a_project_changed_upstream_is_planned_even_when_recently_listed():
    _, (project,) = f.fresh_tree()
    project.changed_date = timezone.now()
    project.save()
    assert planned(plan_due_jobs()) == [("project", project.pk)]


def test_a_due_phase_under_a_fresh_project_gets_its_own_job():
    _, (project,) = f.fresh_tree(n_phases=2)
    due = project.phases.first()
    due.listed_at = f.ago(16)
    due.save()
    assert planned(plan_due_jobs()) == [("phase", due.pk)]


def test_an_elevation_changed_past_its_parts_list_is_planned():
    _, (project,) = f.fresh_tree(n_elevations=3)
    changed = project.phases.first().elevations.first()
    changed.changed_date = timezone.now()
    changed.save()
    assert planned(plan_due_jobs()) == [("elevation", changed.pk)]


def test_lookahead_plans_what_falls_due_before_the_next_tick():
    from datetime import timedelta

    _, (project,) = f.fresh_tree()
    project.listed_at = f.ago(12)
    project.save()
    assert plan_due_jobs().jobs == []
    assert planned(plan_due_jobs(lookahead=timedelta(minutes=5))) == [("project", project.pk)]


def test_an_excluded_subtree_is_never_planned():
    top, _ = f.fresh_tree()
    sub = f.directory("A/B")  # never listed
    f.project(sub)  # never listed
    set_directory_excluded(top, True)
    assert plan_due_jobs().jobs == []
    set_directory_excluded(top, False)
    assert planned(plan_due_jobs()) == [("directory", sub.pk)]


def test_removed_objects_are_not_planned():
    _, (project,) = f.fresh_tree()
    project.listed_at = None
    project.removed_at = timezone.now()
    project.save()
    assert plan_due_jobs().jobs == []


def test_a_disabled_type_is_not_planned():
    _, (project,) = f.fresh_tree()
    project.listed_at = f.ago(20)
    project.save()
    ObjectSyncConfig.objects.filter(object_type="phase").update(enabled=False)
    assert plan_due_jobs().jobs == []


def test_a_config_edit_takes_effect_on_the_next_plan():
    _, (project,) = f.fresh_tree()
    project.listed_at = f.ago(10)
    project.save()
    assert plan_due_jobs().jobs == []
    ObjectSyncConfig.objects.filter(object_type="phase").update(interval_minutes=5, staleness_minutes=10)
    assert planned(plan_due_jobs()) == [("project", project.pk)]


def test_the_statement_count_does_not_grow_with_the_tree():
    def count_statements():
        with CaptureQueriesContext(connection) as queries:
            plan = plan_due_jobs()
        return len(queries), len(plan.jobs)

    f.fresh_tree(n_projects=1, path="A")
    small = count_statements()
    f.fresh_tree(n_projects=6, n_phases=3, path="B")
    from syncapp.models import Elevation

    Elevation.objects.update(changed_date=timezone.now())  # every elevation now needs a download
    large = count_statements()
    assert small[0] == large[0] == 5
    assert large[1] == Elevation.objects.count()


def test_planning_below_a_root_stays_inside_it():
    top, (project,) = f.fresh_tree()
    other = f.directory("Other")
    other_project = f.project(other)
    Phase.objects.update(listed_at=None)
    plan = plan_due_jobs(root=project)
    assert planned(plan) == sorted(("phase", p.pk) for p in project.phases.all())
    assert ("project", other_project.pk) not in planned(plan_due_jobs(root=top))


def test_a_tick_queues_at_most_the_configured_number_of_jobs_and_the_next_tick_the_rest(settings, clean_queue):
    from procrastinate.contrib.django.models import ProcrastinateJob

    from syncapp.models import Project
    from syncapp.sync.tick import scheduler_tick

    settings.SCHEDULER_MAX_JOBS_PER_TICK = 2
    _, projects = f.fresh_tree(n_projects=3, n_phases=2)
    Project.objects.filter(pk=projects[0].pk).update(listed_at=None)
    Phase.objects.exclude(project=projects[0]).update(listed_at=None)
    assert [scheduler_tick().jobs_deferred for _ in range(4)] == [2, 2, 1, 0]  # 1 project + 4 phases due
    kinds = sorted(job.args["object_type"] for job in ProcrastinateJob.objects.all())
    assert kinds == ["phase"] * 4 + ["project"]


def test_a_tick_with_background_sync_disabled_queues_nothing(settings, clean_queue, caplog):
    from syncapp.sync.tick import scheduler_tick

    settings.BACKGROUND_SYNC_ENABLED = False
    f.root().__class__.objects.filter(path="").update(listed_at=None)
    with caplog.at_level("INFO"):
        tick = scheduler_tick()
    assert tick.jobs_deferred == 0 and tick.background_enabled is False
    assert "Background sync is disabled, skipping scheduled sync" in caplog.text
    from procrastinate.contrib.django.models import ProcrastinateJob

    assert not ProcrastinateJob.objects.exists()


def test_replayed_ticks_after_downtime_queue_nothing_twice(clean_queue):
    from procrastinate.contrib.django.models import ProcrastinateJob

    from syncapp.sync.tick import scheduler_tick

    _, projects = f.fresh_tree(n_projects=3)
    Phase.objects.update(listed_at=f.ago(120))  # down for two hours: everything below is due
    first = scheduler_tick()
    replayed = [scheduler_tick() for _ in range(3)]  # the ticks missed while down, run late
    assert first.jobs_deferred == 3
    assert [tick.jobs_deferred for tick in replayed] == [0, 0, 0]
    assert ProcrastinateJob.objects.count() == 3
