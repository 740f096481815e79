"""The change feed filled by real syncs: tick -> worker process -> simulator over HTTP -> mirror rows + feed rows."""

import pytest
from django.utils import timezone

from syncapp.models import Directory, Elevation, PartsList, Phase, Project
from syncapp.simulator import Simulator, SimulatorConfig, serve
from syncapp.sync.tick import scheduler_tick

from ..sync.harness import running_worker, shift_back, wait_idle, worker_env
from .test_change_feed import read_all

pytestmark = pytest.mark.slow


@pytest.fixture
def simulator():
    sim = Simulator(SimulatorConfig(dataset="demo", seed=1, navigation="strict", parts_list_size="small"))
    with serve(sim) as server:
        yield sim, server


def full_sync(env, tmp_path):
    with running_worker(env, tmp_path) as worker:
        scheduler_tick()
        wait_idle(workers=[worker])


def test_a_first_sync_and_a_later_one_each_change_once(simulator, clean_queue, process_env, tmp_path, keys, http):
    sim, server = simulator
    env = worker_env(process_env, server, tmp_path)
    client = http(keys.reader)
    full_sync(env, tmp_path)

    changes, cursor = read_all(client, limit=500)
    # Phases are identified within their project (every project has a phase with the null GUID).
    created = [(c["object_type"], c["project"], c["id"]) for c in changes if c["kind"] == "created"]
    assert len(created) == len(set(created))
    mirrored = ([("directory", None, path) for path in Directory.objects.exclude(parent=None).values_list("path", flat=True)]
                + [("project", str(g), str(g)) for g in Project.objects.values_list("guid", flat=True)]
                + [("phase", str(p), str(g)) for p, g in Phase.objects.values_list("project__guid", "guid")]
                + [("elevation", str(p), str(g))
                   for p, g in Elevation.objects.values_list("phase__project__guid", "guid")])
    assert sorted(mirrored) == sorted(created)
    parsed = [c["id"] for c in changes if c["kind"] == "parts_list_parsed"]
    assert sorted(parsed) == sorted(str(g) for g in PartsList.objects.filter(parse_status="parsed")
                                    .values_list("elevation__guid", flat=True))

    dos = sim.find_project("DOS22309")
    phase = max(sim.phases_of(dos.id), key=lambda ph: len(sim.elevations_of(dos.id, ph.id)))
    edited, gone, back = sim.elevations_of(dos.id, phase.id)[:3]
    sim.mutator.edit_elevation(edited.id, name="Renamed in LogiKal")
    sim.remove_elevation(gone.id)
    Elevation.objects.filter(guid=back.id).update(removed_at=timezone.now())  # as if an earlier listing lost it
    shift_back(60)
    full_sync(env, tmp_path)

    later, _ = read_all(client, cursor, limit=7)
    of = {guid: [(c["kind"], c["fields"]) for c in later if c["id"] == guid] for guid in (edited.id, gone.id, back.id)}
    # The listing brings the new name; the elevation's own sync a new thumbnail, then its parts list is parsed.
    (listing, listing_fields), *rest = of[edited.id]
    assert listing == "updated" and {"changed_date", "name"} <= set(listing_fields)  # LogiKal bumps version_id too
    assert rest == [("updated", ["thumbnail"]), ("parts_list_parsed", [])]
    assert of[gone.id] == [("removed", [])]
    assert [kind for kind, _ in of[back.id]] == ["restored"]
    cursors = [c["cursor"] for c in changes + later]
    assert len(cursors) == len(set(cursors))
