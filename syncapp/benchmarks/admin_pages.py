"""Time the staff pages over a large mirror in a scratch database.

One JSON line per page: the admin lists of every mirrored type (plain, filtered by
a freshness state, searched by name and by a whole GUID, a deep page), the
sync run list, and the dashboard with its JSON. `statements` is the number of SQL
statements of one request; it must not grow with the number of rows.
"""

import statistics
import time

from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from syncapp.models import Elevation, Project

from ..harness.database import scratch_database
from ..harness.mirror import build_mirror

HELP = "Milliseconds and SQL statements of the admin lists and the dashboard over ~100,000 elevations."


def add_arguments(parser):
    parser.add_argument("--directories", type=int, default=50)
    parser.add_argument("--projects", type=int, default=1000)
    parser.add_argument("--phases", type=int, default=5000)
    parser.add_argument("--elevations", type=int, default=100000)
    parser.add_argument("--repeat", type=int, default=5, help="Requests per page (the first warms caches).")


def _pages() -> list[tuple[str, str]]:
    elevation = Elevation.objects.order_by("pk").last()
    project = Project.objects.order_by("pk").last()
    pages = [("dashboard", "/admin/dashboard/"), ("dashboard_json", "/admin/dashboard/data.json"),
             ("syncrun_list", "/admin/syncapp/syncrun/")]
    for model in ("directory", "project", "phase", "elevation"):
        base = f"/admin/syncapp/{model}/"
        pages += [(f"{model}_list", base), (f"{model}_stale", f"{base}?freshness=stale")]
    pages += [
        ("elevation_search_name", f"/admin/syncapp/elevation/?q={elevation.name}"),
        ("elevation_search_guid", f"/admin/syncapp/elevation/?q={elevation.guid}"),
        ("elevation_page_50", "/admin/syncapp/elevation/?p=50"),
        ("project_search_job_number", f"/admin/syncapp/project/?q={project.job_number}"),
    ]
    return pages


def _measure(client: Client, url: str, repeat: int) -> dict:
    timings = []
    statements = 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
        statements = len(queries)
    timings = timings[1:] or timings  # the first request warms caches
    return {"p50_ms": round(statistics.median(timings), 1), "max_ms": round(max(timings), 1),
            "statements": statements}


def run(options, progress):
    sizes = {k: options[k] for k in ("directories", "projects", "phases", "elevations")}
    with scratch_database("admin"):
        progress(f"building a mirror of {sizes}")
        build_mirror(**sizes, progress=progress)
        # A few hundred stale elevations, so the stale filter has something to find.
        Elevation.objects.filter(pk__in=Elevation.objects.order_by("pk").values("pk")[:300]).update(synced_at=None)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        user = get_user_model().objects.create_superuser("bench", password="bench-password")
        client = Client(HTTP_HOST="localhost")
        client.force_login(user)
        for name, url in _pages():
            progress(name)
            yield {"page": name, **sizes, "repeat": options["repeat"], **_measure(client, url, options["repeat"])}
        progress("sync all elevations")
        yield {"page": "sync_all_elevations_action", **sizes, **_sync_all(client)}


def _sync_all(client: Client) -> dict:
    """The config admin's "Sync all" on the elevation row: the request, then one chunk of its fan-out job."""
    from procrastinate.contrib.django.models import ProcrastinateJob

    from syncapp.models import ObjectSyncConfig
    from syncapp.sync.sync_all import fan_out

    row = ObjectSyncConfig.objects.get(object_type="elevation")
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = client.post("/admin/syncapp/objectsyncconfig/",
                               {"action": "sync_all_now", "_selected_action": [row.pk]})
        request_ms = (time.perf_counter() - started) * 1000
    if response.status_code not in (200, 302):
        raise RuntimeError(f"sync all answered {response.status_code}")
    job = ProcrastinateJob.objects.get(task_name="sync_all", status="todo")
    started = time.perf_counter()
    counts = fan_out(**job.args, job_id=job.id)
    chunk_ms = (time.perf_counter() - started) * 1000
    return {"request_ms": round(request_ms, 1), "statements": len(queries),
            "chunk_ms": round(chunk_ms, 1), "chunk_queued": counts["queued"]}
