"""Force-sync one project against the simulator: through the real job path, or the client alone.

`--path jobs` (the default) measures the product: `force_sync(project, subtree=True)` -> jobs in
PostgreSQL (a scratch database) -> one `sync_worker` process with enough concurrency for the
session cap -> the simulator over HTTP -> mirror rows. The mirror is first filled down to the
projects with latency off; the clock runs from the force call until no sync job is left
(`parsed_s`: until the parts lists are parsed too). A forced elevation sync also fetches its
thumbnail, so the jobs path's bound adds one thumbnail per elevation on the busiest session,
and it drops GET /projects (the mirror knows the project id).

`--path client` walks the same project with the client and pool directly:

Serves the simulator's `demo` data set over HTTP in this process, with the production latency
profile (`--latency real`, scaled by `--latency-scale`), once per navigation mode. A pool of
`--sessions` (default 4) sessions and `--threads` (default 4) job threads walk the reference
project DOS22309 the way the sync jobs do: the directory (its directories and projects) ->
the project (details and phases) -> each phase (its elevations) -> each elevation (its parts
list). A job is queued only when the job that lists it has finished. The pool is warmed up
(`Upstream.warm_up()`) at the start, as a worker does ahead of a burst of jobs. The parts-list
files are generated (and cached by the simulator) before the clock starts.

Printed per mode: `wall_s`, `logins` and `requests` (counted by the simulator), and `bound_s`,
the least time the latency profile allows with that many parallel sessions
(`force_sync_bound_s`, computed from the simulator's public LATENCY_PROFILE):

- `t_ids`: the calls that must run one after another before any elevation id is known: a
  login, one directory select per path segment, GET /projects (to learn the project id), the
  project select, GET /phases, a phase select and GET /elevations. Listings nobody waits for
  (GET /directories, GET /projects/selected) can run on another session, so they are left out.
- Per elevation, a parts list needs a session standing on it: `sel = elevation select +
  parts-list download`. With S sessions, the busiest one handles k = ceil(E / S) of the E
  elevations.
- lenient: a session at a phase selects one sibling elevation after another:
  `bound = t_ids + k * sel`.
- strict: a session at an elevation can go nowhere else, so every further elevation costs a
  new session on that slot (logout, login, directory selects, project, phase, then `sel`);
  a slot's first session can log in and descend while the ids are being discovered:
  `bound = t_ids + sel + (k - 1) * (logout + login + dirs + project + phase + sel)`.

Simulated latencies add up to +10 % jitter to each figure, so `wall_s / bound_s` cannot reach
1.0; the target is below 1.2.
"""

from __future__ import annotations

import math
import queue
import threading
import time

HELP = "Force-sync the DOS22309 reference project through the session pool (per navigation mode)."
PROJECT = "DOS22309"
DIRECTORY = "Demo Odoo"


def add_arguments(parser) -> None:
    parser.add_argument("--latency", choices=("real", "none"), default="real",
                        help="simulated latency profile (default: real, as observed in production)")
    parser.add_argument("--latency-scale", type=float, default=1.0,
                        help="multiply every simulated latency (default 1; 0.1 for a quick run)")
    parser.add_argument("--modes", default="strict,lenient", help="navigation modes, comma-separated")
    parser.add_argument("--sessions", type=int, default=4, help="LOGIKAL_MAX_SESSIONS for the run (default 4)")
    parser.add_argument("--threads", type=int, default=4, help="job threads (default 4)")
    parser.add_argument("--no-warm-up", dest="warm_up", action="store_false",
                        help="client path: do not log sessions in ahead of the jobs")
    parser.add_argument("--path", choices=("jobs", "client"), default="jobs",
                        help="jobs: force_sync -> jobs -> worker -> mirror (default); client: the pool alone")
    parser.add_argument("--parts-list-size", choices=("realistic", "small"), default="realistic",
                        help="size of the simulated parts lists (default realistic: 0.7-1.7 MB)")


def _latency(profile: dict, default: float, template: str, scale: float) -> float:
    return profile.get(template, default) * scale


def force_sync_bound_s(*, mode: str, sessions: int, directory_depth: int, elevations: int,
                       profile: dict | None = None, default_s: float | None = None, scale: float = 1.0) -> float:
    """Least wall time for a forced project sync that downloads `elevations` parts lists (see module doc)."""
    if profile is None or default_s is None:
        from syncapp.simulator import DEFAULT_LATENCY_S, LATENCY_PROFILE

        profile, default_s = LATENCY_PROFILE, DEFAULT_LATENCY_S
    if mode not in ("strict", "lenient"):
        raise ValueError(f"unknown navigation mode {mode!r}")
    if sessions < 1 or elevations < 0 or directory_depth < 0:
        raise ValueError("sessions must be >= 1, elevations and directory_depth >= 0")

    def t(template: str) -> float:
        return _latency(profile, default_s, template, scale)

    login, dirs = t("POST /auth"), directory_depth * t("POST /directories/select")
    project, phase = t("POST /projects/select"), t("POST /phases/select")
    t_ids = login + dirs + t("GET /projects") + project + t("GET /phases") + phase + t("GET /elevations")
    if elevations == 0:
        return t_ids
    sel = t("POST /elevations/select") + t("GET /elevations/selected/parts-list")
    per_session = math.ceil(elevations / sessions)
    if mode == "lenient":
        return t_ids + per_session * sel
    fresh = t("DELETE /auth") + login + dirs + project + phase + sel
    return t_ids + sel + (per_session - 1) * fresh


