"""The audit trail: each staff action (admin or command) writes exactly one entry per object, with old -> new."""

import json
import logging
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from syncapp.logging import JsonFormatter, TextFormatter
from syncapp.maintenance import prune_history
from syncapp.api.clients import create_api_client
from syncapp.models import ApiClient, AuditEntry, Directory, ObjectSyncConfig, PartsList, Project, WebhookEndpoint
from syncapp.webhooks.endpoints import create_endpoint

from ..partslists.conftest import CHANGED, make_elevation, parts_file
from ..staff.conftest import VIEW_PERMISSIONS, make_staff, make_tree
from ..staff.test_config_admin import list_edit_data

pytestmark = pytest.mark.django_db

TRAIL = reverse("admin:syncapp_auditentry_changelist")


def changelist(model) -> str:
    return reverse(f"admin:syncapp_{model._meta.model_name}_changelist")


@pytest.fixture
def tree(db):
    return make_tree()


@pytest.fixture
def boss(db) -> Client:
    client = Client(REMOTE_ADDR="198.51.100.7")
    client.force_login(User.objects.create_superuser("boss", password="pw"))
    return client


def entries(**filters) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(**filters).order_by("id"))


def only_entry(**filters) -> AuditEntry:
    [entry] = entries(**filters)
    return entry


def test_a_config_edit_in_the_list_records_old_and_new_values(boss):
    project = ObjectSyncConfig.objects.get(object_type="project")
    old = project.interval_minutes
    data = list_edit_data(boss, {"project": {"interval_minutes": old + 5, "staleness_minutes": (old + 5) * 3}})
    assert boss.post(changelist(ObjectSyncConfig), data).status_code == 302
    entry = only_entry()
    assert (entry.actor, entry.source, entry.address, entry.action) == ("boss", "admin", "198.51.100.7", "config_change")
    assert (entry.object_type, entry.object_id) == ("syncapp.objectsyncconfig", str(project.pk))
    assert entry.changes == {"interval_minutes": [old, old + 5],
                             "staleness_minutes": [project.staleness_minutes, (old + 5) * 3]}
    assert entry.user.username == "boss"


def test_enable_and_disable_actions_record_each_config_that_changed(boss):
    ObjectSyncConfig.objects.filter(object_type="phase").update(enabled=False)
    ids = list(ObjectSyncConfig.objects.filter(object_type__in=["phase", "project"]).values_list("pk", flat=True))
    boss.post(changelist(ObjectSyncConfig), {"action": "enable_configs", "_selected_action": ids})
    entry = only_entry()  # project was enabled already: nothing changed, nothing recorded
    assert entry.object_repr and entry.changes == {"enabled": [False, True]}
    assert entry.object_id == str(ObjectSyncConfig.objects.get(object_type="phase").pk)


def test_forced_syncs_record_one_entry_per_object_and_the_subtree(boss, tree):
    url = changelist(Project)
    boss.post(url, {"action": "force_sync_action", "_selected_action": [tree.alpha.pk, tree.beta.pk]})
    assert [(e.action, e.object_repr) for e in entries()] == [("force_sync", "Alpha"), ("force_sync", "Beta")]
    boss.post(url, {"action": "force_sync_subtree_action", "_selected_action": [tree.gamma.pk]})
    assert only_entry(action="force_sync_subtree").object_id == str(tree.gamma.pk)


def test_removed_or_excluded_objects_skipped_by_a_force_leave_no_entry(boss, tree):
    boss.post(changelist(Directory), {"action": "force_sync_action",
                                      "_selected_action": [tree.gone.pk, tree.archive.pk]})
    assert entries() == []


def test_sync_all_of_a_type_records_the_type_with_its_fan_out_job(boss, tree):
    from procrastinate.contrib.django.models import ProcrastinateJob

    config = ObjectSyncConfig.objects.get(object_type="project")
    boss.post(changelist(ObjectSyncConfig), {"action": "sync_all_now", "_selected_action": [config.pk]})
    entry = only_entry()
    assert entry.action == "force_sync_type" and entry.object_id == str(config.pk)
    # The counts come when the job runs (on its sync runs); the entry names the job.
    job = ProcrastinateJob.objects.get(task_name="sync_all")
    assert entry.details == {"fan_out_job": job.id}


def test_exclude_and_include_record_the_flag_once_each(boss, tree):
    url = changelist(Directory)
    boss.post(url, {"action": "exclude_action", "_selected_action": [tree.demo.pk]})
    boss.post(url, {"action": "exclude_action", "_selected_action": [tree.demo.pk]})  # already: no entry
    boss.post(url, {"action": "include_action", "_selected_action": [tree.demo.pk]})
    assert [(e.action, e.object_repr, e.changes) for e in entries()] == [
        ("exclude", "Demo", {"excluded": [False, True]}), ("include", "Demo", {"excluded": [True, False]})]


