"""A login or logout whose outcome is unknown keeps its slot until the lease ends (issue 12): the server
may still hold that session, so handing the slot on would let the processes together pass the cap."""

import time

import pytest

from syncapp.logikal import errors
from syncapp.models import UpstreamSessionLease


def held(upstream):
    return UpstreamSessionLease.objects.filter(scope=upstream.scope).exclude(holder="")


def wait_until(condition, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)
    return condition()


def test_a_logout_answered_with_a_server_error_keeps_its_slot_until_the_lease_ends(upstreams, one_sim_server):
    sim, server = one_sim_server
    upstream = upstreams(server, idle_s=0.3, lease_s=10)
    sim.set_faults(server_error={"path": "/auth", "method": "DELETE", "count": 3})  # the first try and 2 retries
    upstream.list_directories("")
    assert wait_until(lambda: sim.stats()["faults_fired"].get("server_error") == 3)
    time.sleep(0.5)  # what freed the slot at once before
    assert held(upstream).count() == 1  # not freed: it lapses with its lease
    assert sim.stats()["current_sessions"] == 1  # the server never ended that session
    # A fresh session takes another slot, never this one while the lease runs.
    upstream.list_directories("")
    assert held(upstream).count() == 2


def test_a_login_that_timed_out_keeps_its_slot_while_the_server_may_still_open_it(upstreams, one_sim_server):
    sim, server = one_sim_server
    upstream = upstreams(server, read_timeout_s=1, lease_s=10, max_sessions=1, wait_timeout_s=1)
    sim.set_faults(timeout={"path": "/auth", "method": "POST", "count": 1, "seconds": 2})
    with pytest.raises(errors.UpstreamTimeout):
        upstream.list_directories("")
    assert held(upstream).count() == 1
    assert wait_until(lambda: sim.stats()["current_sessions"] == 1)  # the server opened it after all
    # The only slot stays taken: the next call waits for it instead of opening a second session.
    with pytest.raises(errors.SessionSlotTimeout):
        upstream.list_directories("")
    assert sim.stats()["peak_sessions"] == 1