class _Jobs:
    """A FIFO of jobs run by N threads; a job returns the jobs it makes due (like a cascade)."""

    def __init__(self, threads: int):
        self._queue: queue.Queue = queue.Queue()
        self.errors: list[str] = []
        self._threads = [threading.Thread(target=self._work, daemon=True, name=f"bench-job-{n}")
                         for n in range(threads)]

    def run(self, first) -> None:
        self._queue.put(first)
        for thread in self._threads:
            thread.start()
        self._queue.join()
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join()

    def _work(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                self._queue.task_done()
                return
            try:
                for child in job() or ():
                    self._queue.put(child)
            except Exception as error:  # noqa: BLE001 - reported in the figures
                self.errors.append(f"{type(error).__name__}: {error}")
            finally:
                self._queue.task_done()


def walk_project(upstream, path: str, project_name: str, *, on_parts_list=None):
    """The job chain of a forced project sync: returns the first job (the directory's)."""

    def directory_job():
        upstream.list_directories(path)
        projects = upstream.list_projects(path)
        return [project_job(p.id) for p in projects if p.name == project_name]

    def project_job(project_id):
        def job():
            with upstream.session_at(path, project_id) as here:
                here.get_project()
                phases = here.list_phases()
            return [phase_job(project_id, phase.id) for phase in phases]
        return job

    def phase_job(project_id, phase_id):
        def job():
            elevations = upstream.list_elevations(path, project_id, phase_id)
            return [elevation_job(project_id, phase_id, e.id) for e in elevations]
        return job

    def elevation_job(project_id, phase_id, elevation_id):
        def job():
            data = upstream.get_parts_list(path, project_id, phase_id, elevation_id)
            if on_parts_list is not None:
                on_parts_list(elevation_id, data)
        return job

    return directory_job


def prepared_simulator(mode: str, options):
    """The demo simulator in `mode`, with DOS22309's parts lists generated; returns (sim, elevations)."""
    from syncapp.simulator import Simulator, SimulatorConfig

    sim = Simulator(SimulatorConfig(dataset="demo", seed=1, navigation=mode, latency=options["latency"],
                                    latency_scale=options["latency_scale"],
                                    parts_list_size=options["parts_list_size"]))
    project = sim.find_project(PROJECT)
    elevations = 0
    for phase in sim.phases_of(project.id):
        for elevation in sim.elevations_of(project.id, phase.id):
            # Built ahead (the simulator caches them): generating a realistic SQLite file costs
            # ~0.3 s of this process's CPU, which is the simulator's cost, not the client's.
            sim.parts_list_for(project.id, phase.id, elevation.id)
            elevations += 1
    return sim, elevations


def run(options, progress):
    if options["path"] == "jobs":
        from ._force_sync_jobs import run_jobs_path

        yield from run_jobs_path(options, progress)
        return
    yield from run_client_path(options, progress)


def run_client_path(options, progress):
    from syncapp.logikal import Upstream
    from syncapp.simulator import serve

    modes = [m.strip() for m in options["modes"].split(",") if m.strip()]
    if options["sessions"] < 1 or options["threads"] < 1:
        raise ValueError("--sessions and --threads must be at least 1")
    if options["latency_scale"] <= 0:
        raise ValueError("--latency-scale must be positive")
    for mode in modes:
        sim, elevations = prepared_simulator(mode, options)
        project = sim.find_project(PROJECT)
        with serve(sim) as server:
            upstream = Upstream(server.base_url, sim.config.username, sim.config.password, options["sessions"],
                                read_timeout_s=60, wait_timeout_s=600)
            downloaded = []
            try:
                progress(f"{mode}: walking {PROJECT} ({elevations} elevations) with {options['sessions']} sessions")
                started = time.monotonic()
                if options["warm_up"]:
                    upstream.warm_up()
                jobs = _Jobs(options["threads"])
                jobs.run(walk_project(upstream, project.directory, PROJECT,
                                      on_parts_list=lambda guid, data: downloaded.append(len(data))))
                wall = time.monotonic() - started
            finally:
                upstream.close()
            stats = sim.stats()
        bound = force_sync_bound_s(mode=mode, sessions=options["sessions"], directory_depth=len(DIRECTORY.split("/")),
                                   elevations=elevations, scale=options["latency_scale"] if options["latency"] == "real" else 0)
        if jobs.errors:
            progress(f"{mode}: {len(jobs.errors)} jobs failed, first: {jobs.errors[0]}")
        progress(f"{mode}: {wall:.1f}s for {len(downloaded)} parts lists ({wall / bound:.2f}x the bound)"
                 if bound else f"{mode}: {wall:.1f}s")
        yield {
            "mode": mode, "sessions": options["sessions"], "threads": options["threads"],
            "latency": options["latency"], "latency_scale": options["latency_scale"],
            "warm_up": options["warm_up"], "wall_s": round(wall, 3), "bound_s": round(bound, 3),
            "ratio": round(wall / bound, 3) if bound else None, "logins": stats["logins"],
            "peak_sessions": stats["peak_sessions"], "parts_lists": len(downloaded), "errors": len(jobs.errors),
            "requests": {template: sum(by_status.values()) for template, by_status in stats["requests"].items()},
        }