def test_a_reparse_records_each_parts_list(boss):
    from syncapp.partslists.store import store_parts_list

    parts_list = store_parts_list(elevation=make_elevation(), data=parts_file(), source_changed_date=CHANGED).parts_list
    boss.post(changelist(PartsList), {"action": "reparse", "_selected_action": [parts_list.pk]})
    entry = only_entry()
    assert (entry.action, entry.object_type, entry.object_id) == ("reparse", "syncapp.partslist", str(parts_list.pk))


def test_api_clients_created_changed_rotated_and_revoked_in_the_admin(boss):
    boss.post(reverse("admin:syncapp_apiclient_add"), {"name": "erp", "scopes": ["read"]})
    client = ApiClient.objects.get(name="erp")
    boss.post(reverse("admin:syncapp_apiclient_change", args=[client.pk]), {"scopes": ["read", "sync"]})
    boss.post(changelist(ApiClient), {"action": "rotate_selected", "_selected_action": [client.pk]})
    boss.post(changelist(ApiClient), {"action": "revoke_selected", "_selected_action": [client.pk]})
    boss.post(changelist(ApiClient), {"action": "revoke_selected", "_selected_action": [client.pk]})  # no change
    trail = entries(object_id=str(client.pk))
    assert [(e.action, e.changes) for e in trail] == [
        ("api_client_create", {"scopes": [None, ["read"]]}),
        ("api_client_change", {"scopes": [["read"], ["read", "sync"]]}),
        ("api_client_rotate", {"key_prefix": [trail[2].changes["key_prefix"][0], ApiClient.objects.get().key_prefix]}),
        ("api_client_revoke", {"active": [True, False]}),
    ]
    stored = json.dumps([(e.changes, e.details) for e in trail])
    assert ApiClient.objects.get().key_hash not in stored  # never a key or its digest
    boss.post(reverse("admin:syncapp_apiclient_delete", args=[client.pk]), {"post": "yes"})
    assert not ApiClient.objects.exists()
    deleted = only_entry(action="api_client_delete")
    assert (deleted.object_repr, deleted.changes) == ("erp", {"scopes": [["read", "sync"], None]})


def test_commands_record_the_system_user_and_the_command(tree, capsys):
    call_command("force_sync", "project", "Alpha", "--subtree")
    call_command("api_client", "create", "odoo", "--scopes", "read")
    call_command("api_client", "rotate", "odoo")
    call_command("api_client", "revoke", "odoo")
    trail = entries()
    assert [(e.action, e.source, e.object_repr) for e in trail] == [
        ("force_sync_subtree", "manage.py force_sync", "Alpha"),
        ("api_client_create", "manage.py api_client", "odoo"),
        ("api_client_rotate", "manage.py api_client", "odoo"),
        ("api_client_revoke", "manage.py api_client", "odoo"),
    ]
    assert all(e.user is None and e.actor and e.address is None for e in trail)
    assert capsys.readouterr().out.strip().splitlines()[-1] not in json.dumps([e.changes for e in trail])


def test_each_entry_is_one_json_log_line(boss, tree, caplog):
    with caplog.at_level(logging.INFO, logger="syncapp.audit"):
        boss.post(changelist(Project), {"action": "force_sync_action", "_selected_action": [tree.alpha.pk, tree.beta.pk]})
    lines = [JsonFormatter().format(r) for r in caplog.records if r.name == "syncapp.audit"]
    assert len(lines) == 2 and all("\n" not in line for line in lines)
    first = json.loads(lines[0])
    assert (first["actor"], first["action"], first["object"], first["address"]) == ("boss", "force_sync", "Alpha",
                                                                                  "198.51.100.7")
    assert first["audit_id"] == entries()[0].pk


def test_a_view_only_user_sees_the_trail_and_cannot_change_it(tree, boss):
    boss.post(changelist(Directory), {"action": "exclude_action", "_selected_action": [tree.demo.pk]})
    entry = only_entry()
    viewer = Client()
    viewer.force_login(make_staff("auditor", *VIEW_PERMISSIONS, "view_auditentry"))
    listing = viewer.get(TRAIL)
    assert listing.status_code == 200 and "Demo" in listing.content.decode()
    page = viewer.get(reverse("admin:syncapp_auditentry_change", args=[entry.pk]))
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert viewer.post(reverse("admin:syncapp_auditentry_change", args=[entry.pk]), {"actor": "x"}).status_code == 403
    assert viewer.post(reverse("admin:syncapp_auditentry_delete", args=[entry.pk]), {"post": "yes"}).status_code == 403
    # Superusers neither: the trail is evidence.
    assert boss.get(reverse("admin:syncapp_auditentry_delete", args=[entry.pk])).status_code == 403
    assert boss.get(reverse("admin:syncapp_auditentry_add")).status_code == 403
    assert AuditEntry.objects.get(pk=entry.pk).actor == "boss"
    # Without the view permission, not at all.
    outsider = Client()
    outsider.force_login(make_staff("outsider", *VIEW_PERMISSIONS))
    assert outsider.get(TRAIL).status_code == 403


