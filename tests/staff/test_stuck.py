"""Jobs running longer than STALLED_JOB_SECONDS and the objects they block: the dashboard, /metrics and
sync_status name them (issue 12)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from procrastinate.contrib.django.models import ProcrastinateJob
from procrastinate.jobs import Job

from syncapp.sync import blocked
from syncapp.sync.jobs import defer_jobs, object_lock

from ..ops.test_metrics import scrape, token, value  # noqa: F401 - token is a fixture
from .test_commands import run

pytestmark = pytest.mark.django_db


def sync_job(project, **fields) -> int:
    lock = object_lock("project", project.pk)
    (job_id,), _ = defer_jobs([Job(id=None, queue="sync", lock=lock, queueing_lock=lock, task_name="sync_object",
                                   task_kwargs={"object_type": "project", "object_id": project.pk,
                                                "trigger": "scheduled"}, **fields)])
    return job_id


def running_since(job_id: int, seconds: float) -> None:
    """The job was fetched by a worker `seconds` ago (its 'started' event)."""
    ProcrastinateJob.objects.filter(pk=job_id).update(status="doing")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE procrastinate_events SET at = now() - %s WHERE job_id = %s AND type = 'started'",
                       [timedelta(seconds=seconds), job_id])


@pytest.fixture
def stuck(tree, settings):
    settings.STALLED_JOB_SECONDS = 60
    held = sync_job(tree.alpha)
    running_since(held, 300)
    waiting = sync_job(tree.alpha)  # due, behind the lock of the job running for 5 minutes
    quick = sync_job(tree.beta)
    running_since(quick, 5)  # running, but not for long: neither stuck nor blocking
    sync_job(tree.beta)
    return held, waiting


def test_a_job_running_too_long_and_the_object_it_blocks_are_found(stuck):
    held, waiting = stuck
    (job,) = blocked.long_running_jobs()
    assert (job.job_id, job.what) == (held, f"project {job.what.split()[1]}") and 295 < job.running_s < 400
    (obj,) = blocked.blocked_objects()
    assert (obj.waiting_job_id, obj.blocking_job_id) == (waiting, held)
    assert blocked.counts() == {"jobs_running_too_long": 1, "objects_blocked": 1}
    assert blocked.counts(seconds=1) == {"jobs_running_too_long": 2, "objects_blocked": 2}


def test_the_dashboard_metrics_and_sync_status_name_them(stuck, login, viewer, client, token):  # noqa: F811
    held, waiting = stuck
    data = login(viewer).get(reverse("sync_dashboard_json")).json()["stuck"]
    assert [j["job_id"] for j in data["jobs"]] == [held]
    assert [(b["waiting_job_id"], b["blocking_job_id"]) for b in data["blocked"]] == [(waiting, held)]
    html = login(viewer).get(reverse("sync_dashboard")).text
    assert f'data-job="{held}"' in html and f"waits behind job {held}" in html

    samples = scrape(client)
    assert value(samples, "logikal_sync_jobs_running_too_long") == 1
    assert value(samples, "logikal_sync_objects_blocked") == 1

    _, out, _ = run("sync_status")
    assert f"RUNNING TOO LONG: project" in out and f"job {held} (sync_object) running for" in out
    assert f"BLOCKED: project" in out and f"job {waiting} waits behind job {held}" in out


def test_nothing_is_stuck_on_a_quiet_queue(tree, login, viewer):
    assert blocked.long_running_jobs() == [] and blocked.blocked_objects() == []
    html = login(viewer).get(reverse("sync_dashboard")).text
    assert "no object is blocked" in html
