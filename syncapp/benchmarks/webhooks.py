"""Webhook latency: from a change's commit to its arrival at a local receiver, under a steady stream of sync writes.

In a scratch database: one endpoint (elevation.changed) pointing at a receiver in this
process, a `sync_worker` process on the `webhooks` queue only, and a writer thread that
commits a phase listing every `--interval` seconds the way `sync_phase` does (the phase
locked, `apply_listing` renaming its elevations, feed rows in the same transaction). Each
webhook's latency is its arrival time minus its transaction's commit time (both on this
machine's clock). Target: p50 <= 1 s. Other sessions on the same PostgreSQL server that hold
transactions open delay the feed, and so every webhook, as they would in production.
"""

import json
import statistics
import tempfile
import threading
import time
import uuid

from django.db import connection, connections, transaction
from django.utils import timezone

from syncapp.harness.database import database_url, scratch_database
from syncapp.harness.live import running_worker, worker_env
from syncapp.harness.receiver import serve_receiver

HELP = "Seconds from a change's commit to its webhook at a local receiver, under steady sync writes (p50 target 1 s)."
TARGET_P50_S = 1.0


def add_arguments(parser):
    parser.add_argument("--seconds", type=float, default=30, help="How long the steady writes go on.")
    parser.add_argument("--interval", type=float, default=0.5, help="Seconds between two phase listings.")
    parser.add_argument("--elevations", type=int, default=10, help="Elevations renamed per listing.")
    parser.add_argument("--concurrency", type=int, default=4, help="The worker's concurrency.")


def _writer(phases, options, commits: dict, stop: threading.Event) -> None:
    from syncapp.models import Elevation, Phase
    from syncapp.sync.reconcile import apply_listing
    from syncapp.sync.tombstone import tombstone_elevations

    round_ = 0
    try:
        while not stop.is_set():
            phase = phases[round_ % len(phases)]
            with transaction.atomic():
                locked = Phase.objects.select_for_update().get(pk=phase.pk)
                existing = {str(e.guid): e for e in Elevation.objects.filter(phase=locked)}
                guids = sorted(existing) or [str(uuid.uuid4()) for _ in range(options["elevations"])]
                listed = {guid: {"name": f"E{i} round {round_}"} for i, guid in enumerate(guids)}
                apply_listing(model=Elevation, existing=existing, listed=listed, parent_fields={"phase": locked},
                              key_field="guid", now=timezone.now(), what="bench", tombstone=tombstone_elevations)
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_current_xact_id()::text::bigint")
                    xid = cursor.fetchone()[0]
            commits[xid] = time.time()
            round_ += 1
            stop.wait(options["interval"])
    finally:
        connections.close_all()


def _watch_horizon(commits: dict, visible: dict, stop: threading.Event) -> None:
    """When each committed transaction fell below the feed's horizon (what any other open transaction delays)."""
    try:
        with connection.cursor() as cursor:
            while not stop.is_set():
                cursor.execute("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
                horizon, now = cursor.fetchone()[0], time.time()
                for xid in list(commits):
                    if xid < horizon and xid not in visible:
                        visible[xid] = now
                time.sleep(0.01)
    finally:
        connections.close_all()


def run(options, progress):
    from syncapp.api.clients import create_api_client
    from syncapp.models import Directory, Phase, Project, WebhookDelivery
    from syncapp.webhooks.endpoints import create_endpoint

    with scratch_database("webhooks"), serve_receiver() as receiver, tempfile.TemporaryDirectory() as logs:
        from django.conf import settings

        settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True  # the receiver is on 127.0.0.1
        client = create_api_client(name="bench-hooks", scopes="webhooks").client
        create_endpoint(client=client, url=receiver.url, events=["elevation.changed"])
        project = Project.objects.create(guid=uuid.uuid4(), directory=Directory.objects.get(path=""), name="Bench")
        phases = [Phase.objects.create(project=project, guid=uuid.uuid4(), name=f"Phase {i}") for i in range(4)]
        env = worker_env({}, base_url="http://127.0.0.1:9/none", database_url=database_url(), media_root=logs,
                         WEBHOOK_ALLOW_PRIVATE_ADDRESSES="true", LOG_LEVEL="warning")
        import os

        env = {**os.environ, **env}
        commits: dict[int, float] = {}
        stop = threading.Event()
        with running_worker(env, logs, name="hooks", concurrency=options["concurrency"],
                            extra_args=("--queues", "webhooks")):
            time.sleep(2)  # the worker's start
            progress(f"steady writes for {options['seconds']} s")
            visible: dict[int, float] = {}
            writer = threading.Thread(target=_writer, args=(phases, options, commits, stop), daemon=True)
            watcher_stop = threading.Event()
            watcher = threading.Thread(target=_watch_horizon, args=(commits, visible, watcher_stop), daemon=True)
            writer.start()
            watcher.start()
            time.sleep(options["seconds"])
            stop.set()
            writer.join(timeout=60)
            expected = len(commits) * options["elevations"]
            progress(f"waiting for {expected} webhooks")
            deadline = time.monotonic() + 120
            while len(receiver.received) < expected and time.monotonic() < deadline:
                time.sleep(0.2)
            watcher_stop.set()
            watcher.join(timeout=10)
        latencies = []
        for got in list(receiver.received):
            xid = int(json.loads(got.body)["data"]["cursor"].split("-")[0])
            if xid in commits:
                latencies.append(got.at - commits[xid])
        to_visible = [visible[xid] - at for xid, at in commits.items() if xid in visible]
        # How long dispatch jobs waited for the worker, and ran: medians over their events
        # (percentile_cont), which the ORM does not express.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM s.at - d.at)), "
                "percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM f.at - s.at)), count(*) "
                "FROM procrastinate_jobs j JOIN procrastinate_events d ON d.job_id = j.id AND d.type = 'deferred' "
                "JOIN procrastinate_events s ON s.job_id = j.id AND s.type = 'started' "
                "JOIN procrastinate_events f ON f.job_id = j.id AND f.type IN ('succeeded', 'failed') "
                "WHERE j.task_name = 'dispatch_webhooks'")
            pickup, dispatch_run, dispatch_jobs = cursor.fetchone()
        if not latencies:
            raise RuntimeError("no webhook arrived")
        latencies.sort()
        p50 = statistics.median(latencies)
        lags = list(WebhookDelivery.objects.values_list("committed_at", "created_at", "delivered_at"))
        queued = statistics.median((created - committed).total_seconds() for committed, created, _ in lags)
        sent = statistics.median((delivered - created).total_seconds() for _, created, delivered in lags if delivered)
        yield {
            "case": "commit_to_receiver", "transactions": len(commits), "webhooks_expected": expected,
            "webhooks_received": len(receiver.received),
            "delivered_recorded": WebhookDelivery.objects.filter(status="delivered").count(),
            "p50_s": round(p50, 3), "p95_s": round(latencies[int(len(latencies) * 0.95) - 1], 3),
            "max_s": round(latencies[-1], 3),
            "p50_commit_to_feed_visible_s": round(statistics.median(to_visible), 3) if to_visible else None,
            "p50_write_to_queued_s": round(queued, 3), "dispatch_jobs": dispatch_jobs,
            "p50_dispatch_pickup_s": round(pickup or 0, 3), "p50_dispatch_run_s": round(dispatch_run or 0, 3),
            "p50_queued_to_delivered_s": round(sent, 3), "target_p50_s": TARGET_P50_S, "within_target": p50 <= TARGET_P50_S,
        }
