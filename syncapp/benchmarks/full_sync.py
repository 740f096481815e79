"""A first full sync of a simulator data set, then an unchanged re-sync, through the real path.

Scheduler tick -> jobs in PostgreSQL -> `sync_worker` processes -> the simulator
over HTTP -> mirror rows (and parts lists, stored and parsed). The re-sync moves
every verification back past its interval and ticks again: it must list, verify
and download nothing (`parts_list_downloads` 0). `objects_per_s` counts mirrored
directories, projects, phases and elevations.
"""

import os
import tempfile
import time

from ..harness.database import database_url, scratch_database
from ..harness.live import mirror_size, request_count, running_worker, shift_back, wait_idle, worker_env

HELP = "Objects per second for a first full sync and an unchanged re-sync of a simulator data set."

PARTS_LIST = "GET /elevations/selected/parts-list"


def add_arguments(parser):
    parser.add_argument("--dataset", default="large", choices=["demo", "small", "large"])
    parser.add_argument("--latency", default="none", choices=["none", "real"])
    parser.add_argument("--navigation", default="strict", choices=["strict", "lenient"])
    parser.add_argument("--workers", type=int, default=1, help="Worker processes.")
    parser.add_argument("--concurrency", type=int, default=8, help="Jobs per worker process.")
    parser.add_argument("--max-sessions", type=int, default=8, help="LOGIKAL_MAX_SESSIONS for the run.")
    parser.add_argument("--no-parts-lists", action="store_true", help="Sync the tree only (parts lists disabled).")
    parser.add_argument("--trust-changed-date", action="store_true",
                        help="Turn the project config's 'trust unchanged changedDate' on for the re-sync.")
    parser.add_argument("--timeout", type=float, default=3600)


def _pass(sim, env, log_dir, options, progress, label) -> dict:
    from syncapp.sync.tick import scheduler_tick

    sim.reset_stats()
    started = time.perf_counter()
    workers = []
    try:
        for index in range(options["workers"]):
            workers.append(running_worker(env, log_dir, name=f"{label}{index}", concurrency=options["concurrency"]))
        handles = [w.__enter__() for w in workers]
        scheduler_tick()
        wait_idle(options["timeout"], workers=handles, progress=progress)
    finally:
        for w in workers:
            w.__exit__(None, None, None)
    wall = time.perf_counter() - started
    stats = sim.stats()
    objects = mirror_size()
    return {
        "pass": label, "wall_s": round(wall, 2), "objects": objects, "objects_per_s": round(objects / wall, 1),
        "requests": stats["total_requests"], "logins": stats["logins"],
        "parts_list_downloads": request_count(stats, PARTS_LIST), "peak_sessions": stats["peak_sessions"],
    }


def run(options, progress):
    from syncapp.models import ObjectSyncConfig
    from syncapp.simulator import Simulator, SimulatorConfig, serve

    sim = Simulator(SimulatorConfig(dataset=options["dataset"], latency=options["latency"],
                                    navigation=options["navigation"], parts_list_size="small"))
    params = {k: options[k] for k in ("dataset", "latency", "navigation", "workers", "concurrency", "max_sessions")}
    params["parts_lists"] = not options["no_parts_lists"]
    params["trust_changed_date"] = options["trust_changed_date"]
    keep = os.environ.get("BENCH_KEEP_LOGS")
    with scratch_database("fullsync"), tempfile.TemporaryDirectory() as media, serve(sim) as server:
        if keep:
            media = keep
        if options["no_parts_lists"]:
            ObjectSyncConfig.objects.filter(object_type="parts_list").update(enabled=False)
        env = worker_env(os.environ, base_url=server.base_url, database_url=database_url(), media_root=media,
                         LOGIKAL_MAX_SESSIONS=options["max_sessions"], LOG_LEVEL=os.environ.get("BENCH_LOG_LEVEL", "warning"))
        progress(f"first full sync of {options['dataset']}")
        yield {**params, **_pass(sim, env, media, options, progress, "first")}
        shift_back(24 * 60)
        if options["trust_changed_date"]:
            ObjectSyncConfig.objects.filter(object_type="project").update(trust_changed_date="on")
        progress("unchanged re-sync")
        yield {**params, **_pass(sim, env, media, options, progress, "unchanged")}
