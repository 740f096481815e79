"""The jobs path of `benchmark force-sync`: force_sync -> PostgreSQL jobs -> a sync_worker -> mirror."""

import math
import os
import tempfile
import time

from django.db import connection

from ..harness.database import database_url, scratch_database
from ..harness.live import running_worker, wait_idle, worker_env
from .force_sync import DIRECTORY, PROJECT, force_sync_bound_s, prepared_simulator

THUMBNAIL = "GET /elevations/{elevationId}/thumbnail"


def _prepare_mirror(sim, env, log_dir, progress) -> None:
    """Directories and projects only, latency off: what a running system already has."""
    from syncapp.models import ObjectSyncConfig
    from syncapp.sync.tick import scheduler_tick

    latency = sim.config.latency
    sim.config.latency = "none"
    ObjectSyncConfig.objects.filter(object_type__in=["phase", "elevation", "parts_list"]).update(enabled=False)
    with running_worker(env, log_dir, name="prepare", concurrency=2) as worker:
        scheduler_tick()
        wait_idle(120, workers=[worker])
    ObjectSyncConfig.objects.update(enabled=True)
    sim.config.latency = latency
    sim.reset_stats()
    progress("mirror ready down to the projects")


def _bound(mode, options, elevations, sim) -> float:
    from syncapp.simulator import DEFAULT_LATENCY_S, LATENCY_PROFILE

    scale = options["latency_scale"] if options["latency"] == "real" else 0
    bound = force_sync_bound_s(mode=mode, sessions=options["sessions"], directory_depth=len(DIRECTORY.split("/")),
                               elevations=elevations, scale=scale)
    per_session = math.ceil(elevations / options["sessions"])
    thumbnail = LATENCY_PROFILE.get(THUMBNAIL, DEFAULT_LATENCY_S) * scale
    return bound - LATENCY_PROFILE.get("GET /projects", DEFAULT_LATENCY_S) * scale + per_session * thumbnail


def _parsed_at(project_id: int) -> float:
    from syncapp.models import PartsList

    while True:
        pending = PartsList.objects.filter(elevation__phase__project_id=project_id).exclude(
            parse_status__in=["parsed", "invalid"]).count()
        if pending == 0:
            return time.monotonic()
        time.sleep(0.05)


def run_jobs_path(options, progress):
    from syncapp.models import PartsList, Project
    from syncapp.simulator import serve
    from syncapp.sync.force import force_sync

    modes = [m.strip() for m in options["modes"].split(",") if m.strip()]
    for mode in modes:
        sim, elevations = prepared_simulator(mode, options)
        with scratch_database(f"force_{mode}"), tempfile.TemporaryDirectory() as media, serve(sim) as server:
            env = worker_env(os.environ, base_url=server.base_url, database_url=database_url(), media_root=media,
                             LOGIKAL_MAX_SESSIONS=options["sessions"], LOG_LEVEL="warning")
            _prepare_mirror(sim, env, media, progress)
            project = Project.objects.get(name=PROJECT)
            # Enough job slots for every session plus the parser.
            with running_worker(env, media, name=f"bench-{mode}", concurrency=options["sessions"] + 2) as worker:
                time.sleep(2)  # the worker is up and listening, as in production
                progress(f"{mode}: force sync of {PROJECT} with its subtree ({elevations} elevations)")
                started = time.monotonic()
                force_sync(project, subtree=True)
                wait_idle(options.get("timeout", 900), queues=("sync",), settle=0.05, workers=[worker])
                wall = time.monotonic() - started
                parsed = _parsed_at(project.pk) - started
            stats = sim.stats()
            failed = _failed_runs()
            stored = PartsList.objects.filter(elevation__phase__project=project, downloaded_at__isnull=False).count()
        bound = _bound(mode, options, elevations, sim)
        progress(f"{mode}: {wall:.1f}s ({wall / bound:.2f}x the bound)" if bound else f"{mode}: {wall:.1f}s")
        yield {
            "mode": mode, "path": "jobs", "sessions": options["sessions"], "latency": options["latency"],
            "latency_scale": options["latency_scale"], "wall_s": round(wall, 3), "bound_s": round(bound, 3),
            "ratio": round(wall / bound, 3) if bound else None, "parsed_s": round(parsed, 3),
            "logins": stats["logins"], "peak_sessions": stats["peak_sessions"], "parts_lists": stored,
            "failed_runs": failed,
            "requests": {template: sum(by_status.values()) for template, by_status in stats["requests"].items()},
        }


def _failed_runs() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM syncapp_syncrun WHERE outcome IN ('failed', 'retrying')")
        return cursor.fetchone()[0]
