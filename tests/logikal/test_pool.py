"""The session pool of one process: reuse across jobs, choice of session, cap, waiting, logout."""

import threading
import time

import pytest

from syncapp.logikal import errors
from syncapp.models import UpstreamSessionLease

from .conftest import requests_of


def job(upstream, call, *args, **kwargs):
    """One sync job: its own thread and context, its own tracker, like a Procrastinate job."""
    box = {}

    def run():
        try:
            with upstream.track() as calls:
                box["result"] = call(*args, **kwargs)
            box["calls"] = calls
        except Exception as error:  # noqa: BLE001 - re-raised in the test's thread
            box["error"] = error

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=30)
    if "error" in box:
        raise box["error"]
    return box["result"], box["calls"]


def test_it_reuses_one_login_across_jobs_along_the_tree(upstream, sim, dos):
    phases, calls = job(upstream, upstream.list_phases, "Demo Odoo", dos.id)
    assert calls.logins == 1
    for phase in phases:  # sibling phases: observed to work in both modes
        elevations, calls = job(upstream, upstream.list_elevations, "Demo Odoo", dos.id, phase.id)
        assert elevations and calls.logins == 0
    assert sim.stats()["logins"] == 1


def test_a_session_at_an_elevation_serves_the_next_elevation_only_where_the_server_allows(
        upstream, sim, dos, navigation):
    phase = sim.phases_of(dos.id)[0]
    e1, e2, e3 = sim.elevations_of(dos.id, phase.id)[:3]
    for elevation in (e1, e2, e3):
        data, _ = job(upstream, upstream.get_parts_list, "Demo Odoo", dos.id, phase.id, elevation.id)
        assert data.startswith(b"SQLite format 3\x00")
    logins = sim.stats()["logins"]
    assert logins == (1 if navigation == "lenient" else 3)
    # The refusal was learned once: no second 409 for the same move.
    assert sim.stats()["requests"]["POST /elevations/select"].get("409", 0) == (1 if navigation == "strict" else 0)


