"""Viewing, editing configs, forcing syncs and excluding directories are separate permissions."""

import pytest
from django.contrib.admin.sites import site
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.urls import reverse

from syncapp.models import Directory, ObjectSyncConfig, Project

from .conftest import make_staff, queued_sync_jobs

pytestmark = pytest.mark.django_db

PAGES = [
    "admin:syncapp_objectsyncconfig_changelist",
    "admin:syncapp_directory_changelist",
    "admin:syncapp_project_changelist",
    "admin:syncapp_phase_changelist",
    "admin:syncapp_elevation_changelist",
    "admin:syncapp_syncrun_changelist",
    "sync_dashboard",
    "sync_dashboard_json",
]


def actions_offered(client, model) -> set[str]:
    response = client.get(reverse(f"admin:syncapp_{model._meta.model_name}_changelist"))
    form = response.context.get("action_form")
    return {name for name, _ in form.fields["action"].choices if name} if form else set()


def request_for(user):
    request = RequestFactory().post("/")
    request.user = user
    return request


@pytest.mark.parametrize("page", PAGES)
def test_view_only_staff_see_every_page(login, viewer, tree, page):
    assert login(viewer).get(reverse(page)).status_code == 200


def test_view_only_staff_get_no_actions_and_no_editable_list(login, viewer, tree):
    client = login(viewer)
    for model in (ObjectSyncConfig, Directory, Project):
        assert actions_offered(client, model) == set()
    response = client.get(reverse("admin:syncapp_objectsyncconfig_changelist"))
    assert 'name="form-0-interval_minutes"' not in response.text


def test_config_editors_may_edit_but_not_force(login, editor, tree):
    client = login(editor)
    assert actions_offered(client, ObjectSyncConfig) == {"enable_configs", "disable_configs", "restart_evidence"}
    assert actions_offered(client, Project) == set()
    assert actions_offered(client, Directory) == {"exclude_action", "include_action"}


def test_forcers_may_force_but_not_edit(login, forcer, tree):
    client = login(forcer)
    assert actions_offered(client, ObjectSyncConfig) == {"sync_all_now"}
    assert actions_offered(client, Project) == {"force_sync_action", "force_sync_subtree_action"}
    response = client.get(reverse("admin:syncapp_objectsyncconfig_changelist"))
    assert 'name="form-0-interval_minutes"' not in response.text


@pytest.mark.parametrize(
    ("model", "action", "selected"),
    [
        (Project, "force_sync_action", lambda t: [t.alpha.pk]),
        (Project, "force_sync_subtree_action", lambda t: [t.alpha.pk]),
        (ObjectSyncConfig, "sync_all_now", lambda t: [ObjectSyncConfig.objects.get(object_type="project").pk]),
        (ObjectSyncConfig, "disable_configs", lambda t: [ObjectSyncConfig.objects.get(object_type="project").pk]),
        (Directory, "exclude_action", lambda t: [t.demo.pk]),
    ],
)
def test_a_posted_action_without_its_permission_changes_nothing(login, viewer, tree, model, action, selected):
    url = reverse(f"admin:syncapp_{model._meta.model_name}_changelist")
    response = login(viewer).post(url, {"action": action, "_selected_action": selected(tree)}, follow=True)
    assert response.status_code == 200
    assert queued_sync_jobs() == []
    assert ObjectSyncConfig.objects.filter(enabled=False).count() == 0
    assert not Directory.objects.get(pk=tree.demo.pk).excluded


@pytest.mark.parametrize(
    ("model", "action", "codenames"),
    [
        (Project, "force_sync_action", ["change_objectsyncconfig", "change_directory"]),
        (Directory, "force_sync_subtree_action", ["change_objectsyncconfig", "change_directory"]),
        (ObjectSyncConfig, "sync_all_now", ["change_objectsyncconfig"]),
        (ObjectSyncConfig, "enable_configs", ["force_sync"]),
        (ObjectSyncConfig, "restart_evidence", ["force_sync"]),
        (Directory, "exclude_action", ["force_sync", "change_objectsyncconfig"]),
        (Directory, "include_action", ["force_sync"]),
    ],
)
def test_each_action_refuses_itself_without_its_permission(tree, model, action, codenames):
    # Called directly, as a crafted request that got past the action list would.
    user = make_staff("crafty", *codenames)
    modeladmin = site._registry[model]
    with pytest.raises(PermissionDenied):
        getattr(modeladmin, action)(request_for(user), model.objects.all())
    assert queued_sync_jobs() == []


def test_staff_without_any_sync_permission_cannot_open_the_dashboard(login, tree):
    client = login(make_staff("stranger"))
    assert client.get(reverse("sync_dashboard")).status_code == 403
    assert client.get(reverse("sync_dashboard_json")).status_code == 403


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    response = client.get(reverse("sync_dashboard"))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]
