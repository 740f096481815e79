"""A sync cycle at (scaled) real latency, measured against its lower bound (issue 14).

A first sync of a simulator data set, then an unchanged re-sync (every verification moved a
day back, so everything is due again), through the real path: scheduler tick -> jobs in
PostgreSQL -> one real `sync_worker` process -> the simulator over HTTP, with every latency of
the simulator's production profile (API.md) multiplied by --latency-scale S. Parts lists are
off (the tree only, as issue 14 measured it).

Per pass: wall_s; logins; requests per endpoint; session_s_full_scale (what those requests
cost their sessions at full scale: count x profile latency); full_scale_estimate_s (wall_s / S);
the lower bound for the same work on --sessions sessions (bound_full_scale_s) and the ratio.
upstream_s is the latency the simulator served at scale S; the wall time beyond
upstream_s / sessions is local work (database, Python) and idle sessions, which do not shrink
with S: full_scale_estimate_local_unscaled_s = (upstream_s / sessions) / S + that rest is
the fairer estimate at small S (and ratio_local_unscaled its ratio). Judge at S >= 0.25.

Lower bound (full scale; L[x] = the profile's latency of request x; D = live directories,
P = projects, F = phases; depth(d) = path segments of d; DP = directories holding projects):

  list(d)    = L[GET /directories] + L[GET /projects] + L[POST /directories/select] (not the root)
  walk(p)    = L[POST /projects/select] + L[GET /projects/selected] + L[GET /phases]
               + phases(p) x (L[POST /phases/select] + L[GET /elevations])
  arrive(d)  = L[POST /auth] + L[DELETE /auth] + depth(d) x L[POST /directories/select]
  strict     = (sum over D of list(d) + sum over P of (arrive(dir(p)) + walk(p))) / sessions
               (a session at a project can reach no other project without a new login)
  lenient    = (sum over D of list(d) + sum over DP of arrive(d) + sum over P of walk(p)) / sessions
               (sibling projects are one select away; another directory needs a new login)

Targets (issue 14, `large`, 4 sessions, unchanged pass): ratio <= 1.2; strict logins <=
projects + sessions; lenient project selects <= projects and logins <= directories + sessions.
"""

import os
import tempfile
import time

from ..harness.database import database_url, scratch_database
from ..harness.live import running_worker, shift_back, wait_idle, worker_env
from ..harness.processes import wait_for

HELP = "A first sync and an unchanged re-sync at scaled real latency: wall, logins, requests, lower bound, ratio."


def add_arguments(parser):
    parser.add_argument("--dataset", default="large", choices=["demo", "small", "large"])
    parser.add_argument("--navigation", default="strict", choices=["strict", "lenient"])
    parser.add_argument("--latency-scale", type=float, default=0.25, metavar="S",
                        help="Every simulator latency x S (default 0.25; below that local time distorts the ratio).")
    parser.add_argument("--sessions", type=int, default=4, help="LOGIKAL_MAX_SESSIONS (and the worker's concurrency).")
    parser.add_argument("--timeout", type=float, default=7200, help="Seconds a pass may take before the run fails.")
    parser.add_argument("--no-lanes", action="store_true",
                        help="Lenient navigation without directory lanes (LOGIKAL_NAVIGATION=strict for the sync side): an A/B.")
    parser.add_argument("--unchanged-only", action="store_true",
                        help="Make the first sync at no latency and report only the unchanged pass (half the run).")


def check_options(options) -> None:
    if not 0 < options["latency_scale"] <= 1:
        raise ValueError(f"--latency-scale must be in (0, 1], got {options['latency_scale']}")
    if not 1 <= options["sessions"] <= 64:
        raise ValueError(f"--sessions must be between 1 and 64, got {options['sessions']}")


def lower_bound_s(navigation: str, sessions: int, latency) -> tuple[float, dict]:
    """The module docstring's bound over the live mirror; returns (seconds, the counts it used)."""
    from django.db.models import Count, Q

    from syncapp.models import Directory, Phase, Project

    dirs = Directory.objects.filter(removed_at=None).annotate(
        live_projects=Count("projects", filter=Q(projects__removed_at=None)))
    directory_rows = list(dirs.values_list("path", "live_projects"))
    projects = list(Project.objects.filter(removed_at=None).annotate(
        live_phases=Count("phases", filter=Q(phases__removed_at=None))).values_list("directory__path", "live_phases"))
    select_dir = latency("POST /directories/select")

    def arrive(path: str) -> float:
        return latency("POST /auth") + latency("DELETE /auth") + len([s for s in path.split("/") if s]) * select_dir

    listing = sum(latency("GET /directories") + latency("GET /projects") + (select_dir if path else 0)
                  for path, _ in directory_rows)
    per_phase = latency("POST /phases/select") + latency("GET /elevations")
    walks = sum(latency("POST /projects/select") + latency("GET /projects/selected") + latency("GET /phases")
                + phases * per_phase for _, phases in projects)
    if navigation == "strict":
        arrivals = sum(arrive(path) for path, _ in projects)
    else:
        arrivals = sum(arrive(path) for path, count in directory_rows if count)
    counts = {"directories": len(directory_rows), "directories_with_projects": sum(1 for _, n in directory_rows if n),
              "projects": len(projects), "phases": sum(n for _, n in projects)}
    return (listing + arrivals + walks) / sessions, counts


