"""Keyset pages, changed_since and its watermark, conditional GETs, and bad input."""

import threading
import uuid
from datetime import timedelta

from django.db import connection, connections
from django.utils import timezone

from syncapp.models import Elevation, Phase, Project
from syncapp.sync.changes import record_content_changes

from ..sync import factories
from .conftest import assert_error


def walk(client, params: dict, on_page=None) -> list[dict]:
    items, url, pages = [], "/api/v2/projects", 0
    response = client.get(url, params=params)
    while True:
        assert response.status_code == 200, response.text
        body = response.json()
        items += body["items"]
        pages += 1
        if on_page:
            on_page(pages)
        if not body["next_url"]:
            return items
        response = client.get(body["next_url"])


def test_pages_read_while_syncs_insert_skip_nothing_and_double_nothing(mirror, keys, http):
    top = mirror.directory
    for _ in range(40):
        factories.project(top, listed_minutes_ago=1)
    before = {str(guid) for guid in Project.objects.values_list("guid", flat=True)}
    inserted = []

    def insert_concurrently(page: int) -> None:
        # Another connection commits new projects (and renames an old one) between two pages.
        def work():
            for _ in range(5):
                inserted.append(str(factories.project(top, listed_minutes_ago=1).guid))
            Project.objects.filter(guid=sorted(before)[0]).update(name="AAA renamed mid-walk")
            connections.close_all()
        thread = threading.Thread(target=work)
        thread.start()
        thread.join()

    seen = [item["guid"] for item in walk(http(keys.reader), {"limit": 7}, on_page=insert_concurrently)]
    assert len(seen) == len(set(seen)), "a project came twice"
    assert before <= set(seen), "a project that existed before the walk was skipped"
    assert set(seen) - before <= set(inserted)


def test_changed_since_finds_projects_changed_below_and_the_watermark_misses_nothing(mirror, keys, http):
    client = http(keys.reader)
    first = client.get("/api/v2/projects").json()
    mark = first["next_changed_since"]
    assert client.get("/api/v2/projects", params={"changed_since": mark}).json()["count"] == 0

    quiet, touched = mirror.projects
    elevation = Elevation.objects.filter(phase__project=touched).first()
    record_content_changes(Elevation, [elevation])  # e.g. its parts list was parsed again
    changed = client.get("/api/v2/projects", params={"changed_since": mark}).json()
    assert [item["guid"] for item in changed["items"]] == [str(touched.guid)]
    assert changed["items"][0]["tree_changed_at"] >= mark


def test_an_uncommitted_change_holds_the_watermark_back(mirror, keys, http):
    """A sync that has written but not committed keeps next_changed_since before its stamps."""
    client = http(keys.reader)
    started, release = threading.Event(), threading.Event()

    def slow_sync():
        from django.db import transaction

        with transaction.atomic():
            record_content_changes(Phase, [Phase.objects.filter(project=mirror.projects[0]).first()])
            started.set()
            release.wait(30)
        connections.close_all()

    thread = threading.Thread(target=slow_sync)
    thread.start()
    assert started.wait(30)
    mark = client.get("/api/v2/projects").json()["next_changed_since"]
    release.set()
    thread.join()
    after = client.get("/api/v2/projects", params={"changed_since": mark}).json()
    assert str(mirror.projects[0].guid) in [item["guid"] for item in after["items"]]


