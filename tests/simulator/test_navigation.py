"""The navigation cursor follows the real server's rules, in strict and lenient mode."""

import pytest

from syncapp.simulator import NULL_GUID

from .conftest import ApiClient, make_sim

UNKNOWN_GUID = "11111111-2222-4333-8444-555555555555"


def error_of(response):
    body = response.json()
    assert set(body) == {"message", "code", "hints", "warnings", "errors"}
    assert body["code"] == response.status
    return body


def mapping_error(identifier):
    return f"The requested resource '{identifier}' cannot be set, because it isn't valid in the current mapping."


def fase1(sim, project):
    return next(p for p in sim.phases_of(project.id) if p.name == "Fase 1 (DEMO)")


def test_it_walks_down_to_an_elevation_of_dos22309(client, sim, dos):
    client.go_to_directory("Demo Odoo")
    assert "DOS22309" in [p["name"] for p in client.data("/projects")]
    assert client.select("projects", dos.id).status == 200
    assert client.data("/projects/selected")["jobNumber"] == "DOS22309"
    phases = client.data("/phases")
    assert [(p["id"], p["name"]) for p in phases] == [
        (NULL_GUID, "Posities zonder levering"), (fase1(sim, dos).id, "Fase 1 (DEMO)")]
    assert client.select("phases", NULL_GUID).status == 200
    elevations = client.data("/elevations")
    assert [e["name"] for e in elevations] == [f"P{i}" for i in range(1, 14)]
    assert client.select("elevations", elevations[0]["id"]).status == 200
    assert client.get("/elevations/selected/parts-list").status == 200


def test_it_selects_nested_directories_by_full_path(client):
    client.go_to_directory("Demo Odoo/Sublevel 1 Testing")
    assert client.data("/directories") == [
        {"name": "Sublevel 2 Testing", "path": "Demo Odoo/Sublevel 1 Testing/Sublevel 2 Testing"}]
    assert [p["name"] for p in client.data("/projects")] == ["Villa Molenweg 17, Breda"]


def test_it_moves_between_directories_at_directory_level(client):
    client.go_to_directory("Demo Odoo/Sublevel 1 Testing")
    assert client.select("directories", "Quotations").status == 200
    assert [p["name"] for p in client.data("/projects")] == ["Apartments Havenkade 2, Rotterdam"]


def test_it_answers_404_for_unknown_identifiers(client, dos):
    assert error_of(client.select("directories", "No such dir"))["code"] == 404
    assert client.select("projects", UNKNOWN_GUID).status == 404
    client.go_to_directory("Demo Odoo")
    client.select("projects", dos.id)
    assert client.select("phases", UNKNOWN_GUID).status == 404
    client.select("phases", NULL_GUID)
    assert client.select("elevations", UNKNOWN_GUID).status == 404


def test_it_answers_404_for_a_project_of_another_directory(client, dos):
    assert client.select("projects", dos.id).status == 404  # still at the root


@pytest.mark.parametrize("path,where", [
    ("/phases", "a project"), ("/projects/selected", "a project"), ("/elevations", "a phase"),
    ("/elevations/selected/parts-list", "an elevation"), ("/elevations/selected/thumbnail", "an elevation"),
])
def test_it_answers_405_with_the_spec_text_at_directory_level(client, path, where):
    response = client.get(path)
    assert response.status == 405
    assert error_of(response)["message"] == f"This operation expects the session to be in {where}."


def test_it_answers_405_for_directory_calls_below_the_directory_level(client, dos):
    client.go_to_project(dos)
    assert client.get("/directories").status == 405
    assert error_of(client.get("/projects"))["message"] == "This operation expects the session to be in a directory."
    assert client.select("elevations", UNKNOWN_GUID).status == 405


def test_it_refuses_a_directory_select_once_a_project_is_selected(client, dos):
    client.go_to_project(dos)
    response = client.select("directories", "Demo Odoo")
    assert response.status == 409
    assert error_of(response)["errors"] == [mapping_error("Demo Odoo")]


def test_it_allows_a_sibling_phase_from_phase_context_in_strict_mode(client, sim, dos):
    client.go_to_phase(dos, NULL_GUID)
    assert client.select("phases", fase1(sim, dos).id).status == 200
    assert [e["name"] for e in client.data("/elevations")] == ["F1.01", "F1.02", "F1.03", "F1.04"]


def test_it_strands_a_strict_session_at_an_elevation(client, sim, dos):
    p1, p2 = sim.elevations_of(dos.id, NULL_GUID)[:2]
    client.go_to_elevation(dos, NULL_GUID, p1.id)
    for level, identifier in (("elevations", p2.id), ("phases", NULL_GUID), ("projects", dos.id),
                              ("directories", "Demo Odoo")):
        response = client.select(level, identifier)
        assert response.status == 409, level
        assert error_of(response)["errors"] == [mapping_error(identifier)]
    assert client.get("/elevations").status == 405


def test_it_refuses_a_sibling_project_from_project_context_in_strict_mode(client, dos):
    other = next(p for p in client.sim.projects_in("Demo Odoo") if p.id != dos.id)
    client.go_to_project(dos)
    assert client.select("projects", other.id).status == 409


@pytest.fixture
def lenient():
    sim = make_sim(navigation="lenient")
    return ApiClient.login(sim), sim, sim.find_project("DOS22309")


def test_it_allows_siblings_and_one_level_up_in_lenient_mode(lenient):
    client, sim, dos = lenient
    p1, p2 = sim.elevations_of(dos.id, NULL_GUID)[:2]
    client.go_to_elevation(dos, NULL_GUID, p1.id)
    assert client.select("elevations", p2.id).status == 200
    assert client.data("/elevations")  # the parent's listing works from deeper
    assert client.select("phases", fase1(sim, dos).id).status == 200
    other = next(p for p in sim.projects_in("Demo Odoo") if p.id != dos.id)
    assert client.select("projects", other.id).status == 200
    assert client.data("/projects/selected")["id"] == other.id


def test_it_keeps_lenient_moves_within_the_same_parent(lenient):
    client, sim, dos = lenient
    p1 = sim.elevations_of(dos.id, NULL_GUID)[0]
    f1 = sim.elevations_of(dos.id, fase1(sim, dos).id)[0]
    client.go_to_elevation(dos, NULL_GUID, p1.id)
    assert client.select("elevations", f1.id).status == 409  # lives in the other phase
    villa = sim.find_project("Villa Molenweg 17, Breda")
    assert client.select("projects", villa.id).status == 409  # lives in another directory
    assert client.select("projects", UNKNOWN_GUID).status == 404
    assert client.select("directories", "Demo Odoo").status == 409  # directories need directory level


def test_it_tolerates_doubled_slashes(client):
    response = client.sim.call("GET", "/MbioeService.svc/api/v3//directories", token=client.token)
    assert response.status == 200
    assert client.sim.stats()["requests"]["GET /directories"] == {"200": 1}


def test_it_moves_the_session_up_after_deleting_the_selected_elevation(client, sim, dos):
    p1 = sim.elevations_of(dos.id, NULL_GUID)[0]
    client.go_to_elevation(dos, NULL_GUID, p1.id)
    assert client.sim.call("DELETE", "/elevations/selected", token=client.token).status == 200
    assert client.get("/elevations").status == 200  # back in the phase
