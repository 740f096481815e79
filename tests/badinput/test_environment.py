"""A bad environment variable stops start-up with one line naming it (more cases than test_foundation's)."""

import os

import pytest

from .processes import run_all

CASES = {
    "concurrency zero": ("WORKER_CONCURRENCY", "0", "WORKER_CONCURRENCY: must be at least 1, got 0"),
    "concurrency word": ("WORKER_CONCURRENCY", "four", "WORKER_CONCURRENCY: expected an integer, got 'four'"),
    "concurrency huge": ("WORKER_CONCURRENCY", "100000", "WORKER_CONCURRENCY: must be at most 64"),
    "cron garbage": ("SCHEDULER_CRON", "garbage", "SCHEDULER_CRON: expected a cron expression"),
    "cron short": ("SCHEDULER_CRON", "*/5 * * *", "SCHEDULER_CRON: expected a cron expression"),
    "stalled cron range": ("STALLED_JOB_CHECK_CRON", "61 * * * *",
                           "STALLED_JOB_CHECK_CRON: expected a cron expression"),
    "stalled seconds low": ("STALLED_JOB_SECONDS", "5", "STALLED_JOB_SECONDS: must be at least 15, got 5"),
    "poll nan": ("WORKER_POLL_INTERVAL_S", "nan", "WORKER_POLL_INTERVAL_S: expected a finite number"),
    "poll zero": ("WORKER_POLL_INTERVAL_S", "0", "WORKER_POLL_INTERVAL_S: must be at least 0.1"),
    "lease word": ("LOGIKAL_SESSION_LEASE_S", "ninety", "LOGIKAL_SESSION_LEASE_S: expected an integer"),
    "read timeout zero": ("LOGIKAL_READ_TIMEOUT_S", "0", "LOGIKAL_READ_TIMEOUT_S: must be at least 1"),
    "time zone": ("TIME_ZONE", "Mars/Olympus", "TIME_ZONE: unknown time zone 'Mars/Olympus'"),
    "conn max age": ("DB_CONN_MAX_AGE", "-1", "DB_CONN_MAX_AGE: must be at least 0"),
    "parts list size unit": ("PARTS_LIST_MAX_BYTES", "32MB", "PARTS_LIST_MAX_BYTES: expected an integer"),
    "jobs per tick zero": ("SCHEDULER_MAX_JOBS_PER_TICK", "0", "SCHEDULER_MAX_JOBS_PER_TICK: must be at least 1"),
    "log level": ("LOG_LEVEL", "verbose", "LOG_LEVEL: expected one of"),
    "auth limit zero": ("AUTH_FAILURE_LIMIT", "0", "AUTH_FAILURE_LIMIT: must be at least 1, got 0"),
    "renamed api limit": ("API_AUTH_FAILURE_LIMIT", "5", "API_AUTH_FAILURE_LIMIT: renamed to AUTH_FAILURE_LIMIT"),
    "idle timeout short": ("SESSION_IDLE_TIMEOUT_S", "5", "SESSION_IDLE_TIMEOUT_S: must be at least 60, got 5"),
}


@pytest.fixture(scope="module")
def outcomes():
    base = dict(os.environ)
    base.setdefault("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    cases = {key: (["check"], {variable: value}) for key, (variable, value, _) in CASES.items()}
    # The worker itself, not only `check`, refuses a bad schedule before it touches anything.
    cases["worker cron"] = (["sync_worker", "--one-shot"], {"SCHEDULER_CRON": "every five minutes"})
    return run_all(cases, base_env=base)


@pytest.mark.parametrize("case", sorted(CASES))
def test_it_refuses_the_value_with_one_line_naming_the_variable(outcomes, case):
    _, _, expected = CASES[case]
    result = outcomes[case]
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Configuration error: ") and expected in lines[0], lines[0]


def test_the_worker_refuses_a_bad_schedule_at_start(outcomes):
    result = outcomes["worker cron"]
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "Configuration error: SCHEDULER_CRON: expected a cron expression (5 fields, or 6 with seconds), "
        "got 'every five minutes'"
    ]
