"""Answers of the wrong shape: the sync fails at once with the field named, and no mirrored row changes.

The simulator answers as documented; a rewriting proxy in front of it (the network edge) breaks
one field of one endpoint. The sync runs in-process through the real client and runner.
"""

from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings

from syncapp.logikal.errors import MalformedResponse
from syncapp.logikal.upstream import Upstream
from syncapp.models import Directory, Elevation, Phase, Project, SyncRun
from syncapp.models.runs import Outcome
from syncapp.simulator import Simulator, SimulatorConfig, serve
from syncapp.sync import retry
from syncapp.sync.runner import run_sync_job

from ..faults import mirror
from .proxy import RewritingProxy

ROOT_PROJECT = "Showroom Industrieweg 3, Zwolle"  # a project in the root directory


def at(index: int, **fields):
    """A change that sets `fields` on item `index` of a listing."""
    def change(body):
        body["data"][index].update(fields)
        return body
    return change


def without(index: int, name: str):
    def change(body):
        del body["data"][index][name]
        return body
    return change


def data(value):
    def change(body):
        body["data"] = value(body["data"]) if callable(value) else value
        return body
    return change


# name -> (endpoint, change, object synced, what the error says)
CASES = {
    "directory path a number": ("GET /directories", at(0, path=42), "root",
                                "GET /directories: malformed field directories[0].path: expected a string, got int"),
    "project without name": ("GET /projects", without(0, "name"), "root",
                             "GET /projects: malformed field projects[0].name: missing"),
    "project id not a guid": ("GET /projects", at(0, id="PRJ-1"), "root",
                              "GET /projects: malformed field projects[0].id: not a GUID: 'PRJ-1'"),
    "project details with a date string": (
        "GET /projects/selected", data(lambda d: {**d, "changedDate": "2024-05-01"}), "project",
        "GET /projects/selected: malformed field project.changedDate: expected a Unix timestamp (number), got str"),
    "phases not a list": ("GET /phases", data(lambda d: {"phases": d}), "project",
                          "GET /phases: malformed field data: expected a list of phases, got dict"),
    "phases envelope without data": ("GET /phases", lambda body: {"message": "OK"}, "project",
                                     "GET /phases: malformed field data: missing"),
    "elevation date a string": (
        "GET /elevations", at(1, changedDate="yesterday"), "phase",
        "GET /elevations: malformed field elevations[1].changedDate: expected a Unix timestamp"),
    "elevation amount a word": ("GET /elevations", at(0, amount="three"), "phase",
                                "GET /elevations: malformed field elevations[0].amount: expected a number, got str"),
    "elevation flag a word": ("GET /elevations", at(0, isInRecycleBin="no"), "phase",
                              "GET /elevations: malformed field elevations[0].isInRecycleBin: expected true/false"),
    "parts list a number": ("GET /elevations/selected/parts-list", data(12345), "elevation",
                            "malformed field data: expected base64 text, got int"),
    "parts list not base64": ("GET /elevations/selected/parts-list", data("%%% not base64 %%%"), "elevation",
                              "malformed field data: not valid base64"),
}


@dataclass
class Mirror:
    upstream: Upstream
    proxy: RewritingProxy
    root: Directory
    project: Project
    phase: Phase
    elevation: Elevation

    def sync(self, obj):
        return run_sync_job(object_type=obj.OBJECT_TYPE, object_id=obj.pk, trigger="forced", upstream=self.upstream)


@pytest.fixture(scope="module")
def served():
    sim = Simulator(SimulatorConfig(dataset="demo", seed=1, parts_list_size="small"))
    with serve(sim) as server:
        proxy = RewritingProxy(server.root_url)
        yield proxy
        proxy.stop()


@pytest.fixture
def synced(served, clean_queue) -> Mirror:
    """A root project synced down to one elevation with its parts list, through the (still honest) proxy."""
    served.clear()
    upstream = Upstream(served.base_url, "demo", "demo", 2, connect_timeout_s=5, read_timeout_s=10, lease_s=10,
                        retries=0)
    try:
        root = Directory.objects.get(path="")
        m = Mirror(upstream, served, root, None, None, None)
        m.sync(root)
        m.project = Project.objects.get(name=ROOT_PROJECT)
        m.sync(m.project)
        m.phase = m.project.phases.order_by("name").first()  # both of its phases hold elevations
        m.sync(m.phase)
        m.elevation = m.phase.elevations.filter(is_in_recycle_bin=False).first()
        m.sync(m.elevation)
        yield m
    finally:
        served.clear()
        upstream.close()


def stored_files() -> set[Path]:
    return {path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()}


@pytest.mark.parametrize("case", list(CASES))
def test_a_malformed_answer_fails_the_sync_naming_the_field_and_changes_no_row(synced, case):
    endpoint, change, target, expected = CASES[case]
    obj = getattr(synced, target)
    before, files = mirror.snapshot(), stored_files()
    assert before[("parts_list", str(synced.elevation.guid))]["parse_status"] == "pending"  # the setup got that far

    synced.proxy.rewrite(endpoint, change)
    with pytest.raises(MalformedResponse) as caught:
        synced.sync(obj)

    assert expected in str(caught.value)
    assert not retry.is_retryable(caught.value)  # another schema: retrying cannot help
    diff = mirror.compare(before, mirror.snapshot())
    assert diff.none, diff
    assert stored_files() == files
    row = type(obj).objects.get(pk=obj.pk)
    assert row.failure_count == 1 and expected in row.last_error
    run = SyncRun.objects.filter(object_type=obj.OBJECT_TYPE, object_id=obj.pk).latest("started_at")
    assert run.outcome == Outcome.FAILED and expected in run.error
    # Beside the technical text, the staff's short words (the same on the run and the object).
    assert run.error_summary.startswith("LogiKal answered in an unexpected form while ")
    assert row.last_error_summary == run.error_summary and run.resolved_at is None

    # The upstream speaks its schema again: the next sync succeeds and resolves the failure.
    synced.proxy.clear()
    synced.sync(obj)
    run.refresh_from_db()
    assert run.resolved_at is not None
    row = type(obj).objects.get(pk=obj.pk)
    assert (row.failure_count, row.last_error, row.last_error_summary) == (0, "", "")
