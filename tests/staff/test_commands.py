"""force_sync, sync_status and sync_plan: what they print and how they exit."""

import json
import re
from datetime import datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from syncapp.models import Directory, Elevation, Phase, Project
from syncapp.models.mirror import NULL_GUID

from ..conftest import manage
from .conftest import make_tree, queued_sync_jobs


def run(*args) -> tuple[int, str, str]:
    """Call a command in-process: (exit status, stdout, stderr)."""
    out, err = StringIO(), StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
        status = 0
    except SystemExit as exit_:
        status = exit_.code
    except CommandError as error:
        err.write(str(error))
        status = error.returncode
    return status, out.getvalue(), err.getvalue()


def all_fresh():
    now = timezone.now()
    for model in (Directory, Project, Phase, Elevation):
        model.objects.update(synced_at=now, listed_at=now) if model in (Directory, Project, Phase) else \
            model.objects.update(synced_at=now)
    Project.objects.update(failure_count=0)


# --- force_sync -----------------------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["directory", "Demo/Old"], lambda t: t.old),
        (["directory", "/"], lambda t: t.root),
        (["directory", "Old"], lambda t: t.old),  # a unique name
        (["project", "J-100"], lambda t: t.alpha),
        (["project", "Demo/Beta"], lambda t: t.beta),
        (["project", "Gamma"], lambda t: t.gamma),
        (["phase", "Alpha/Phase 1"], lambda t: t.alpha_phase1),
        (["phase", "Demo/Alpha/Phase 1"], lambda t: t.alpha_phase1),
        (["phase", NULL_GUID, "--project", "Beta"], lambda t: t.beta_default),
        (["elevation", "Alpha/Phase 1/E1"], lambda t: t.e1),
        (["elevation", "E2"], lambda t: t.e2),
        (["elevation", "E1", "--project", "J-200"], lambda t: t.beta_e1),
    ],
)
def test_force_sync_finds_the_object_by_path_name_or_guid(tree, args, expected):
    status, out, _ = run("force_sync", *args)
    target = expected(tree)
    assert status == 0
    assert "Queued a forced sync of" in out
    assert queued_sync_jobs() == [(target.OBJECT_TYPE, target.pk, "forced")]


@pytest.mark.django_db
def test_force_sync_by_guid(tree):
    status, _, _ = run("force_sync", "elevation", str(tree.beta_e1.guid))
    assert status == 0
    assert queued_sync_jobs() == [("elevation", tree.beta_e1.pk, "forced")]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message", "candidates"),
    [
        (["elevation", "E1"], "'E1' matches 2 elevations; give its GUID, a longer path or --project",
         ["Demo/Alpha/Phase 1/E1", "Demo/Beta/Default/E1"]),
        (["phase", NULL_GUID], "matches 2 phases", ["Demo/Alpha/Default", "Demo/Beta/Default"]),
        (["phase", "Default"], "matches 2 phases", ["Demo/Alpha/Default", "Demo/Beta/Default"]),
    ],
)
def test_an_ambiguous_name_lists_the_candidates_and_queues_nothing(tree, args, message, candidates):
    status, _, err = run("force_sync", *args)
    assert status == 1
    assert message in err
    for candidate in candidates:
        assert candidate in err
    assert queued_sync_jobs() == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["project", "Nope"], "no project matches 'Nope'"),
        (["directory", "Archive"], "refused: directory Archive is excluded from sync by staff (itself or a directory "
                                   "above it); pass --include-excluded to sync it anyway"),
        (["directory", "Gone"], "refused: directory Gone was removed upstream"),
        (["project", "Alpha", "--wait", "--timeout", "0"], "--timeout must be a positive number"),
        (["phase", "Phase 1", "--project", "Nope"], "no project matches 'Nope'"),
    ],
)
def test_force_sync_refuses_with_one_line(tree, args, message):
    status, _, err = run("force_sync", *args)
    assert status == 1
    assert message in err
    assert queued_sync_jobs() == []


@pytest.mark.django_db
def test_force_sync_of_an_excluded_directory_runs_with_include_excluded(tree):
    status, out, _ = run("force_sync", "directory", "Archive", "--include-excluded", "--subtree")
    assert status == 0
    assert "with its subtree" in out
    status, out, _ = run("force_sync", "directory", "Archive", "--include-excluded")
    assert "is already queued" in out


def test_force_sync_wait_times_out_without_a_worker_and_says_so(process_env, clean_queue):
    tree = make_tree()
    result = manage("force_sync", "project", "Alpha", "--wait", "--timeout", "2", env=process_env)
    assert result.returncode == 1
    assert "0/1 jobs finished: 0 done, 0 failed, 0 running, 1 waiting" in result.stderr
    *_, reason, job, last = result.stderr.strip().splitlines()
    assert last == "CommandError: timed out after 2 s with 1 of 1 jobs unfinished"
    assert reason == "  no worker is running (start one: manage.py sync_worker)"
    assert re.fullmatch(r"  project Alpha \(job \d+\): waiting for a free worker", job)
    assert queued_sync_jobs() == [("project", tree.alpha.pk, "forced")]


def test_force_sync_ambiguous_exits_with_status_1_from_the_shell(process_env):
    make_tree()
    result = manage("force_sync", "elevation", "E1", env=process_env)
    assert result.returncode == 1
    assert "Demo/Beta/Default/E1" in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("CommandError: 'E1' matches 2 elevations")


