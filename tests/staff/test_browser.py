"""A staff member in a real browser: log in, edit an interval, force a sync, watch the dashboard update.

Debian's Chromium drives it (never a browser Playwright downloads); without
/usr/bin/chromium the test is skipped and says why.
"""

import os
import re
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.db import connections

from syncapp.models import ObjectSyncConfig
from syncapp.simulator import Simulator, SimulatorConfig, serve

from ..sync.harness import running_worker, worker_env

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
LAUNCH_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)"),
]


def launch(playwright):
    return playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=LAUNCH_FLAGS)


@pytest.fixture
def browser_page(monkeypatch):
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    # Playwright's sync API keeps an event loop on this thread; the ORM calls
    # between browser steps are still plain synchronous code.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as playwright:
        browser = launch(playwright)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        context.set_default_timeout(15_000)
        try:
            yield context.new_page()
        finally:
            browser.close()
            # ORM calls made while Playwright's loop is on this thread get a connection of
            # their own, which the test database teardown would otherwise find still open.
            connections.close_all()


@pytest.fixture
def worker(process_env, clean_queue, tmp_path):
    sim = Simulator(SimulatorConfig(dataset="small", parts_list_size="small"))
    with serve(sim) as server, running_worker(worker_env(process_env, server, tmp_path), tmp_path) as running:
        yield running


def fresh_elevations(page) -> int:
    return int(page.locator('#freshness-table tr[data-type="elevation"] td[data-state="fresh"]').inner_text())


# `worker` first: it sets up the test database, so the session-wide live server (created
# after it) is stopped before the database is dropped.
def test_staff_edit_an_interval_force_a_sync_and_watch_the_dashboard_update(worker, live_server, browser_page):
    from playwright.sync_api import expect

    User.objects.create_superuser("staff", password="a-long-test-password")
    page = browser_page
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "staff")
    page.fill("#id_password", "a-long-test-password")
    page.click("input[type=submit]")
    expect(page.locator("#content-main a", has_text="Dashboard")).to_be_visible()  # the index's Sync section

    # Edit the project interval in the list.
    page.goto(f"{live_server.url}/admin/syncapp/objectsyncconfig/")
    page.fill('input[name="form-1-interval_minutes"]', "20")
    page.fill('input[name="form-1-staleness_minutes"]', "10")
    page.click('input[name="_save"]')
    expect(page.locator(".errorlist")).to_contain_text("The staleness threshold must be at least the interval")
    page.fill('input[name="form-1-staleness_minutes"]', "45")
    page.click('input[name="_save"]')
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    project = ObjectSyncConfig.objects.get(object_type="project")
    assert (project.interval_minutes, project.staleness_minutes) == (20, 45)

    # The dashboard before any sync: nothing fresh yet.
    page.goto(f"{live_server.url}/admin/dashboard/")
    assert fresh_elevations(page) == 0
    dashboard = page

    # Force the root with its subtree from the directory list, in a second tab.
    admin_tab = page.context.new_page()
    admin_tab.goto(f"{live_server.url}/admin/syncapp/directory/")
    admin_tab.locator('input[name="_selected_action"]').first.check()
    admin_tab.select_option('select[name="action"]', "force_sync_subtree_action")
    admin_tab.click('button[name="index"]')
    expect(admin_tab.locator(".messagelist")).to_contain_text(
        "Queued a forced sync of directory (root), with everything below it.")

    # The open dashboard refreshes itself until the synced elevations show as fresh.
    expect(dashboard.locator('#freshness-table tr[data-type="elevation"] td[data-state="fresh"]')).to_have_text(
        re.compile(r"^\s*[1-9]\d*\s*$"), timeout=90_000
    )
    expect(dashboard.locator("#workers-alive")).to_have_text("1")
    expect(dashboard.locator("#sync-refresh-note .bad")).to_have_count(0)  # no failed refresh
