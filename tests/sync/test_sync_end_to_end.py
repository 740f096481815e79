"""The whole sync path: tick -> jobs -> real worker process -> simulator over HTTP -> mirror rows."""

import pytest
from django.utils import timezone

from syncapp.models import Directory, Elevation, ObjectSyncConfig, PartsList, Phase, Project, SyncRun
from syncapp.models.freshness import Freshness
from syncapp.simulator import Simulator, SimulatorConfig, serve
from syncapp.sync.exclusion import set_directory_excluded
from syncapp.sync.force import force_sync
from syncapp.sync.tick import scheduler_tick

from .factories import fixed_intervals
from .harness import request_count, running_worker, shift_back, wait_idle, worker_env

pytestmark = pytest.mark.slow

PARTS_LIST = "GET /elevations/selected/parts-list"
SELECT_ELEVATION = "POST /elevations/select"


@pytest.fixture
def simulator():
    sim = Simulator(SimulatorConfig(dataset="demo", seed=1, navigation="strict", parts_list_size="small"))
    with serve(sim) as server:
        yield sim, server


@pytest.fixture
def env(clean_queue, process_env, simulator, tmp_path):
    # These runs make everything due by moving the mirror's clocks back (shift_back): on the
    # configured intervals, not on the longer ones the demo's old projects would earn.
    fixed_intervals()
    return worker_env(process_env, simulator[1], tmp_path)


def upstream_counts(sim):
    dirs = list(sim.iter_directories())
    projects = [p for path in ["", *(d.path for d in dirs)] for p in sim.projects_in(path)]
    phases = [(p, ph) for p in projects for ph in sim.phases_of(p.id)]
    elevations = [e for p, ph in phases for e in sim.elevations_of(p.id, ph.id)]
    return {"directory": len(dirs) + 1, "project": len(projects), "phase": len(phases), "elevation": len(elevations)}


def mirror_counts():
    return {
        "directory": Directory.objects.filter(removed_at=None).count(),
        "project": Project.objects.filter(removed_at=None).count(),
        "phase": Phase.objects.filter(removed_at=None).count(),
        "elevation": Elevation.objects.filter(removed_at=None).count(),
    }


def full_sync(env, tmp_path, **worker_options):
    with running_worker(env, tmp_path, **worker_options) as worker:
        scheduler_tick()
        wait_idle(workers=[worker])


def test_a_first_tick_brings_in_the_whole_tree_parents_first(simulator, env, tmp_path):
    sim, _ = simulator
    full_sync(env, tmp_path)

    assert mirror_counts() == upstream_counts(sim)
    wanted = Elevation.objects.filter(is_in_recycle_bin=False)
    assert Elevation.objects.filter(is_in_recycle_bin=True).exists()  # the demo keeps one in the bin
    assert PartsList.objects.filter(downloaded_at__isnull=False).count() == wanted.count()
    for model in (Directory, Project, Phase, Elevation):
        counts = model.objects.freshness_counts()
        assert counts[Freshness.FRESH] == model.objects.count(), (model, counts)
    assert not SyncRun.objects.exclude(outcome="success").exists()

    # Parents strictly before children: each run starts after its parent's run finished, or,
    # for a phase walked by its project's job (issue 14), inside that job after its start.
    runs = {(r.object_type, r.object_id): r for r in SyncRun.objects.all()}
    parent_of = {
        "project": lambda o: ("directory", Project.objects.get(pk=o).directory_id),
        "phase": lambda o: ("project", Phase.objects.get(pk=o).project_id),
        "elevation": lambda o: ("phase", Elevation.objects.get(pk=o).phase_id),
    }
    checked = walked = 0
    for (object_type, object_id), run in runs.items():
        if object_type in parent_of:
            parent = runs[parent_of[object_type](object_id)]
            if run.job_id == parent.job_id:
                assert object_type == "phase" and parent.started_at <= run.started_at <= parent.finished_at
                walked += 1
            else:
                assert parent.finished_at <= run.started_at
            checked += 1
    assert checked > 40
    assert walked == Phase.objects.count()  # every phase was new: each project walked all of its own
    assert sim.stats()["mutations"] == 0


