"""The sync configuration admin: list editing and the form, validated by the database's rules."""

import pytest
from django.urls import reverse
from django.utils import timezone

from syncapp.models import ObjectSyncConfig

from .conftest import queued_sync_jobs

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:syncapp_objectsyncconfig_changelist")


def form_data(config: ObjectSyncConfig, **changes) -> dict:
    data = {
        "enabled": "on" if config.enabled else "",
        "interval_minutes": config.interval_minutes,
        "staleness_minutes": config.staleness_minutes,
        "priority": config.priority,
        "max_attempts": config.max_attempts,
        "retry_base_seconds": config.retry_base_seconds,
        "retry_max_seconds": config.retry_max_seconds,
        "cascade": "on" if config.cascade else "",
        "trust_changed_date": config.trust_changed_date,
        "activity_based": "on" if config.activity_based else "",
        "activity_factor": config.activity_factor,
        "max_interval_minutes": config.max_interval_minutes,
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value != ""}


def list_edit_data(client, changes: dict[str, dict]) -> dict:
    """The changelist's own formset data, with `changes` per object type applied."""
    formset = client.get(CHANGELIST).context["cl"].formset
    data = {key: value for key, value in formset.management_form.initial.items()}
    data = {f"form-{key}": value for key, value in data.items()}
    data["_save"] = "Save"
    for index, form in enumerate(formset.forms):
        config = form.instance
        values = {
            "id": config.pk,
            "enabled": config.enabled,
            "interval_minutes": config.interval_minutes,
            "staleness_minutes": config.staleness_minutes,
            "priority": config.priority,
            **changes.get(config.object_type, {}),
        }
        for key, value in values.items():
            if value is True:
                value = "on"
            if value is not False:
                data[f"form-{index}-{key}"] = value
    return data


def change_url(object_type: str) -> str:
    return reverse("admin:syncapp_objectsyncconfig_change", args=[ObjectSyncConfig.objects.get(object_type=object_type).pk])


def test_it_lists_every_type_parents_first_with_editable_schedule(login, editor):
    response = login(editor).get(CHANGELIST)
    assert response.status_code == 200
    types = [row.object_type for row in response.context["cl"].result_list]
    assert types == ["directory", "project", "phase", "elevation", "parts_list"]
    assert 'name="form-0-interval_minutes"' in response.text
    assert 'name="form-0-staleness_minutes"' in response.text


def test_each_row_says_in_plain_words_what_it_schedules(login, editor):
    response = login(editor).get(CHANGELIST)
    phases = reverse("admin:syncapp_phase_changelist")
    assert f'<a href="{phases}">Phases</a>: each project\'s list re-read every 15 min' in response.text
    assert "Parts lists: downloaded when their elevation changed upstream" in response.text


def test_what_nothing_reads_for_a_row_is_not_editable_there(login, editor):
    client = login(editor)
    parts_list = ObjectSyncConfig.objects.get(object_type="parts_list")
    before = ObjectSyncConfig.objects.values().get(pk=parts_list.pk)
    page = client.get(change_url("parts_list")).text
    # interval, staleness, 3 retry settings, cascade, trust, and the 3 settings of quiet objects' intervals
    assert page.count("No effect for this row.") == 10
    response = client.post(change_url("parts_list"), form_data(parts_list, interval_minutes=5, staleness_minutes=5,
                                                                max_attempts=9, cascade="", priority=7))
    assert response.status_code == 302
    after = ObjectSyncConfig.objects.values().get(pk=parts_list.pk)
    changed = {key for key in before if before[key] != after[key]}
    assert changed == {"priority", "updated_at"}  # the one setting parse jobs read
    # The list shows the parts-list row's interval, not a field to type into.
    formset = client.get(CHANGELIST).context["cl"].formset
    (row,) = [form for form in formset.forms if form.instance.object_type == "parts_list"]
    assert row.fields["interval_minutes"].disabled and not row.fields["priority"].disabled
    project_page = client.get(change_url("project")).text
    assert "No effect for this row." not in project_page  # every project setting is read


def test_the_seed_systems_bookmark_leads_to_the_sync_configurations(login, editor):
    response = login(editor).get("/ui/sync-intervals")
    assert response.status_code == 302 and response["Location"] == CHANGELIST


def test_the_form_groups_fields_and_explains_each(login, editor):
    response = login(editor).get(change_url("project"))
    assert response.status_code == 200
    for heading in ("Schedule", "Retries", "Cascade"):
        assert f">{heading}<" in response.text
    assert "re-verified at least this often" in response.text
    assert "sync interval" in response.text.lower()
    assert 'value="30 min"' in response.text  # durations in units staff read, not raw minutes


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"interval_minutes": 0}, "The interval must be between 1 minute and 7 days."),
        ({"interval_minutes": 60, "staleness_minutes": 30}, "The staleness threshold must be at least the interval"),
        ({"interval_minutes": "2 h", "staleness_minutes": "1 h"}, "The staleness threshold must be at least the interval"),
        ({"interval_minutes": 999999, "staleness_minutes": 999999}, "The interval must be between 1 minute and 7 days."),
        ({"priority": 5000}, "The priority must be between -100 and 100."),
        ({"retry_base_seconds": 100, "retry_max_seconds": 10}, "The retry cap must be at least the retry base delay"),
    ],
)
def test_the_form_refuses_bad_values_with_the_rule_and_changes_nothing(login, editor, changes, message):
    config = ObjectSyncConfig.objects.get(object_type="project")
    before = (config.interval_minutes, config.staleness_minutes, config.priority, config.retry_max_seconds)
    response = login(editor).post(change_url("project"), form_data(config, **changes))
    assert response.status_code == 200
    assert message in response.text
    assert "Please correct the error" in response.text
    config.refresh_from_db()
    assert (config.interval_minutes, config.staleness_minutes, config.priority, config.retry_max_seconds) == before


