"""GET /elevations/selected/parts-list serves a SQLite file that agrees with the elevation."""

import base64
import sqlite3

from syncapp.simulator import NULL_GUID, Simulator, SimulatorConfig

from .conftest import ApiClient


def fetch(client):
    response = client.get("/elevations/selected/parts-list")
    assert response.status == 200
    assert set(response.json()) == {"data", "hints", "warnings"}
    return base64.b64decode(response.json()["data"])


def open_db(data):
    conn = sqlite3.connect(":memory:")
    conn.deserialize(data)
    return conn


def test_it_serves_realistic_files_in_the_demo_by_default():
    sim = Simulator(SimulatorConfig(dataset="demo"))
    dos = sim.find_project("DOS22309")
    p1 = sim.elevations_of(dos.id, NULL_GUID)[0]
    client = ApiClient.login(sim)
    client.go_to_elevation(dos, NULL_GUID, p1.id)
    data = fetch(client)
    assert 0.7 * 2**20 <= len(data) <= 1.7 * 2**20
    assert len(open_db(data).execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()) == 71


def test_it_matches_the_elevation_and_holds_longer_namesakes(client, sim, dos):
    p1 = sim.elevations_of(dos.id, NULL_GUID)[0]
    client.go_to_elevation(dos, NULL_GUID, p1.id)
    conn = open_db(fetch(client))
    names = sorted(r[0] for r in conn.execute("SELECT Name FROM Elevations"))
    assert names == ["P1", "P10", "P11", "P12", "P13"]
    row = conn.execute("SELECT ElevationID, SystemName, Width_Output, Height_Output FROM Elevations "
                       "WHERE Name = 'P1'").fetchone()
    assert row == ("{" + p1.id.upper() + "}", p1.system[1], p1.width, p1.height)
    assert conn.execute("SELECT Name, JobNumber FROM Projects").fetchone() == ("DOS22309", "DOS22309")
    assert conn.execute("SELECT PhaseID, Name FROM Phases").fetchone() == ("{" + NULL_GUID.upper() + "}",
                                                                           "Posities zonder levering")


def test_it_caches_files_until_the_elevation_changes(client, sim, dos):
    p2 = sim.elevations_of(dos.id, NULL_GUID)[1]
    client.go_to_elevation(dos, NULL_GUID, p2.id)
    first = fetch(client)
    assert fetch(client) == first
    assert sim.parts_lists.builds == 1
    sim.call("PATCH", "/elevations/selected", token=client.token, json={"amount": 9})  # a new versionId
    assert fetch(client) != first
    assert sim.parts_lists.builds == 2 and len(sim.parts_lists) == 2


def test_it_counts_parts_list_bytes(client, sim, dos):
    client.go_to_elevation(dos, NULL_GUID, sim.elevations_of(dos.id, NULL_GUID)[0].id)
    data = fetch(client)
    assert sim.stats()["parts_list_bytes"] == len(data)
