"""A staff member's morning in Chromium at 1,400 x 900: lists that fit, a forced sync that shows
itself, a failure that shows as resolved, the parts list of an elevation.

With SCREENSHOT_DIR set, the main pages are saved there (`SCREENSHOT_DIR=docs manage.py test
tests/staff/test_staff_day.py` refreshes the README's pictures).
"""

import os
import re
import time
from pathlib import Path

import pytest
from django.contrib.auth.models import User

from syncapp.models import Directory, Elevation, ObjectSyncConfig, PartsList, PartsListArticle, SyncRun
from syncapp.simulator import Simulator, SimulatorConfig, serve
from syncapp.sync.force import force_sync

from ..sync.harness import running_worker, wait_idle, worker_env
from .test_browser import CHROMIUM, launch

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)"),
]
PASSWORD = "a-long-test-password"
LISTS = [
    "syncapp/directory", "syncapp/project", "syncapp/phase", "syncapp/elevation", "syncapp/partslist",
    "syncapp/syncrun", "syncapp/objectsyncconfig", "syncapp/schedulertick", "syncapp/upstreamsessionlease",
    "procrastinate/procrastinatejob", "auth/user", "auth/group",
]
SHOTS = {"dashboard": "/admin/dashboard/", "projects": "/admin/syncapp/project/", "sync-runs": "/admin/syncapp/syncrun/?problem=resolved",
         "sync-configs": "/admin/syncapp/objectsyncconfig/"}


@pytest.fixture
def page(monkeypatch):
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from django.db import connections

    with sync_api.sync_playwright() as playwright:
        browser = launch(playwright)
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        context.set_default_timeout(20_000)
        try:
            yield context.new_page()
        finally:
            browser.close()
            connections.close_all()


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"no {what} within {timeout} s"
        time.sleep(0.2)


@pytest.fixture
def synced(process_env, clean_queue, tmp_path):
    """The small tree synced by a real worker, after LogiKal failed listing phases for a while."""
    sim = Simulator(SimulatorConfig(dataset="small", parts_list_size="small"))
    # Retries come soon and often enough, so the failures are resolved within the test.
    ObjectSyncConfig.objects.filter(object_type="project").update(max_attempts=20, retry_base_seconds=1,
                                                                 retry_max_seconds=2)
    with serve(sim) as server:
        env = worker_env(process_env, server, tmp_path)
        sim.set_faults(server_error={"path": "/phases"})
        with running_worker(env, tmp_path) as worker:
            force_sync(Directory.objects.get(path=""), subtree=True)
            wait_for(lambda: SyncRun.objects.filter(outcome="retrying").exists(), 120, "failed project sync")
            sim.clear_faults()  # LogiKal recovers; the retries succeed
            wait_idle(300, workers=[worker])
        yield env, tmp_path


def no_horizontal_scroll(page) -> dict:
    return page.evaluate("""() => {
        const r = document.querySelector('#changelist .results');
        return {page: document.documentElement.scrollWidth - document.documentElement.clientWidth,
                table: r ? r.scrollWidth - r.clientWidth : 0};
    }""")


def shoot(page, name: str, *, height: int = 900) -> None:
    folder = os.environ.get("SCREENSHOT_DIR")
    if folder:
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True,
                        clip={"x": 0, "y": 0, "width": 1400, "height": height})


def verified_title(page, pk: int) -> str:
    row = page.locator(f'#result_list tr:has(a[href*="/directory/{pk}/change/"])')
    return row.locator("time").first.get_attribute("title")


# `synced` first: it sets up the test database, so the live server is stopped before it is dropped.
def test_a_staff_members_morning(synced, live_server, page):
    from playwright.sync_api import expect

    env, tmp_path = synced
    User.objects.create_superuser("staff", password=PASSWORD)
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "staff")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")

    # Every list fits the window with the sidebar open: no horizontal scrolling.
    for name in LISTS:
        page.goto(f"{live_server.url}/admin/{name}/")
        expect(page.locator("#nav-sidebar")).to_be_visible()
        assert no_horizontal_scroll(page) == {"page": 0, "table": 0}, name
    for name, path in SHOTS.items():
        page.goto(live_server.url + path)
        shoot(page, name)

    # The failures while LogiKal was down are shown as resolved, with when.
    assert not SyncRun.objects.open_failures().exists()
    failed = SyncRun.objects.failures().order_by("-started_at").first()
    assert failed.error_summary == "LogiKal server error while listing phases" and failed.resolved_at
    page.goto(f"{live_server.url}/admin/dashboard/")
    resolved = page.locator(f'#problems-table tr.problem-resolved[data-object="project:{failed.object_id}"]')
    expect(resolved).to_contain_text("LogiKal server error while listing phases")
    expect(resolved).to_contain_text(re.compile(r"resolved \d\d:\d\d"))
    expect(page.locator("#problems-table")).to_contain_text("No open problems.")
    page.goto(f"{live_server.url}/admin/syncapp/syncrun/?problem=resolved")
    expect(page.locator("#result_list .sync-resolved").first).to_contain_text(re.compile(r"resolved \d\d:\d\d"))

    # The elevation page shows its parts list as tables, facts first.
    elevation = Elevation.objects.filter(parts_list__parse_status="parsed").order_by("pk").first()
    page.goto(f"{live_server.url}/admin/syncapp/elevation/{elevation.pk}/change/")
    articles = PartsListArticle.objects.filter(parts_list=PartsList.objects.get(elevation=elevation)).count()
    expect(page.locator("#parts-list-facts")).to_contain_text("System")
    expect(page.locator("#parts-list-articles tbody tr")).to_have_count(articles)
    expect(page.locator("#parts-list-profiles thead")).to_contain_text("Length (mm)")
    expect(page.locator("#parts-list-technical")).not_to_have_attribute("open", "")
    shoot(page, "elevation", height=1500)

    # A forced sync shows itself: queued while no worker runs, then a new Verified time.
    root = Directory.objects.get(path="")
    page.goto(f"{live_server.url}/admin/syncapp/directory/")
    before = verified_title(page, root.pk)
    page.locator(f'#result_list tr:has(a[href*="/directory/{root.pk}/change/"]) input.action-select').check()
    page.select_option('select[name="action"]', "force_sync_action")
    page.click('button[name="index"]')
    expect(page.locator(".messagelist")).to_contain_text("Queued a forced sync of directory (root), only the object itself")
    marker = page.locator(f'#result_list tr:has(a[href*="/directory/{root.pk}/change/"]) .sync-marker')
    expect(marker).to_have_text("queued")
    shoot(page, "forced-sync")
    time.sleep(1.1)  # the new verification is at least a second later, as the tooltip shows seconds
    with running_worker(env, tmp_path, name="w2"):
        deadline = time.monotonic() + 120
        while marker.count():
            assert time.monotonic() < deadline, "the marker never went away"
            time.sleep(1)
            page.reload()
    assert verified_title(page, root.pk) != before