def test_conditional_gets_answer_304_until_something_changes(mirror, keys, http):
    client = http(keys.reader)
    project = mirror.projects[0]
    for path in ("/api/v2/projects", f"/api/v2/projects/{project.guid}", "/api/v2/directories",
                 f"/api/v1/odoo/projects/{project.guid}"):
        first = client.get(path)
        etag, modified = first.headers["etag"], first.headers.get("last-modified")
        again = client.get(path, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
        if modified:
            assert client.get(path, headers={"If-Modified-Since": modified}).status_code == 304
    detail = f"/api/v2/projects/{project.guid}"
    first = client.get(detail)
    Project.objects.filter(pk=project.pk).update(synced_at=timezone.now() + timedelta(seconds=2))
    changed = client.get(detail, headers={"If-None-Match": first.headers["etag"]})
    assert changed.status_code == 200 and changed.headers["etag"] != first.headers["etag"]
    changed_by_date = client.get(detail, headers={"If-Modified-Since": first.headers["last-modified"]})
    assert changed_by_date.status_code == 200


def test_removed_objects_are_left_out_unless_asked_for(mirror, keys, http):
    client = http(keys.reader)
    gone = mirror.projects[1]
    Project.objects.filter(pk=gone.pk).update(removed_at=timezone.now())
    listed = [item["guid"] for item in client.get("/api/v2/projects").json()["items"]]
    assert str(gone.guid) not in listed
    everything = client.get("/api/v2/projects", params={"include_removed": "true"}).json()["items"]
    assert {item["guid"]: item["state"] for item in everything}[str(gone.guid)] == "removed"
    assert client.get(f"/api/v2/projects/{gone.guid}").json()["state"] == "removed"


def test_filters_by_directory_subtree_and_search(mirror, keys, http):
    other = factories.directory("Other", listed_minutes_ago=1)
    stray = factories.project(other, name="Stray", job_number="DOS-42", listed_minutes_ago=1)
    client = http(keys.reader)
    demo = client.get("/api/v2/projects", params={"directory": "Demo"}).json()["items"]
    assert {item["guid"] for item in demo} == {str(p.guid) for p in mirror.projects}
    assert [i["guid"] for i in client.get("/api/v2/projects", params={"search": "dos-4"}).json()["items"]] == [str(stray.guid)]
    assert client.get("/api/v2/projects", params={"directory": "/"}).json()["count"] == 3


def test_bad_input_gets_one_clear_error_and_changes_nothing(mirror, keys, http):
    client = http(keys.both)
    rows_before = (Project.objects.count(), Elevation.objects.count())
    cases = [
        ("/api/v2/projects/not-a-guid", {}, "guid"),
        ("/api/v2/elevations/1234/thumbnail", {}, "guid"),
        ("/api/v2/projects", {"limit": "0"}, "limit"),
        ("/api/v2/projects", {"limit": "501"}, "limit"),
        ("/api/v2/projects", {"limit": "ten"}, "limit"),
        ("/api/v2/projects", {"cursor": "garbage!"}, "cursor"),
        ("/api/v2/projects", {"cursor": "eyJhIjotMSwidyI6IngifQ"}, "cursor"),
        ("/api/v2/projects", {"changed_since": "yesterday"}, "changed_since"),
        ("/api/v2/projects", {"changed_since": "2026-13-45T00:00:00Z"}, "changed_since"),
        ("/api/v2/projects", {"include_removed": "maybe"}, "include_removed"),
        ("/api/v2/projects", {"search": "x" * 201}, "search"),
        (f"/api/v2/projects/{mirror.projects[0].guid}", {"include": "articles,drawings"}, "include"),
    ]
    for path, params, field in cases:
        detail = assert_error(client.get(path, params=params), 400, "VALIDATION_ERROR")
        assert field in detail["message"], (path, params, detail)
    assert_error(client.get(f"/api/v2/projects/{uuid.uuid4()}"), 404, "PROJECT_NOT_FOUND")
    assert_error(client.get("/api/v2/projects", params={"directory": "Nowhere"}), 404, "DIRECTORY_NOT_FOUND")
    assert_error(client.post("/api/v2/projects/xyz/sync"), 400, "VALIDATION_ERROR")
    assert_error(client.post(f"/api/v2/projects/{uuid.uuid4()}/sync"), 404, "PROJECT_NOT_FOUND")
    assert_error(client.get("/api/v2/sync-requests/nope"), 400, "VALIDATION_ERROR")
    assert_error(client.get(f"/api/v2/sync-requests/{uuid.uuid4()}"), 404, "SYNC_REQUEST_NOT_FOUND")
    assert (Project.objects.count(), Elevation.objects.count()) == rows_before
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM procrastinate_jobs")
        assert cursor.fetchone()[0] == 0
