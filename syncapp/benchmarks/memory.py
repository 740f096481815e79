"""Peak memory of the Procfile's `web` and `worker` processes through a full sync.

Everything runs as in production: a scratch database on the configured
PostgreSQL server is migrated by the Procfile's `release` line; the simulator
serves the chosen data set from a process of its own (no latency); `web` and
`worker` are started from their Procfile lines with DEBUG=false. The worker's
first scheduler tick syncs the whole tree while a few clients keep the web
busy with the admin, the dashboard, /metrics and /readyz. Memory of each
process tree (gunicorn master + workers; the worker) is sampled with psutil.

Targets: worker under 150 MB, web under 250 MB, judged on PSS (proportional set
size: pages shared between gunicorn's forked workers are counted once, as the
container's memory limit counts them). Summed RSS is printed too, as an upper bound.
"""

import tempfile
import time
from pathlib import Path

import httpx
import psycopg

from ..models import Directory, Elevation, PartsList, Phase, Project, SyncRun
from ..harness.database import scratch_database
from ..harness.processes import free_port, shell_process, wait_for
from ._procfile import MB, MemoryPeak, procfile_commands, production_env, start_web
from ._webload import ADMIN_PASSWORD, ADMIN_USER, METRICS_TOKEN, WebLoad

HELP = "Peak memory (RSS/PSS) of the Procfile's web and worker processes during a full sync of the simulator."

WORKER_TARGET_MB = 150
WEB_TARGET_MB = 250
QUEUES = ("scheduler", "sync", "parser")


def add_arguments(parser):
    from ..simulator.config import DATASETS, PARTS_LIST_SIZES

    parser.add_argument("--dataset", choices=DATASETS, default="large", help="simulator data set (default: large)")
    parser.add_argument("--timeout", type=float, default=900, help="seconds the sync may take before the run stops")
    parser.add_argument("--parts-list-size", choices=PARTS_LIST_SIZES, default=None, help="simulator parts-list size")
    parser.add_argument("--clients", type=int, default=2, help="concurrent web clients during the sync")
    parser.add_argument("--sample-interval", type=float, default=0.5, help="seconds between memory samples")
    parser.add_argument("--no-parts-lists", action="store_true",
                        help="sync the whole tree but no parts lists (a first large sync with them takes hours)")


def run(options, progress):
    if options["timeout"] <= 0 or options["clients"] < 0 or options["sample_interval"] <= 0:
        raise ValueError("--timeout and --sample-interval must be positive, --clients at least 0")
    commands = procfile_commands()
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as scratch, scratch_database("memory", migrate=False) as db_url:
        scratch = Path(scratch)
        progress(f"scratch database ready; logs in {scratch}")
        figures, errors = _measure(options, progress, commands, db_url, scratch)
        yield figures
    if errors:  # after the figures: a benchmark whose pages failed must not pass as a good run
        raise RuntimeError(f"{len(errors)} kinds of web request failed during the sync: " + "; ".join(errors[:10]))


def _measure(options, progress, commands, db_url, scratch: Path) -> tuple[dict, list[str]]:
    sim_port, web_port = free_port(), free_port()
    api_url = f"http://127.0.0.1:{sim_port}/MbioeService.svc/api/v3"
    env = production_env(
        DATABASE_URL=db_url, LOGIKAL_API_BASE_URL=api_url, LOGIKAL_USERNAME="demo", LOGIKAL_PASSWORD="demo",
        MEDIA_ROOT=scratch / "media", METRICS_TOKEN=METRICS_TOKEN, LOG_LEVEL="warning", PORT=web_port,
        BACKGROUND_SYNC_ENABLED="true",
    )
    _release(commands["release"], env, scratch, progress)
    if options["no_parts_lists"]:
        # The scratch database is not this process's Django connection: write it directly.
        with psycopg.connect(db_url, autocommit=True) as conn:
            conn.execute("UPDATE syncapp_objectsyncconfig SET enabled = false WHERE object_type = 'parts_list'")

    simulator_args = f"--port {sim_port} --dataset {options['dataset']} --latency none"
    if options["parts_list_size"]:
        simulator_args += f" --parts-list-size {options['parts_list_size']}"
    processes = [shell_process("simulator", f"python manage.py logikal_simulator {simulator_args}", env=env, log_dir=scratch)]
    try:
        wait_for(lambda: httpx.get(f"http://127.0.0.1:{sim_port}/_sim/stats", timeout=2).status_code == 200,
                 timeout=300, what="the simulator", process=processes[0], ignore=(OSError, httpx.TransportError))
        web, base, web_idle = start_web(commands["web"], env=dict(env, DB_APPLICATION_NAME="bench-web"),
                                        log_dir=scratch, port=web_port)
        processes.append(web)
        progress(f"web up ({web_idle.pss / MB:.0f} MB PSS idle); starting the worker")

        web_peak, worker_peak = MemoryPeak(), MemoryPeak()
        load = WebLoad(base, clients=options["clients"])
        started = time.monotonic()
        worker = shell_process("worker", commands["worker"], env=dict(env, DB_APPLICATION_NAME="bench-worker"),
                               log_dir=scratch)
        processes.append(worker)
        load.start()
        try:
            completed, state = _follow_sync(options, progress, db_url, web, worker, web_peak, worker_peak, started)
        finally:
            load.stop()
        wall = time.monotonic() - started
        web_peak.sample(web.pid)
    finally:
        for process in reversed(processes):
            process.stop()

    worker_figures, web_figures = worker_peak.figures("worker"), web_peak.figures("web")
    return {
        "dataset": options["dataset"],
        "timeout_s": options["timeout"],
        "clients": options["clients"],
        "parts_lists": not options["no_parts_lists"],
        "completed": completed,
        "sync_wall_s": round(wall, 1),
        **state,
        "web_idle_pss_mb": round(web_idle.pss / MB, 1),
        **web_figures,
        **worker_figures,
        "web_target_mb": WEB_TARGET_MB,
        "worker_target_mb": WORKER_TARGET_MB,
        "web_within_target": web_figures["web_peak_pss_mb"] < WEB_TARGET_MB,
        "worker_within_target": worker_figures["worker_peak_pss_mb"] < WORKER_TARGET_MB,
        **load.figures(),
    }, load.errors()


