"""POST .../sync and the status URL, and the v1 force-sync, against a real worker and the simulator."""

import time

import pytest

from syncapp.models import ApiSyncRequest, Elevation, Phase, Project
from syncapp.simulator import Simulator, SimulatorConfig, serve

from ..conftest import manage
from ..sync.harness import running_worker, worker_env
from .conftest import assert_error

pytestmark = pytest.mark.slow


@pytest.fixture
def env(process_env, clean_queue, tmp_path):
    sim = Simulator(SimulatorConfig(dataset="small", parts_list_size="small"))
    with serve(sim) as server:
        env = worker_env(process_env, server, tmp_path)
        with running_worker(env, tmp_path):
            result = manage("force_sync", "directory", "/", "--subtree", "--wait", "--timeout", "180", env=env)
            assert result.returncode == 0, result.stderr[-2000:]
        yield env


def poll_until_finished(client, url: str, timeout_s: float = 120) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        body = client.get(url).json()
        if body["status"] in ("succeeded", "failed"):
            return body
        time.sleep(0.3)
    raise AssertionError(f"{url} did not finish: {body}")


def test_a_forced_sync_is_queued_once_while_it_waits_and_its_status_follows_the_subtree(env, tmp_path, keys, http):
    project = Project.objects.order_by("name").first()
    syncer, reader = http(keys.syncer), http(keys.reader)
    first = syncer.post(f"/api/v2/projects/{project.guid}/sync")
    assert first.status_code == 202, first.text
    body = first.json()
    assert body["status"] == "waiting" and body["jobs"] == {"total": 1, "succeeded": 0, "failed": 0, "running": 0,
                                                            "waiting": 1}
    assert first.headers["location"] == body["status_url"] == f"/api/v2/sync-requests/{body['id']}"
    assert body["object"] == {"type": "project", "guid": str(project.guid), "name": project.name}
    again = syncer.post(f"/api/v2/projects/{project.guid}/sync")  # "sync now" pressed twice
    assert again.status_code == 202 and again.json()["id"] == body["id"]
    assert ApiSyncRequest.objects.count() == 1

    with running_worker(env, tmp_path):
        done = poll_until_finished(reader, body["status_url"])
    phases = Phase.objects.filter(project=project, removed_at__isnull=True).count()
    elevations = Elevation.objects.filter(phase__project=project, removed_at__isnull=True,
                                          is_in_recycle_bin=False).count()
    assert done["status"] == "succeeded" and done["errors"] == []
    assert done["jobs"]["total"] == done["jobs"]["succeeded"] == 1 + phases + elevations
    # Once it ran, pressing again queues a new sync.
    assert syncer.post(f"/api/v2/projects/{project.guid}/sync").json()["id"] != body["id"]


def test_phase_and_elevation_syncs(env, tmp_path, keys, http):
    phase = Phase.objects.filter(removed_at__isnull=True).select_related("project").first()
    elevation = Elevation.objects.filter(phase=phase).first()
    syncer = http(keys.syncer)
    by_phase = syncer.post(f"/api/v2/projects/{phase.project.guid}/phases/{phase.guid}/sync").json()
    by_elevation = syncer.post(f"/api/v2/elevations/{elevation.guid}/sync").json()
    assert by_phase["object"]["type"] == "phase" and by_elevation["object"]["type"] == "elevation"
    with running_worker(env, tmp_path):
        assert poll_until_finished(syncer, by_phase["status_url"])["status"] == "succeeded"
        assert poll_until_finished(syncer, by_elevation["status_url"])["status"] == "succeeded"
    missing = syncer.post(f"/api/v2/projects/{phase.project.guid}/phases/{elevation.guid}/sync")
    assert_error(missing, 404, "PHASE_NOT_FOUND")


def test_v1_force_sync_waits_and_answers_the_real_counts(env, tmp_path, keys, http):
    project = Project.objects.order_by("name").first()
    phases = Phase.objects.filter(project=project, removed_at__isnull=True).count()
    elevations = Elevation.objects.filter(phase__project=project, removed_at__isnull=True).count()
    token = http().post("/api/v1/client-auth/login",
                        json={"client_id": "odoo", "client_secret": keys.both}).json()["access_token"]
    with running_worker(env, tmp_path):
        response = http(token).post(f"/api/v1/sync/force/project/{project.guid}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True and body["status"] == "completed"
    assert body["project_id"] == str(project.guid) and body["directory_id"] == project.directory.path
    assert (body["phases_synced"], body["elevations_synced"]) == (phases, elevations)
    assert body["parts_lists_synced"] == elevations and body["parts_lists_failed"] == 0
    assert 0 < body["duration_seconds"] < 30
    assert body["message"] == f'Project "{project.name}" fully synced from Logikal'


def test_v1_force_sync_answers_queued_with_the_status_url_when_the_sync_takes_longer(env, keys, http, settings):
    settings.API_V1_FORCE_SYNC_WAIT_S = 1
    project = Project.objects.order_by("name").last()
    response = http(keys.both).post(f"/api/v1/sync/force/project/{project.job_number or project.guid}")
    body = response.json()
    assert response.status_code == 200 and body["success"] is True and body["status"] == "queued"
    status = http(keys.reader).get(body["status_url"]).json()
    assert status["status"] == "waiting" and status["object"]["guid"] == str(project.guid)
    assert_error(http(keys.both).post("/api/v1/sync/force/project/no-such-project"), 404, "PROJECT_NOT_FOUND")
