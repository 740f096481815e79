"""`benchmark steady-state`'s machinery: simulated time, edits in it, their detection, and its options.

Real PostgreSQL, the simulator served over HTTP and a real worker process; no timed assertions.
"""

import time
import uuid
from datetime import datetime, timezone as dt_timezone

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from syncapp.benchmarks._steady_edits import Edit, EditLog
from syncapp.benchmarks.steady_state import Steps, check_options
from syncapp.harness.database import scratch_name
from syncapp.harness.clock import SimulatorClock, shift_mirror, stagger_verifications
from syncapp.models import Elevation, ObjectSyncConfig, Phase, Project
from syncapp.simulator import Simulator, SimulatorConfig, serve
from syncapp.simulator.edit_mix import EditMix, EditMixConfig
from syncapp.sync.tick import scheduler_tick

from .harness import request_count, running_worker, wait_idle, worker_env

OPTIONS = {"dataset": "small", "navigation": "strict", "sessions": 2, "latency_scale": 0.05,
           "first_sync_latency_scale": 0.0, "step_minutes": 30, "warmup_steps": 0, "steps": 2, "edit_share": 0.05,
           "edit_rate": 720.0, "history_days": 0.0, "seed": 1, "timeout": 120}
# 4 projects x 5 % a day x 720 = 144 edits a day: about 3 in a step of 30 minutes (directories, which
# see a changed project, are listed every 30 minutes: shorter steps would leave the edits unseen).


def stamp(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=dt_timezone.utc)


@pytest.fixture
def live(clean_queue, process_env, tmp_path):
    """The small data set served with a steppable clock, first-synced by a real worker that stays up."""
    clock = SimulatorClock()
    sim = Simulator(SimulatorConfig(dataset="small", navigation="strict", parts_list_size="small", clock=clock))
    ObjectSyncConfig.objects.filter(object_type="parts_list").update(enabled=False)
    with serve(sim) as server, running_worker(worker_env(process_env, server, tmp_path), tmp_path,
                                              concurrency=2) as worker:
        scheduler_tick()
        wait_idle(workers=[worker])
        yield sim, clock, worker


def edit_log(sim, clock, *, start: float) -> EditLog:
    mix = EditMix(sim, EditMixConfig(share_per_day=OPTIONS["edit_share"], rate=OPTIONS["edit_rate"], seed=1))
    return EditLog(sim, clock, mix, ObjectSyncConfig.objects.get(object_type="elevation"), start=start)


@pytest.mark.slow
def test_moving_both_clocks_back_together_changes_nothing_a_listing_can_see(live):
    sim, _, worker = live
    project = Project.objects.filter(removed_at=None).order_by("pk").first()
    synced = project.synced_at

    shift_mirror(3600)
    sim.shift_back(3600)
    project.refresh_from_db()
    assert (synced - project.synced_at).total_seconds() == 3600
    assert project.changed_date == stamp(sim.project(str(project.guid)).changed_date)

    # An hour later the directories are due again: they list every project and find none changed.
    sim.reset_stats()
    before = timezone.now()
    scheduler_tick()
    wait_idle(workers=[worker])
    assert request_count(sim.stats(), "GET /projects") > 0
    assert not Project.objects.filter(content_changed_at__gte=before).exists()
    assert not Elevation.objects.filter(content_changed_at__gte=before).exists()


@pytest.mark.slow
def test_an_edit_is_stamped_in_its_step_found_by_the_mirror_and_counted(live):
    sim, clock, worker = live
    log = edit_log(sim, clock, start=time.time())
    steps = Steps(sim, log, worker, OPTIONS, progress=lambda text: None)

    since = steps.step(time.time(), measured=True)
    steps.step(since, measured=True)

    assert log.edits, "the seeded mix makes edits in an hour"
    assert steps.shifted > 0
    assert not log.pending
    for edit in log.edits:
        assert edit.detected_at >= edit.at
        row = Elevation.objects.get(guid=edit.guid)
        assert row.changed_date == stamp(sim.elevation(str(edit.guid)).changed_date)
    last = {edit.guid: edit for edit in log.edits}.values()
    # Stamped at its own simulated moment (now less what was shifted since), not at the real now:
    assert [e.at for e in last] == [sim.elevation(str(e.guid)).changed_date + steps.shifted for e in last]
    assert min(e.at for e in log.edits) < time.time() + steps.shifted - 60
    figures = log.figures(steps.now())
    assert figures["edits"] == figures["edits_detected"] == len(log.edits)
    assert figures["edits_undetected"] == figures["edits_undecided"] == 0
    assert figures["detection_latency_min"]["max"] is not None
    assert figures["share_within_threshold"] is not None


