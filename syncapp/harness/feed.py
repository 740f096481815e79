"""Waiting for the change feed to catch up (tests and benchmarks)."""

import time

from django.db import connection


def wait_feed_settled(timeout: float = 60) -> None:
    """Wait until every change written so far is below the feed's horizon (``syncapp.changefeed``).

    Any transaction open on the server, in any database (another test run, a benchmark),
    holds the horizon back until it ends.
    """
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while True:
            cursor.execute("SELECT coalesce(max(xid) < pg_snapshot_xmin(pg_current_snapshot()), true) "
                           "FROM syncapp_change")
            if cursor.fetchone()[0]:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"changes stayed invisible for {timeout} s: a transaction on the server stays open")
            time.sleep(0.05)
