"""The mirror admins: badges, filters, search, links along the tree, actions, and no query per row."""

import re

import pytest
from django.urls import reverse

from syncapp.models import Directory, Elevation, Phase, Project

from .conftest import make_tree, queued_sync_jobs

pytestmark = pytest.mark.django_db


def changelist(model, **query):
    url = reverse(f"admin:syncapp_{model._meta.model_name}_changelist")
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def names(response) -> list[str]:
    return sorted(str(obj) for obj in response.context["cl"].result_list)


def test_each_object_shows_its_freshness_badge(login, viewer, tree):
    response = login(viewer).get(changelist(Project))
    assert response.status_code == 200
    badges = {obj.name: obj.freshness for obj in response.context["cl"].result_list}
    assert badges == {"Alpha": "fresh", "Beta": "never", "Gamma": "failing", "Delta": "due"}
    assert 'class="sync-badge sync-badge-failing"' in response.text
    assert ">Never synced<" in response.text


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("fresh", ["(root)", "Demo"]),
        ("stale", ["Demo/Old"]),
        ("excluded", ["Archive"]),
        ("removed", ["Gone"]),
        ("never", []),
    ],
)
def test_the_freshness_filter_selects_each_state(login, viewer, tree, state, expected):
    response = login(viewer).get(changelist(Directory, freshness=state))
    assert response.status_code == 200
    assert names(response) == expected


def test_search_finds_objects_by_name_path_guid_and_job_number(login, viewer, tree):
    client = login(viewer)
    assert names(client.get(changelist(Project, q="J-200"))) == ["Beta"]
    assert names(client.get(changelist(Project, q="alph"))) == ["Alpha"]
    assert names(client.get(changelist(Project, q=str(tree.gamma.guid)))) == ["Gamma"]
    assert names(client.get(changelist(Directory, q="Demo/Old"))) == ["Demo/Old"]
    assert names(client.get(changelist(Elevation, q=str(tree.e2.guid)))) == ["E2"]
    assert names(client.get(changelist(Elevation, q="J-100"))) == ["E1", "E2"]


def test_lists_link_up_to_parents_and_down_to_filtered_children(login, viewer, tree):
    client = login(viewer)
    response = client.get(changelist(Directory))
    projects_of_demo = changelist(Project, directory__id__exact=tree.demo.pk)
    assert f'href="{projects_of_demo}">3<' in response.text
    subdirs_of_root = changelist(Directory, parent__id__exact=tree.root.pk)
    assert f'href="{subdirs_of_root}">3<' in response.text
    assert names(client.get(projects_of_demo)) == ["Alpha", "Beta", "Delta"]

    response = client.get(changelist(Elevation))
    phase_url = reverse("admin:syncapp_phase_change", args=[tree.alpha_phase1.pk])
    project_url = reverse("admin:syncapp_project_change", args=[tree.alpha.pk])
    assert f'href="{phase_url}">Phase 1<' in response.text
    assert f'href="{project_url}">Alpha<' in response.text

    response = client.get(changelist(Phase))
    elevations_url = changelist(Elevation, phase__id__exact=tree.alpha_phase1.pk)
    assert f'href="{elevations_url}">2<' in response.text


def test_the_change_page_is_read_only_and_links_to_the_objects_runs(login, superuser, tree):
    client = login(superuser)
    response = client.get(reverse("admin:syncapp_project_change", args=[tree.gamma.pk]))
    assert response.status_code == 200
    assert 'name="name"' not in response.text  # no input: the sync owns this row
    assert "LogiKalError: 503 Service Unavailable" in response.text
    runs = reverse("admin:syncapp_syncrun_changelist") + f"?object_type__exact=project&amp;object_id={tree.gamma.pk}"
    assert runs in response.text
    assert client.get(runs.replace("&amp;", "&")).status_code == 200
    assert client.post(reverse("admin:syncapp_project_change", args=[tree.gamma.pk]), {"name": "x"}).status_code == 403
    assert Project.objects.get(pk=tree.gamma.pk).name == "Gamma"


@pytest.mark.parametrize("model", [Directory, Project, Phase, Elevation])
def test_a_list_page_costs_the_same_queries_for_many_rows(login, viewer, django_assert_max_num_queries, model):
    make_tree()
    client = login(viewer)
    client.get(changelist(model))  # warm the session and permission caches
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(changelist(model))
    for i in range(12):
        demo = Directory.objects.get(path="Demo")
        project = Project.objects.create(guid=f"00000000-0000-0000-0001-{i:012d}", name=f"P{i}", directory=demo)
        phase = Phase.objects.create(project=project, guid=f"00000000-0000-0000-0002-{i:012d}", name="Ph")
        Elevation.objects.create(phase=phase, guid=f"00000000-0000-0000-0003-{i:012d}", name=f"E{i}")
        Directory.objects.create(path=f"Demo/D{i}", name=f"D{i}", parent=demo)
    with django_assert_max_num_queries(len(few)):
        response = client.get(changelist(model))
    assert len(response.context["cl"].result_list) > 12


