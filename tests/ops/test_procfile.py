"""The Procfile under honcho: release migrates, then web and worker sync the simulator's data."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from syncapp.models import Elevation, Project, SyncRun
from syncapp.simulator import Simulator, SimulatorConfig, serve

from ..conftest import ROOT
from .test_deploy import free_port

pytestmark = pytest.mark.slow

TOKEN = "honcho-metrics-token-0123456789"


def honcho(*args: str) -> list[str]:
    return [str(Path(sys.executable).parent / "honcho"), "-f", str(ROOT / "Procfile"), *args]


def wait_until(predicate, *, timeout: float, what: str, process: subprocess.Popen, log: Path):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"honcho exited before {what}:\n{log.read_text()[-4000:]}"
        try:
            if predicate():
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}:\n{log.read_text()[-4000:]}")


def test_honcho_runs_release_then_web_and_worker_that_sync_the_simulator(clean_queue, process_env, tmp_path):
    sim = Simulator(SimulatorConfig(dataset="demo", seed=1, parts_list_size="small"))
    port = free_port()
    with serve(sim) as server:
        env = dict(process_env, LOGIKAL_API_BASE_URL=server.base_url, LOGIKAL_USERNAME="demo", LOGIKAL_PASSWORD="demo",
                   MEDIA_ROOT=str(tmp_path / "media"), METRICS_TOKEN=TOKEN, BACKGROUND_SYNC_ENABLED="true",
                   PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")

        release = subprocess.run(honcho("start", "release"), cwd=ROOT, env=env, capture_output=True, text=True,
                                 timeout=300)
        assert release.returncode == 0, release.stdout + release.stderr
        assert "release.1 stopped (rc=0)" in release.stdout

        log = tmp_path / "honcho.log"
        with open(log, "w") as output:
            # `release` is a phase, not a long-running process: honcho stops everything when
            # any process exits, so the long-running ones are started by name.
            running = subprocess.Popen(honcho("start", "-p", str(port), "web", "worker"), cwd=ROOT, env=env,
                                       stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until(lambda: httpx.get(f"{base}/healthz", timeout=2).status_code == 200,
                       timeout=90, what="the web process", process=running, log=log)
            upstream_elevations = sum(
                len(sim.elevations_of(project.id, phase.id))
                for project in sim.iter_projects() for phase in sim.phases_of(project.id)
            )
            wait_until(lambda: Elevation.objects.filter(removed_at=None).count() == upstream_elevations,
                       timeout=180, what="the worker to sync every elevation", process=running, log=log)
            wait_until(lambda: httpx.get(f"{base}/readyz", timeout=5).status_code == 200,
                       timeout=30, what="/readyz", process=running, log=log)
            metrics = httpx.get(f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
        finally:
            os.killpg(running.pid, signal.SIGTERM)
            running.wait(timeout=60)

    assert Project.objects.count() == len(list(sim.iter_projects()))
    assert SyncRun.objects.filter(outcome="success").exists()
    assert metrics.status_code == 200
    assert 'logikal_sync_objects{object_type="elevation",state="fresh"}' in metrics.text
    output = log.read_text()
    assert "web.1" in output and "worker.1" in output
    assert "Background sync is enabled" in output


def test_every_deployed_worker_serves_the_webhooks_queue():
    """Procfile, App Platform spec and `up` start `sync_worker` without --queues: all queues, webhooks included."""
    import yaml

    from syncapp.management.commands.sync_worker import QUEUES
    from syncapp.tasks import deliver_webhooks_task, dispatch_webhooks_task

    assert "webhooks" in QUEUES
    assert dispatch_webhooks_task.queue == deliver_webhooks_task.queue == "webhooks"
    procfile = dict(line.split(": ", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line)
    spec = yaml.safe_load((ROOT / ".do" / "app.yaml").read_text())
    up = (ROOT / "syncapp" / "management" / "commands" / "up.py").read_text()
    for command in (procfile["worker"], spec["workers"][0]["run_command"]):
        assert command.strip().endswith("manage.py sync_worker"), command
    assert '["sync_worker"]' in up
