"""The request helper against the simulator over HTTP: retries, timeouts, error classes, allow-list."""

import pytest

from syncapp.logikal import errors
from syncapp.logikal.http import Transport
from syncapp.logikal.responses import parse_login

from .conftest import requests_of


@pytest.fixture
def served(simulators):
    return simulators(navigation="strict")


@pytest.fixture
def transport(served):
    seen = []
    made = Transport(served[1].base_url, connect_timeout_s=2, read_timeout_s=2, retries=2, backoff_s=0.01,
                     on_request=lambda template, outcome, seconds: seen.append((template, outcome)))
    made.seen = seen
    yield made
    made.close()


def login(transport) -> str:
    return parse_login(transport.request("POST", "/auth", json={"username": "demo", "password": "demo", "erp": True}))


def test_it_retries_a_transient_5xx_and_counts_every_attempt(served, transport):
    sim, _ = served
    token = login(transport)
    sim.set_faults(server_error={"count": 2, "path": "/directories"})
    data = transport.request("GET", "/directories", token=token)
    assert [d["name"] for d in data] == ["Demo Odoo", "Archive", "Quotations"]
    statuses = sim.stats()["requests"]["GET /directories"]
    assert sum(statuses.values()) == 3 and statuses.get("200") == 1
    assert [o for t, o in transport.seen if t == "GET /directories"][-1] == "200"
    assert len([1 for t, _ in transport.seen if t == "GET /directories"]) == 3


def test_it_gives_up_after_its_retries_with_a_retryable_error(served, transport):
    sim, _ = served
    token = login(transport)
    sim.set_faults(server_error={"count": 5, "path": "/directories", "status": 503})
    with pytest.raises(errors.UpstreamUnavailable) as caught:
        transport.request("GET", "/directories", token=token)
    assert caught.value.retryable is True and caught.value.status == 503
    assert requests_of(sim)["GET /directories"] == 3  # 1 + 2 retries


def test_it_does_not_retry_a_permanent_404(served, transport):
    sim, _ = served
    token = login(transport)
    with pytest.raises(errors.NotFound) as caught:
        transport.request("POST", "/directories/select", token=token, json={"identifier": "No such dir"},
                          expect_data=False)
    assert caught.value.retryable is False and caught.value.status == 404
    assert requests_of(sim)["POST /directories/select"] == 1


def test_it_retries_a_read_timeout(served):
    sim, server = served
    seen = []
    transport = Transport(server.base_url, connect_timeout_s=1, read_timeout_s=0.3, retries=1, backoff_s=0.01,
                          on_request=lambda template, outcome, seconds: seen.append((template, outcome)))
    try:
        token = login(transport)
        sim.set_faults(timeout={"count": 1, "path": "/directories", "seconds": 2})
        assert len(transport.request("GET", "/directories", token=token)) == 3
    finally:
        transport.close()
    # The simulator counts the hung request only when its sleep ends; the client saw both.
    assert [o for t, o in seen if t == "GET /directories"] == ["timeout", "200"]


def test_a_timeout_that_persists_is_a_retryable_timeout_error(served):
    sim, server = served
    transport = Transport(server.base_url, connect_timeout_s=1, read_timeout_s=0.2, retries=0, backoff_s=0.01)
    try:
        token = login(transport)
        sim.set_faults(timeout={"count": 1, "path": "/projects", "seconds": 1})
        with pytest.raises(errors.UpstreamTimeout) as caught:
            transport.request("GET", "/projects", token=token)
    finally:
        transport.close()
    assert caught.value.retryable is True


def test_a_refused_connection_is_retried_then_reported_as_unavailable():
    seen = []
    transport = Transport("http://127.0.0.1:9/MbioeService.svc/api/v3", connect_timeout_s=0.5, read_timeout_s=0.5,
                          retries=1, backoff_s=0.01, on_request=lambda t, o, s: seen.append(o))
    with pytest.raises(errors.UpstreamUnavailable) as caught:
        transport.request("GET", "/version")
    transport.close()
    assert caught.value.retryable is True
    assert seen == ["connect_error", "connect_error"]


def test_a_cut_short_answer_is_retried(served, transport):
    sim, _ = served
    token = login(transport)
    sim.set_faults(malformed_json={"count": 1, "path": "/directories"})
    assert len(transport.request("GET", "/directories", token=token)) == 3
    assert requests_of(sim)["GET /directories"] == 2


def test_a_locked_resource_is_a_retryable_409_and_not_a_navigation_problem(served, transport):
    sim, _ = served
    token = login(transport)
    sim.set_faults(locked={"count": 1, "path": "/directories/select"})
    with pytest.raises(errors.ResourceLocked) as caught:
        transport.request("POST", "/directories/select", token=token, json={"identifier": "Demo Odoo"},
                          expect_data=False)
    assert caught.value.retryable is True and caught.value.status == 409
    assert "locked" in str(caught.value)


def test_a_move_outside_the_mapping_is_a_navigation_error_with_the_servers_message(served, transport):
    sim, _ = served
    token = login(transport)
    project = sim.find_project("DOS22309")
    transport.request("POST", "/directories/select", token=token, json={"identifier": "Demo Odoo"}, expect_data=False)
    transport.request("POST", "/projects/select", token=token, json={"identifier": project.id}, expect_data=False)
    with pytest.raises(errors.MoveNotAllowed) as caught:
        transport.request("POST", "/directories/select", token=token, json={"identifier": "Archive"},
                          expect_data=False)
    assert "isn't valid in the current mapping" in str(caught.value)
    assert isinstance(caught.value, errors.NavigationError) and caught.value.retryable is False
    with pytest.raises(errors.WrongLevel, match="expects the session to be in a phase"):
        transport.request("GET", "/elevations", token=token)


def test_an_unknown_token_is_a_session_expiry_and_bad_credentials_a_permanent_failure(served, transport):
    with pytest.raises(errors.SessionExpired) as expired:
        transport.request("GET", "/directories", token="00000000-0000-0000-0000-000000000001")
    assert expired.value.retryable is True
    with pytest.raises(errors.LoginFailed) as failed:
        transport.request("POST", "/auth", json={"username": "demo", "password": "wrong", "erp": True})
    assert failed.value.retryable is False
    assert "wrong" not in str(failed.value)


def test_it_refuses_to_send_a_mutating_call(served, transport):
    sim, _ = served
    with pytest.raises(ValueError, match="not a read endpoint"):
        transport.request("DELETE", "/projects/selected", token="x")
    with pytest.raises(ValueError):
        transport.request("POST", "/directories/create", token="x", json={"name": "x"})
    assert sim.stats()["total_requests"] == 0
