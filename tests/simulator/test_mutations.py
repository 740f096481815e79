"""Upstream changes: the spec's mutating endpoints really change data (and are counted), and
tests can change the project centre through Python methods and /_sim/ operations."""

import pytest

from syncapp.simulator import NULL_GUID

from .conftest import ApiClient, FrozenClock, make_sim

PRICELIST = "22222222-3333-4444-8555-666666666666"


def test_it_counts_and_applies_a_project_delete(client, sim, dos):
    client.go_to_project(dos)
    assert sim.call("DELETE", "/projects/selected", token=client.token).status == 200
    assert sim.stats()["mutations"] == 1
    assert sim.project(dos.id).is_deleted
    listed = {p["id"]: p for p in client.data("/projects")}  # the session is back in the directory
    assert listed[dos.id]["isDeleted"] is True


def test_it_counts_a_mutation_even_when_it_fails(client, sim):
    assert sim.call("DELETE", "/elevations/selected", token=client.token).status == 405
    assert sim.call("PATCH", "/projects/selected", token=client.token, json={"name": "x"}).status == 405
    assert sim.stats()["mutations"] == 2


def test_it_creates_and_edits_through_the_api(client, sim, dos):
    client.go_to_directory("Demo Odoo")
    created = sim.call("POST", "/projects/create", token=client.token, json={"name": "New tower"})
    assert created.status == 200 and created.json()["data"]["name"] == "New tower"
    assert sim.call("POST", "/projects/create", token=client.token, json={"name": "New tower"}).status == 409
    assert sim.call("POST", "/directories/create", token=client.token, json={"name": "Fresh"}).status == 200
    assert {"name": "Fresh", "path": "Demo Odoo/Fresh"} in client.data("/directories")
    client.select("projects", dos.id)
    assert sim.call("POST", "/phases/create", token=client.token, json={"name": "Fase 2"}).status == 200
    assert sim.call("PATCH", "/projects/selected", token=client.token, json={"name": "DOS22309 b"}).status == 200
    client.select("phases", NULL_GUID)
    body = {"name": "P14", "amount": 2, "elementPricelistId": PRICELIST}
    new = sim.call("POST", "/elevations/create-element-pricelist", token=client.token, json=body).json()["data"]
    assert new["isElementPricelistElevation"] is True and new["elementPricelistId"] == PRICELIST
    client.select("elevations", new["id"])
    assert sim.call("PATCH", "/elevations/selected", token=client.token, json={"amount": 5}).status == 200
    assert sim.elevation(new["id"]).amount == 5.0
    assert sim.stats()["mutations"] == 7


def test_it_recycles_then_removes_on_repeated_elevation_deletes(client, sim, dos):
    p1 = sim.elevations_of(dos.id, NULL_GUID)[0]
    client.go_to_elevation(dos, NULL_GUID, p1.id)
    sim.call("DELETE", "/elevations/selected", token=client.token)
    assert sim.elevation(p1.id).is_in_recycle_bin
    client.select("elevations", p1.id)
    sim.call("DELETE", "/elevations/selected", token=client.token)
    assert p1.id not in [e["id"] for e in client.data("/elevations")]


def test_it_answers_403_for_spec_endpoints_it_does_not_model(client, sim):
    response = sim.call("POST", "/directories/selected/copy-project-from", token=client.token,
                        json={"sourceProjectId": PRICELIST})
    assert response.status == 403
    assert sim.stats()["mutations"] == 1


def test_it_bumps_the_project_when_an_elevation_is_touched():
    clock = FrozenClock(1_800_000_000)
    sim = make_sim(clock=clock)
    dos = sim.find_project("DOS22309")
    p1 = sim.elevations_of(dos.id, NULL_GUID)[0]
    old_version = p1.version_id
    assert sim.touch_elevation(p1.id) == 1_800_000_000
    assert sim.elevation(p1.id).version_id != old_version
    assert sim.project(dos.id).changed_date == 1_800_000_000


def test_it_can_leave_the_project_alone_when_touching_an_elevation():
    sim = make_sim(touch_bumps_project=False)
    dos = sim.find_project("DOS22309")
    before = dos.changed_date
    sim.touch_elevation(sim.elevations_of(dos.id, NULL_GUID)[0].id)
    assert sim.project(dos.id).changed_date == before