def test_the_form_refuses_a_negative_interval_on_the_field(login, editor):
    config = ObjectSyncConfig.objects.get(object_type="phase")
    response = login(editor).post(change_url("phase"), form_data(config, interval_minutes=-5))
    assert response.status_code == 200
    assert "The interval must be between 1 minute and 7 days." in response.text
    assert response.context["adminform"].form.errors == {
        "interval_minutes": ["The interval must be between 1 minute and 7 days."]}
    assert ObjectSyncConfig.objects.get(object_type="phase").interval_minutes == 15


def test_the_form_saves_good_values(login, editor):
    config = ObjectSyncConfig.objects.get(object_type="project")
    response = login(editor).post(change_url("project"), form_data(config, interval_minutes=20, staleness_minutes=40))
    assert response.status_code == 302
    config.refresh_from_db()
    assert (config.interval_minutes, config.staleness_minutes) == (20, 40)
    response = login(editor).post(change_url("project"), form_data(config, interval_minutes="1.5 h",
                                                                   staleness_minutes="1 d 12 h"))
    assert response.status_code == 302
    config.refresh_from_db()
    assert (config.interval_minutes, config.staleness_minutes) == (90, 36 * 60)


def test_list_editing_saves_good_values(login, editor):
    client = login(editor)
    data = list_edit_data(client, {"elevation": {"interval_minutes": 10, "staleness_minutes": 25, "enabled": False}})
    response = client.post(CHANGELIST, data)
    assert response.status_code == 302
    config = ObjectSyncConfig.objects.get(object_type="elevation")
    assert (config.interval_minutes, config.staleness_minutes, config.enabled) == (10, 25, False)


def test_list_editing_shows_the_rule_beside_the_bad_row_and_saves_no_row(login, editor):
    client = login(editor)
    data = list_edit_data(client, {
        "directory": {"priority": 50},  # valid on its own
        "phase": {"interval_minutes": 60, "staleness_minutes": 30},
    })
    response = client.post(CHANGELIST, data)
    assert response.status_code == 200
    assert "Please correct the error" in response.text
    assert "The staleness threshold must be at least the interval" in response.text
    # The message sits in the phase row (form 2), right above its staleness input.
    errors_at = response.text.index("The staleness threshold must be at least the interval")
    assert response.text.index('name="form-2-interval_minutes"') < errors_at
    assert errors_at < response.text.index('name="form-2-staleness_minutes"')
    assert response.context["cl"].formset.forms[2].errors == {
        "staleness_minutes": ["The staleness threshold must be at least the interval and at most 30 days."]
    }
    configs = ObjectSyncConfig.objects.as_map()
    assert (configs["phase"].interval_minutes, configs["phase"].staleness_minutes) == (15, 30)
    assert configs["directory"].priority == 40


def test_list_editing_refuses_an_interval_of_zero(login, editor):
    client = login(editor)
    response = client.post(CHANGELIST, list_edit_data(client, {"project": {"interval_minutes": 0}}))
    assert response.status_code == 200
    assert "The interval must be between 1 minute and 7 days." in response.text
    assert ObjectSyncConfig.objects.get(object_type="project").interval_minutes == 15


def test_enable_and_disable_actions_report_how_many_rows_changed(login, editor):
    client = login(editor)
    ObjectSyncConfig.objects.filter(object_type="phase").update(enabled=False)
    pks = list(ObjectSyncConfig.objects.filter(object_type__in=["phase", "project"]).values_list("pk", flat=True))
    response = client.post(CHANGELIST, {"action": "enable_configs", "_selected_action": pks}, follow=True)
    assert "Enabled 1 configuration." in response.text
    response = client.post(CHANGELIST, {"action": "disable_configs", "_selected_action": pks}, follow=True)
    assert "Disabled 2 configurations." in response.text
    assert not ObjectSyncConfig.objects.filter(pk__in=pks, enabled=True).exists()


def fan_out_jobs() -> list:
    from procrastinate.contrib.django.models import ProcrastinateJob

    return list(ProcrastinateJob.objects.filter(task_name="sync_all", status="todo").order_by("id"))