@pytest.mark.slow
def test_staggered_verifications_are_spread_and_nothing_falls_due_by_it(live):
    configs = ObjectSyncConfig.objects.as_map()
    now = timezone.now()

    def times():
        return ({p.pk: p.listed_at for p in Project.objects.all()},
                {f.pk: (f.project_id, f.synced_at, f.listed_at) for f in Phase.objects.all()},
                {e.pk: (e.phase.project_id, e.synced_at) for e in Elevation.objects.select_related("phase")})
    projects, phases, elevations = times()

    moved = stagger_verifications(now, configs, seed=3)

    projects_after, phases_after, elevations_after = times()
    back = {pk: projects[pk] - projects_after[pk] for pk in projects}
    assert moved == Project.objects.live().count() >= 3
    assert len(set(back.values())) == moved and min(back.values()).total_seconds() > 0  # spread, all moved
    for model in (Project, Phase):
        assert not model.objects.job_due(now, configs).exists()
    # What the project's listing verified moved with it: its phases (and their listings), their elevations.
    for pk, (project, synced, listed) in phases.items():
        assert (synced - phases_after[pk][1], listed - phases_after[pk][2]) == (back[project], back[project])
    for pk, (project, synced) in elevations.items():
        assert synced - elevations_after[pk][1] == back[project]


def test_an_edit_never_reflected_counts_against_the_share_once_its_threshold_passed(db):
    sim = Simulator(SimulatorConfig(dataset="small"))
    log = edit_log(sim, SimulatorClock(), start=time.time())
    threshold = log.staleness_s(0.0)
    found = Edit(uuid.uuid4(), at=0.0, threshold_s=threshold, promised_s=threshold, measured=True, detected_at=60.0)
    lost = Edit(uuid.uuid4(), at=100.0, threshold_s=threshold, promised_s=threshold, measured=True)
    log.edits, log.pending = [found, lost], [lost]

    assert log.undecided(100.0 + threshold) == 1  # the run waits for it
    early = log.figures(100.0 + threshold)
    assert early["edits_undecided"] == 1 and early["share_within_threshold"] == 1.0
    late = log.figures(101.0 + threshold)
    assert late["edits_undecided"] == 0 and late["edits_undetected"] == 1
    assert late["share_within_threshold"] == 0.5


def test_the_promised_threshold_follows_the_activity_rule(db):
    config = ObjectSyncConfig.objects.get(object_type="elevation")
    log = edit_log(Simulator(SimulatorConfig(dataset="small")), SimulatorClock(), start=time.time())

    assert log.staleness_s(0.0) == log.staleness_s(None) == config.staleness_minutes * 60
    ten_hours = config.activity_factor * config.staleness_ratio * 36_000
    assert log.staleness_s(36_000) == max(ten_hours, config.staleness_minutes * 60)
    assert log.staleness_s(1e9) == config.max_interval_minutes * config.staleness_ratio * 60


def test_shifting_the_simulator_moves_generated_and_not_yet_generated_children_alike():
    shifted, reference = Simulator(SimulatorConfig(dataset="small")), Simulator(SimulatorConfig(dataset="small"))
    first, second = [p.id for p in shifted.iter_projects()][:2]
    phase = shifted.phases_of(first)[0]
    before = [e.changed_date for e in shifted.elevations_of(first, phase.id)]

    shifted.shift_back(100)

    assert [e.changed_date for e in shifted.elevations_of(first, phase.id)] == [d - 100 for d in before]
    assert shifted.project(second).changed_date == reference.project(second).changed_date - 100
    later = shifted.phases_of(second)[0]
    assert [e.changed_date for e in shifted.elevations_of(second, later.id)] == [
        e.changed_date - 100 for e in reference.elevations_of(second, later.id)]


@pytest.mark.parametrize("override, message", [
    ({"step_minutes": 7}, "--step-minutes"), ({"step_minutes": 60}, "--step-minutes"),
    ({"latency_scale": 0}, "--latency-scale"), ({"sessions": 0}, "--sessions"),
    ({"steps": 0}, "--steps"), ({"edit_rate": -1}, "--edit-rate"), ({"history_days": 90}, "--history-days"),
])
def test_nonsense_options_are_refused_with_one_message(override, message):
    with pytest.raises(ValueError, match=message):
        check_options({**OPTIONS, **override})


@pytest.mark.django_db
def test_the_command_refuses_bad_options_before_creating_anything():
    with pytest.raises(CommandError, match="--step-minutes must divide 60"):
        call_command("benchmark", "steady-state", "--dataset", "small", "--step-minutes", "7")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_database WHERE datname = %s", [scratch_name("steady")])
        assert cursor.fetchone()[0] == 0
