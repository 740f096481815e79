"""The old middleware's endpoints, field by field, as the Odoo module reads them."""

import re
import uuid

from syncapp.models import Directory, Elevation, PartsList, Phase, Project

from .conftest import assert_error

V1_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
SUMMARY = ["id", "name", "description", "status", "phases_count", "total_elevations", "created_at"]
PHASE = ["id", "name", "description", "project_id", "status", "elevations_count", "elevations", "created_at"]
ELEVATION = [
    "id", "name", "description", "phase_id", "thumbnail_url", "width", "height", "depth", "created_at",
    "auto_description", "auto_description_short", "width_out", "width_unit", "height_out", "height_unit",
    "weight_out", "weight_unit", "area_output", "area_unit", "system_code", "system_name", "system_long_name",
    "color_base_long", "parts_count", "has_parts_data", "parts_synced_at", "parse_status", "data_quality_score",
    "glass_specifications", "last_sync_date", "last_update_date",
]


def login(http, key: str, name: str = "odoo") -> str:
    response = http().post("/api/v1/client-auth/login", json={"client_id": name, "client_secret": key})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 24 * 3600
    assert body["access_token"].startswith("lst_") and body["access_token"] != key
    assert body["client_info"]["client_id"] == name
    return body["access_token"]


def check_elevation(item: dict, row: Elevation) -> None:
    assert list(item) == ELEVATION
    parts_list = PartsList.objects.get(elevation=row)
    assert item["id"] == str(row.guid) and item["name"] == row.name and item["phase_id"] == str(row.phase.guid)
    assert item["thumbnail_url"] == f"/api/v1/elevations/{row.guid}/thumbnail"
    assert item["width_out"] == 1230.0 and item["width_unit"] == "mm"
    assert item["height_out"] == 1480.5 and item["weight_out"] == 42.5 and item["area_output"] == 1.82
    assert item["system_code"] == "AWS 75" and item["system_long_name"] == "Schüco AWS 75.SI+"
    assert item["color_base_long"] == "RAL 9016" and item["auto_description_short"] == "Window"
    assert item["parts_count"] == 5 and item["has_parts_data"] is True and item["parse_status"] == "success"
    assert item["glass_specifications"] == [{"glass_id": "G0", "name": "Glass 0"}]
    assert item["depth"] is None and item["data_quality_score"] == 90.0  # no description upstream
    for key in ("created_at", "parts_synced_at", "last_sync_date", "last_update_date"):
        assert V1_DATETIME.match(item[key]), (key, item[key])
    assert item["parts_synced_at"] == parts_list.downloaded_at.strftime("%Y-%m-%d %H:%M:%S")
    assert item["last_update_date"] == row.changed_date.strftime("%Y-%m-%d %H:%M:%S")


def test_login_then_the_project_list_and_one_project_in_the_old_shapes(mirror, keys, http):
    client = http(login(http, keys.both))
    listing = client.get("/api/v1/odoo/projects").json()
    assert list(listing) == ["projects", "count", "summary"]
    assert listing["count"] == 2 and listing["summary"] == {"total_projects": 2, "client_id": "odoo"}
    summary = listing["projects"][0]
    assert list(summary) == SUMMARY and summary["status"] == "active"
    assert summary["phases_count"] == 2 and summary["total_elevations"] == 6
    assert V1_DATETIME.match(summary["created_at"])

    project = Project.objects.get(guid=summary["id"])
    detail = client.get(f"/api/v1/odoo/projects/{project.guid}").json()
    assert list(detail) == SUMMARY + ["phases"]
    phase = detail["phases"][0]
    assert list(phase) == PHASE and phase["project_id"] == str(project.guid) and phase["elevations_count"] == 3
    check_elevation(phase["elevations"][0], Elevation.objects.get(guid=phase["elevations"][0]["id"]))


