"""Trust in changedDate, earned and checked: the evidence, the auto state machine, vouching, the sweep.

The live tests run the real path (force_sync or tick -> jobs -> worker process -> simulator over
HTTP), with the simulator bumping a project's changedDate when an elevation is saved (what LogiKal
is believed to do) or not (what would make trusting it wrong).
"""

import pytest
from procrastinate.contrib.django.models import ProcrastinateJob

from syncapp.admin.dashboard import dashboard_figures
from syncapp.models import ChangedDateEvidence, ObjectSyncConfig, Phase, Project
from syncapp.models.trust import CONFIRMATIONS_NEEDED, trust_state
from syncapp.simulator import Simulator, SimulatorConfig, serve
from syncapp.sync.force import force_sync
from syncapp.sync.tick import scheduler_tick
from syncapp.sync.trust import SWEEP_PRIORITY, reset_evidence, sweep_unchanged_projects

from . import factories as f
from .harness import request_count, running_worker, shift_back, wait_idle, worker_env

pytestmark = pytest.mark.django_db


def set_mode(mode: str) -> None:
    ObjectSyncConfig.objects.filter(object_type="project").update(trust_changed_date=mode)


def set_evidence(**values) -> None:
    ChangedDateEvidence.objects.filter(pk=1).update(**values)


# -- the state machine -------------------------------------------------------------------------

def test_auto_trusts_only_once_enough_confirmations_and_no_violation_hold():
    set_mode("auto")
    assert trust_state().mode == "auto" and not trust_state().trusted  # a new mirror has no evidence
    set_evidence(confirmations=CONFIRMATIONS_NEEDED - 1)
    assert not trust_state().trusted
    set_evidence(confirmations=CONFIRMATIONS_NEEDED)
    assert trust_state().trusted and trust_state().warning == ""
    top, (project,) = f.fresh_tree()
    set_evidence(violations=1, last_violation_project=project)
    state = trust_state()
    assert not state.trusted  # one violation is enough, however many confirmations
    assert "without moving the project's changedDate" in state.warning and project.name in state.warning
    assert "now off" in state.warning


def test_on_and_off_ignore_the_evidence_but_on_warns_about_a_violation():
    set_mode("on")
    assert trust_state().trusted and trust_state().warning == ""
    set_evidence(violations=2)
    assert trust_state().trusted and "trust in changedDate is on" in trust_state().warning
    set_mode("off")
    set_evidence(confirmations=500, violations=0)
    assert not trust_state().trusted and trust_state().warning == ""


def test_starting_afresh_clears_the_evidence():
    set_evidence(confirmations=70, violations=1, last_violation="x")
    reset_evidence()
    evidence = ChangedDateEvidence.objects.get()
    assert (evidence.confirmations, evidence.violations, evidence.last_violation) == (0, 0, "")
    assert evidence.started_at is not None


def test_the_old_switch_maps_on_to_on_and_off_to_auto():
    """Migration 0017 (the test database is migrated): the old default (off) became auto."""
    assert ObjectSyncConfig.objects.get(object_type="project").trust_changed_date == "auto"


# -- evidence from real phase listings ------------------------------------------------------------

@pytest.fixture
def live(clean_queue, process_env, tmp_path):
    """live(bumps=...) -> (simulator, worker environment): the demo served over HTTP, saving an
    elevation moving its project's changedDate (bumps) or not."""
    servers = []

    def start(*, bumps: bool):
        sim = Simulator(SimulatorConfig(dataset="demo", navigation="strict", parts_list_size="small",
                                        touch_bumps_project=bumps))
        servers.append(serve(sim))
        return sim, worker_env(process_env, servers[-1], tmp_path)

    yield start
    for server in servers:
        server.stop()


def sync_all_then(env, tmp_path, action=None):
    with running_worker(env, tmp_path) as worker:
        scheduler_tick()
        wait_idle(workers=[worker])
        if action is not None:
            action()
            wait_idle(workers=[worker])


def touch_one_elevation(sim, project_name="DOS22309"):
    project = sim.find_project(project_name)
    phase = sim.phases_of(project.id)[1]
    sim.touch_elevation(sim.elevations_of(project.id, phase.id)[0].id)
    return Phase.objects.get(project__guid=project.id, guid=phase.id)


@pytest.mark.slow
def test_a_listing_that_finds_a_change_before_the_directory_listing_asks_logikal_and_confirms(live, tmp_path):
    sim, env = live(bumps=True)
    phases = {}

    def touch_and_force_the_phase():
        phases["touched"] = touch_one_elevation(sim)
        sim.reset_stats()
        force_sync(phases["touched"])  # before any directory listing has seen the project's new date

    sync_all_then(env, tmp_path, touch_and_force_the_phase)
    evidence = ChangedDateEvidence.objects.get()
    assert (evidence.confirmations, evidence.violations) == (1, 0)
    assert request_count(sim.stats(), "GET /projects/selected") >= 1  # the race settled by LogiKal's own date
    phase = Phase.objects.get(pk=phases["touched"].pk)
    assert phase.listed_project_changed_date > Project.objects.get(pk=phase.project_id).listed_changed_date


