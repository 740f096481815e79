"""The foundation: settings validation, data model invariants, a real job on a real worker."""

import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from syncapp.models import Directory, ObjectSyncConfig, Phase, Project, SyncRun
from syncapp.models.mirror import NULL_GUID

from .conftest import ROOT, manage


def run_check(**env_overrides) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in env_overrides}
    env.update({k: v for k, v in env_overrides.items() if v is not None})
    env.setdefault("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "check"], env=env, cwd=ROOT, capture_output=True, text=True
    )


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("BACKGROUND_SYNC_ENABLED", "maybe", "BACKGROUND_SYNC_ENABLED: expected a boolean"),
        ("LOGIKAL_MAX_SESSIONS", "four", "LOGIKAL_MAX_SESSIONS: expected an integer"),
        ("LOGIKAL_MAX_SESSIONS", "0", "LOGIKAL_MAX_SESSIONS: must be at least 1"),
        ("DATABASE_URL", "sqlite:///db.sqlite3", "DATABASE_URL: expected a postgresql:// URL"),
        ("DATABASE_URL", "postgresql://", "DATABASE_URL:"),
        ("LOG_FORMAT", "xml", "LOG_FORMAT: expected one of text, json"),
        ("LOGIKAL_API_BASE_URL", "not a url", "LOGIKAL_API_BASE_URL: expected a http/https URL"),
    ],
)
def test_it_refuses_a_bad_variable_with_one_line_naming_it(variable, value, expected):
    result = run_check(**{variable: value})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines == [lines[0]] and expected in lines[0], result.stderr


def test_it_requires_a_secret_key_when_debug_is_off():
    result = run_check(DEBUG="false", SECRET_KEY=None, ALLOWED_HOSTS="example.com")
    assert result.returncode == 2
    assert "SECRET_KEY: required when DEBUG is false" in result.stderr


def test_production_refuses_the_embedded_database_and_the_simulator():
    no_db = run_check(DEBUG="false", SECRET_KEY="x" * 50, ALLOWED_HOSTS="example.com", DATABASE_URL="")
    assert "DATABASE_URL: required when DEBUG is false" in no_db.stderr
    no_upstream = run_check(DEBUG="false", SECRET_KEY="x" * 50, ALLOWED_HOSTS="example.com", LOGIKAL_API_BASE_URL="")
    assert "LOGIKAL_API_BASE_URL: required when DEBUG is false" in no_upstream.stderr


def test_a_password_in_a_bad_url_is_not_echoed():
    result = run_check(LOGIKAL_API_BASE_URL="ftp://user:hunter2@host/x")
    assert result.returncode == 2
    assert "hunter2" not in result.stderr


@pytest.mark.django_db
def test_the_default_sync_configs_exist_with_the_designed_values():
    configs = ObjectSyncConfig.objects.as_map()
    assert (configs["directory"].interval_minutes, configs["directory"].staleness_minutes) == (60, 120)
    assert (configs["project"].interval_minutes, configs["project"].staleness_minutes) == (15, 30)
    assert (configs["phase"].interval_minutes, configs["elevation"].interval_minutes) == (15, 15)
    assert configs["directory"].priority > configs["project"].priority > configs["phase"].priority
    assert ObjectSyncConfig.objects.filter(pk__isnull=False).count() == 5


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "constraint"),
    [
        ({"interval_minutes": 0}, "syncconfig_interval_at_least_1_min"),
        ({"interval_minutes": 60, "staleness_minutes": 30}, "syncconfig_staleness_at_least_interval"),
        ({"priority": 1000}, "syncconfig_priority_range"),
    ],
)
def test_config_rules_hold_in_the_database_even_through_update(changes, constraint):
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        ObjectSyncConfig.objects.filter(object_type="phase").update(**changes)
    assert ObjectSyncConfig.objects.get(object_type="phase").interval_minutes == 15


@pytest.mark.django_db
def test_a_run_records_only_a_known_outcome():
    # "skipped" is a job's return value, never a run: a skipped job writes no run.
    now = timezone.now()
    with pytest.raises(IntegrityError, match="syncrun_outcome_known"), transaction.atomic():
        SyncRun.objects.create(object_type="project", object_id=1, trigger="scheduled", outcome="skipped",
                               started_at=now, finished_at=now)
    assert not SyncRun.objects.exists()


