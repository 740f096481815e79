"""Reading the change feed: changes per second through GET /api/v2/changes (target >= 20,000/s).

Writes `--changes` feed rows in a scratch database, in `--transactions` transactions (so the
feed's order spans many transaction ids, as a day of syncs leaves it), then walks the whole
feed page by page with Django's test client (the time inside Django: authentication, the
query, the JSON). `changes_per_s` is the changes read over the walk's wall time.

Then the cost of writing them (target: <= 10 % of a full sync), as an A/B in one process:
the sync's own listing writes (`apply_listing` creating 20 elevations in a phase, then
changing all 20, each in its phase's transaction with the phase locked, as `sync_phase` does)
with the feed rows and with them switched off, in alternating rounds so that the machine's
load falls on both alike. This leaves out the upstream calls, the job queue and the parsing,
so `write_overhead_pct` is an upper bound of the share in a whole sync; `benchmark full-sync`
before and after gives the whole-sync figure.
"""

import statistics
import time
import uuid

from django.db import connection, transaction
from django.test import Client

from syncapp.api.clients import create_api_client
from syncapp.harness.database import scratch_database
from syncapp.harness.feed import wait_feed_settled
from syncapp.sync import changes as change_writer

HELP = "Changes per second read through GET /api/v2/changes."
TARGET_PER_S = 20_000


def add_arguments(parser):
    parser.add_argument("--changes", type=int, default=200_000)
    parser.add_argument("--transactions", type=int, default=400)
    parser.add_argument("--limit", type=int, default=5000, help="Page size (the API allows up to 5,000).")
    parser.add_argument("--walks", type=int, default=3, help="Whole-feed walks; the figures are the best and median.")
    parser.add_argument("--write-rounds", type=int, default=60,
                        help="Phases listed per mode (20 elevations created, then all 20 changed); 0: skip.")


def _fill(changes: int, transactions: int) -> None:
    """Rows shaped as syncs write them: elevation updates with two field names, under some projects."""
    per = max(1, changes // transactions)
    written = 0
    while written < changes:
        count = min(per, changes - written)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO syncapp_change (kind, object_type, object_pk, object_key, project_guid, directory_id, fields) "
                "SELECT 'updated', 'elevation', g, md5(g::text)::uuid::text, md5((g / 100)::text)::uuid, g / 2000, "
                "'{name,changed_date}' FROM generate_series(%s, %s) g",
                [written + 1, written + count],
            )
        written += count
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE syncapp_change")
    wait_feed_settled()


def _walk(client: Client, limit: int) -> tuple[int, float, list[float]]:
    read, pages, after = 0, [], None
    started = time.perf_counter()
    while True:
        url = f"/api/v2/changes?limit={limit}" + (f"&after={after}" if after else "")
        page_started = time.perf_counter()
        response = client.get(url)
        pages.append((time.perf_counter() - page_started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}: {response.content[:300]!r}")
        body = response.json()
        read += body["count"]
        after = body["next_cursor"]
        if not body["has_more"]:
            return read, time.perf_counter() - started, pages


def run(options, progress):
    with scratch_database("changefeed"):
        progress(f"writing {options['changes']} changes in {options['transactions']} transactions")
        _fill(options["changes"], options["transactions"])
        key = create_api_client(name="bench", scopes="read").key
        client = Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Bearer {key}")
        rates, page_ms = [], []
        for walk in range(options["walks"]):
            progress(f"walk {walk + 1} of {options['walks']}")
            read, wall, pages = _walk(client, options["limit"])
            if read != options["changes"]:
                raise RuntimeError(f"the walk read {read} changes of {options['changes']}")
            rates.append(read / wall)
            page_ms += pages
        best = max(rates)
        yield {
            "case": "feed_read", "changes": options["changes"], "limit": options["limit"],
            "changes_per_s": round(best), "changes_per_s_median": round(statistics.median(rates)),
            "page_p50_ms": round(statistics.median(page_ms), 1), "page_max_ms": round(max(page_ms), 1),
            "target_per_s": TARGET_PER_S, "within_target": statistics.median(rates) >= TARGET_PER_S,
        }
        if options["write_rounds"] > 0:
            yield _write_overhead(options["write_rounds"], progress)


def _listing_pass(phase, names: str) -> float:
    from django.utils import timezone

    from syncapp.models import Elevation, Phase
    from syncapp.sync.reconcile import apply_listing
    from syncapp.sync.tombstone import tombstone_elevations

    started = time.perf_counter()
    with transaction.atomic():
        phase = Phase.objects.select_for_update().get(pk=phase.pk)
        existing = {str(e.guid): e for e in Elevation.objects.filter(phase=phase)}
        guids = sorted(existing) or [str(uuid.uuid4()) for _ in range(20)]
        listed = {guid: {"name": f"{names} {i}", "amount": 1.0, "width": 1230.0, "height": 1480.0}
                  for i, guid in enumerate(guids)}
        apply_listing(model=Elevation, existing=existing, listed=listed, parent_fields={"phase": phase},
                      key_field="guid", now=timezone.now(), what="bench", tombstone=tombstone_elevations)
    return time.perf_counter() - started


def _write_overhead(rounds: int, progress) -> dict:
    """Alternating rounds of the same listing writes with and without feed rows."""
    from syncapp.models import Directory, Phase, Project

    root = Directory.objects.get(path="")
    project = Project.objects.create(guid=uuid.uuid4(), directory=root, name="Bench")
    real_writer = change_writer.write_feed_rows
    seconds = {"with_feed": 0.0, "without_feed": 0.0}
    try:
        for index in range(rounds):
            order = ("with_feed", "without_feed") if index % 2 == 0 else ("without_feed", "with_feed")
            for mode in order:
                change_writer.write_feed_rows = real_writer if mode == "with_feed" else (lambda *args: None)
                phase = Phase.objects.create(project=project, guid=uuid.uuid4(), name=f"{mode} {index}")
                seconds[mode] += _listing_pass(phase, "created") + _listing_pass(phase, "renamed")
            if index % 20 == 19:
                progress(f"write round {index + 1} of {rounds}")
    finally:
        change_writer.write_feed_rows = real_writer
    overhead = (seconds["with_feed"] - seconds["without_feed"]) / seconds["without_feed"] * 100
    return {"case": "sync_write_overhead", "phases_per_mode": rounds, "elevation_writes_per_mode": rounds * 40,
            "with_feed_s": round(seconds["with_feed"], 2), "without_feed_s": round(seconds["without_feed"], 2),
            "write_overhead_pct": round(overhead, 1), "target_pct": 10, "within_target": overhead <= 10}