def test_it_dates_touches_strictly_later_even_with_a_frozen_clock():
    sim = make_sim(clock=FrozenClock(1_000))  # a clock behind the data set
    dos = sim.find_project("DOS22309")
    before = dos.changed_date
    assert sim.touch_project(dos.id) == before + 1
    assert sim.touch_project(dos.id, at=2_000_000_000) == 2_000_000_000


def test_it_changes_the_tree_through_python_methods(sim, dos):
    sim.add_directory("Demo Odoo/2026")
    project_id = sim.add_project("Demo Odoo/2026", "Tower")
    assert [p.name for p in sim.projects_in("Demo Odoo/2026")] == ["Tower"]
    assert [ph.id for ph in sim.phases_of(project_id)] == [NULL_GUID]
    elevation_id = sim.add_elevation(project_id, NULL_GUID, "W1")
    assert [e.name for e in sim.elevations_of(project_id, NULL_GUID)] == ["W1"]
    sim.rename("elevation", elevation_id, "W1a")
    sim.rename("project", project_id, "Tower A")
    sim.rename("phase", NULL_GUID, "Default", project_id=project_id)
    sim.rename("directory", "Demo Odoo/2026", "2027")
    assert sim.project(project_id).directory == "Demo Odoo/2027"
    assert sim.elevations_of(project_id, NULL_GUID)[0].name == "W1a"
    sim.recycle_elevation(elevation_id)
    assert sim.elevation(elevation_id).is_in_recycle_bin
    sim.remove_elevation(elevation_id)
    assert sim.elevations_of(project_id, NULL_GUID) == []
    sim.remove_project(project_id)
    assert sim.projects_in("Demo Odoo/2027") == []
    sim.remove_directory("Demo Odoo/2027")
    assert "Demo Odoo/2027" not in [d.path for d in sim.iter_directories()]


def test_it_refuses_clashing_names_and_unknown_ids(sim, dos):
    with pytest.raises(ValueError):
        sim.add_project("Demo Odoo", "DOS22309")
    with pytest.raises(ValueError):
        sim.remove_directory("Demo Odoo")  # holds projects
    with pytest.raises(LookupError):
        sim.touch_elevation("99999999-2222-4333-8444-555555555555")
    with pytest.raises(ValueError):
        sim.rename("phase", NULL_GUID, "x")  # phase ids repeat: project_id is needed


def test_it_offers_the_same_operations_under_sim(sim, dos):
    response = sim.call("POST", "/_sim/add-project", json={"directory_path": "Quotations", "name": "Quote 7"})
    project_id = response.json()["data"]
    assert [p.name for p in sim.projects_in("Quotations")][-1] == "Quote 7"
    elevation_id = sim.call("POST", "/_sim/add-elevation", json={
        "project_guid": project_id, "phase_guid": NULL_GUID, "name": "K1"}).json()["data"]
    assert sim.call("POST", "/_sim/touch-elevation", json={"guid": elevation_id}).status == 200
    assert sim.call("POST", "/_sim/delete-project", json={"guid": dos.id}).status == 200
    assert sim.project(dos.id).is_deleted
    assert sim.call("POST", "/_sim/rename", json={"kind": "project", "identifier": dos.id, "name": "D2"}).status == 200
    assert sim.call("POST", "/_sim/add-project", json={"directory_path": "Quotations", "name": "Quote 7"}).status == 409
    assert sim.call("POST", "/_sim/touch-project", json={"guid": "nope"}).status == 404
    assert sim.call("POST", "/_sim/touch-project", json={"id": dos.id}).status == 400
    assert sim.call("POST", "/_sim/explode", json={}).status == 404
    assert sim.stats()["mutations"] == 0  # control operations are not client mutations


def test_it_shows_upstream_changes_to_a_logged_in_client(sim, dos):
    client = ApiClient.login(sim)
    client.go_to_phase(dos, NULL_GUID)
    sim.add_elevation(dos.id, NULL_GUID, "P99")
    assert "P99" in [e["name"] for e in client.data("/elevations")]
