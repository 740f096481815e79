"""`force_sync --wait` against a real worker and the simulator over HTTP."""

import pytest

from syncapp.models import Elevation, Project, SyncRun
from syncapp.simulator import Simulator, SimulatorConfig, serve

from ..conftest import manage
from ..sync.harness import pending_jobs, running_worker, worker_env

pytestmark = pytest.mark.slow


@pytest.fixture
def sim():
    return Simulator(SimulatorConfig(dataset="small", parts_list_size="small"))


@pytest.fixture
def env(process_env, clean_queue, sim, tmp_path):
    with serve(sim) as server:
        yield worker_env(process_env, server, tmp_path)


def test_wait_follows_a_subtree_to_its_end_and_then_a_failure(env, sim, tmp_path):
    with running_worker(env, tmp_path):
        result = manage("force_sync", "directory", "/", "--subtree", "--wait", "--timeout", "120", env=env)
        assert result.returncode == 0, result.stderr[-3000:]
        progress = [line for line in result.stderr.splitlines() if "jobs finished" in line]
        # The count of jobs grows as the subtree is reached, and ends with all done.
        totals = [int(line.split("/")[1].split()[0]) for line in progress]
        assert totals[0] < totals[-1]
        assert progress[-1].startswith(f"{totals[-1]}/{totals[-1]} jobs finished: {totals[-1]} done, 0 failed")
        assert f"Done: {totals[-1]} sync jobs finished." in result.stdout
        assert pending_jobs(("sync",)) == 0
        assert Elevation.objects.exists()
        assert SyncRun.objects.filter(trigger="forced", outcome="success").count() == totals[-1]

        project = Project.objects.order_by("name").first()
        sim.set_faults(forbidden={"path": "/phases"})
        result = manage("force_sync", "project", str(project.guid), "--wait", "--timeout", "60", env=env)
        assert result.returncode == 1
        assert "1/1 jobs finished: 0 done, 1 failed" in result.stderr
        assert f"project {project.name}: " in result.stderr  # the run's error, under the progress
        assert result.stderr.strip().splitlines()[-1] == "CommandError: 1 of 1 sync jobs failed"
