"""Retries that cannot collide, and a stalled-job rescue that settles every job (issue 12).

Jobs are real Procrastinate rows; the failing upstream is a port nobody listens on.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from procrastinate.contrib.django.models import ProcrastinateJob
from procrastinate.jobs import Job

from syncapp.harness.processes import free_port
from syncapp.logikal import Upstream
from syncapp.management.job_progress import JobFollower
from syncapp.models import ObjectSyncConfig, SyncRun
from syncapp.sync.jobs import defer_jobs, object_lock
from syncapp.sync.recovery import INTERRUPTED_ERROR
from syncapp.sync.rescue import rescue_jobs, rescue_stalled_jobs
from syncapp.sync.retry import JobRef
from syncapp.sync.runner import run_sync_job

from . import factories as f

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _queue(clean_queue):
    yield


@pytest.fixture
def dead_upstream():
    upstream = Upstream(f"http://127.0.0.1:{free_port()}/api/v3", "demo", "demo", 2, connect_timeout_s=1,
                        read_timeout_s=1, lease_s=10, retries=0)
    yield upstream
    upstream.close()


def queue_job(project, *, trigger="scheduled", at=None, **extra) -> int:
    lock = object_lock("project", project.pk)
    job = Job(id=None, queue="sync", lock=lock, queueing_lock=lock, task_name="sync_object", scheduled_at=at,
              task_kwargs={"object_type": "project", "object_id": project.pk, "trigger": trigger, **extra})
    (job_id,), _ = defer_jobs([job])
    return job_id


def start(job_id: int, worker_id=None) -> JobRef:
    """What a worker's fetch does: the job is 'doing' (a running job no longer holds the queueing lock)."""
    ProcrastinateJob.objects.filter(pk=job_id).update(status="doing", worker_id=worker_id)
    job = ProcrastinateJob.objects.get(pk=job_id)
    return JobRef(id=job.id, queue=job.queue_name, priority=job.priority, lock=job.lock,
                  queueing_lock=job.queueing_lock, task_name=job.task_name, task_kwargs=job.args)


def fail(project, ref: JobRef, upstream, attempt=1) -> str:
    return run_sync_job(object_type="project", object_id=project.pk, trigger="scheduled", job=ref, attempt=attempt,
                        upstream=upstream)


def test_a_failed_attempt_while_a_newer_job_waits_merges_into_it_and_queues_nothing(dead_upstream):
    _, (project,) = f.fresh_tree()
    running = start(queue_job(project))
    waiting = queue_job(project)  # a tick queued the object again while the first job ran

    assert fail(project, running, dead_upstream) == "retrying"

    run = SyncRun.objects.get(job_id=running.id)
    assert (run.outcome, run.next_job_id) == ("retrying", waiting)
    assert run.error.startswith("Upstream")
    assert ProcrastinateJob.objects.filter(status="todo").count() == 1  # no second job, no collision


def test_a_failed_attempt_with_nothing_waiting_queues_its_retry_under_the_queueing_lock(dead_upstream):
    _, (project,) = f.fresh_tree()
    ObjectSyncConfig.objects.filter(object_type="project").update(retry_base_seconds=60, retry_max_seconds=120)
    running = start(queue_job(project, trigger="cascade"))
    before = timezone.now()

    assert fail(project, running, dead_upstream) == "retrying"

    retry = ProcrastinateJob.objects.get(status="todo")
    assert SyncRun.objects.get(job_id=running.id).next_job_id == retry.id
    assert retry.queueing_lock == retry.lock == object_lock("project", project.pk)
    assert retry.args | {} == {**running.task_kwargs, "attempt": 2, "retry_of": running.id}
    assert before + timedelta(seconds=30) <= retry.scheduled_at <= timezone.now() + timedelta(seconds=60)
    # A later tick finds the retry waiting and queues nothing more for the object.
    assert defer_jobs([Job(id=None, queue="sync", lock=retry.lock, queueing_lock=retry.lock,
                           task_name="sync_object", task_kwargs={})])[0] == []


def test_the_last_attempt_fails_for_good_and_queues_nothing(dead_upstream):
    _, (project,) = f.fresh_tree()
    running = start(queue_job(project, attempt=5))
    with pytest.raises(Exception, match="."):
        fail(project, running, dead_upstream, attempt=5)
    assert SyncRun.objects.get(job_id=running.id).outcome == "failed"
    assert not ProcrastinateJob.objects.filter(status="todo").exists()


