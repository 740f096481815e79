"""A process killed in the middle of an elevation sync's transaction leaves nothing half-done.

The parts-list row, the thumbnail, the parse job and the run commit together: a process
killed (SIGKILL) after the parts-list row is written and before the run is recorded leaves
no parts list waiting for a parse job that does not exist, and no backstop is needed: the
next sync of the elevation does it all.
"""

import signal
import subprocess
import sys
import time

import pytest
from procrastinate.contrib.django.models import ProcrastinateJob

from syncapp.models import Elevation, PartsList, SyncRun
from syncapp.models.partslist import ParseStatus

from ..conftest import ROOT
from ..sync.harness import running_worker, wait_idle
from . import live

pytestmark = [pytest.mark.fault, pytest.mark.slow]

# Runs one forced elevation sync in its own process; once the parts-list row is written (not
# yet committed) it says so on stdout and waits to be killed.
CHILD = """
import sys, time, django
django.setup()
from syncapp.sync import elevation, runner
real = elevation.record_parts_list
def record_then_hang(**kwargs):
    result = real(**kwargs)
    print("RECORDED", flush=True)
    time.sleep(120)
    return result
elevation.record_parts_list = record_then_hang
runner.run_sync_job(object_type="elevation", object_id=int(sys.argv[1]), trigger="forced")
"""


def orphaned_parts_lists() -> list[int]:
    """Parts lists waiting for a parse that no queued job will do."""
    queued = {job.args["parts_list_id"] for job in ProcrastinateJob.objects.filter(
        task_name="parse_parts_list", status__in=["todo", "doing"])}
    waiting = PartsList.objects.filter(parse_status=ParseStatus.PENDING).values_list("pk", flat=True)
    return [pk for pk in waiting if pk not in queued]


def test_a_kill_between_parts_list_and_run_leaves_no_parts_list_without_its_parse_job(
    clean_queue, process_env, tmp_path, tally
):
    with live.served_simulator() as (_, server):
        env = live.fault_env(process_env, server, tmp_path)
        live.full_sync(env, tmp_path)
        elevation = Elevation.objects.filter(is_in_recycle_bin=False).order_by("pk").first()
        PartsList.objects.filter(elevation=elevation).delete()  # as if never downloaded
        successes = SyncRun.objects.filter(object_type="elevation", object_id=elevation.pk, outcome="success")
        succeeded_before = successes.count()

        child = subprocess.Popen([sys.executable, "-c", CHILD, str(elevation.pk)], env=env, cwd=ROOT,
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            deadline = time.monotonic() + 60
            line = ""
            while "RECORDED" not in line and time.monotonic() < deadline and child.poll() is None:
                line = child.stdout.readline()
            assert "RECORDED" in line, child.stdout.read() if child.poll() is not None else "no marker"
            child.send_signal(signal.SIGKILL)
            child.wait(10)
        finally:
            if child.poll() is None:
                child.kill()
        tally.faults_injected += 1

        # The killed transaction left nothing: no parts list, no parse job, no success.
        assert not PartsList.objects.filter(elevation=elevation).exists()
        assert orphaned_parts_lists() == []
        assert successes.count() == succeeded_before

        # The next sync does it all, without any backstop.
        from syncapp.sync.force import force_sync

        with running_worker(env, tmp_path, name="after") as worker:
            force_sync(Elevation.objects.get(pk=elevation.pk))
            wait_idle(60, workers=[worker])
        parts_list = PartsList.objects.get(elevation=elevation)
        assert parts_list.parse_status == ParseStatus.PARSED
        assert orphaned_parts_lists() == []