def test_an_unchanged_tree_costs_listings_only_and_one_touched_elevation_one_download(simulator, env, tmp_path):
    sim, _ = simulator
    full_sync(env, tmp_path)
    dos = sim.find_project("DOS22309")
    phase = sim.phases_of(dos.id)[0]
    touched = sim.elevations_of(dos.id, phase.id)[3]
    sim.touch_elevation(touched.id)
    sim.reset_stats()
    shift_back(60)

    full_sync(env, tmp_path)

    stats = sim.stats()
    assert request_count(stats, PARTS_LIST) == 1
    assert request_count(stats, SELECT_ELEVATION) == 1
    row = Elevation.objects.get(guid=touched.id)
    assert row.parts_list.source_changed_date == row.changed_date
    assert mirror_counts() == upstream_counts(sim)


def test_trusting_project_changed_date_skips_everything_below_unchanged_projects(simulator, env, tmp_path):
    sim, _ = simulator
    full_sync(env, tmp_path)
    ObjectSyncConfig.objects.filter(object_type="project").update(trust_changed_date="on")
    dos = sim.find_project("DOS22309")
    phases = sim.phases_of(dos.id)
    sim.touch_elevation(sim.elevations_of(dos.id, phases[1].id)[0].id)
    sim.reset_stats()
    shift_back(60)

    full_sync(env, tmp_path)

    stats = sim.stats()
    assert request_count(stats, "GET /phases") == 1  # only the touched project
    assert request_count(stats, "GET /elevations") == len(phases)
    assert request_count(stats, PARTS_LIST) == 1
    assert Phase.objects.freshness_counts()[Freshness.FRESH] == Phase.objects.count()


def test_deleted_upstream_is_tombstoned_with_data_kept_and_an_empty_listing_removes_nothing(simulator, env, tmp_path):
    sim, _ = simulator
    full_sync(env, tmp_path)
    dos = sim.find_project("DOS22309")
    big_phase = max(sim.phases_of(dos.id), key=lambda ph: len(sim.elevations_of(dos.id, ph.id)))
    gone = next(p for d in sim.iter_directories() for p in sim.projects_in(d.path) if p.id != dos.id)
    sim.remove_project(gone.id)
    sim.set_faults(empty_listing={"count": 1, "path": "/elevations"})
    shift_back(60)

    full_sync(env, tmp_path)

    removed = Project.objects.get(guid=gone.id)
    assert removed.removed_at is not None
    assert removed.phases.count() > 0 and not removed.phases.filter(removed_at=None).exists()
    assert Elevation.objects.filter(phase__project=removed).count() > 0
    # One phase saw an empty elevation listing: nothing in the mirror was tombstoned for it.
    assert not Elevation.objects.filter(phase__project__guid=dos.id, removed_at__isnull=False).exists()
    warned = SyncRun.objects.filter(object_type="phase", error__contains="not removing until the next listing")
    assert warned.count() == 1
    assert Elevation.objects.filter(phase__project__guid=dos.id, phase__guid=big_phase.id).count() == len(
        sim.elevations_of(dos.id, big_phase.id))


def test_an_excluded_directory_subtree_is_never_requested(simulator, env, tmp_path):
    full_sync(env, tmp_path)
    demo = Directory.objects.get(path="Demo Odoo")
    set_directory_excluded(demo, True)
    excluded_at = timezone.now()
    shift_back(120)

    full_sync(env, tmp_path)

    subtree = {
        "directory": Directory.objects.filter(path__startswith="Demo Odoo"),
        "project": Project.objects.filter(directory__path__startswith="Demo Odoo"),
        "phase": Phase.objects.filter(project__directory__path__startswith="Demo Odoo"),
        "elevation": Elevation.objects.filter(phase__project__directory__path__startswith="Demo Odoo"),
    }
    assert subtree["project"].exists()
    for object_type, rows in subtree.items():
        later = SyncRun.objects.filter(object_type=object_type, object_id__in=rows.values("pk"),
                                       started_at__gte=excluded_at)
        assert not later.exists(), object_type
        assert rows.with_freshness().filter(freshness=Freshness.EXCLUDED).count() == rows.count()
    assert SyncRun.objects.filter(object_type="project", started_at__gte=excluded_at).exists()


