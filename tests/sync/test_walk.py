"""A project's job lists its due phases in its own session (issue 14, locality).

Real simulator over HTTP, real PostgreSQL; jobs are real Procrastinate rows (no worker runs
them here except in the last test, which drives the whole path).
"""

import pytest
from django.utils import timezone
from procrastinate.contrib.django.models import ProcrastinateJob

from syncapp.logikal import Upstream
from syncapp.models import Directory, Phase, Project, SyncRun
from syncapp.models.freshness import Freshness
from syncapp.simulator import Simulator, SimulatorConfig, serve
from syncapp.sync.planner import plan_due_jobs
from syncapp.sync.runner import run_sync_job
from syncapp.sync.tick import tick_period

from .harness import request_count, resync_stats, shift_back, worker_env

pytestmark = pytest.mark.django_db(transaction=True)

LOGIN = "POST /auth"
ELEVATIONS = "GET /elevations"
OFFICE = "Office block Stationsweg 4, Utrecht"  # three phases in the demo data set


@pytest.fixture
def simulator():
    sim = Simulator(SimulatorConfig(dataset="demo", navigation="strict", parts_list_size="small"))
    with serve(sim) as server:
        yield sim, server


@pytest.fixture
def upstream(simulator, clean_queue):
    client = Upstream(simulator[1].base_url, "demo", "demo", 4, connect_timeout_s=2, read_timeout_s=5,
                      backoff_s=0.01, retries=0, heartbeat_s=0.1)
    yield client
    client.close()


def sync(obj, upstream, trigger="scheduled") -> str:
    return run_sync_job(object_type=obj.OBJECT_TYPE, object_id=obj.pk, trigger=trigger, upstream=upstream)


def mirror_project(upstream, name: str) -> Project:
    """The root and the project's directory listed (their cascaded jobs stay queued, unrun)."""
    sync(Directory.objects.get(path=""), upstream)
    sync(Directory.objects.get(path="Demo Odoo"), upstream)
    return Project.objects.get(name=name)


def queued_phase_ids() -> set[int]:
    return {job.args["object_id"] for job in ProcrastinateJob.objects.filter(status="todo")
            if job.args["object_type"] == "phase"}


def test_a_projects_phases_are_listed_on_one_login_in_strict_navigation(simulator, upstream):
    sim, _ = simulator
    project = mirror_project(upstream, OFFICE)
    upstream.close()  # no session left standing anywhere: the project's job must log in
    fresh = Upstream(simulator[1].base_url, "demo", "demo", 4, read_timeout_s=5, heartbeat_s=0.1)
    sim.reset_stats()
    try:
        assert sync(project, fresh) == "success"
    finally:
        fresh.close()

    stats = sim.stats()
    assert stats["logins"] == 1
    assert request_count(stats, LOGIN) == 1
    assert request_count(stats, ELEVATIONS) == 3  # every phase listed in that one session
    phases = Phase.objects.filter(project=project)
    assert phases.count() == 3 and not phases.filter(listed_at=None).exists()
    project_run = SyncRun.objects.get(object_type="project", object_id=project.pk)
    phase_runs = SyncRun.objects.filter(object_type="phase", object_id__in=phases.values("pk"))
    assert phase_runs.count() == 3
    for run in phase_runs:
        assert (run.outcome, run.trigger, run.logins) == ("success", "cascade", 0)
        assert run.api_calls_by_endpoint[ELEVATIONS] == 1 and run.created > 0
    # Each run counts its own requests: together they are what the server saw (but the closing logout).
    logouts = sum(stats["requests"].get("DELETE /auth", {}).values())
    assert project_run.api_calls + sum(r.api_calls for r in phase_runs) == stats["total_requests"] - logouts
    assert queued_phase_ids() == set()  # the cascade found nothing left to do


def test_after_a_walk_the_tick_plans_nothing_for_the_walked_phases(upstream):
    project = mirror_project(upstream, OFFICE)
    assert sync(project, upstream) == "success"

    now = timezone.now()
    planned = plan_due_jobs(now=now, lookahead=tick_period(now=now))
    phase_ids = set(Phase.objects.filter(project=project).values_list("pk", flat=True))
    assert not [job for job in planned.jobs if job.object_type == "phase" and job.object_id in phase_ids]
    assert not [job for job in planned.jobs if job.object_type == "project" and job.object_id == project.pk]
    assert not Phase.objects.filter(project=project).job_due().exists()
    counts = Phase.objects.filter(project=project).freshness_counts()
    assert counts[Freshness.FRESH] == 3


