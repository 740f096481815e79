"""Force sync: highest priority, never a duplicate waiting job, refuses what it must."""

import pytest
from django.utils import timezone
from procrastinate.contrib.django.models import ProcrastinateJob

from syncapp.sync.exclusion import set_directory_excluded
from syncapp.sync.force import ForceSyncRefused, force_sync, force_sync_many
from syncapp.sync.tick import scheduler_tick

from . import factories as f

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _queue(clean_queue):
    yield


def test_forcing_twice_queues_one_job_and_reports_the_second():
    _, (project,) = f.fresh_tree()
    first = force_sync(project)
    second = force_sync(project)
    assert len(first.job_ids) == 1
    assert second.job_ids == [] and [p.object_id for p in second.already_queued] == [project.pk]
    assert ProcrastinateJob.objects.count() == 1


def test_a_forced_job_outranks_every_scheduled_job_and_shares_the_object_lock():
    _, (project,) = f.fresh_tree()
    f.root().__class__.objects.filter(path="").update(listed_at=None)
    scheduler_tick()
    force_sync(project, subtree=True)
    jobs = {job.args["trigger"]: job for job in ProcrastinateJob.objects.all()}
    assert jobs["forced"].priority > jobs["scheduled"].priority
    assert jobs["forced"].lock == f"sync:project:{project.pk}"
    assert jobs["forced"].args["subtree"] is True


def test_forcing_beside_a_waiting_scheduled_job_of_the_same_object_keeps_both():
    _, (project,) = f.fresh_tree()
    project.listed_at = None
    project.save()
    scheduler_tick()
    result = force_sync(project)
    assert len(result.job_ids) == 1
    assert sorted(j.args["trigger"] for j in ProcrastinateJob.objects.all()) == ["forced", "scheduled"]


def test_an_excluded_object_is_refused_unless_explicitly_included():
    top, (project,) = f.fresh_tree()
    set_directory_excluded(top, True)
    with pytest.raises(ForceSyncRefused, match="excluded"):
        force_sync(project)
    assert not ProcrastinateJob.objects.exists()
    assert len(force_sync(project, include_excluded=True).job_ids) == 1


def test_a_removed_object_is_refused_and_nothing_is_queued():
    _, (project,) = f.fresh_tree()
    other = f.project(project.directory)
    project.removed_at = timezone.now()
    project.save()
    with pytest.raises(ForceSyncRefused, match="removed upstream"):
        force_sync_many([other, project])
    assert not ProcrastinateJob.objects.exists()
