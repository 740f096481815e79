"""Issue 12, as an operator met it: two supervised workers sync through an upstream that answers some
requests with 5xx and caps its sessions; one worker is SIGKILLed, every database connection of the app is
terminated (what a managed PostgreSQL failover does), the other worker is SIGKILLed. Meanwhile ticks queue
the same objects again beside their running jobs, so failed attempts meet newer jobs waiting for the same
object: the collision that wedged jobs in Procrastinate's in-place retry.

The queue must drain by itself, every job end (succeeded, or handed on to a later job of its object that
succeeded), no object stay blocked, the mirror equal a clean sync, the upstream never see more sessions than
LOGIKAL_MAX_SESSIONS, and a forced sync of the whole tree complete.
"""

import time

import pytest
from django.db import connection

from syncapp.models import SyncRun

from ..conftest import manage
from ..sync.harness import pending_jobs
from . import live, mirror
from .processes import Supervisor

pytestmark = [pytest.mark.fault, pytest.mark.slow]

CAP = 3  # the upstream's own session limit, and ours
STALLED_S = 15
# A job of a killed worker is found once its last heartbeat (Procrastinate beats every 10 s) is
# STALLED_S old, at the next rescue round (every 5 s); add the time it ran before the kill, which a
# slow upstream (2 s timeouts, a 10 s wait for a session slot) and a loaded machine stretch.
BLOCKED_LIMIT_S = STALLED_S + 10 + 5 + 30


def terminate_app_connections() -> int:
    """pg_terminate_backend on every other connection to the test database: all the workers' own."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                       "WHERE datname = current_database() AND pid <> pg_backend_pid()")
        return cursor.fetchone()[0]


def longest_running_job_s() -> float:
    """How long the longest-running sync or parse job has been running now (its last start)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(max(extract(epoch FROM now() - e.started)), 0) FROM procrastinate_jobs j "
            "JOIN LATERAL (SELECT max(at) AS started FROM procrastinate_events "
            "              WHERE job_id = j.id AND type = 'started') e ON true "
            "WHERE j.status = 'doing' AND j.queue_name IN ('sync', 'parser')")
        return float(cursor.fetchone()[0])


def merged_attempts() -> int:
    """Failed attempts whose work went to a job that already waited (not a retry they queued)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM syncapp_syncrun r JOIN procrastinate_jobs j ON j.id = r.next_job_id "
            "WHERE r.outcome = 'retrying' AND (j.args->>'retry_of') IS DISTINCT FROM r.job_id::text")
        return cursor.fetchone()[0]


def test_failover_and_killed_workers_beside_colliding_retries_leave_no_job_wedged(
    clean_queue, process_env, tmp_path, tally
):
    reference = live.reference_snapshot(process_env, tmp_path)
    live.fast_retries()
    with live.served_simulator(latency="real", latency_scale=0.05, max_sessions=CAP,
                               token_idle_expiry_s=3) as (sim, server):
        env = live.fault_env(process_env, server, tmp_path, LOGIKAL_MAX_SESSIONS=CAP, LOGIKAL_SESSION_LEASE_S=10,
                             LOGIKAL_SESSION_WAIT_S=10, STALLED_JOB_SECONDS=STALLED_S)
        sim.set_faults(server_error={"rate": 0.1})
        with Supervisor(env, tmp_path, name="a") as left, Supervisor(env, tmp_path, name="b") as right:
            from syncapp.sync.tick import scheduler_tick

            live.wait_for(lambda: SyncRun.objects.filter(outcome="success").count() >= 10
                          and len(live.running_jobs()) >= 2, 120, "the sync under way", interval=0.1)
            scheduler_tick()  # the objects not yet synced are queued again beside their running jobs
            left.kill()
            time.sleep(1.0)
            scheduler_tick()
            terminated = terminate_app_connections()
            time.sleep(3.0)  # the workers' jobs meet the dead connections before the second kill
            right.kill()
            last_fault = time.monotonic()

            longest = 0.0
            quiet = 0
            while quiet < 2:
                assert time.monotonic() - last_fault < 300, (
                    f"{pending_jobs()} jobs still pending 300 s after the last fault:\n"
                    f"{left.output()[-3000:]}\n{right.output()[-3000:]}")
                connection.close()  # the test's own connection was spared; stay independent of it
                longest = max(longest, longest_running_job_s())
                quiet = quiet + 1 if pending_jobs() == 0 else 0
                time.sleep(0.5)
            drained_s = time.monotonic() - last_fault
            stats = sim.stats()

            sim.clear_faults()
            forced = manage("force_sync", "directory", "/", "--subtree", "--wait", "--timeout", "180",
                            env=env, timeout=240)
            exits = left.exits + right.exits
        output = left.output() + right.output()

    fired = sum(stats["faults_fired"].values())
    merged = merged_attempts()
    wedged = pending_jobs()
    print(f"\nfailover: {terminated} connections terminated, {fired} upstream faults, {merged} failed attempts "
          f"merged into a waiting job, queue empty {drained_s:.1f} s after the last fault, longest-running job "
          f"{longest:.1f} s, peak upstream sessions {stats['peak_sessions']}, refused logins "
          f"{stats['refused_logins']}, worker exits {[status for status, _ in exits]}")
    tally.faults_injected += fired + 3
    tally.jobs_wedged += wedged

    assert forced.returncode == 0, forced.stderr[-3000:]
    assert wedged == 0
    assert live.lost_jobs() == []
    assert live.retrying_runs_left_behind() == []
    assert not SyncRun.objects.filter(outcome="running").exists()
    assert longest < BLOCKED_LIMIT_S, output[-5000:]
    assert stats["refused_logins"] == 0 and stats["peak_sessions"] <= CAP, stats
    assert mirror.overlapping_runs() == []

    diff = mirror.compare(reference, mirror.snapshot())
    tally.rows_lost += len(diff.lost)
    assert diff.none, diff
