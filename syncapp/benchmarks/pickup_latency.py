"""Time from a forced sync's defer to its job's start, over LISTEN/NOTIFY.

A worker process idles on the queue; each run forces a sync of the root
directory, waits for it to finish, and reads the job's `deferred` and
`started` events (both stamped by PostgreSQL, so one clock). Runs are
sequential: this measures wake-up latency, not throughput.
"""

import os
import statistics
import tempfile
import time

from django.db.models import Max, Q
from procrastinate.contrib.django.models import ProcrastinateEvent

from ..harness.database import database_url, scratch_database
from ..harness.live import running_worker, wait_idle, worker_env

HELP = "p50/p99 milliseconds from a forced sync's defer to its job start (LISTEN/NOTIFY)."


def add_arguments(parser):
    parser.add_argument("--runs", type=int, default=100)


def _latency_ms(job_id: int, timeout: float = 30) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        events = ProcrastinateEvent.objects.filter(job_id=job_id).aggregate(
            deferred=Max("at", filter=Q(type="deferred")), started=Max("at", filter=Q(type="started")))
        if events["started"] is not None:
            return (events["started"] - events["deferred"]).total_seconds() * 1000
        time.sleep(0.01)
    raise RuntimeError(f"job {job_id} did not start within {timeout} s")


def run(options, progress):
    from syncapp.models import Directory
    from syncapp.simulator import Simulator, SimulatorConfig, serve
    from syncapp.sync.force import force_sync

    with scratch_database("pickup"), tempfile.TemporaryDirectory() as media, \
            serve(Simulator(SimulatorConfig(dataset="small", parts_list_size="small"))) as server:
        env = worker_env(os.environ, base_url=server.base_url, database_url=database_url(), media_root=media)
        with running_worker(env, media, concurrency=1) as worker:
            time.sleep(2)  # let the worker start listening
            root = Directory.objects.get(path="")
            samples = []
            for index in range(options["runs"]):
                (job_id,) = force_sync(root).job_ids
                samples.append(_latency_ms(job_id))
                wait_idle(30, queues=("sync",), settle=0.02, workers=[worker])
                if (index + 1) % 25 == 0:
                    progress(f"{index + 1} runs")
        samples.sort()
        yield {
            "runs": len(samples),
            "p50_ms": round(statistics.median(samples), 2),
            "p99_ms": round(samples[max(0, int(len(samples) * 0.99) - 1)], 2),
            "max_ms": round(samples[-1], 2),
            "mean_ms": round(statistics.fmean(samples), 2),
        }
