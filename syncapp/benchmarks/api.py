"""The API over the `large` mirror: server time and SQL statements per endpoint, and the web's memory.

Builds 50 directories, 1,000 projects, 5,000 phases and 100,000 elevations (each project
5 phases x 20 elevations) in a scratch database, gives every parts list its facts and the
first projects' parts lists their article, profile, glass and U-value rows. Then:

- in process (Django's test client: `p50_ms` is the time inside Django, `p50_cpu_ms` this process's
  CPU time of it, which a machine loaded by other work inflates less): the complete
  project (v2 with facts, v2 with articles and profiles, v1 complete), an elevation, pages of
  500 projects (v2 and v2 with changed_since) and the v1 project list; `statements` is the SQL
  statements of one request, checked against a project of 1 phase x 2 elevations
  (`statements_small_project`): they must not differ;
- the Procfile's web process (gunicorn, production settings) against the same database,
  loaded over HTTP by a few clients for `--load-seconds`, sampling its memory (target < 250 MB).
"""

import statistics
import threading
import time
import uuid

import httpx
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from syncapp.api.clients import create_api_client
from syncapp.models import Elevation, PartsList, Phase, Project
from syncapp.sync.changes import recount_live_children

from syncapp.harness.database import database_url, scratch_database
from syncapp.harness.mirror import build_mirror
from syncapp.harness.processes import ChildProcess, free_port

from ._procfile import MB, MemoryPeak, procfile_commands, production_env, start_web

HELP = "Server time and SQL statements of the API over the large mirror, and the web process's memory under load."
WEB_TARGET_MB = 250
TARGET_MS = {"project_complete": 30, "projects_page_500": 100}


def add_arguments(parser):
    parser.add_argument("--directories", type=int, default=50)
    parser.add_argument("--projects", type=int, default=1000)
    parser.add_argument("--phases", type=int, default=5000)
    parser.add_argument("--elevations", type=int, default=100000)
    parser.add_argument("--projects-with-rows", type=int, default=50,
                        help="Projects whose parts lists get article/profile/glass/U-value rows.")
    parser.add_argument("--articles", type=int, default=40, help="Article rows per parts list.")
    parser.add_argument("--profiles", type=int, default=25, help="Profile rows per parts list.")
    parser.add_argument("--repeat", type=int, default=20, help="Requests per endpoint (the first warms caches).")
    parser.add_argument("--load-seconds", type=int, default=60, help="HTTP load on the web process (0: skip).")