def test_forcing_twice_queues_one_job_and_never_runs_beside_another_sync(simulator, env, tmp_path):
    sim, _ = simulator
    full_sync(env, tmp_path)
    project = Project.objects.get(name="DOS22309")
    first = force_sync(project)
    second = force_sync(project)
    assert len(first.job_ids) == 1 and second.job_ids == [] and len(second.already_queued) == 1

    # A scheduled job of the same object waits beside the forced one; with a slow
    # upstream both run, one after the other, never at the same time.
    sim.set_faults(timeout={"seconds": 1.5, "path": "/phases", "count": 2})
    project.listed_at = None
    project.save()
    scheduler_tick()
    with running_worker(env, tmp_path) as worker:
        wait_idle(workers=[worker])
    runs = list(SyncRun.objects.filter(object_type="project", object_id=project.pk,
                                       started_at__gt=project.first_seen_at).order_by("started_at"))
    forced = [r for r in runs if r.trigger == "forced"]
    assert len(forced) == 1 and forced[0].outcome == "success"
    for earlier, later in zip(runs, runs[1:]):
        assert earlier.finished_at <= later.started_at


def test_sigterm_lets_the_running_sync_finish_and_logs_every_session_out(simulator, env, tmp_path):
    import time

    from procrastinate.contrib.django.models import ProcrastinateJob

    from .harness import WorkerProcess

    sim, _ = simulator
    full_sync(env, tmp_path)
    project = Project.objects.get(name="DOS22309")
    sim.set_faults(timeout={"seconds": 3, "path": "/phases", "count": 1})
    worker = WorkerProcess(env, name="term", log_path=tmp_path / "term.log")
    try:
        (job_id,) = force_sync(project).job_ids
        deadline = time.monotonic() + 30
        while ProcrastinateJob.objects.get(id=job_id).status != "doing" and time.monotonic() < deadline:
            time.sleep(0.1)
        assert ProcrastinateJob.objects.get(id=job_id).status == "doing"
        returncode = worker.stop(timeout=60)
    finally:
        worker.stop()
    assert returncode == 0, worker.output()[-2000:]
    assert ProcrastinateJob.objects.get(id=job_id).status == "succeeded"
    assert SyncRun.objects.get(job_id=job_id).outcome == "success"
    stats = sim.stats()
    assert stats["current_sessions"] == 0 and stats["logouts"] == stats["logins"]


def test_a_changed_project_relists_its_phases_before_their_interval(simulator, env, tmp_path):
    from datetime import timedelta

    from django.db.models import F

    sim, _ = simulator
    full_sync(env, tmp_path)
    dos = sim.find_project("DOS22309")
    phase = sim.phases_of(dos.id)[1]
    touched = sim.elevations_of(dos.id, phase.id)[0]
    sim.touch_elevation(touched.id)  # bumps the project's changedDate too, as LogiKal does
    sim.reset_stats()
    # Directories and projects are due again; the phases were listed only minutes ago.
    for model in (Directory, Project):
        model.objects.update(listed_at=F("listed_at") - timedelta(minutes=60))
    Phase.objects.update(listed_at=F("listed_at") - timedelta(minutes=3))

    full_sync(env, tmp_path)

    stats = sim.stats()
    assert request_count(stats, "GET /elevations") == len(sim.phases_of(dos.id))  # only the changed project's
    assert request_count(stats, PARTS_LIST) == 1
    row = Elevation.objects.get(guid=touched.id)
    assert row.parts_list.source_changed_date == row.changed_date