def _release(command, env, scratch, progress) -> None:
    progress("release: " + command)
    release = shell_process("release", command, env=env, log_dir=scratch)
    if release.process.wait(timeout=600) != 0:
        raise RuntimeError(f"release failed:\n{release.tail()}")
    release.stop()
    admin_env = dict(env, DJANGO_SUPERUSER_PASSWORD=ADMIN_PASSWORD)
    create = shell_process("createsuperuser", f"python manage.py createsuperuser --noinput --username {ADMIN_USER} "
                           "--email bench@example.com", env=admin_env, log_dir=scratch)
    if create.process.wait(timeout=120) != 0:
        raise RuntimeError(f"createsuperuser failed:\n{create.tail()}")
    create.stop()


def _follow_sync(options, progress, db_url, web, worker, web_peak, worker_peak, started):
    """Sample memory until the queues drain after the first tick, or the timeout; returns (completed, state)."""
    deadline = started + options["timeout"]
    next_check = next_report = 0.0
    quiet = 0
    state = {}
    connections = {"web": 0, "worker": 0}
    with psycopg.connect(db_url, autocommit=True) as db:
        while time.monotonic() < deadline:
            for process in (web, worker):
                if not process.running():
                    raise RuntimeError(f"{process.name} exited ({process.process.returncode}):\n{process.tail()}")
            web_peak.sample(web.pid)
            worker_peak.sample(worker.pid)
            now = time.monotonic()
            if now >= next_check:
                next_check = now + 2
                state = _sync_state(db)
                for name, n in _connections(db).items():
                    connections[name] = max(connections[name], n)
                state["db_connections_peak"] = dict(connections)
                # Done: runs were recorded and no scheduler/sync/parser job waits or runs, twice in a row.
                quiet = quiet + 1 if state["sync_runs"] and not state["jobs_pending"] else 0
                if quiet >= 2:
                    return True, state
            if now >= next_report:
                next_report = now + 15
                progress(
                    f"{now - started:5.0f} s: {state.get('objects')} pending={state.get('jobs_pending')} "
                    f"web {web_peak.pss / MB:.0f} MB, worker {worker_peak.pss / MB:.0f} MB (peak PSS)"
                )
            time.sleep(options["sample_interval"])
    progress(f"timeout after {options['timeout']:.0f} s: figures cover the sync so far")
    return False, state


def _connections(db) -> dict[str, int]:
    """Open database connections of web and worker (the smallest managed PostgreSQL allows about 25)."""
    rows = db.execute(
        "SELECT application_name, count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND application_name IN ('bench-web', 'bench-worker') GROUP BY 1"
    ).fetchall()
    return {name.removeprefix("bench-"): n for name, n in rows}


def _sync_state(db) -> dict:
    tables = {
        "directory": Directory._meta.db_table, "project": Project._meta.db_table, "phase": Phase._meta.db_table,
        "elevation": Elevation._meta.db_table, "parts_list": PartsList._meta.db_table,
    }
    counts = ", ".join(f"(SELECT count(*) FROM {table})" for table in tables.values())
    run_table = SyncRun._meta.db_table
    # SQL on the benchmark's own psycopg connection to the live scratch database: all counts at once.
    row = db.execute(
        f"""SELECT {counts},
                   (SELECT count(*) FROM {run_table}),
                   (SELECT count(*) FROM {run_table} WHERE outcome IN ('failed', 'retrying')),
                   (SELECT count(*) FROM procrastinate_jobs
                     WHERE status IN ('todo', 'doing') AND queue_name = ANY(%s))""",  # noqa: S608 - our table names
        [list(QUEUES)],
    ).fetchone()
    objects = dict(zip(tables, row[: len(tables)]))
    return {"objects": objects, "sync_runs": row[-3], "failed_runs": row[-2], "jobs_pending": row[-1]}
