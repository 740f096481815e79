"""Each fault switch fires as configured: by rate, count and path, with a seeded RNG."""

import base64
import json
import sqlite3
import threading
import time

import pytest

from syncapp.simulator import NULL_GUID, FaultConfig, FaultSwitch

from .conftest import ApiClient, make_sim


def at_phase(sim):
    client = ApiClient.login(sim)
    client.go_to_phase(sim.find_project("DOS22309"), NULL_GUID)
    return client


def at_elevation(sim):
    client = at_phase(sim)
    dos = sim.find_project("DOS22309")
    client.select("elevations", sim.elevations_of(dos.id, NULL_GUID)[0].id)
    return client


def test_it_fails_the_next_n_requests_to_a_path(sim):
    client = at_phase(sim)
    sim.set_faults(server_error={"count": 2, "path": "/elevations"})
    statuses = [client.get("/elevations").status for _ in range(3)]
    assert set(statuses[:2]) <= {500, 503} and statuses[2] == 200
    assert client.get("/projects/selected").status == 405  # other paths untouched (level check as usual)
    assert sim.stats()["faults_fired"] == {"server_error": 2}


def test_it_answers_the_status_asked_for(sim):
    client = at_phase(sim)
    sim.set_faults(server_error={"status": 503, "count": 1})
    response = client.get("/elevations")
    assert response.status == 503 and response.json()["code"] == 503


def test_it_fires_rate_based_faults_reproducibly():
    def run():
        sim = make_sim(faults=FaultConfig(server_error=FaultSwitch(rate=0.3, path="/version")))
        return [sim.call("GET", "/version").status for _ in range(40)]

    first = run()
    assert first == run()
    assert 3 <= first.count(200) <= 37 and 200 in first


def test_it_hangs_requests_for_the_given_seconds(sim):
    sim.set_faults(timeout={"count": 1, "seconds": 0.3, "path": "/version"})
    started = time.monotonic()
    assert sim.call("GET", "/version").status == 200
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    sim.call("GET", "/version")
    assert time.monotonic() - started < 0.2


def test_it_expires_a_token_mid_navigation(sim):
    client = at_phase(sim)
    sim.set_faults(expire_token={"count": 1, "path": "/elevations/select"})
    dos = sim.find_project("DOS22309")
    assert client.select("elevations", sim.elevations_of(dos.id, NULL_GUID)[0].id).status == 401
    assert client.get("/elevations").status == 401  # the session is gone for good
    assert ApiClient.login(sim).get("/directories").status == 200


def test_it_reports_a_lock_by_another_user(sim):
    client = ApiClient.login(sim)
    sim.set_faults(locked={"count": 1, "path": "/projects/select"})
    client.go_to_directory("Demo Odoo")
    response = client.select("projects", sim.find_project("DOS22309").id)
    assert response.status == 409
    assert "locked by another user" in response.json()["errors"][0]


def test_it_can_forbid_a_parts_list(sim):
    client = at_elevation(sim)
    sim.set_faults(forbidden={"path": "/parts-list"})
    assert client.get("/elevations/selected/parts-list").status == 403


def test_it_cuts_json_bodies_short(sim):
    client = at_phase(sim)
    sim.set_faults(malformed_json={"count": 1, "path": "/elevations"})
    response = client.get("/elevations")
    assert response.status == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.body)
    assert client.data("/elevations")


def test_it_answers_an_empty_listing_transiently(sim):
    client = at_phase(sim)
    sim.set_faults(empty_listing={"count": 1, "path": "/elevations"})
    assert client.data("/elevations") == []
    assert len(client.data("/elevations")) == 13


def parts_list(client):
    response = client.get("/elevations/selected/parts-list")
    assert response.status == 200
    return base64.b64decode(response.json()["data"])


def read_all(data):
    conn = sqlite3.connect(":memory:")
    conn.deserialize(data)
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
        conn.execute(f'SELECT * FROM "{name}"').fetchall()
    return conn


@pytest.mark.parametrize("variant", ["corrupt", "truncated", "not_sqlite"])
def test_it_serves_a_damaged_parts_list(sim, variant):
    client = at_elevation(sim)
    sim.set_faults(parts_list={"variant": variant, "count": 1})
    with pytest.raises(sqlite3.DatabaseError):
        read_all(parts_list(client))
    read_all(parts_list(client))  # the next one is fine again


def test_it_serves_an_oversized_parts_list(sim):
    client = at_elevation(sim)
    sim.set_faults(parts_list={"variant": "oversized", "size": 3_000_000, "count": 1})
    assert len(parts_list(client)) == 3_000_000


def test_it_serves_a_drifted_parts_list(sim):
    client = at_elevation(sim)
    sim.set_faults(parts_list={"variant": "missing_required", "count": 1})
    columns = [r[1] for r in read_all(parts_list(client)).execute("PRAGMA table_info(Elevations)")]
    assert "SystemCode" not in columns


def test_it_sets_and_clears_faults_over_the_control_api(sim):
    response = sim.call("POST", "/_sim/faults", json={"server_error": {"rate": 1, "path": "/version"}})
    assert response.json()["data"]["switches"]["server_error"]["path"] == "/version"
    assert sim.call("GET", "/version").status in (500, 503)
    sim.call("POST", "/_sim/faults", json={"server_error": None})
    assert sim.call("GET", "/version").status == 200
    sim.call("POST", "/_sim/faults", json={"timeout": 0.0, "locked": {"count": 1}})
    sim.call("DELETE", "/_sim/faults")
    assert all(v is None for v in sim.call("GET", "/_sim/faults").json()["data"]["switches"].values())


def test_it_rejects_unknown_fault_kinds_and_options(sim):
    assert sim.call("POST", "/_sim/faults", json={"meteor": {}}).status == 400
    assert sim.call("POST", "/_sim/faults", json={"timeout": {"sekonds": 1}}).status == 400
    assert sim.call("POST", "/_sim/faults", json={"parts_list": {"variant": "melted"}}).status == 400
    with pytest.raises(ValueError):
        sim.set_faults(server_error={"rate": 2})


def test_it_does_not_consume_the_callers_fault_config():
    config = FaultConfig(server_error=FaultSwitch(count=1, path="/version"))
    make_sim(faults=config).call("GET", "/version")
    assert config.server_error.count == 1


def test_it_counts_a_limited_switch_exactly_under_concurrency(sim):
    sim.set_faults(server_error={"count": 5, "path": "/version"})
    statuses = []
    threads = [threading.Thread(target=lambda: statuses.append(sim.call("GET", "/version").status))
               for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(s != 200 for s in statuses) == 5
