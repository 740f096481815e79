"""Bad command arguments: one clear line, a non-zero exit, and nothing queued or started."""

import uuid

import pytest
from django.db import connection

from ..staff.conftest import make_tree
from .processes import run_all

GUID = str(uuid.UUID(int=7))

# name -> (arguments, exit status, what the last line of stderr says)
CASES = {
    "force unknown type": (["force_sync", "building", "Alpha"], 2, "argument TYPE: invalid choice: 'building'"),
    "force missing guid": (["force_sync", "project", GUID], 1, f"CommandError: no project matches '{GUID}'"),
    "force missing path": (["force_sync", "elevation", "Alpha/Nowhere/E9"], 1, "CommandError: no elevation matches"),
    "force timeout word": (["force_sync", "project", "Alpha", "--wait", "--timeout", "soon"], 2,
                           "argument --timeout: invalid float value: 'soon'"),
    "force timeout negative": (["force_sync", "project", "Alpha", "--wait", "--timeout", "-5"], 1,
                               "CommandError: --timeout must be a positive number of seconds"),
    "force timeout nan": (["force_sync", "project", "Alpha", "--wait", "--timeout", "nan"], 1,
                          "CommandError: --timeout must be a positive number of seconds"),
    "benchmark unknown": (["benchmark", "fastest"], 2, "argument NAME: invalid choice: 'fastest'"),
    "worker unknown queue": (["sync_worker", "--queues", "nope"], 1,
                             "CommandError: unknown queue(s): nope; choose from scheduler, sync, parser, maintenance"),
    "worker no queue": (["sync_worker", "--queues", " , "], 1, "CommandError: --queues names no queue"),
    "worker concurrency zero": (["sync_worker", "--concurrency", "0"], 1,
                                "CommandError: --concurrency must be between 1 and 64, got 0"),
    "worker concurrency word": (["sync_worker", "--concurrency", "many"], 2,
                                "argument --concurrency: invalid int value: 'many'"),
    "worker shutdown negative": (["sync_worker", "--shutdown-timeout", "-1"], 1,
                                 "CommandError: --shutdown-timeout must be a number of seconds >= 0, got -1.0"),
}


def queue_rows() -> tuple[int, int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT (SELECT count(*) FROM procrastinate_jobs), (SELECT count(*) FROM procrastinate_workers)")
        return cursor.fetchone()


@pytest.fixture
def outcomes(clean_queue, process_env):
    make_tree()
    results = run_all({name: (args, {}) for name, (args, _, _) in CASES.items()}, base_env=process_env, timeout=60)
    return results, queue_rows()


def test_each_bad_argument_gets_one_clear_line_and_changes_nothing(outcomes):
    results, (jobs, workers) = outcomes
    for name, (_, status, ending) in CASES.items():
        result = results[name]
        assert result.returncode == status, (name, result.returncode, result.stderr[-2000:])
        assert "Traceback" not in result.stderr, (name, result.stderr[-2000:])
        last = result.stderr.strip().splitlines()[-1]
        assert ending in last, (name, last)
    # No job was queued (not even a worker's start-up tick) and no worker registered.
    assert (jobs, workers) == (0, 0)
