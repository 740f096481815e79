"""A worker killed with SIGKILL mid-sync: its jobs finish on another worker, nothing runs twice at once,
its upstream session slots come free when their lease ends, and the mirror ends like a clean sync."""

import time

import pytest
from django.utils import timezone

from syncapp.models import SyncRun, UpstreamSessionLease
from syncapp.sync.recovery import INTERRUPTED_ERROR
from syncapp.sync.tick import scheduler_tick

from ..sync.harness import WorkerProcess, running_worker, wait_idle
from . import live, mirror

pytestmark = [pytest.mark.fault, pytest.mark.slow]

LEASE_S = 10  # the shortest lease the settings allow
CAP = 4


def leases_held_by(pid: int):
    return UpstreamSessionLease.objects.filter(holder__contains=f":{pid}:", expires_at__gt=timezone.now())


def test_a_killed_workers_jobs_complete_elsewhere_without_overlap_or_leaked_sessions(
    clean_queue, process_env, tmp_path, tally
):
    reference = live.reference_snapshot(process_env, tmp_path)
    # A slow upstream, so that the kill lands mid-job. It forgets idle tokens after 4 s (the dead
    # worker cannot log out) and does not enforce a cap itself: its peak shows whether we kept ours.
    with live.served_simulator(latency="real", latency_scale=0.05, token_idle_expiry_s=4) as (sim, server):
        env = live.fault_env(process_env, server, tmp_path, LOGIKAL_MAX_SESSIONS=CAP,
                             LOGIKAL_SESSION_LEASE_S=LEASE_S)
        doomed = WorkerProcess(env, name="doomed", concurrency=CAP, log_path=tmp_path / "doomed.log")
        try:
            scheduler_tick()
            live.wait_for(lambda: len(live.running_jobs()) >= 3
                          and SyncRun.objects.filter(outcome="success").count() >= 8, 90, "a sync under way")
            interrupted = live.running_jobs()
            doomed.kill()
        finally:
            doomed.kill()
        killed_at = time.monotonic()
        assert SyncRun.objects.filter(outcome="running").exists()
        assert leases_held_by(doomed.pid).exists()  # its slots stay taken until their lease ends

        with running_worker(env, tmp_path, name="rescuer", concurrency=CAP) as rescuer:
            wait_idle(150, workers=[rescuer])
            stats = sim.stats()
            time.sleep(max(0.0, killed_at + LEASE_S - time.monotonic()))  # the leases' time is up
            dead_leases = leases_held_by(doomed.pid).count()
        # The rescuer logged its own sessions out; the dead worker's were forgotten by the server.
        live.wait_for(lambda: sim.stats()["current_sessions"] == 0, 10, "the server's sessions to end")

    statuses = live.job_statuses(interrupted)
    recovered = live.recovered_jobs(interrupted)
    tally.faults_injected += 1
    tally.jobs_interrupted += len(interrupted)
    tally.jobs_recovered += len(recovered)
    assert sorted(recovered) == sorted(interrupted), statuses
    assert "Stalled job" in rescuer.output()  # the rescuer settled them (retried or merged)

    # One sync of an object at a time; the runs the kill cut short are closed as interrupted.
    assert mirror.overlapping_runs() == []
    assert SyncRun.objects.filter(error=INTERRUPTED_ERROR).exists()
    assert not SyncRun.objects.filter(outcome="running").exists()

    # No session slot outlived its lease, and the server never held more than the cap.
    assert dead_leases == 0
    assert not UpstreamSessionLease.objects.filter(expires_at__gt=timezone.now()).exclude(holder="").exists()
    assert stats["peak_sessions"] <= CAP

    diff = mirror.compare(reference, mirror.snapshot())
    tally.rows_lost += len(diff.lost)
    assert diff.none, diff