def _fill_parts_lists(project_ids: list[int], *, articles: int, profiles: int) -> None:
    """Facts on every parts list, rows on those of `project_ids` (set-based SQL: seconds, not minutes)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE syncapp_partslist SET parse_status = 'parsed', sha256 = md5(id::text) || md5(id::text), "
            "parsed_sha256 = md5(id::text) || md5(id::text), parsed_at = now(), "
            "auto_description = 'Window, 2 sashes, tilt and turn', auto_description_short = 'Window 2-sash', "
            "width_output = '1230', width_unit = 'mm', height_output = '1480', height_unit = 'mm', "
            "weight_output = '42.5', weight_unit = 'kg', area_output = '1.82', area_unit = 'm²', "
            "system_code = 'AWS 75', system_name = 'AWS 75.SI+', system_long_name = 'Schüco AWS 75.SI+', "
            "color_base_long = 'RAL 9016 traffic white'"
        )
        cursor.execute("UPDATE syncapp_elevation SET thumbnail = 'thumbnails/' || guid || '.png'")
        lists = ("FROM syncapp_partslist pl JOIN syncapp_elevation e ON e.id = pl.elevation_id "
                 "JOIN syncapp_phase ph ON ph.id = e.phase_id")
        for table, columns, values, count in (
            ("syncapp_partslistarticle", "article_code, description, amount, color",
             "'A' || g, 'Article ' || g || ' of the bill of materials', g, 'RAL 9016'", articles),
            ("syncapp_partslistprofile", "article_code, description, length, color, price",
             "'P' || g, 'Profile ' || g, 1000 + g, 'RAL 9016', 12.5", profiles),
            ("syncapp_partslistglass", "glass_id, name", "'G' || g, 'Glass 4/16/4 Ug 1.1'", 2),
            ("syncapp_partslistuvalue", "name, u, u_unit", "'Uw' || g, 1.3, 'W/m²K'", 1),
        ):
            cursor.execute(
                f"INSERT INTO {table} (parts_list_id, {columns}) SELECT pl.id, {values} {lists} "
                f"CROSS JOIN generate_series(1, %s) g WHERE ph.project_id = ANY(%s)", [count, project_ids],
            )
        cursor.execute(
            "UPDATE syncapp_partslist pl SET articles_count = %s, profiles_count = %s FROM syncapp_elevation e, "
            "syncapp_phase ph WHERE e.id = pl.elevation_id AND ph.id = e.phase_id AND ph.project_id = ANY(%s)",
            [articles, profiles, project_ids],
        )
    # As autovacuum leaves a settled database (visibility map set, statistics fresh).
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def _small_project() -> Project:
    """1 phase x 2 elevations: its detail must cost as many statements as a 5 x 20 project."""
    big = Project.objects.order_by("pk").first()
    project = Project.objects.create(guid=uuid.uuid4(), directory=big.directory, name="Small", synced_at=big.synced_at)
    phase = Phase.objects.create(project=project, guid=uuid.uuid4(), name="Only", synced_at=big.synced_at)
    for index in range(2):
        elevation = Elevation.objects.create(phase=phase, guid=uuid.uuid4(), name=f"S{index}", synced_at=big.synced_at)
        PartsList.objects.create(elevation=elevation)
    recount_live_children(Project.objects.filter(pk=project.pk))
    return project


def _measure(client: Client, urls: list[str], repeat: int) -> dict:
    timings, cpu, statements = [], [], set()
    for index in range(repeat):
        url = urls[index % len(urls)]
        with CaptureQueriesContext(connection) as queries:
            started, started_cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}: {response.content[:300]!r}")
        statements.add(len(queries))
        size = len(response.content)
    timings, cpu = timings[1:] or timings, cpu[1:] or cpu
    # statements: the fewest of any request, so that the periodic usage-count write
    # (one request in API_USAGE_FLUSH_S) does not hide the per-request figure.
    return {"p50_ms": round(statistics.median(timings), 1), "min_ms": round(min(timings), 1),
            "max_ms": round(max(timings), 1),
            "p50_cpu_ms": round(statistics.median(cpu), 1), "statements": min(statements),
            "response_kb": round(size / 1024, 1)}


def _in_process(key: str, projects: list[Project], small: Project, repeat: int, progress):
    client = Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Bearer {key}")
    details = [f"/api/v2/projects/{p.guid}" for p in projects]
    elevation = Elevation.objects.filter(phase__project=projects[0]).first()
    pages = ["/api/v2/projects?limit=500"]
    second = client.get(pages[0]).json()["next_cursor"]
    if second:
        pages.append(f"{pages[0]}&cursor={second}")
    cases = [
        ("project_complete", details),
        ("project_complete_with_rows", [f"{u}?include=articles,profiles" for u in details]),
        ("v1_project_complete", [f"/api/v1/odoo/projects/{p.guid}/complete" for p in projects]),
        ("elevation", [f"/api/v2/elevations/{elevation.guid}"]),
        ("projects_page_500", pages),
        ("projects_page_500_changed_since", [f"{pages[0]}&changed_since=2000-01-01T00:00:00Z"]),
        ("v1_projects_all", ["/api/v1/odoo/projects"]),
    ]
    for name, urls in cases:
        progress(name)
        figures = _measure(client, urls, repeat)
        if name == "project_complete":
            figures["statements_small_project"] = _measure(client, [f"/api/v2/projects/{small.guid}"], 3)["statements"]
            figures["constant_statements"] = figures["statements_small_project"] == figures["statements"]
        if name in TARGET_MS:
            figures["target_ms"] = TARGET_MS[name]
            figures["within_target"] = figures["p50_ms"] <= TARGET_MS[name]
        yield {"case": name, **figures}


def _load(base: str, key: str, projects: list[Project], seconds: int, web: ChildProcess) -> tuple[MemoryPeak, dict]:
    peak, statuses, stop = MemoryPeak(), {}, threading.Event()
    lock = threading.Lock()
    urls = [f"/api/v2/projects/{p.guid}?include=articles,profiles" for p in projects] + [
        "/api/v2/projects?limit=500", "/api/v1/odoo/projects", "/api/v1/odoo/stats", "/api/v2/directories",
        *(f"/api/v1/odoo/projects/{p.guid}/complete" for p in projects),
    ]

    def hammer(offset: int) -> None:
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=60) as http:
            index = offset
            while not stop.is_set():
                status = http.get(urls[index % len(urls)]).status_code
                with lock:
                    statuses[status] = statuses.get(status, 0) + 1
                index += 1

    threads = [threading.Thread(target=hammer, args=(i * 7,), daemon=True) for i in range(4)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and web.running():
        peak.sample(web.pid)
        time.sleep(0.5)
    stop.set()
    for thread in threads:
        thread.join(timeout=90)
    peak.sample(web.pid)
    return peak, statuses


def _web_memory(key: str, projects: list[Project], seconds: int, progress) -> dict:
    import tempfile
    from pathlib import Path

    port = free_port()
    env = production_env(DATABASE_URL=database_url(), PORT=port, LOG_LEVEL="warning", LOGIKAL_API_BASE_URL="http://127.0.0.1:9/x")
    with tempfile.TemporaryDirectory(prefix="bench-api-") as scratch:
        web, base, idle = start_web(procfile_commands()["web"], env=env, log_dir=Path(scratch), port=port)
        try:
            progress(f"web up ({idle.pss / MB:.0f} MB PSS idle); {seconds} s of HTTP load")
            peak, statuses = _load(base, key, projects, seconds, web)
        finally:
            web.stop()
    return {"case": "web_memory_under_load", "load_s": seconds, "requests": sum(statuses.values()),
            "statuses": {str(k): v for k, v in sorted(statuses.items())}, "web_idle_pss_mb": round(idle.pss / MB, 1),
            **peak.figures("web"), "web_target_mb": WEB_TARGET_MB,
            "within_target": peak.pss / MB < WEB_TARGET_MB}


def run(options, progress):
    sizes = {k: options[k] for k in ("directories", "projects", "phases", "elevations")}
    with scratch_database("api"):
        progress(f"building a mirror of {sizes}")
        build_mirror(**sizes, progress=progress)
        recount_live_children(Project.objects.all())  # built in bulk, not through syncs
        with_rows = list(Project.objects.order_by("pk").values_list("pk", flat=True)[:options["projects_with_rows"]])
        progress(f"facts on every parts list, rows on {len(with_rows)} projects' lists")
        _fill_parts_lists(with_rows, articles=options["articles"], profiles=options["profiles"])
        small = _small_project()
        key = create_api_client(name="bench", scopes="read").key
        projects = list(Project.objects.filter(pk__in=with_rows[:5]))
        for figures in _in_process(key, projects, small, options["repeat"], progress):
            yield {**sizes, **figures}
        if options["load_seconds"] > 0:
            connection.close()  # the web's own connections only, while it runs
            yield {**sizes, **_web_memory(key, projects, options["load_seconds"], progress)}
