"""PostgreSQL restarted mid-sync, on a private embedded server: the worker exits at once with status 1,
the supervisor starts a fresh one, and every job completes.

What Procrastinate does by itself: the worker's LISTEN connection breaks, its listener task fails
and the worker stops, finishing its running jobs first; it does not reconnect. `sync_worker` makes
that explicit: such a stop exits with status 1 and one line, so a supervisor (a Procfile platform,
here a loop in the test) starts a fresh worker. A SIGTERM still exits 0.
"""

import os
import sys
import time

import pytest

from syncapp.harness.live import NEVER
from syncapp.harness.live import worker_env as live_worker_env
from syncapp.models.runs import Outcome

from ..conftest import ROOT
from . import live
from .processes import OwnPostgres, Supervisor

pytestmark = [pytest.mark.fault, pytest.mark.slow]

DOWN_S = 2.0


@pytest.fixture
def own_postgres():
    server = OwnPostgres()
    try:
        yield server
    finally:
        server.close()


def migrate(url: str) -> None:
    import subprocess

    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "project.settings"}
    result = subprocess.run([sys.executable, str(ROOT / "manage.py"), "migrate", "--noinput", "-v", "0"],
                            env=env, cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr


def test_a_database_restart_mid_sync_ends_the_worker_the_supervisor_restarts_it_and_every_job_completes(
    own_postgres, tmp_path, tally
):
    db = own_postgres
    migrate(db.url)
    db.query("UPDATE syncapp_objectsyncconfig SET max_attempts = 10, retry_base_seconds = 1, retry_max_seconds = 2")

    with live.served_simulator(latency="real", latency_scale=0.05) as (sim, server):
        env = live_worker_env(dict(os.environ), base_url=server.base_url, database_url=db.url,
                              media_root=tmp_path / "media", SCHEDULER_CRON=NEVER, WORKER_POLL_INTERVAL_S=0.5,
                              LOGIKAL_SESSION_LEASE_S=10)
        with Supervisor(env, tmp_path) as supervisor:  # each worker queues a scheduler tick as it starts
            live.wait_for(lambda: db.value("SELECT count(*) FROM syncapp_syncrun WHERE outcome = 'success'") >= 10
                          and db.value("SELECT count(*) FROM procrastinate_jobs WHERE status = 'doing'") >= 2,
                          90, "a sync under way", interval=0.1)
            interrupted = [row[0] for row in db.query(
                "SELECT id FROM procrastinate_jobs WHERE status = 'doing' AND queue_name IN ('sync', 'parser')")]
            db.stop()
            stopped_at = time.monotonic()
            time.sleep(DOWN_S)
            db.start()

            live.wait_for(lambda: supervisor.exits, 60, "the worker to notice", interval=0.1)
            status, ended_at = supervisor.exits[0]
            live.wait_for(lambda: pending(db) == 0 and pending(db) == 0, 180, "every job to finish", interval=0.5)
            final_status = supervisor.stop()
        output = supervisor.output()
        upstream = upstream_counts(sim)

    # The worker that lost its database said so and failed, promptly; the fresh one stopped cleanly.
    assert status == 1, output
    assert ended_at - stopped_at < 45, output
    assert "exiting so that a supervisor starts a fresh worker" in output
    assert final_status == 0, output

    statuses = dict(db.query("SELECT id, status::text FROM procrastinate_jobs WHERE id = ANY(%s)", [interrupted]))
    recovered = sorted(row[0] for row in db.query(live.RECOVERED_SQL, [interrupted]))
    tally.faults_injected += 1
    tally.jobs_interrupted += len(interrupted)
    tally.jobs_recovered += len(recovered)
    assert interrupted and sorted(recovered) == sorted(interrupted), statuses

    failed = db.query(live.LOST_SQL)
    assert failed == [], failed
    assert db.value("SELECT count(*) FROM syncapp_syncrun WHERE outcome = %s", [Outcome.RUNNING]) == 0
    # The whole tree arrived, nothing was tombstoned, every wanted parts list was parsed.
    mirrored = mirror_counts(db)
    tally.rows_lost += sum(max(0, upstream[kind] - mirrored[kind]) for kind in upstream)
    assert mirrored == upstream
    assert db.value("SELECT count(*) FROM syncapp_elevation e JOIN syncapp_partslist p ON p.elevation_id = e.id "
                    "WHERE NOT e.is_in_recycle_bin AND p.parse_status = 'parsed'") == upstream["parts_lists"]


def pending(db: OwnPostgres) -> int:
    return db.value("SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing') "
                    "AND queue_name IN ('sync', 'parser')")


def mirror_counts(db: OwnPostgres) -> dict:
    counts = {kind: db.value(f"SELECT count(*) FROM syncapp_{kind} WHERE removed_at IS NULL")  # noqa: S608
              for kind in ("directory", "project", "phase", "elevation")}
    counts["parts_lists"] = db.value("SELECT count(*) FROM syncapp_elevation WHERE NOT is_in_recycle_bin")
    return counts


def upstream_counts(sim) -> dict:
    projects = list(sim.iter_projects())
    phases = [(p, ph) for p in projects for ph in sim.phases_of(p.id)]
    elevations = [e for p, ph in phases for e in sim.elevations_of(p.id, ph.id)]
    return {"directory": len(list(sim.iter_directories())) + 1, "project": len(projects), "phase": len(phases),
            "elevation": len(elevations), "parts_lists": sum(1 for e in elevations if not e.is_in_recycle_bin)}
