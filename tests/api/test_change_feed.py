"""GET /api/v2/changes: each kind of change once, nothing missed or doubled under out-of-order commits, 410 past retention."""

import json
import random
import time
import uuid
from datetime import timedelta

import psycopg
import pytest
from django.utils import timezone

from syncapp import changefeed
from syncapp.harness.feed import wait_feed_settled
from syncapp.models import Change, Elevation, PartsList
from syncapp.partslists.apply import parse_stored_parts_list
from syncapp.partslists.store import store_parts_list
from syncapp.sync.reconcile import apply_listing
from syncapp.sync.tombstone import tombstone_elevations

from ..conftest import database_url
from ..partslists.conftest import parts_file
from ..sync import factories
from .conftest import assert_error

pytestmark = pytest.mark.django_db(transaction=True)


def read_all(client, after: str | None = None, limit: int = 50) -> tuple[list[dict], str]:
    """Every change written so far after `after`, page by page; returns them and the cursor to resume from."""
    wait_feed_settled()
    changes = []
    while True:
        params = {"limit": limit, **({"after": after} if after else {})}
        response = client.get("/api/v2/changes", params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        changes += body["changes"]
        after = body["next_cursor"]
        if not body["has_more"]:
            return changes, after


def kinds_of(changes, guid) -> list[tuple]:
    return [(c["kind"], tuple(c["fields"])) for c in changes if c["id"] == str(guid)]


def test_each_kind_of_change_appears_once_with_its_fields(keys, http, settings, tmp_path):
    client = http(keys.reader)
    _, (project,) = factories.fresh_tree(n_projects=1, n_phases=1, n_elevations=4)
    phase = project.phases.get()
    kept, renamed, gone, back = phase.elevations.order_by("pk")
    Elevation.objects.filter(pk=back.pk).update(removed_at=timezone.now())  # removed by an earlier listing
    _, start = read_all(client)

    existing = {str(e.guid): e for e in Elevation.objects.filter(phase=phase)}
    new_guid = uuid.uuid4()
    listed = {str(kept.guid): {"name": kept.name}, str(renamed.guid): {"name": "renamed"},
              str(back.guid): {"name": back.name}, str(new_guid): {"name": "new"}}
    apply_listing(model=Elevation, existing=existing, listed=listed, parent_fields={"phase": phase},
                  key_field="guid", now=timezone.now(), what="test", tombstone=tombstone_elevations)
    Elevation.objects.filter(pk=renamed.pk).update(name="P1")
    renamed.refresh_from_db()
    PartsList.objects.filter(elevation=renamed).delete()
    stored = store_parts_list(elevation=renamed, data=parts_file("P1", str(renamed.guid)),
                              source_changed_date=renamed.changed_date)
    assert parse_stored_parts_list(stored.parts_list.pk) == "parsed"

    changes, _ = read_all(client, start, limit=2)
    assert kinds_of(changes, new_guid) == [("created", ())]
    assert kinds_of(changes, renamed.guid) == [("updated", ("name",)), ("parts_list_parsed", ())]
    assert kinds_of(changes, gone.guid) == [("removed", ())]
    assert kinds_of(changes, back.guid) == [("restored", ())]
    assert kinds_of(changes, kept.guid) == []  # verified, not changed
    assert {c["project"] for c in changes} == {str(project.guid)}
    assert all(c["object_type"] == "elevation" for c in changes)


def _writer(autocommit=False) -> psycopg.Connection:
    return psycopg.connect(database_url(), autocommit=autocommit)


def _insert(conn, label: str) -> int:
    row = conn.execute(
        "INSERT INTO syncapp_change (kind, object_type, object_pk, object_key, fields) "
        "VALUES ('created', 'project', 0, %s, '{}') RETURNING id", [label]).fetchone()
    return row[0]


def test_two_writers_committing_out_of_order_lose_nothing_and_double_nothing():
    """Over many rounds two transactions write, commit (or roll back) in random order, a reader polls between steps.

    Row ids are taken at insert time; a writer that inserted first and commits last makes a
    later id visible before an earlier one. A reader that kept only the highest id it saw
    would skip the earlier row; the feed must not.
    """
    rng = random.Random(18)
    first, second = _writer(), _writer()
    seen, committed, after, out_of_order = [], set(), None, 0

    def poll():
        nonlocal after
        while True:
            page = changefeed.read_page(after, 7)
            seen.extend(row[1] for row in page.rows)
            after = page.next
            if not page.has_more:
                return

    try:
        for round_ in range(150):
            writers = [first, second]
            ids = {id(w): [] for w in writers}
            steps = [w for w in writers for _ in range(rng.randint(1, 3))]
            rng.shuffle(steps)
            for writer in steps:
                ids[id(writer)].append(_insert(writer, f"r{round_}"))
                poll()
            order = writers[:]
            rng.shuffle(order)
            for writer in order:
                if rng.random() < 0.15:
                    writer.rollback()
                else:
                    writer.commit()
                    committed.update(ids[id(writer)])
                poll()
            if min(ids[id(order[0])]) > min(ids[id(order[1])]):
                out_of_order += 1
        wait_feed_settled()
        poll()
    finally:
        first.close()
        second.close()
    assert out_of_order > 30, "the rounds must include commits in the opposite order of the ids"
    assert len(seen) == len(set(seen)), "a change was handed out twice"
    assert set(seen) == committed, f"missed: {sorted(committed - set(seen))[:10]}, extra: {sorted(set(seen) - committed)[:10]}"


def test_an_open_transaction_holds_its_rows_and_every_later_one_back():
    writer = _writer()
    try:
        _insert(writer, "slow")
        with _writer(autocommit=True) as quick:
            _insert(quick, "quick")
        visible = [json.loads(row[2])["id"] for row in changefeed.read_page(None, 100).rows]
        assert "quick" not in visible and "slow" not in visible
        writer.commit()
    finally:
        writer.close()
    wait_feed_settled()
    assert [json.loads(row[2])["id"] for row in changefeed.read_page(None, 100).rows] == ["slow", "quick"]


def test_a_cursor_older_than_retention_answers_410_and_the_feed_restarts_after_the_horizon(keys, http, settings):
    settings.SYNC_RUN_RETENTION_DAYS = 30
    client = http(keys.reader)
    _, (project,) = factories.fresh_tree(n_projects=1, n_phases=1, n_elevations=3)
    tombstone_elevations(Elevation.objects.filter(phase__project=project), timezone.now())
    changes, _ = read_all(client)
    assert len(changes) == 3
    old = Change.objects.order_by("xid", "id")[:2]
    Change.objects.filter(pk__in=[c.pk for c in old]).update(at=timezone.now() - timedelta(days=31))
    assert changefeed.prune_changes() == 2

    detail = assert_error(client.get("/api/v2/changes", params={"after": changes[0]["cursor"]}), 410, "CURSOR_EXPIRED")
    assert "SYNC_RUN_RETENTION_DAYS" in detail["message"] and "without `after`" in detail["message"]
    assert detail["details"]["oldest_cursor"] == changes[1]["cursor"]
    # From the horizon on, and from a fresh start, the kept change comes once.
    assert read_all(client, changes[1]["cursor"])[0] == changes[2:]
    assert read_all(client)[0] == changes[2:]


@pytest.mark.parametrize("after", ["abc", "1-", "-1-2", "1-2-3", "9" * 21 + "-1"])
def test_a_cursor_the_feed_did_not_issue_is_refused(keys, http, after):
    detail = assert_error(http(keys.reader).get("/api/v2/changes", params={"after": after}), 400, "VALIDATION_ERROR")
    assert detail["details"][0]["field"] == "after"


def test_the_feed_needs_the_read_scope(keys, http):
    assert_error(http(keys.syncer).get("/api/v2/changes"), 403, "INSUFFICIENT_SCOPE")
    assert_error(http().get("/api/v2/changes"), 401, "NOT_AUTHENTICATED")
