"""Finding one's way: sections by meaning, the dashboard as the landing page, a usable jobs page, short times."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from syncapp.admin.display import short_time_text
from syncapp.models import SyncRun, UpstreamSessionLease
from syncapp.sync.force import force_sync_many

pytestmark = pytest.mark.django_db


def sections(html: str) -> list[tuple[str, list[str]]]:
    """(section heading, entries) of an admin app list, in page order."""
    found = []
    for block in re.findall(r'<div class="app-[^"]*module[^"]*">(.*?)</table>', html, re.S):
        heading = re.search(r'class="section"[^>]*>([^<]+)</a>', block).group(1)
        found.append((heading, re.findall(r'<th scope="row"[^>]*>\s*<a href="[^"]+"[^>]*>([^<]+)</a>', block)))
    return found


def test_the_index_has_one_section_per_meaning_with_the_tree_in_its_order(login, superuser):
    html = login(superuser).get(reverse("admin:index")).text
    assert sections(html) == [
        ("Sync", ["Dashboard", "Sync runs", "Sync configurations", "Scheduler ticks", "Upstream sessions"]),
        ("Mirror", ["Directories", "Projects", "Phases", "Elevations", "Parts lists"]),
        ("Queue", ["Procrastinate jobs"]),
        ("API", ["API clients", "Webhook endpoints", "Webhook deliveries"]),
        ("Security", ["Audit trail", "Access attempts", "Access logs", "Access failures"]),
        ("Authentication and Authorization", ["Groups", "Users"]),
    ]


def test_every_page_has_the_dashboard_in_its_sidebar_and_says_the_time_zone_once(login, viewer, settings):
    client = login(viewer)
    for url in (reverse("admin:syncapp_project_changelist"), reverse("sync_dashboard")):
        html = client.get(url).text
        sidebar = html[html.index('id="nav-sidebar"'):]
        assert f'href="{reverse("sync_dashboard")}"' in sidebar
        assert html.count("Times in UTC") == 1
    # A view-only staff member sees only what they may view: no queue, no users.
    assert [name for name, _ in sections(client.get(reverse("admin:index")).text)] == ["Sync", "Mirror"]


def test_view_site_and_the_root_lead_to_the_dashboard(client, login, viewer):
    assert client.get("/").url == reverse("sync_dashboard")
    anonymous = client.get(reverse("sync_dashboard"))
    assert anonymous.status_code == 302 and "/admin/login/" in anonymous.url
    html = login(viewer).get(reverse("admin:index")).text
    assert re.search(r'<a href="/">View site</a>', html)
    assert login(viewer).get("/", follow=True).status_code == 200


def test_the_jobs_page_filters_by_status_queue_and_task_not_by_each_lock(login, superuser, tree):
    force_sync_many([tree.alpha, tree.beta, tree.gamma, tree.delta, tree.root, tree.demo])
    client = login(superuser)
    response = client.get(reverse("admin:procrastinate_procrastinatejob_changelist"))
    assert response.status_code == 200
    html = response.text
    assert "By lock" not in html and "By queueing lock" not in html
    assert "sync:project:" not in html[html.index('id="changelist-filter"'):]
    assert html.count('class="sync-marker') == 0 and "project #%d" % tree.alpha.pk in html
    found = client.get(reverse("admin:procrastinate_procrastinatejob_changelist"), {"q": f"sync:project:{tree.beta.pk}"})
    assert found.context["cl"].result_count == 1


def test_lists_show_short_times_and_the_full_time_on_hover(login, viewer, tree):
    now = timezone.now()
    assert re.fullmatch(r"\d\d:\d\d", short_time_text(now - timedelta(minutes=1), now))
    assert re.fullmatch(r"\d{1,2} \w{3} \d{4}", short_time_text(now - timedelta(days=800), now))
    SyncRun.objects.create(object_type="project", object_id=tree.alpha.pk, object_label="Alpha", trigger="forced",
                           outcome="success", started_at=now, finished_at=now)
    html = login(viewer).get(reverse("admin:syncapp_syncrun_changelist")).text
    cell = re.search(r'<time datetime="[^"]+" title="([^"]+)"[^>]*>([^<]+)</time>', html)
    assert re.fullmatch(r"\d\d:\d\d", cell.group(2)) and len(cell.group(1)) > len(cell.group(2))


def test_session_rows_say_busy_idle_or_free(login, viewer):
    soon = timezone.now() + timedelta(minutes=1)
    UpstreamSessionLease.objects.create(scope="s", slot=0, holder="h:1", acquired_at=timezone.now(), expires_at=soon,
                                        busy=True)
    UpstreamSessionLease.objects.create(scope="s", slot=1, holder="h:1", acquired_at=timezone.now(), expires_at=soon)
    UpstreamSessionLease.objects.create(scope="s", slot=2)
    html = login(viewer).get(reverse("admin:syncapp_upstreamsessionlease_changelist")).text
    assert html.count(">busy<") == 1 and html.count(">idle (logged in, waiting for a job)<") == 1
    assert html.count(">free<") == 1