def _pass(sim, env, log_dir, options, progress, label) -> dict:
    from syncapp.simulator.config import SimulatorConfig
    from syncapp.sync.tick import scheduler_tick

    scale, sessions = options["latency_scale"], options["sessions"]
    sim.reset_stats()
    before = _newest_worker()
    with running_worker(env, log_dir, name=label, concurrency=sessions) as worker:
        # The clock starts once the worker listens: its start-up is local time that S would inflate.
        wait_for(lambda: _newest_worker() > before, timeout=120, what=f"worker {label} to start", process=worker)
        started = time.perf_counter()
        scheduler_tick()
        wait_idle(options["timeout"], workers=[worker], progress=progress)
    wall = time.perf_counter() - started
    stats = sim.stats()
    requests = {template: sum(by_status.values()) for template, by_status in stats["requests"].items()}
    profile = SimulatorConfig(latency="real").latency_for  # full scale
    session_s = sum(count * profile(template) for template, count in requests.items())
    bound, counts = lower_bound_s(options["navigation"], sessions, profile)
    busy = stats["latency_s"] / sessions  # wall the sessions could not have avoided at this scale
    estimate = wall / scale
    estimate_local_unscaled = busy / scale + max(0.0, wall - busy)
    figures = {
        "pass": label, "wall_s": round(wall, 2), "logins": stats["logins"], **counts,
        "requests": requests, "requests_total": sum(requests.values()),
        "project_selects": requests.get("POST /projects/select", 0),
        "session_s_full_scale": round(session_s, 1),
        "upstream_s": round(stats["latency_s"], 2), "wall_beyond_upstream_s": round(max(0.0, wall - busy), 2),
        "full_scale_estimate_s": round(estimate, 1), "full_scale_estimate_min": round(estimate / 60, 1),
        "bound_full_scale_s": round(bound, 1), "bound_full_scale_min": round(bound / 60, 1),
        "ratio": round(estimate / bound, 3),
        "full_scale_estimate_local_unscaled_s": round(estimate_local_unscaled, 1),
        "ratio_local_unscaled": round(estimate_local_unscaled / bound, 3),
        "logins_target": counts["projects" if options["navigation"] == "strict" else "directories"] + sessions,
        "peak_sessions": stats["peak_sessions"],
    }
    capacity = capacity_estimate(options)
    capacity["measured_over_estimate"] = round(estimate / capacity["cycle_full_scale_s"], 3)
    figures["capacity_estimate"] = capacity
    return figures


def _newest_worker() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM procrastinate_workers")
        return cursor.fetchone()[0]


def capacity_estimate(options) -> dict:
    """Issue 14 item 4's estimate of the same cycle (``syncapp/sync/capacity.py``), beside the measured figure."""
    from syncapp.sync.capacity_data import cycle_estimate

    return cycle_estimate(navigation=options["navigation"], sessions=options["sessions"])


def run(options, progress):
    from django.conf import settings

    from syncapp.models import ObjectSyncConfig
    from syncapp.simulator import Simulator, SimulatorConfig, serve

    check_options(options)
    # The tick runs in this process: it must queue as the worker's own ticks would, with the server's
    # navigation rules and session count (directory lanes: syncapp/sync/lanes.py).
    navigation = "strict" if options.get("no_lanes") else options["navigation"]
    settings.LOGIKAL_NAVIGATION, settings.LOGIKAL_MAX_SESSIONS = navigation, options["sessions"]
    sim = Simulator(SimulatorConfig(dataset=options["dataset"], latency="real", latency_scale=options["latency_scale"],
                                    navigation=options["navigation"], parts_list_size="small"))
    params = {k: options[k] for k in ("dataset", "navigation", "latency_scale", "sessions")}
    params["lanes"] = navigation == "lenient"
    with scratch_database("cycle"), tempfile.TemporaryDirectory() as media, serve(sim) as server:
        ObjectSyncConfig.objects.filter(object_type="parts_list").update(enabled=False)
        env = worker_env(os.environ, base_url=server.base_url, database_url=database_url(), media_root=media,
                         LOGIKAL_MAX_SESSIONS=options["sessions"], LOGIKAL_NAVIGATION=navigation,
                         LOG_LEVEL=os.environ.get("BENCH_LOG_LEVEL", "warning"))
        progress(f"first sync of {options['dataset']} ({options['navigation']}, latency x {options['latency_scale']})")
        if options.get("unchanged_only"):
            sim.config.latency_scale = 0.0  # not measured: only the tree it leaves matters
            _pass(sim, env, media, options, progress, "first")
            sim.config.latency_scale = options["latency_scale"]
        else:
            yield {**params, **_pass(sim, env, media, options, progress, "first")}
        shift_back(24 * 60)
        progress("unchanged re-sync")
        yield {**params, **_pass(sim, env, media, options, progress, "unchanged")}