def test_phases_falling_due_before_the_next_tick_are_walked_with_their_project(simulator, upstream):
    # The tick queues a project that falls due before the next tick (its look-ahead); a phase that
    # falls due with it must be walked now, or that next tick gives it a job and a login of its own.
    sim, _ = simulator
    project = mirror_project(upstream, OFFICE)
    assert sync(project, upstream) == "success"
    now = timezone.now()
    phases = Phase.objects.filter(project=project)
    interval = phases.with_freshness(now).first().effective_interval  # the demo's old project: the longest
    shift_back(int(interval.total_seconds() // 60) - 2)  # everything due in about two minutes
    now = timezone.now()
    assert not phases.job_due(now).exists() and phases.job_due(now, lookahead=tick_period(now=now)).count() == 3
    sim.reset_stats()

    assert sync(project, upstream) == "success"

    assert request_count(sim.stats(), ELEVATIONS) == 3
    assert queued_phase_ids() == set()
    now = timezone.now()
    assert not [job for job in plan_due_jobs(now=now, lookahead=tick_period(now=now)).jobs
                if job.object_type == "phase" and job.object_id in set(phases.values_list("pk", flat=True))]


def test_a_phase_failing_mid_walk_is_left_to_its_own_job_and_the_project_succeeds(simulator, upstream):
    sim, _ = simulator
    project = mirror_project(upstream, OFFICE)
    sim.set_faults(forbidden={"path": "/elevations", "method": "GET", "count": 1, "skip": 1})

    assert sync(project, upstream) == "success"

    run = SyncRun.objects.get(object_type="project", object_id=project.pk)
    assert run.outcome == "success"
    assert "left to its own job" in run.error and "Forbidden" in run.error
    phases = list(Phase.objects.filter(project=project).order_by("pk"))
    walked = [p for p in phases if p.listed_at is not None]
    left = [p for p in phases if p.listed_at is None]
    assert len(walked) == 1 and len(left) == 2  # the second failed; the walk stopped there
    assert queued_phase_ids() == {p.pk for p in left}
    assert not SyncRun.objects.filter(object_type="phase", object_id__in=[p.pk for p in left]).exists()
    assert Phase.objects.filter(pk__in=[p.pk for p in left], failure_count__gt=0).count() == 0

    for phase in left:  # their own jobs (the fault is spent)
        assert sync(phase, upstream, trigger="cascade") == "success"
    assert not Phase.objects.filter(project=project, listed_at=None).exists()


def test_a_moved_changed_date_walks_every_phase_and_fresh_phases_are_not_walked(simulator, upstream):
    sim, _ = simulator
    project = mirror_project(upstream, OFFICE)
    assert sync(project, upstream) == "success"
    sim.reset_stats()

    assert sync(project, upstream, trigger="forced") == "success"  # all phases fresh: nothing to walk
    assert request_count(sim.stats(), ELEVATIONS) == 0

    sim.touch_project(str(project.guid))
    sync(Directory.objects.get(path="Demo Odoo"), upstream)  # the listing sees the new changedDate
    sim.reset_stats()
    assert sync(project, upstream) == "success"
    assert request_count(sim.stats(), ELEVATIONS) == 3
    assert queued_phase_ids() == set()


def test_the_walk_cap_leaves_the_other_phases_to_their_own_jobs(settings, simulator, upstream):
    settings.SYNC_WALK_MAX_PHASES = 1
    sim, _ = simulator
    project = mirror_project(upstream, OFFICE)
    sim.reset_stats()

    assert sync(project, upstream) == "success"

    assert request_count(sim.stats(), ELEVATIONS) == 1
    left = set(Phase.objects.filter(project=project, listed_at=None).values_list("pk", flat=True))
    assert len(left) == 2 and queued_phase_ids() == left


@pytest.mark.slow
def test_a_resync_through_the_worker_costs_one_login_per_project_at_most(simulator, process_env, tmp_path,
                                                                        clean_queue):
    sim, server = simulator
    env = worker_env(process_env, server, tmp_path, LOGIKAL_MAX_SESSIONS=2)
    stats = resync_stats(sim, env, tmp_path, concurrency=2)
    projects = Project.objects.filter(removed_at=None).count()
    assert request_count(stats, ELEVATIONS) == Phase.objects.filter(removed_at=None).count()
    assert stats["logins"] <= projects + 2
    assert not SyncRun.objects.filter(object_type="phase").exclude(
        job_id__in=SyncRun.objects.filter(object_type="project").values("job_id")).exists()  # all walked