def test_it_prefers_the_idle_session_already_standing_where_the_call_is_made(upstreams, one_sim_server):
    sim, server = one_sim_server
    dos = sim.find_project("DOS22309")
    upstream = upstreams(server)
    phase_a, phase_b = sim.phases_of(dos.id)
    ready = threading.Barrier(2)

    def hold(place):
        with upstream.session_at(*place):
            ready.wait(timeout=10)

    threads = [threading.Thread(target=hold, args=(place,)) for place in
               (("Demo Odoo", dos.id, phase_a.id), ("Archive",))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert sim.stats()["logins"] == 2
    _, calls = job(upstream, upstream.list_elevations, "Demo Odoo", dos.id, phase_a.id)
    assert calls.by_endpoint == {"GET /elevations": 1}
    # A sibling phase from phase level beats a new login (0.2 s against ~5 s).
    _, calls = job(upstream, upstream.list_elevations, "Demo Odoo", dos.id, phase_b.id)
    assert calls.by_endpoint == {"POST /phases/select": 1, "GET /elevations": 1}
    assert calls.logins == 0


def test_session_at_keeps_one_session_for_several_calls_and_nested_calls_reuse_it(upstreams, dos_lenient):
    sim, server = dos_lenient
    upstream = upstreams(server, max_sessions=1, wait_timeout_s=1)
    project = sim.find_project("DOS22309")
    with upstream.track() as calls:
        with upstream.session_at("Demo Odoo", project.id) as here:
            details = here.get_project()
            phases = here.list_phases()
            # The facade inside the block uses the held session: no wait on a cap of one.
            assert len(upstream.list_elevations("Demo Odoo", project.id, phases[0].id)) == 13
    assert details.job_number == "DOS22309" and details.raw["jobNumber"] == "DOS22309"
    assert calls.logins == 1 and calls.by_endpoint["POST /projects/select"] == 1


@pytest.fixture
def dos_lenient(simulators):
    return simulators(navigation="lenient")


def test_it_never_holds_more_sessions_than_the_cap(upstreams, sim_server, dos):
    sim, server = sim_server
    upstream = upstreams(server, max_sessions=2)
    phase = sim.phases_of(dos.id)[0]
    elevations = sim.elevations_of(dos.id, phase.id)
    failures = []

    def work(elevation):
        try:
            upstream.get_parts_list("Demo Odoo", dos.id, phase.id, elevation.id)
        except Exception as error:  # noqa: BLE001
            failures.append(error)

    threads = [threading.Thread(target=work, args=(e,)) for e in elevations]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    assert sim.stats()["peak_sessions"] <= 2
    assert UpstreamSessionLease.objects.filter(scope=upstream.scope).exclude(holder="").count() <= 2


def test_waiting_for_a_slot_is_bounded_and_ends_in_a_retryable_error(upstreams, one_sim_server):
    sim, server = one_sim_server
    upstream = upstreams(server, max_sessions=1, wait_timeout_s=0.3)
    holding, done = threading.Event(), threading.Event()

    def hold():
        with upstream.session_at("Archive"):
            holding.set()
            done.wait(timeout=10)

    thread = threading.Thread(target=hold)
    thread.start()
    assert holding.wait(timeout=10)
    started = time.monotonic()
    with pytest.raises(errors.SessionSlotTimeout) as caught:
        job(upstream, upstream.list_directories, "")
    done.set()
    thread.join(timeout=10)
    assert caught.value.retryable is True
    assert time.monotonic() - started >= 0.3
    assert sim.stats()["peak_sessions"] == 1


def test_idle_sessions_are_logged_out_and_their_slots_freed(upstreams, one_sim_server):
    sim, server = one_sim_server
    upstream = upstreams(server, idle_s=0.3)
    upstream.list_directories("")
    held = UpstreamSessionLease.objects.filter(scope=upstream.scope).exclude(holder="")
    assert held.count() == 1
    deadline = time.monotonic() + 5
    while (sim.stats()["current_sessions"] or held.exists()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sim.stats()["logouts"] == 1 and sim.stats()["current_sessions"] == 0
    assert not held.exists()


def test_close_logs_out_every_session_and_frees_every_slot(upstreams, one_sim_server):
    sim, server = one_sim_server
    dos = sim.find_project("DOS22309")
    upstream = upstreams(server)
    upstream.warm_up(3)
    upstream.list_phases("Demo Odoo", dos.id)
    deadline = time.monotonic() + 5
    while sim.stats()["logins"] < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert UpstreamSessionLease.objects.filter(scope=upstream.scope).exclude(holder="").count() == 3
    upstream.close()
    stats = sim.stats()
    assert stats["current_sessions"] == 0 and stats["logouts"] == stats["logins"] == 3
    assert not UpstreamSessionLease.objects.filter(scope=upstream.scope).exclude(holder="").exists()
    with pytest.raises(errors.UpstreamClosed):
        upstream.list_directories("")


def test_a_locked_resource_reaches_the_job_as_a_retryable_error_and_the_session_survives(upstreams, one_sim_server):
    sim, server = one_sim_server
    dos = sim.find_project("DOS22309")
    upstream = upstreams(server)
    sim.set_faults(locked={"count": 1, "path": "/phases"})
    with pytest.raises(errors.ResourceLocked) as caught:
        job(upstream, upstream.list_phases, "Demo Odoo", dos.id)
    assert caught.value.retryable is True
    phases, calls = job(upstream, upstream.list_phases, "Demo Odoo", dos.id)
    assert len(phases) == 2 and calls.logins == 0


def test_each_job_counts_only_its_own_calls_and_the_hourly_totals_add_up(upstreams, one_sim_server):
    sim, server = one_sim_server
    dos = sim.find_project("DOS22309")
    upstream = upstreams(server)
    results = {}
    start = threading.Barrier(2)

    def run(name, call, *args):
        start.wait(timeout=10)
        with upstream.track() as calls:
            call(*args)
        results[name] = calls

    threads = [threading.Thread(target=run, args=("dirs", upstream.list_directories, "")),
               threading.Thread(target=run, args=("phases", upstream.list_phases, "Demo Odoo", dos.id))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert results["dirs"].by_endpoint.get("GET /directories") == 1
    assert "GET /phases" not in results["dirs"].by_endpoint
    assert results["phases"].by_endpoint.get("GET /phases") == 1
    assert "GET /directories" not in results["phases"].by_endpoint
    assert results["dirs"].logins + results["phases"].logins == sim.stats()["logins"]

    from syncapp.models import UpstreamRequestCount

    stored = {row.endpoint: 0 for row in UpstreamRequestCount.objects.all()}
    for row in UpstreamRequestCount.objects.all():
        stored[row.endpoint] += row.count
    assert stored == requests_of(sim)


def lease_states() -> dict[str, int]:
    held = UpstreamSessionLease.objects.exclude(holder="")
    return {"busy": held.filter(busy=True).count(), "open": held.count()}


def wait_for_leases(expected: dict, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while lease_states() != expected:
        assert time.monotonic() < deadline, f"leases {lease_states()}, expected {expected}"
        time.sleep(0.1)


def test_the_lease_rows_say_whether_a_session_serves_a_job_or_waits_idle(upstream, dos):
    inside, leave = threading.Event(), threading.Event()

    def hold():
        with upstream.session_at("Demo Odoo", dos.id):
            inside.set()
            leave.wait(timeout=30)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert inside.wait(timeout=30)
        wait_for_leases({"busy": 1, "open": 1})  # within a heartbeat of being taken
    finally:
        leave.set()
        holder.join(timeout=30)
    wait_for_leases({"busy": 0, "open": 1})  # logged in and idle: not saturation