def test_the_database_refuses_to_change_an_entry_but_lets_a_deleted_user_go(tree):
    user = User.objects.create_user("temp", password="pw", is_staff=True)
    from syncapp import audit

    entry = audit.record(audit.Actor(name="temp", source="admin", user_id=user.pk), "exclude", tree.demo)
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(object_repr="something else")
    user.delete()  # ON DELETE SET NULL is the one update allowed
    assert AuditEntry.objects.get(pk=entry.pk).user is None and AuditEntry.objects.get(pk=entry.pk).actor == "temp"


def test_each_object_page_links_to_its_own_trail(boss, tree):
    url = changelist(Project)
    boss.post(url, {"action": "force_sync_action", "_selected_action": [tree.alpha.pk, tree.beta.pk]})
    page = boss.get(reverse("admin:syncapp_project_change", args=[tree.alpha.pk])).content.decode()
    history = reverse("admin:syncapp_project_history", args=[tree.alpha.pk])
    assert f'href="{history}"' in page
    trail = boss.get(history, follow=True)
    assert [e.object_repr for e in trail.context["cl"].result_list] == ["Alpha"]
    client = create_api_client(name="erp", scopes=["read", "webhooks"]).client
    hook = create_endpoint(client=client, url="https://erp.example.com/hooks", events=["project.changed"]).endpoint
    for model, pk in ((ObjectSyncConfig, ObjectSyncConfig.objects.first().pk), (Directory, tree.demo.pk),
                      (WebhookEndpoint, hook.pk), (ApiClient, client.pk)):
        response = boss.get(reverse(f"admin:syncapp_{model._meta.model_name}_history", args=[pk]))
        assert response.status_code == 302 and TRAIL in response.url


def test_the_trail_filters_by_user_action_and_object(boss, tree):
    boss.post(changelist(Project), {"action": "force_sync_action", "_selected_action": [tree.alpha.pk]})
    boss.post(changelist(Directory), {"action": "exclude_action", "_selected_action": [tree.demo.pk]})
    assert [e.action for e in boss.get(TRAIL, {"action": "exclude"}).context["cl"].result_list] == ["exclude"]
    assert len(boss.get(TRAIL, {"actor": "boss"}).context["cl"].result_list) == 2
    assert len(boss.get(TRAIL, {"actor": "nobody"}).context["cl"].result_list) == 0
    by_type = boss.get(TRAIL, {"object_type": "syncapp.directory"}).context["cl"].result_list
    assert [e.object_repr for e in by_type] == ["Demo"]


def test_entries_are_pruned_only_after_the_retention(settings, tree):
    from syncapp import audit

    settings.AUDIT_RETENTION_DAYS = 365
    actor = audit.Actor(name="ops", source="admin")
    old, recent = audit.record(actor, "exclude", tree.demo), audit.record(actor, "include", tree.demo)
    AuditEntry.objects.filter(pk=old.pk).delete()
    AuditEntry.objects.bulk_create([AuditEntry(actor="ops", source="admin", action="exclude",
                                               at=timezone.now() - timedelta(days=366))])
    AuditEntry.objects.bulk_create([AuditEntry(actor="ops", source="admin", action="exclude",
                                               at=timezone.now() - timedelta(days=364))])
    counts = prune_history()
    assert counts["audit_entries"] == 1
    assert AuditEntry.objects.count() == 2 and AuditEntry.objects.filter(pk=recent.pk).exists()


def test_a_hostile_name_stays_one_log_line_in_both_formats(tree, caplog):
    from syncapp import audit

    Directory.objects.filter(pk=tree.demo.pk).update(name="a\nFAKE 2026 INFO line\r\x1b[31m\u2028<b>")
    demo = Directory.objects.get(pk=tree.demo.pk)
    demo.path = "Demo\nINFO injected"
    with caplog.at_level(logging.INFO, logger="syncapp.audit"):
        audit.record(audit.Actor(name="ops\nroot", source="admin"), "exclude", demo)
    [record] = [r for r in caplog.records if r.name == "syncapp.audit"]
    text = TextFormatter("%(levelname)s %(message)s").format(record)
    assert len(text.splitlines()) == 1 and "\\n" in text and "Demo" in text
    assert len(JsonFormatter().format(record).splitlines()) == 1


def test_cancelling_a_job_in_the_admin_records_its_status_change(boss):
    from syncapp.tasks import prune_history_task

    job_id = prune_history_task.defer()
    response = boss.post(reverse("admin:procrastinate_procrastinatejob_changelist"),
                         {"action": "cancel", "_selected_action": [job_id]})
    assert response.status_code == 302
    entry = only_entry()
    assert (entry.action, entry.object_type, entry.object_id) == ("job_cancel", "procrastinate.procrastinatejob",
                                                                  str(job_id))
    assert entry.changes == {"status": ["todo", "cancelled"]} and entry.details["task"] == "prune_history"