def run_fan_out(job):
    """What the worker does with the queued fan-out job (the task's body, with its arguments)."""
    from django.db import connection

    from syncapp.sync.sync_all import fan_out

    counts = fan_out(**job.args, job_id=job.id)
    with connection.cursor() as cursor:  # done: out of the queue, as the worker would leave it
        cursor.execute("UPDATE procrastinate_jobs SET status = 'doing' WHERE id = %s", [job.id])
        cursor.execute("UPDATE procrastinate_jobs SET status = 'succeeded' WHERE id = %s", [job.id])
    return counts


def test_sync_all_of_a_type_queues_one_fan_out_job_which_queues_every_live_object(login, forcer, tree):
    from syncapp.models import SyncRun

    client = login(forcer)
    pk = ObjectSyncConfig.objects.get(object_type="project").pk
    response = client.post(CHANGELIST, {"action": "sync_all_now", "_selected_action": [pk]}, follow=True)
    (job,) = fan_out_jobs()
    assert f"Queued job {job.id}: it queues a forced sync of every live object of projects" in response.text
    assert queued_sync_jobs() == []  # the web request only queued the fan-out
    # Alpha, Beta, Gamma, Delta are live; none is removed or excluded.
    assert run_fan_out(job) == {"queued": 4, "already_queued": 0, "more": False}
    assert sorted(j[1] for j in queued_sync_jobs()) == sorted(p.pk for p in (tree.alpha, tree.beta, tree.gamma, tree.delta))
    assert {j[2] for j in queued_sync_jobs()} == {"forced"}
    run = SyncRun.objects.get(job_id=job.id)
    assert (run.object_type, run.object_id, run.jobs_deferred, run.outcome) == ("project", 0, 4, "success")
    assert "4 forced syncs queued, 0 already waiting; done" in run.error

    client.post(CHANGELIST, {"action": "sync_all_now", "_selected_action": [pk]}, follow=True)
    (again,) = fan_out_jobs()
    assert run_fan_out(again) == {"queued": 0, "already_queued": 4, "more": False}
    assert len(queued_sync_jobs()) == 4


def test_sync_all_directories_skips_removed_and_excluded_ones(login, forcer, tree):
    client = login(forcer)
    pk = ObjectSyncConfig.objects.get(object_type="directory").pk
    client.post(CHANGELIST, {"action": "sync_all_now", "_selected_action": [pk]}, follow=True)
    run_fan_out(fan_out_jobs()[0])
    # root, Demo, Demo/Old queued; Archive (excluded) and Gone (removed) skipped.
    assert sorted(j[1] for j in queued_sync_jobs()) == sorted(d.pk for d in (tree.root, tree.demo, tree.old))


def test_sync_all_goes_in_chunks_of_the_per_tick_cap_type_after_type(login, forcer, tree, settings):
    settings.SCHEDULER_MAX_JOBS_PER_TICK = 3
    pks = list(ObjectSyncConfig.objects.filter(object_type__in=["project", "phase", "parts_list"])
               .values_list("pk", flat=True))
    response = login(forcer).post(CHANGELIST, {"action": "sync_all_now", "_selected_action": pks}, follow=True)
    assert "Parts lists are synced with their elevations" in response.text
    chunks = []
    while jobs := fan_out_jobs():
        (job,) = jobs
        if chunks:  # a continuation waits for the next tick
            assert job.scheduled_at is not None and job.scheduled_at > timezone.now()
        chunks.append((job.args["object_types"][0], run_fan_out(job)["queued"]))
    # 4 projects in chunks of 3, then the 3 phases.
    assert chunks == [("project", 3), ("project", 1), ("phase", 3)]
    assert len(queued_sync_jobs()) == 7




def test_the_project_row_shows_the_changed_date_evidence_and_its_warning(login, editor):
    from syncapp.models import ChangedDateEvidence

    client = login(editor)
    assert "Evidence about changedDate" not in client.get(change_url("phase")).text
    page = client.get(change_url("project")).text
    assert "Evidence about changedDate" in page and "auto: not trusted; 0 confirmations (50 needed)" in page
    ChangedDateEvidence.objects.filter(pk=1).update(confirmations=61, violations=1, last_violation_at=timezone.now(),
                                                    last_violation="2 elevation change(s) in Alpha / Fase 1")
    page = client.get(change_url("project")).text
    assert "61 confirmations" in page and "2 elevation change(s) in Alpha / Fase 1" in page
    assert "unchanged projects are listed in full again" in page


def test_starting_the_evidence_afresh_is_an_audited_action(login, editor):
    from syncapp.models import AuditEntry, ChangedDateEvidence

    ChangedDateEvidence.objects.filter(pk=1).update(confirmations=61, violations=1)
    client = login(editor)
    pk = ObjectSyncConfig.objects.get(object_type="project").pk
    response = client.post(CHANGELIST, {"action": "restart_evidence", "_selected_action": [pk]}, follow=True)
    assert "Started the changedDate evidence afresh (was: 61 confirmations, 1 violations)" in response.text
    assert ChangedDateEvidence.objects.values_list("confirmations", "violations").get() == (0, 0)
    entry = AuditEntry.objects.latest("pk")
    assert entry.changes == {"changed_date_evidence": ["61 confirmations, 1 violations", "0 confirmations, 0 violations"]}
