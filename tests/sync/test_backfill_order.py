"""Backfill order: with more due than a tick may queue, the most recently changed projects go first."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from procrastinate.contrib.django.models import ProcrastinateJob

from syncapp.models import Elevation, Phase, Project
from syncapp.sync.backfill import recency_bonus
from syncapp.sync.planner import count_due, plan_tick
from syncapp.sync.tick import scheduler_tick

from . import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fixed_intervals():
    """Phases listed an hour ago are due here whatever their project's age: the order is under test,
    not the activity rule (tests/sync/test_activity_intervals.py)."""
    f.fixed_intervals()


def backlog(ages_days, path="A"):
    """One project per age (days since it changed upstream), each with 2 phases due and 1 changed elevation.

    The directories are fresh and the projects were just listed: what is due is the phases' listings
    and one parts list per project, and no job covers another.
    """
    now = timezone.now()
    _, projects = f.fresh_tree(n_projects=len(ages_days), n_phases=3, n_elevations=1, path=path)
    for project, age in zip(projects, ages_days):
        changed = now - timedelta(days=age)
        Project.objects.filter(pk=project.pk).update(changed_date=changed, listed_changed_date=changed)
        first_phase, *others = project.phases.order_by("pk")
        Phase.objects.filter(pk__in=[p.pk for p in others]).update(listed_at=f.ago(60))
        Elevation.objects.filter(phase=first_phase).update(changed_date=now)  # newer than its parts list
    return projects


def queued_projects() -> list[int]:
    """The project of each waiting sync job, in the order a worker fetches them."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT procrastinate_register_worker_v1()")
        (worker_id,) = cursor.fetchone()
    order = []
    while True:
        with connection.cursor() as cursor:
            # The very function a Procrastinate worker calls for its next job (highest priority first).
            cursor.execute("SELECT id FROM procrastinate_fetch_job_v2(ARRAY['sync']::varchar[], %s)", [worker_id])
            (job_id,) = cursor.fetchone()
        if job_id is None:
            return order
        job = ProcrastinateJob.objects.get(pk=job_id)
        order.append(project_of(job.args["object_type"], job.args["object_id"]))


def project_of(object_type: str, object_id: int) -> int:
    if object_type == "phase":
        return Phase.objects.get(pk=object_id).project_id
    return Elevation.objects.get(pk=object_id).phase.project_id


def test_a_capped_tick_queues_the_most_recent_projects_work_first_and_a_worker_takes_it_in_that_order(
        settings, clean_queue):
    settings.SCHEDULER_MAX_JOBS_PER_TICK = 4
    old, recent, middle = backlog([400, 0.5, 20])  # 3 jobs each: 9 due, 4 per tick
    assert count_due()["phase"]["due"] == 6 and count_due()["elevation"]["due"] == 3

    assert scheduler_tick().jobs_deferred == 4
    # The tick took the recent project's three jobs and one of the middle one's, nothing of the old.
    assert sorted(queued_projects_in_queue()) == sorted([recent.pk] * 3 + [middle.pk])
    assert scheduler_tick().jobs_deferred == 4  # the next tick skips what waits and takes the next share
    assert scheduler_tick().jobs_deferred == 1
    assert scheduler_tick().jobs_deferred == 0
    assert count_due()["phase"] == {"due": 6, "waiting": 6}

    # Queued over three ticks, fetched by priority: recent (bonus 40), middle (20), old (0).
    assert queued_projects() == [recent.pk] * 3 + [middle.pk] * 3 + [old.pk] * 3


def queued_projects_in_queue() -> list[int]:
    return [project_of(job.args["object_type"], job.args["object_id"])
            for job in ProcrastinateJob.objects.filter(status="todo")]


def test_a_job_queued_later_for_a_recent_project_overtakes_waiting_work_on_old_ones(settings, clean_queue):
    settings.SCHEDULER_MAX_JOBS_PER_TICK = 100
    (old,) = backlog([400])
    scheduler_tick()
    (recent,) = backlog([0.1], path="B")
    scheduler_tick()
    assert queued_projects() == [recent.pk] * 3 + [old.pk] * 3


def test_parents_outrank_children_within_one_age_step():
    now = timezone.now()
    defaults = {"directory": 40, "project": 30, "phase": 20, "elevation": 20}
    priority = {t: defaults[t] + recency_bonus(t, now - timedelta(hours=3), now) for t in defaults}
    assert priority["directory"] > priority["project"] > priority["phase"] >= priority["elevation"]
    # ... and a project changed today has its parts lists ahead of an archive's project listing.
    assert defaults["elevation"] + recency_bonus("elevation", now, now) > \
        defaults["project"] + recency_bonus("project", now - timedelta(days=900), now)
    assert recency_bonus("project", None, now) == 0


def test_the_tick_selection_reads_only_what_it_queues(settings):
    """The capped selection returns `cap` jobs in backfill order, whatever the size of the due set."""
    projects = backlog([3, 2, 1])
    jobs = plan_tick(cap=2)
    assert [j.object_type for j in jobs] == ["phase", "phase"]
    assert {project_of(j.object_type, j.object_id) for j in jobs} == {projects[2].pk}