def test_a_follower_follows_the_work_from_the_failed_attempt_to_its_retry(dead_upstream):
    _, (project,) = f.fresh_tree()
    running = start(queue_job(project, trigger="forced"))
    follower = JobFollower(project, [running.id], subtree=False)
    fail(project, running, dead_upstream)
    ProcrastinateJob.objects.filter(pk=running.id).update(status="succeeded")
    progress = follower.poll()
    retry = ProcrastinateJob.objects.get(status="todo")
    assert follower.job_ids == {retry.id}
    assert (progress.total, progress.waiting, progress.succeeded) == (1, 1, 0)


def stall(job_id: int) -> None:
    """The job's worker died: its row was pruned, so the job is 'doing' under no worker."""
    ProcrastinateJob.objects.filter(pk=job_id).update(status="doing", worker=None)


def stalled_mid_run(project) -> int:
    """A job whose worker died while its run was "running"."""
    job_id = queue_job(project)
    stall(job_id)
    SyncRun.objects.create(object_type="project", object_id=project.pk, trigger="scheduled", job_id=job_id,
                           started_at=timezone.now())
    return job_id


def test_a_stalled_job_whose_object_has_a_waiting_job_is_merged_not_retried_into_the_index():
    _, (project,) = f.fresh_tree()
    stalled = stalled_mid_run(project)
    waiting = queue_job(project)

    (rescued,) = rescue_stalled_jobs(15)

    assert (rescued.action, rescued.into) == ("merged", waiting)
    assert dict(ProcrastinateJob.objects.values_list("id", "status")) == {stalled: "failed", waiting: "todo"}
    run = SyncRun.objects.get(job_id=stalled)
    assert (run.outcome, run.error, run.next_job_id) == ("retrying", INTERRUPTED_ERROR, waiting)


def test_a_stalled_job_alone_is_retried_in_place_and_its_run_closed():
    _, (project,) = f.fresh_tree()
    stalled = stalled_mid_run(project)

    assert [r.action for r in rescue_stalled_jobs(15)] == ["retried"]

    job = ProcrastinateJob.objects.get(pk=stalled)
    assert (job.status, job.attempts) == ("todo", 1)
    assert SyncRun.objects.get(job_id=stalled).outcome == "failed"


def test_a_stalled_job_whose_run_recorded_its_end_gets_that_status():
    _, (project,) = f.fresh_tree()
    done = queue_job(project)
    stall(done)
    SyncRun.objects.create(object_type="project", object_id=project.pk, trigger="scheduled", job_id=done,
                           started_at=timezone.now(), finished_at=timezone.now(), outcome="success")
    assert [r.action for r in rescue_stalled_jobs(15)] == ["repaired"]
    assert ProcrastinateJob.objects.get(pk=done).status == "succeeded"


def test_a_stalled_job_out_of_attempts_fails_and_says_so():
    _, (project,) = f.fresh_tree()
    stalled = queue_job(project, attempt=5)
    stall(stalled)
    assert [r.action for r in rescue_stalled_jobs(15)] == ["failed"]
    assert ProcrastinateJob.objects.get(pk=stalled).status == "failed"


def test_a_job_under_a_live_worker_is_left_alone_unless_named():
    _, (project,) = f.fresh_tree()
    with connection.cursor() as cursor:
        cursor.execute("SELECT procrastinate_register_worker_v1()")
        (worker_id,) = cursor.fetchone()
    running = start(queue_job(project), worker_id=worker_id)
    assert rescue_stalled_jobs(15) == []
    # The worker's watchdog names a job it holds in the database but does not run.
    assert [r.action for r in rescue_jobs([running.id])] == ["retried"]


def test_a_parse_job_stalled_beside_a_waiting_one_is_merged():
    from syncapp.partslists.jobs import parse_lock

    jobs = [Job(id=None, queue="parser", lock=parse_lock(7), queueing_lock=parse_lock(7),
                task_name="parse_parts_list", task_kwargs={"parts_list_id": 7})]
    (stalled,), _ = defer_jobs(jobs)
    stall(stalled)
    (waiting,), _ = defer_jobs(jobs)
    assert [(r.action, r.into) for r in rescue_stalled_jobs(15)] == [("merged", waiting)]
