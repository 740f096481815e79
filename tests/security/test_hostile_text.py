"""The `hostile` data set synced for real: names full of markup, quotes and control characters are data everywhere.

A real worker syncs the simulator's hostile project centre over HTTP; then every admin list and
object page, the dashboard (page, fragment, JSON, SVG chart), the audit trail, the JSON API and
the worker's log show the text escaped, and nothing is lost or cut.
"""

import json
import re
import xml.etree.ElementTree as ET

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from syncapp import audit
from syncapp.api.clients import create_api_client
from syncapp.models import Directory, Elevation, PartsList, Phase, Project, SyncRun
from syncapp.simulator import Simulator, SimulatorConfig, hostile, serve
from syncapp.sync.tick import scheduler_tick

from ..sync.harness import running_worker, wait_idle, worker_env

pytestmark = pytest.mark.slow

# Markup that must never reach a page unescaped (each is in the data set).
RAW_MARKUP = ["<script>alert", "<svg onload", "<img src=x", "<b>bold</b>", '<a href="javascript:']
TIMESTAMPED = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} [A-Z]+ ")


def stored(value: str) -> str:
    return value.replace(hostile.NUL, "")  # PostgreSQL keeps no NUL; everything else is kept


def assert_escaped(html: str, where: str) -> None:
    for raw in RAW_MARKUP:
        assert raw not in html, f"{where}: {raw!r} unescaped"


@pytest.fixture
def mirrored(clean_queue, process_env, tmp_path):
    sim = Simulator(SimulatorConfig(dataset="hostile", parts_list_size="small"))
    with serve(sim) as server:
        env = worker_env(process_env, server, tmp_path, LOG_FORMAT="text", LOG_LEVEL="info")
        with running_worker(env, tmp_path) as worker:
            scheduler_tick()
            wait_idle(workers=[worker])
        return sim, (tmp_path / "w1.log").read_text()


def check_synced_whole_and_unchanged(sim) -> None:
    assert not SyncRun.objects.exclude(outcome="success").exists(), list(
        SyncRun.objects.exclude(outcome="success").values_list("error", flat=True)[:3])
    upstream = {stored(p.name) for path in ["", *(d.path for d in sim.iter_directories())] for p in sim.projects_in(path)}
    assert set(Project.objects.values_list("name", flat=True)) == upstream
    assert Project.objects.filter(name=hostile.long_name("P0")).exists()  # 255 characters, kept whole
    assert set(Directory.objects.exclude(path="").values_list("name", flat=True)) == set(hostile.DIRECTORY_NAMES)
    assert Phase.objects.filter(description=hostile.LONG_TEXT).exists()
    assert Elevation.objects.filter(user_description=hostile.LONG_TEXT).exists()
    assert Elevation.objects.filter(name__contains="\n").exists() and Project.objects.filter(name__contains="\x1b").exists()
    assert PartsList.objects.filter(parse_status="parsed").count() == Elevation.objects.count()


def check_every_page_shows_the_markup_as_text() -> None:
    staff = Client()
    boss = User.objects.create_superuser("boss", password="pw")
    staff.force_login(boss)
    project = Project.objects.get(name__contains="<svg onload")
    audit.record(audit.Actor(name="boss", source="admin", user_id=boss.pk), "force_sync", project)
    pages = ["/admin/", "/admin/dashboard/", "/admin/dashboard/?fragment=1", "/admin/syncapp/auditentry/",
             "/admin/syncapp/syncrun/"]
    for model in (Directory, Project, Phase, Elevation, PartsList):
        name = model._meta.model_name
        pages.append(reverse(f"admin:syncapp_{name}_changelist"))
        pages += [reverse(f"admin:syncapp_{name}_change", args=[pk]) for pk in model.objects.values_list("pk", flat=True)[:6]]
    for path in pages:
        response = staff.get(path)
        assert response.status_code == 200, path
        assert_escaped(response.content.decode(), path)
    project_page = staff.get(reverse("admin:syncapp_project_change", args=[project.pk])).content.decode()
    assert "&quot;&gt;&lt;svg onload=alert(1)&gt;&lt;text&gt;injected&lt;/text&gt;&lt;/svg&gt; #P1" in project_page


def check_the_chart_is_well_formed_svg_and_the_figures_are_json() -> None:
    staff = Client()
    staff.force_login(User.objects.get(username="boss"))
    html = staff.get("/admin/dashboard/?fragment=1").content.decode()
    svg = re.search(r"<svg\b.*?</svg>", html, re.S).group()
    ET.fromstring(svg)  # parses: nothing in it broke the markup
    figures = json.loads(staff.get("/admin/dashboard/data.json").content)
    assert figures["types"]


def check_the_api_returns_the_text_exactly() -> None:
    key = create_api_client(name="erp", scopes=["read"]).key
    api = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    names = set()
    url = "/api/v2/projects"
    while url:
        page = json.loads(api.get(url).content)
        names |= {item["name"] for item in page["items"]}
        url = page["next_url"]
    assert names == set(Project.objects.values_list("name", flat=True))
    directories = json.loads(api.get("/api/v2/directories").content)
    assert set(hostile.DIRECTORY_NAMES) <= {d["name"] for d in (directories.get("items", directories))}
    project = Project.objects.get(name=hostile.long_name("P0"))
    detail = json.loads(api.get(f"/api/v2/projects/{project.guid}").content)
    assert detail["name"] == hostile.long_name("P0")
    assert hostile.LONG_TEXT in {phase["description"] for phase in detail["phases"]}


def check_every_log_line_is_one_line(log: str) -> None:
    lines = log.splitlines()
    assert lines
    assert any("#P3" in line and "\\x1b" in line for line in lines)  # the names are there, escaped
    strays = [line for line in lines if not TIMESTAMPED.match(line)]
    assert strays == []


# One sync (a real worker, about a minute under load) serves every check.
def test_the_hostile_data_set_is_synced_and_shown_as_text_everywhere(mirrored):
    sim, log = mirrored
    check_synced_whole_and_unchanged(sim)
    check_every_page_shows_the_markup_as_text()
    check_the_chart_is_well_formed_svg_and_the_figures_are_json()
    check_the_api_returns_the_text_exactly()
    check_every_log_line_is_one_line(log)
