"""Logins, tokens, idle expiry and the concurrent-session cap."""

import pytest

from syncapp.simulator import SimulatorConfig

from .conftest import ApiClient, FrozenClock, make_sim

LOGIN = {"username": "demo", "password": "demo", "erp": True}


def login(sim, body=LOGIN):
    return sim.call("POST", "/auth", json=body)


def test_it_hands_out_a_lower_case_guid_token(sim):
    data = login(sim).json()["data"]
    assert data["username"] == "demo"
    assert data["token"] == data["token"].lower() and len(data["token"]) == 36


def test_it_refuses_bad_credentials_with_401_and_counts_them(sim):
    response = login(sim, {"username": "demo", "password": "wrong"})
    assert response.status == 401
    assert response.json()["errors"] == ["Authentication failed. Invalid username or password."]
    assert sim.stats()["failed_logins"] == 1 and sim.stats()["logins"] == 0


@pytest.mark.parametrize("body", [b"", b"{not json", b"[]", b'{"username": "demo"}',
                                  b'{"username": 1, "password": "demo"}', b'{"username": "demo", "password": "demo", "erp": "yes"}'])
def test_it_answers_400_for_a_malformed_login(sim, body):
    response = sim.call("POST", "/auth", body=body)
    assert response.status == 400
    assert response.json()["code"] == 400


def test_it_answers_401_for_missing_and_unknown_tokens(sim):
    assert sim.call("GET", "/directories").status == 401
    assert sim.call("GET", "/directories", token="11111111-2222-4333-8444-555555555555").status == 401
    assert sim.call("GET", "/directories", headers={"Authorization": "Basic abc"}).status == 401
    assert sim.call("GET", "/directories").json()["errors"] == ["Invalid session authentication identifier."]


def test_it_serves_the_version_without_a_token(sim):
    response = sim.call("GET", "/version")
    assert response.status == 200
    assert response.json()["data"]["componentVersions"][0]["version"] == "12.2.6.59"


def test_it_ends_a_session_on_logout(client, sim):
    assert sim.call("DELETE", "/auth", token=client.token).status == 200
    assert client.get("/directories").status == 401
    assert sim.call("DELETE", "/auth", token=client.token).status == 401
    assert sim.stats()["logouts"] == 1 and sim.stats()["current_sessions"] == 0


def test_it_keeps_a_cursor_per_token(sim):
    first, second = ApiClient.login(sim), ApiClient.login(sim)
    first.go_to_directory("Demo Odoo")
    assert [d["name"] for d in first.data("/directories")] == ["Sublevel 1 Testing"]
    assert [d["name"] for d in second.data("/directories")] == ["Demo Odoo", "Archive", "Quotations"]


def test_it_expires_idle_tokens():
    clock = FrozenClock()
    sim = make_sim(token_idle_expiry_s=60, clock=clock)
    client = ApiClient.login(sim)
    clock.advance(59)
    assert client.get("/directories").status == 200  # use resets the idle timer
    clock.advance(59)
    assert client.get("/directories").status == 200
    clock.advance(61)
    assert client.get("/directories").status == 401
    assert sim.stats()["current_sessions"] == 0


def test_it_caps_concurrent_sessions_per_user_and_keeps_the_peak():
    sim = make_sim(max_sessions=2)
    first, _second = ApiClient.login(sim), ApiClient.login(sim)
    refused = login(sim)
    assert refused.status == 403
    assert "maximum number of concurrent sessions (2)" in refused.json()["errors"][0]
    sim.call("DELETE", "/auth", token=first.token)
    assert login(sim).status == 200
    stats = sim.stats()
    assert (stats["refused_logins"], stats["current_sessions"], stats["peak_sessions"]) == (1, 2, 2)


def test_it_does_not_count_expired_sessions_against_the_cap():
    clock = FrozenClock()
    sim = make_sim(max_sessions=1, token_idle_expiry_s=10, clock=clock)
    ApiClient.login(sim)
    clock.advance(11)
    assert login(sim).status == 200


def test_it_resets_the_peak_to_the_current_count(sim):
    clients = [ApiClient.login(sim) for _ in range(3)]
    sim.call("DELETE", "/auth", token=clients[0].token)
    assert sim.stats()["peak_sessions"] == 3
    sim.reset_stats()
    assert sim.stats()["peak_sessions"] == 2 and sim.stats()["logins"] == 0


def test_it_validates_its_configuration():
    for bad in ({"navigation": "sloppy"}, {"dataset": "huge"}, {"latency": "some"}, {"max_sessions": 0},
                {"parts_list_size": "xl"}, {"latency_scale": -1}, {"token_idle_expiry_s": 0}):
        with pytest.raises(ValueError):
            SimulatorConfig(**bad)
