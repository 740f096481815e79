"""Directory lanes: in lenient navigation a directory's scheduled work shares a session (issue 14).

Real PostgreSQL, jobs as real Procrastinate rows; the last test drives the whole path (tick ->
jobs -> a real sync_worker -> the lenient simulator over HTTP).
"""

from datetime import timedelta

import pytest
from django.utils import timezone
from procrastinate.contrib.django.models import ProcrastinateJob

from syncapp.models import Directory, ObjectSyncConfig, Project
from syncapp.simulator import Simulator, SimulatorConfig, serve
from syncapp.sync import lanes
from syncapp.sync.force import force_sync
from syncapp.sync.jobs import object_lock
from syncapp.sync.retry import JobRef, continue_failed_attempt
from syncapp.sync.tick import scheduler_tick

from . import factories
from .harness import resync_stats, worker_env

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def lenient(settings, clean_queue):
    settings.LOGIKAL_NAVIGATION = "lenient"
    settings.LOGIKAL_MAX_SESSIONS = 4
    yield settings


def due_tree(sizes: dict[str, int], *, changed_days_ago: float = 400) -> dict[str, list[Project]]:
    """Directories with `sizes[path]` projects each, every project's phase listing overdue."""
    factories.fixed_intervals()
    Directory.objects.filter(path="").update(listed_at=timezone.now())  # the root's listing is not due
    changed = timezone.now() - timedelta(days=changed_days_ago)
    tree = {}
    for path, count in sizes.items():
        directory = factories.directory(path, listed_minutes_ago=1)
        tree[path] = [factories.project(directory, listed_minutes_ago=24 * 60, changed=changed) for _ in range(count)]
        for project in tree[path]:
            factories.phase(project, listed_minutes_ago=24 * 60)
    return tree


def queued(object_type: str) -> list[ProcrastinateJob]:
    return [job for job in ProcrastinateJob.objects.filter(status="todo").order_by("id")
            if job.args["object_type"] == object_type]


def test_in_lenient_navigation_scheduled_project_jobs_queue_on_their_directorys_lanes(lenient):
    tree = due_tree({"A": 6, "B": 2, "C": 2, "D": 2})
    scheduler_tick()

    jobs = queued("project")
    assert len(jobs) == 12
    counts = lanes.lane_counts(4)
    directory_of = {p.pk: p.directory_id for projects in tree.values() for p in projects}
    for job in jobs:
        directory = directory_of[job.args["object_id"]]
        assert job.lock == f"lane:{directory}:{job.args['object_id'] % counts[directory]}"
        assert job.queueing_lock == object_lock("project", job.args["object_id"])  # one waiting job per object
    # A's half of the demand gets ceil(4 x 6/12) = 2 lanes; the others one each; never more than the sessions.
    a, b = Directory.objects.get(path="A").pk, Directory.objects.get(path="B").pk
    assert counts[a] == 2 and counts[b] == 1 and sum(counts.values()) >= 4
    assert len({job.lock for job in jobs}) == 5


def test_within_a_priority_a_directorys_jobs_are_queued_together(lenient):
    due_tree({"A": 3, "B": 3, "C": 3})
    scheduler_tick()

    jobs = queued("project")
    assert len({job.priority for job in jobs}) == 1  # one age step: Procrastinate takes them in id order
    runs, previous = [], None
    for job in jobs:
        directory = Project.objects.get(pk=job.args["object_id"]).directory_id
        if directory != previous:
            runs.append(directory)
            previous = directory
    assert len(runs) == 3  # each directory's jobs in one run of ids


def test_strict_navigation_and_forced_syncs_keep_the_objects_own_lock(lenient):
    tree = due_tree({"A": 2})
    lenient.LOGIKAL_NAVIGATION = "strict"
    scheduler_tick()
    assert {job.lock for job in queued("project")} == {object_lock("project", p.pk) for p in tree["A"]}

    ProcrastinateJob.objects.all().delete()
    lenient.LOGIKAL_NAVIGATION = "lenient"
    force_sync(tree["A"][0])
    assert [job.lock for job in queued("project")] == [object_lock("project", tree["A"][0].pk)]


def test_a_retry_waiting_out_its_backoff_takes_its_objects_lock_not_the_lane(lenient):
    tree = due_tree({"A": 2})
    scheduler_tick()
    first, second = queued("project")
    ProcrastinateJob.objects.filter(pk=first.pk).update(status="doing")
    ProcrastinateJob.objects.filter(pk=second.pk).delete()
    ref = JobRef(id=first.pk, queue=first.queue_name, priority=first.priority, lock=first.lock,
                 queueing_lock=first.queueing_lock, task_name=first.task_name, task_kwargs=dict(first.args))
    continued = continue_failed_attempt(ref, attempt=1, config=ObjectSyncConfig.objects.as_map()["project"])

    retry = ProcrastinateJob.objects.get(pk=continued.job_id)
    assert first.lock.startswith("lane:")
    assert retry.lock == object_lock("project", first.args["object_id"])  # a lane would wait behind it
    assert retry.scheduled_at > timezone.now()
    assert {p.pk for p in tree["A"]} >= {retry.args["object_id"]}


@pytest.mark.slow
def test_an_unchanged_resync_in_lenient_navigation_logs_in_about_once_per_directory(
        lenient, process_env, tmp_path):
    # Scaled real latencies: the pool weighs a login (0.5 s here) against a select by what it measures.
    sim = Simulator(SimulatorConfig(dataset="demo", navigation="lenient", parts_list_size="small", latency="real",
                                    latency_scale=0.1))
    for path in ("Demo Odoo", "Quotations", "Archive/2023"):
        for n in range(6):
            sim.add_project(path, f"Lane test {path} {n}")
    with serve(sim) as server:
        env = worker_env(process_env, server, tmp_path, LOGIKAL_MAX_SESSIONS=2, LOGIKAL_NAVIGATION="lenient")
        lenient.LOGIKAL_MAX_SESSIONS = 2
        stats = resync_stats(sim, env, tmp_path, concurrency=2)

    projects = Project.objects.filter(removed_at=None)
    assert projects.count() >= 25 and not projects.filter(listed_at__lt=timezone.now() - timedelta(hours=1)).exists()
    # Issue 14's target. Without lanes both sessions took a directory's first projects together and
    # each paid a login into it.
    assert stats["logins"] <= Directory.objects.filter(removed_at=None).count() + 2


def test_the_admin_shows_a_project_running_on_its_lane_as_running(lenient):
    from django.db import connection

    from syncapp.admin.activity import activity_of, with_activity

    tree = due_tree({"A": 2})
    scheduler_tick()
    job = queued("project")[0]
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO procrastinate_workers DEFAULT VALUES RETURNING id")
        worker_id = cursor.fetchone()[0]
    ProcrastinateJob.objects.filter(pk=job.pk).update(status="doing", worker_id=worker_id)

    rows = {row.pk: activity_of(row) for row in with_activity(Project.objects.filter(directory__path="A"), "project")}
    running = rows[job.args["object_id"]]
    assert job.lock.startswith("lane:") and (running.job_id, running.status) == (job.pk, "doing")
    other = next(p.pk for p in tree["A"] if p.pk != job.args["object_id"])
    assert rows[other].status == "todo"
