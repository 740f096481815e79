"""/api/v2 reads over HTTP: listing, project tree, elevation, thumbnail, parts-list file, directories."""

import hashlib

from django.core.files.storage import default_storage

from syncapp.models import Elevation, PartsList

from .conftest import assert_error


def test_the_project_listing_shows_each_project_with_counts_freshness_and_links(mirror, keys, http):
    response = http(keys.reader).get("/api/v2/projects")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2 and body["next_cursor"] is None and body["next_url"] is None
    by_guid = {item["guid"]: item for item in body["items"]}
    for project in mirror.projects:
        item = by_guid[str(project.guid)]
        assert item["name"] == project.name
        assert item["directory"] == "Demo/Sub"
        assert item["phases_count"] == 2 and item["elevations_count"] == 6
        assert item["state"] == "fresh" and item["last_error"] == "" and item["verified_at"]
        assert item["url"] == f"/api/v2/projects/{project.guid}"
    assert body["next_changed_since"]


def test_a_project_comes_with_its_phases_elevations_and_parts_list_facts(mirror, keys, http):
    project = mirror.projects[0]
    response = http(keys.reader).get(f"/api/v2/projects/{project.guid}")
    assert response.status_code == 200
    body = response.json()
    assert body["guid"] == str(project.guid) and len(body["phases"]) == 2
    elevation = body["phases"][0]["elevations"][0]
    row = Elevation.objects.get(guid=elevation["guid"])
    facts = elevation["parts_list"]
    assert facts["status"] == "parsed"
    assert facts["width"] == {"value": "1230", "unit": "mm"}
    assert facts["system"] == {"code": "AWS 75", "name": "AWS 75.SI+", "long_name": "Schüco AWS 75.SI+"}
    assert facts["glass"] == [{"glass_id": "G0", "name": "Glass 0"}]
    assert facts["u_values"] == [{"name": "Uw", "u": 1.3, "unit": "W/m²K"}]
    assert facts["articles_count"] == 3 and facts["profiles_count"] == 2
    assert facts["articles"] is None and facts["profiles"] is None
    assert facts["file_url"] == f"/api/v2/elevations/{row.guid}/parts-list.sqlite"
    assert elevation["thumbnail_url"] == f"/api/v2/elevations/{row.guid}/thumbnail"
    assert elevation["state"] == "fresh"

    with_rows = http(keys.reader).get(f"/api/v2/projects/{project.guid}", params={"include": "articles,profiles"}).json()
    facts = with_rows["phases"][0]["elevations"][0]["parts_list"]
    assert [a["article_code"] for a in facts["articles"]] == ["A0", "A1", "A2"]
    assert facts["profiles"][1] == {"article_code": "P1", "description": "Profile 1", "length": 1001.0,
                                    "color": "white", "price": 9.5}


def test_an_elevation_its_thumbnail_and_its_parts_list_file(mirror, keys, http):
    row = Elevation.objects.filter(phase__project=mirror.projects[0]).first()
    client = http(keys.reader)
    body = client.get(f"/api/v2/elevations/{row.guid}").json()
    assert body["project"]["guid"] == str(mirror.projects[0].guid) and body["phase"]["name"] == row.phase.name
    assert body["directory"] == "Demo/Sub" and body["parts_list"]["articles_count"] == 3

    thumbnail = client.get(f"/api/v2/elevations/{row.guid}/thumbnail")
    assert thumbnail.status_code == 200 and thumbnail.headers["content-type"] == "image/png"
    assert thumbnail.content.startswith(b"\x89PNG") and thumbnail.headers["etag"]
    assert client.get(f"/api/v2/elevations/{row.guid}/thumbnail",
                      headers={"If-None-Match": thumbnail.headers["etag"]}).status_code == 304

    stored = PartsList.objects.get(elevation=row)
    sqlite = client.get(f"/api/v2/elevations/{row.guid}/parts-list.sqlite")
    assert sqlite.status_code == 200
    with default_storage.open(stored.file.name, "rb") as handle:
        assert sqlite.content == handle.read()
    assert sqlite.headers["etag"] == f'"{stored.sha256}"'
    assert client.get(f"/api/v2/elevations/{row.guid}/parts-list.sqlite",
                      headers={"If-None-Match": f'"{stored.sha256}"'}).status_code == 304
    assert hashlib.sha256(sqlite.content).hexdigest()


def test_an_elevation_without_thumbnail_or_parts_list_answers_404_with_the_reason(mirror, keys, http):
    row = Elevation.objects.filter(phase__project=mirror.projects[0]).first()
    Elevation.objects.filter(pk=row.pk).update(thumbnail="")
    PartsList.objects.filter(elevation=row).update(file="")
    client = http(keys.reader)
    assert_error(client.get(f"/api/v2/elevations/{row.guid}/thumbnail"), 404, "THUMBNAIL_NOT_FOUND")
    assert_error(client.get(f"/api/v2/elevations/{row.guid}/parts-list.sqlite"), 404, "PARTS_LIST_NOT_FOUND")


def test_the_directory_tree_in_path_order_with_parents(mirror, keys, http):
    body = http(keys.reader).get("/api/v2/directories").json()
    paths = [item["path"] for item in body["items"]]
    assert paths == ["", "Demo", "Demo/Sub"]
    sub = body["items"][2]
    assert sub["parent"] == "Demo" and sub["depth"] == 2 and sub["projects_count"] == 2
    assert body["items"][1]["subdirectories_count"] == 1 and body["items"][0]["parent"] is None


def test_the_docs_page_and_schema_load_nothing_from_outside(live_server, http):
    client = http()
    schema = client.get("/api/v2/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/v2/projects/{guid}" in paths and "/api/v2/sync-requests/{request_id}" in paths
    page = client.get("/api/v2/docs")
    assert page.status_code == 200
    assert "http://" not in page.text.replace(live_server.url, "") and "https://" not in page.text
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "swagger-ui-init.js"):
        assert f"/static/ninja/{asset}" in page.text
        assert client.get(f"/static/ninja/{asset}").status_code == 200
