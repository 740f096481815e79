"""Time one scheduler tick over a large mirror in a scratch database.

Scenarios (one JSON line each): `all_due` (everything past its interval: the
root listing covers it all, one job), `projects_due` (directories fresh, every
project's phase listing due: one job per project), `elevations_changed`
(everything listed, every elevation changed upstream: one job per elevation).
`elevations_changed_next_tick` is the next tick over the same backlog, with the first
tick's jobs still waiting. `statements` is the SQL statement count of the tick; it must
not depend on the tree size. A tick queues at most SCHEDULER_MAX_JOBS_PER_TICK jobs, the
most recently changed projects' first (`jobs_due` counts the whole due set in SQL,
`jobs_waiting` those of them already queued).
"""

import time

from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from syncapp.models import Directory, Elevation, Phase, Project

from ..harness.database import scratch_database
from ..harness.mirror import build_mirror

HELP = "Seconds, SQL statements and jobs of one scheduler tick over ~100,000 elevations."


def add_arguments(parser):
    parser.add_argument("--directories", type=int, default=50)
    parser.add_argument("--projects", type=int, default=1000)
    parser.add_argument("--phases", type=int, default=5000)
    parser.add_argument("--elevations", type=int, default=100000)


def _tick() -> dict:
    from syncapp.sync.tick import scheduler_tick

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        tick = scheduler_tick()
        wall = time.perf_counter() - started
    from syncapp.sync.planner import count_due

    from syncapp.sync.capacity_data import current_estimate

    counts = count_due().values()
    started = time.perf_counter()
    estimate = current_estimate()  # what the dashboard and /metrics compute once per CAPACITY_CACHE_S
    capacity_s = time.perf_counter() - started
    return {"wall_s": round(wall, 3), "statements": len(queries), "jobs_deferred": tick.jobs_deferred,
            "jobs_due": sum(c["due"] for c in counts), "jobs_waiting": sum(c["waiting"] for c in counts),
            "capacity_estimate_s": round(capacity_s, 3), "needed_sessions": round(estimate.needed_sessions, 2)}


def _clear_jobs() -> None:
    # TRUNCATE: the scratch database's queue emptied at once (Procrastinate's models are read-only).
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE procrastinate_jobs, procrastinate_events RESTART IDENTITY CASCADE")


def run(options, progress):
    sizes = {k: options[k] for k in ("directories", "projects", "phases", "elevations")}
    with scratch_database("tick"):
        progress(f"building a mirror of {sizes}")
        build_mirror(**sizes, progress=progress)
        now = timezone.now()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

        progress("scenario all_due")
        yield {"scenario": "all_due", **sizes, **_tick()}
        _clear_jobs()

        # As the listings leave them: a listing verifies the children it lists (synced_at).
        Directory.objects.update(listed_at=now, synced_at=now)
        Project.objects.update(synced_at=now)
        progress("scenario projects_due")
        yield {"scenario": "projects_due", **sizes, **_tick()}
        _clear_jobs()

        Project.objects.update(listed_at=now)
        Phase.objects.update(listed_at=now, synced_at=now)
        Elevation.objects.update(synced_at=now)
        Elevation.objects.update(changed_date=F("changed_date") + timezone.timedelta(minutes=1))
        progress("scenario elevations_changed")
        yield {"scenario": "elevations_changed", **sizes, **_tick()}
        # The same backlog one tick later: what the first tick queued still waits and is skipped in SQL.
        progress("scenario elevations_changed_next_tick")
        yield {"scenario": "elevations_changed_next_tick", **sizes, **_tick()}