# --- sync_status ---------------------------------------------------------------------------------

@pytest.mark.django_db
def test_sync_status_exits_1_and_names_what_is_stale(tree):
    status, out, _ = run("sync_status")
    assert status == 1
    # Stale: Demo/Old (directory); never synced: Beta (project); Gamma is failing but not stale.
    assert "STALE: 1 directory, 1 project past the staleness threshold." in out
    header, *rows = [line for line in out.splitlines() if line.startswith(("type", "directory", "project"))]
    assert header.split()[:4] == ["type", "schedule", "(min)", "fresh"]
    assert rows[1].split()[:9] == ["project", "15/30", "1", "1", "0", "1", "1", "0", "0"]


@pytest.mark.django_db
def test_sync_status_exits_0_when_everything_live_is_within_its_threshold(tree):
    all_fresh()
    status, out, _ = run("sync_status")
    assert status == 0
    assert "OK: every live object is within its staleness threshold." in out


@pytest.mark.django_db
def test_sync_status_json(tree):
    Project.objects.filter(pk=tree.delta.pk).update(synced_at=timezone.now() - timedelta(minutes=90))
    status, out, _ = run("sync_status", "--json")
    data = json.loads(out)
    assert status == 1 and data["ok"] is False
    assert data["types"]["project"]["past_threshold"] == 2  # Beta (never) and Delta (90 min > 60)
    assert data["types"]["project"]["counts"]["stale"] == 1
    assert data["types"]["elevation"]["past_threshold"] == 0
    assert data["types"]["directory"]["interval_minutes"] == 60


def test_sync_status_exit_status_from_the_shell(process_env):
    make_tree()
    assert manage("sync_status", env=process_env).returncode == 1
    all_fresh()
    result = manage("sync_status", "--json", env=process_env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["ok"] is True


# --- sync_plan -----------------------------------------------------------------------------------

@pytest.mark.django_db
def verified_by_their_listing(tree):
    """Demo's children as Demo's listing (just now) left them: their own listings are what is due."""
    Project.objects.filter(directory=tree.demo).update(synced_at=timezone.now())
    Directory.objects.filter(pk=tree.old.pk).update(synced_at=timezone.now())


def test_sync_plan_lists_jobs_with_reasons_and_queues_nothing(tree):
    status, out, _ = run("sync_plan")
    assert "Demo" in out and "a child is due" in out  # Beta was never verified: only Demo's listing can
    verified_by_their_listing(tree)
    status, out, _ = run("sync_plan")
    assert status == 0
    assert "The next tick would queue" in out
    assert "never listed" in out
    assert re.search(r"^The next tick runs at \d\d:\d\d:\d\d UTC \(in \d+ min \d+ s; SCHEDULER_CRON=", out, re.M)
    next_tick = datetime.fromisoformat(json.loads(run("sync_plan", "--json")[1])["next_tick_at"])
    assert timezone.now() < next_tick <= timezone.now() + timedelta(minutes=5)  # */5 * * * *
    assert queued_sync_jobs() == []


@pytest.mark.django_db
def test_sync_plan_counts_jobs_already_waiting_and_leaves_them_out_of_the_next_tick(tree):
    from syncapp.sync.jobs import PlannedJob, defer_sync_jobs

    data = json.loads(run("sync_plan", "--json")[1])
    first = data["jobs"][0]
    assert data["waiting_by_type"] == {}
    assert sum(data["count_by_type"].values()) == len(data["jobs"])
    defer_sync_jobs([PlannedJob(first["object_type"], first["object_id"], first["label"], "test")], trigger="scheduled")
    after = json.loads(run("sync_plan", "--json")[1])
    assert after["waiting_by_type"] == {first["object_type"]: 1}
    assert after["count_by_type"] == data["count_by_type"]  # still due, but the tick would not queue it again
    assert first not in after["jobs"] and len(after["jobs"]) == len(data["jobs"]) - 1


@pytest.mark.django_db
def test_sync_plan_marks_what_passes_the_per_tick_cap(tree, settings):
    settings.SCHEDULER_MAX_JOBS_PER_TICK = 1
    verified_by_their_listing(tree)
    status, out, _ = run("sync_plan")
    data = json.loads(run("sync_plan", "--json")[1])
    due = sum(data["count_by_type"].values())
    assert status == 0 and due > 1
    assert len(data["jobs"]) == 1 and data["later_ticks"] == due - 1
    assert "The next tick would queue 1 job, most recently changed projects first;" in out
    assert f"{due - 1} due jobs pass SCHEDULER_MAX_JOBS_PER_TICK=1" in out


@pytest.mark.django_db
def test_sync_plan_says_when_nothing_is_due_and_when_background_sync_is_off(tree, settings):
    all_fresh()
    Directory.objects.filter(removed_at__isnull=True).update(listed_at=timezone.now())
    settings.BACKGROUND_SYNC_ENABLED = False
    status, out, _ = run("sync_plan")
    assert status == 0
    assert "Background sync is disabled: the next tick queues nothing." in out


@pytest.mark.parametrize("command", ["force_sync", "sync_status", "sync_plan", "up"])
def test_every_command_has_help(command):
    from django.core.management import load_command_class

    parser = load_command_class("syncapp", command).create_parser("manage.py", command)
    text = parser.format_help()
    assert len(text) > 200 and "usage:" in text
