"""A real worker killed with SIGKILL mid-parse: the stalled-job recovery finishes the parse."""

import signal
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.db import connection

from syncapp.models import PartsList, PartsListArticle, PartsListProfile
from syncapp.partslists.jobs import defer_parse_jobs
from syncapp.partslists.store import store_parts_list

from ..conftest import ROOT
from .conftest import CHANGED, edited, make_elevation, parts_file

BULK_ROWS = 30_000  # enough rows that the parse takes seconds: time to kill it mid-way
NEVER = "0 0 1 1 *"


def big_parts_file() -> bytes:
    return edited(
        parts_file(),
        ("WITH RECURSIVE n(i) AS (SELECT 1000 UNION ALL SELECT i + 1 FROM n WHERE i < 1000 + ?) "
         "INSERT INTO Articles (ArticleID, ArticleCode, Description, Amount, Color) "
         "SELECT i, 'A-' || i, 'bulk article ' || i, i % 7, 'RAL 9016' FROM n", (BULK_ROWS - 1,)),
        ("WITH RECURSIVE n(i) AS (SELECT 1000 UNION ALL SELECT i + 1 FROM n WHERE i < 1000 + ?) "
         "INSERT INTO Profiles (ProfileID, ArticleCode, Description, Length, Color, Price) "
         "SELECT i, 'P-' || i, 'bulk profile ' || i, 1000 + i % 5000, 'RAL 7016', 12.5 FROM n", (BULK_ROWS - 1,)),
    )


def start_worker(env: dict, name: str, log_path, **overrides) -> subprocess.Popen:
    env = {**env, "SCHEDULER_CRON": NEVER, "BACKGROUND_SYNC_ENABLED": "false",
           "MEDIA_ROOT": str(settings.MEDIA_ROOT), **overrides}
    return subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "sync_worker", "--no-initial-tick", "--concurrency", "1",
         "--name", name],
        env=env, cwd=ROOT, stdout=log_path.open("w"), stderr=subprocess.STDOUT,
    )


def wait_for(condition, timeout: float, what: str, worker: subprocess.Popen, log_path, interval=0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if worker.poll() is not None:
            raise AssertionError(f"worker exited while waiting for {what}:\n{log_path.read_text()[-3000:]}")
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}:\n{log_path.read_text()[-3000:]}")


def status(parts_list_id: int) -> str:
    return PartsList.objects.filter(pk=parts_list_id).values_list("parse_status", flat=True).get()


def job_statuses() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT status FROM procrastinate_jobs WHERE task_name = 'parse_parts_list' ORDER BY id")
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.slow
def test_a_worker_killed_mid_parse_leaves_no_partial_rows_and_recovery_finishes_the_parse(
    clean_queue, process_env, tmp_path
):
    elevation = make_elevation()
    data = big_parts_file()
    parts_list = store_parts_list(elevation=elevation, data=data, source_changed_date=CHANGED).parts_list
    assert defer_parse_jobs([parts_list.pk]) == [parts_list.pk]

    doomed_log = tmp_path / "doomed.log"
    doomed = start_worker(process_env, "doomed", doomed_log)
    try:
        wait_for(lambda: status(parts_list.pk) == "parsing", 60, "the parse to start", doomed, doomed_log)
        time.sleep(0.3)  # into the read or the bulk insert
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(timeout=10)
    finally:
        if doomed.poll() is None:
            doomed.kill()

    # Killed mid-parse: the claim is visible, none of the half-written rows are.
    assert status(parts_list.pk) == "parsing"
    assert not PartsListArticle.objects.filter(parts_list=parts_list).exists()
    assert job_statuses() == ["doing"]

    # Time passes for the dead worker (instead of the test waiting out the heartbeat timeout).
    with connection.cursor() as cursor:
        cursor.execute("UPDATE procrastinate_workers SET last_heartbeat = now() - interval '1 hour' WHERE id IN "
                       "(SELECT worker_id FROM procrastinate_jobs WHERE task_name = 'parse_parts_list')")
        assert cursor.rowcount == 1

    rescuer_log = tmp_path / "rescuer.log"
    rescuer = start_worker(process_env, "rescuer", rescuer_log,
                           STALLED_JOB_SECONDS="15", STALLED_JOB_CHECK_CRON="* * * * * */1")
    try:
        wait_for(lambda: status(parts_list.pk) == "parsed", 120, "the recovered parse", rescuer, rescuer_log,
                 interval=0.2)
    finally:
        rescuer.send_signal(signal.SIGTERM)
        rescuer.wait(timeout=30)

    assert PartsListArticle.objects.filter(parts_list=parts_list).count() > BULK_ROWS
    assert PartsListProfile.objects.filter(parts_list=parts_list).count() > BULK_ROWS
    assert job_statuses() == ["succeeded"]
    assert "retried in place" in rescuer_log.read_text()  # syncapp.sync.rescue settled it