@pytest.mark.slow
def test_a_projects_walk_judges_its_phases_against_the_changed_date_it_just_read(live, tmp_path):
    """The usual path: the directory listing sees the date move, the project's job walks its phases."""
    sim, env = live(bumps=True)
    f.fixed_intervals()
    sync_all_then(env, tmp_path)
    touch_one_elevation(sim)
    sim.reset_stats()
    shift_back(60)
    sync_all_then(env, tmp_path)
    evidence = ChangedDateEvidence.objects.get()
    assert (evidence.confirmations, evidence.violations) == (1, 0)
    # Judged against the details the project's job had just read: LogiKal was not asked again.
    assert request_count(sim.stats(), "GET /projects/selected") == Project.objects.filter(
        listed_at__isnull=False).count()


@pytest.mark.slow
def test_a_change_without_a_moved_changed_date_is_a_violation_that_ends_auto_trust_with_a_warning(live, tmp_path):
    sim, env = live(bumps=False)
    set_mode("auto")
    set_evidence(confirmations=CONFIRMATIONS_NEEDED)
    assert trust_state().trusted
    phases = {}

    def touch_and_force_the_phase():
        phases["touched"] = touch_one_elevation(sim)
        force_sync(phases["touched"])

    sync_all_then(env, tmp_path, touch_and_force_the_phase)
    evidence = ChangedDateEvidence.objects.get()
    assert (evidence.confirmations, evidence.violations) == (CONFIRMATIONS_NEEDED, 1)
    assert evidence.last_violation_project_id == phases["touched"].project_id
    assert "DOS22309" in evidence.last_violation
    assert not trust_state().trusted
    figures = dashboard_figures()["changed_date_trust"]
    assert figures["trusted"] is False and "DOS22309" in figures["warning"]


@pytest.mark.slow
@pytest.mark.parametrize(("confirmations", "vouched"), [(CONFIRMATIONS_NEEDED - 1, False), (CONFIRMATIONS_NEEDED, True)])
def test_in_auto_directory_listings_vouch_for_unchanged_projects_only_once_the_evidence_holds(
        live, tmp_path, confirmations, vouched):
    sim, env = live(bumps=True)
    f.fixed_intervals()  # every phase due after the shift below, whatever its project's age
    set_mode("auto")
    sync_all_then(env, tmp_path)
    set_evidence(confirmations=confirmations)
    sim.reset_stats()
    shift_back(60)
    sync_all_then(env, tmp_path)
    phase_listings = request_count(sim.stats(), "GET /phases") + request_count(sim.stats(), "GET /elevations")
    assert (phase_listings == 0) is vouched
    assert Phase.objects.filter(synced_at__isnull=False).count() == Phase.objects.count()


@pytest.mark.slow
def test_the_sweep_lists_unchanged_projects_at_low_priority_and_finds_a_hidden_change(live, tmp_path):
    sim, env = live(bumps=False)
    set_mode("on")
    sync_all_then(env, tmp_path)
    touched = touch_one_elevation(sim)  # hidden: the project's changedDate stays
    projects = Project.objects.filter(removed_at__isnull=True).count()
    swept = sweep_unchanged_projects(count=projects)
    assert touched.project_id in swept
    jobs = ProcrastinateJob.objects.filter(task_name="sync_object", status="todo")
    assert jobs.count() == Phase.objects.filter(project_id__in=swept, removed_at__isnull=True).count()
    assert set(jobs.values_list("priority", flat=True)) == {SWEEP_PRIORITY}
    with running_worker(env, tmp_path) as worker:
        wait_idle(workers=[worker])
    evidence = ChangedDateEvidence.objects.get()
    assert evidence.violations == 1 and evidence.last_violation_project_id == touched.project_id
    assert evidence.swept_projects == len(swept)
    assert "trust in changedDate is on" in trust_state().warning


def test_the_sweep_does_nothing_while_changed_date_is_not_trusted():
    f.fresh_tree(n_projects=3)
    set_mode("auto")  # no evidence yet: every phase is listed on its own schedule anyway
    assert sweep_unchanged_projects(count=3) == []
    assert not ProcrastinateJob.objects.filter(task_name="sync_object").exists()
    set_mode("on")
    assert len(sweep_unchanged_projects(count=2)) == 2