def test_complete_phases_and_elevations_of_a_phase(mirror, keys, http):
    client = http(keys.reader)  # the API key works as a bearer token on v1 too
    project = mirror.projects[0]
    complete = client.get(f"/api/v1/odoo/projects/{project.guid}/complete").json()
    assert list(complete) == ["project", "phases_with_elevations", "summary"]
    assert complete["summary"] == {"phases_count": 2, "total_elevations": 6, "project_name": project.name,
                                   "project_id": str(project.guid)}
    flat = complete["phases_with_elevations"][0]
    assert list(flat) == ["phase", "elevations", "elevations_count"]
    assert list(flat["phase"]) == ["id", "name", "description", "status"]
    assert list(flat["elevations"][0]) == ["id", "name", "description"] and flat["elevations_count"] == 3
    assert list(complete["project"]) == SUMMARY + ["phases"]

    phases = client.get(f"/api/v1/odoo/projects/{project.guid}/phases").json()
    assert [list(p) for p in phases] == [PHASE, PHASE]
    assert all(p["elevations"] == [] and p["elevations_count"] == 3 for p in phases)
    phase = Phase.objects.get(guid=phases[1]["id"], project=project)
    elevations = client.get(f"/api/v1/odoo/projects/{project.guid}/phases/{phase.guid}/elevations").json()
    assert len(elevations) == 3
    check_elevation(elevations[0], Elevation.objects.get(guid=elevations[0]["id"]))


def test_search_stats_and_thumbnail(mirror, keys, http):
    client = http(keys.reader)
    project = mirror.projects[1]
    found = client.get("/api/v1/odoo/search", params={"q": project.name}).json()
    assert list(found) == ["results", "query", "count"]
    assert found["query"] == project.name and [r["id"] for r in found["results"]] == [str(project.guid)]
    stats = client.get("/api/v1/odoo/stats").json()
    assert (stats["total_projects"], stats["total_phases"], stats["total_elevations"]) == (2, 4, 12)
    assert {p["project_id"]: p["phases_count"] for p in stats["projects"]} == {str(p.guid): 2 for p in mirror.projects}
    assert set(stats["projects"][0]) == {"project_id", "project_name", "phases_count"}
    row = Elevation.objects.filter(phase__project=project).first()
    image = client.get(f"/api/v1/elevations/{row.guid}/thumbnail")
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")


def test_excluded_and_removed_projects_leave_the_v1_lists(mirror, keys, http):
    Directory.objects.filter(path="Demo/Sub").update(excluded=True, effectively_excluded=True)
    client = http(keys.reader)
    assert client.get("/api/v1/odoo/projects").json()["count"] == 0
    assert client.get("/api/v1/odoo/stats").json()["total_elevations"] == 0


def test_v1_errors_keep_the_old_shape_and_codes(mirror, keys, http):
    client = http(keys.reader)
    missing = uuid.uuid4()
    detail = assert_error(client.get(f"/api/v1/odoo/projects/{missing}"), 404, "PROJECT_NOT_FOUND")
    assert detail["message"] == f"Project with ID '{missing}' not found"
    project = mirror.projects[0]
    assert_error(client.get(f"/api/v1/odoo/projects/{project.guid}/phases/{missing}/elevations"), 404,
                 "PHASE_NOT_FOUND")
    assert_error(client.get("/api/v1/odoo/projects/DOS-not-a-guid"), 422, "VALIDATION_ERROR")
    assert_error(client.get("/api/v1/odoo/search"), 422, "VALIDATION_ERROR")
    assert_error(client.get("/api/v1/odoo/search", params={"q": "  "}), 422, "VALIDATION_ERROR")
    assert_error(client.get("/api/v1/elevations/zzz/thumbnail"), 422, "VALIDATION_ERROR")
    bad_login = http().post("/api/v1/client-auth/login", json={"client_id": "odoo", "client_secret": "wrong"})
    detail = assert_error(bad_login, 401, "INVALID_CREDENTIALS")
    assert detail["details"]
    assert_error(http().post("/api/v1/client-auth/login", json={"client_id": "odoo"}), 422, "VALIDATION_ERROR")
    assert_error(http().post("/api/v1/client-auth/login", content=b"{not json"), 422, "VALIDATION_ERROR")
    assert_error(http().post("/api/v1/client-auth/login", json={"client_id": "nobody", "client_secret": keys.both}),
                 401, "INVALID_CREDENTIALS")
