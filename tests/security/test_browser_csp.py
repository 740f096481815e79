"""In Debian's Chromium: the admin and the self-refreshing dashboard work under the policy, no violation reported."""

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from syncapp.models import Project, SyncRun
from syncapp.simulator import hostile

from ..staff.conftest import make_tree
from ..staff.test_browser import CHROMIUM, browser_page  # noqa: F401 - the fixture, shared

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)"),
]

PASSWORD = "a-long-test-password"
IMG = '<img src=x onerror=alert("project")>'
SCRIPT = '</script><script>alert("xss")</script>'


def make_hostile(tree) -> None:
    """Upstream text that tries to run script: a project name, and a failed sync on the dashboard."""
    Project.objects.filter(pk=tree.alpha.pk).update(name=IMG)
    Project.objects.filter(pk=tree.gamma.pk).update(name=SCRIPT, last_error=hostile.LONG_TEXT[:2000])
    now = timezone.now()
    SyncRun.objects.create(object_type="project", object_id=tree.gamma.pk, object_label=SCRIPT + " " + hostile.text(3),
                           trigger="scheduled", outcome="failed", started_at=now, finished_at=now,
                           error=SCRIPT + hostile.text(1), error_summary=hostile.text(2))


def watch_console(page) -> list[str]:
    """Every console error and page error; Chromium reports CSP violations as console errors."""
    problems = []
    def on_console(message):
        where = message.location.get("url", "")
        # The browser asks for /favicon.ico on its own; the site has none (not a page's fault).
        if message.type in ("error", "warning") and not where.endswith("/favicon.ico"):
            problems.append(f"{message.type}: {message.text} at {where}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"pageerror: {error}"))
    page.on("response", lambda response: problems.append(f"HTTP {response.status}: {response.url}")
            if response.status >= 400 else None)
    return problems


# `transactional_db` first: the session-wide live server must stop before the database is dropped.
def test_admin_and_refreshing_dashboard_report_no_policy_violation(transactional_db, live_server, browser_page):
    from playwright.sync_api import expect

    tree = make_tree()
    make_hostile(tree)
    User.objects.create_superuser("staff", password=PASSWORD)
    page = browser_page
    problems = watch_console(page)
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "staff")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    expect(page.locator("#content-main")).to_be_visible()

    base = live_server.url
    for path in ["/admin/", "/admin/syncapp/directory/", f"/admin/syncapp/project/{tree.alpha.pk}/change/",
                 "/admin/syncapp/objectsyncconfig/", f"/admin/syncapp/objectsyncconfig/", "/admin/axes/accessattempt/",
                 "/api/v2/docs"]:
        response = page.goto(base + path)
        assert response.status == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"]
    expect(page.locator("#swagger-ui .info")).to_be_visible()  # the API docs ran their script

    # Hostile names are text on the page, not elements: no injected image, script or alert.
    page.goto(f"{base}/admin/syncapp/project/")
    expect(page.locator("#result_list")).to_contain_text(IMG)
    expect(page.locator("#result_list")).to_contain_text(SCRIPT)
    assert page.locator('img[src="x"]').count() == 0
    page.goto(f"{base}/admin/syncapp/project/{tree.gamma.pk}/change/")
    expect(page.locator("#content")).to_contain_text(SCRIPT)

    # The admin's own JavaScript works: the collapsed fieldset opens, the action bar counts.
    page.goto(f"{base}/admin/syncapp/directory/")
    page.locator('input[name="_selected_action"]').first.check()
    expect(page.locator(".action-counter")).to_contain_text("1 of")

    page.goto(f"{base}/admin/dashboard/")
    expect(page.locator("#sync-dashboard svg")).to_have_count(1)
    with page.expect_response(lambda response: "fragment=1" in response.url, timeout=25_000) as refreshed:
        pass
    assert refreshed.value.status == 200
    page.wait_for_timeout(300)  # the fragment is put in place
    expect(page.locator("#sync-dashboard svg")).to_have_count(1)
    expect(page.locator("#sync-refresh-note .bad")).to_have_count(0)
    expect(page.locator("#sync-dashboard")).to_contain_text(SCRIPT)  # the problem row, after the refresh
    assert page.locator('#sync-dashboard script, #sync-dashboard img[src="x"]').count() == 0
    assert dialogs == []
    assert problems == []
    assert not [line for line in problems if "Content Security Policy" in line]