def test_the_paginator_never_counts_past_its_cap(tree):
    from syncapp.admin.common import EstimatedCountPaginator

    class Small(EstimatedCountPaginator):
        CAP = 3

    paginator = Small(Project.objects.order_by("pk"), 2)
    assert paginator.count == 4  # CAP + 1: "more than the cap"
    assert paginator.capped


def test_force_sync_actions_queue_jobs_and_report_counts(login, forcer, tree):
    client = login(forcer)
    url = changelist(Project)
    selected = [tree.alpha.pk, tree.beta.pk]
    response = client.post(url, {"action": "force_sync_action", "_selected_action": selected}, follow=True)
    assert "Queued forced syncs of 2 projects (Alpha, Beta), only these, not what is below them." in response.text
    assert queued_sync_jobs() == [("project", tree.alpha.pk, "forced"), ("project", tree.beta.pk, "forced")]
    response = client.post(url, {"action": "force_sync_subtree_action", "_selected_action": selected}, follow=True)
    assert "Queued no new sync; 2 already queued." in response.text
    response = client.post(url, {"action": "force_sync_subtree_action", "_selected_action": [tree.gamma.pk]},
                           follow=True)
    assert "Queued a forced sync of project Gamma, with everything below it." in response.text
    # The list marks each object whose sync waits or runs.
    html = client.get(url).text
    for project in (tree.alpha, tree.beta, tree.gamma):
        row = re.search(r'<tr>(?:(?!</tr>).)*?/%d/change/(?:(?!</tr>).)*</tr>' % project.pk, html, re.S).group(0)
        assert 'class="sync-marker sync-marker-todo"' in row and ">queued<" in row
    delta_row = re.search(r'<tr>(?:(?!</tr>).)*?/%d/change/(?:(?!</tr>).)*</tr>' % tree.delta.pk, html, re.S)
    assert "sync-marker" not in delta_row.group(0)


def test_force_sync_skips_removed_and_excluded_objects_and_says_so(login, forcer, tree):
    client = login(forcer)
    selected = [tree.demo.pk, tree.archive.pk, tree.gone.pk]
    response = client.post(changelist(Directory), {"action": "force_sync_action", "_selected_action": selected},
                           follow=True)
    assert ("Queued a forced sync of directory Demo, only the object itself, not what is below it; "
            "2 skipped (removed upstream or excluded).") in response.text
    assert queued_sync_jobs() == [("directory", tree.demo.pk, "forced")]


def test_exclude_and_include_cascade_to_the_subtree(login, editor, tree):
    client = login(editor)
    url = changelist(Directory)
    response = client.post(url, {"action": "exclude_action", "_selected_action": [tree.demo.pk]}, follow=True)
    assert "Excluded 2 directories from sync" in response.text
    assert Directory.objects.get(pk=tree.old.pk).effectively_excluded
    assert names(client.get(changelist(Project, freshness="excluded"))) == ["Alpha", "Beta", "Delta", "Gamma"]
    response = client.post(url, {"action": "include_action", "_selected_action": [tree.demo.pk]}, follow=True)
    assert "Included 2 directories in sync again" in response.text
    assert not Directory.objects.get(pk=tree.old.pk).effectively_excluded


def test_a_failing_object_says_in_short_words_what_went_wrong_and_when_it_is_tried_again(login, viewer, tree):
    from datetime import timedelta

    from django.utils import timezone
    from procrastinate.jobs import Job

    from syncapp.admin.display import short_time_text
    from syncapp.sync.jobs import defer_jobs, object_lock

    Project.objects.filter(pk=tree.gamma.pk).update(
        failure_count=1, last_error="UpstreamUnavailable: GET /phases -> 500: Internal Server Error",
        last_error_summary="LogiKal server error while listing phases")
    at = timezone.now() + timedelta(minutes=3)
    lock = object_lock("project", tree.gamma.pk)
    # The next attempt, queued as a job of its own that carries its number.
    defer_jobs([Job(id=None, queue="sync", lock=lock, queueing_lock=lock, task_name="sync_object", scheduled_at=at,
                    task_kwargs={"object_type": "project", "object_id": tree.gamma.pk, "trigger": "scheduled",
                                 "attempt": 2})])
    html = login(viewer).get(changelist(Project)).text
    row = re.search(r'<tr>(?:(?!</tr>).)*?/%d/change/(?:(?!</tr>).)*</tr>' % tree.gamma.pk, html, re.S).group(0)
    assert f"LogiKal server error while listing phases — retrying at {short_time_text(at)} (attempt 2 of 5)" in row
    assert 'title="UpstreamUnavailable: GET /phases -&gt; 500: Internal Server Error"' in row
    assert f"retry at {short_time_text(at)}" in row  # the marker beside the badge