@pytest.mark.django_db
def test_the_null_guid_phase_exists_once_per_project_and_in_every_project():
    root = Directory.objects.get(path="")
    first = Project.objects.create(guid="11111111-1111-1111-1111-111111111111", directory=root, name="A")
    second = Project.objects.create(guid="22222222-2222-2222-2222-222222222222", directory=root, name="B")
    Phase.objects.create(project=first, guid=NULL_GUID, name="Default")
    Phase.objects.create(project=second, guid=NULL_GUID, name="Default")
    with pytest.raises(IntegrityError, match="phase_guid_unique_per_project"), transaction.atomic():
        Phase.objects.create(project=first, guid=NULL_GUID, name="Again")
    assert Phase.objects.filter(guid=NULL_GUID).count() == 2


@pytest.mark.django_db
def test_migration_0019_moves_a_project_row_at_the_old_default_and_keeps_one_staff_edited():
    import importlib

    from django.apps import apps

    migration = importlib.import_module("syncapp.migrations.0019_projects_listed_every_15_minutes")
    rows = ObjectSyncConfig.objects.filter(object_type="project")
    rows.update(interval_minutes=30, staleness_minutes=60)
    migration.projects_every_15_minutes(apps, None)
    assert rows.values_list("interval_minutes", "staleness_minutes").get() == (15, 30)
    rows.update(interval_minutes=30, staleness_minutes=90)  # edited by staff: not the old default
    migration.projects_every_15_minutes(apps, None)
    assert rows.values_list("interval_minutes", "staleness_minutes").get() == (30, 90)
    assert ObjectSyncConfig.objects.get(object_type="phase").interval_minutes == 15  # other rows untouched


@pytest.mark.django_db
def test_only_the_root_directory_has_no_parent():
    with pytest.raises(IntegrityError, match="directory_root_has_no_parent"), transaction.atomic():
        Directory.objects.create(path="Orphan", name="Orphan")


@pytest.mark.django_db
def test_freshness_states_follow_the_config():
    now = timezone.now()
    root = Directory.objects.get(path="")
    make = lambda n, **kw: Project.objects.create(guid=f"00000000-0000-0000-0000-{n:012d}", directory=root, name=str(n), **kw)  # noqa: E731
    make(1, synced_at=now - timedelta(minutes=5))
    make(2, synced_at=now - timedelta(minutes=20))
    make(3, synced_at=now - timedelta(minutes=90))
    make(4)
    make(5, synced_at=now, failure_count=2)
    make(6, synced_at=now - timedelta(minutes=90), removed_at=now)
    counts = Project.objects.freshness_counts(now)
    assert counts == {"fresh": 1, "due": 1, "stale": 1, "never": 1, "failing": 1, "removed": 1, "excluded": 0}
    assert Project.objects.due(now).count() == 3
    assert Project.objects.stale(now).count() == 2


def test_procrastinate_healthchecks_pass(process_env):
    result = manage("procrastinate", "healthchecks", env=process_env)
    assert result.returncode == 0, result.stderr
    assert "Migrations: OK" in result.stdout


def test_a_deferred_job_runs_on_a_real_worker(clean_queue, process_env):
    from syncapp.tasks import prune_history_task

    old = timezone.now() - timedelta(days=365)
    SyncRun.objects.create(object_type="project", object_id=1, trigger="scheduled", outcome="success",
                           started_at=old, finished_at=old)
    SyncRun.objects.create(object_type="project", object_id=2, trigger="scheduled", outcome="success",
                           started_at=timezone.now(), finished_at=timezone.now())
    job_id = prune_history_task.defer()
    result = manage("procrastinate", "worker", "--queues", "maintenance", "--one-shot", env=process_env, timeout=60)
    assert result.returncode == 0, result.stderr
    assert list(SyncRun.objects.values_list("object_id", flat=True)) == [2]
    from procrastinate.contrib.django.models import ProcrastinateJob

    assert ProcrastinateJob.objects.get(id=job_id).status == "succeeded"


def test_statistics_are_refreshed_only_for_tables_that_changed_a_lot(transactional_db):
    from django.db import connection

    from syncapp.maintenance import refresh_statistics
    from syncapp.models import Directory

    root = Directory.objects.get(path="")
    Directory.objects.bulk_create(
        Directory(path=f"D{i}", name=f"D{i}", parent=root) for i in range(1500)
    )
    with connection.cursor() as cursor:  # statistics counters are flushed asynchronously
        cursor.execute("SELECT pg_stat_force_next_flush()")
    assert "syncapp_directory" in refresh_statistics()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")
    assert "syncapp_directory" not in refresh_statistics()
