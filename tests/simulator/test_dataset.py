"""Data sets are deterministic per seed, realistic, and the large one is generated lazily."""

import re

from syncapp.simulator import NULL_GUID

from .conftest import ApiClient, make_sim

GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def snapshot(sim):
    """Everything a full sync would see, as plain data."""
    tree = []
    for path in [""] + [d.path for d in sim.iter_directories()]:
        for project in sim.projects_in(path):
            for phase in sim.phases_of(project.id):
                elevations = sim.elevations_of(project.id, phase.id)
                tree.append((path, project.id, project.name, project.changed_date, phase.id, phase.name,
                             [(e.id, e.name, e.system_code, e.width, e.height, e.changed_date) for e in elevations]))
    return tree


def test_it_repeats_a_data_set_for_the_same_seed():
    assert snapshot(make_sim(dataset="small", seed=7)) == snapshot(make_sim(dataset="small", seed=7))
    assert snapshot(make_sim(seed=7)) == snapshot(make_sim(seed=7))


def test_it_varies_the_data_set_with_the_seed():
    assert snapshot(make_sim(dataset="small", seed=1)) != snapshot(make_sim(dataset="small", seed=2))


def test_it_does_not_depend_on_the_order_of_access():
    forwards, backwards = make_sim(dataset="large", seed=3), make_sim(dataset="large", seed=3)
    projects = forwards.projects_in("Archive/2024")
    ahead = [forwards.elevations_of(p.id, NULL_GUID)[0].id for p in projects]
    behind = [backwards.elevations_of(p.id, NULL_GUID)[0].id for p in reversed(backwards.projects_in("Archive/2024"))]
    assert ahead == list(reversed(behind))


def test_it_lays_out_the_demo_data_set():
    sim = make_sim()
    paths = [d.path for d in sim.iter_directories()]
    assert "Demo Odoo/Sublevel 1 Testing" in paths and "Demo Odoo/Sublevel 1 Testing/Sublevel 2 Testing" in paths
    dos = sim.find_project("DOS22309")
    assert (dos.directory, dos.job_number) == ("Demo Odoo", "DOS22309")
    default, fase1 = sim.phases_of(dos.id)
    assert (default.id, default.name, fase1.name) == (NULL_GUID, "Posities zonder levering", "Fase 1 (DEMO)")
    assert len(sim.elevations_of(dos.id, default.id)) == 13 and len(sim.elevations_of(dos.id, fase1.id)) == 4
    projects = [p for path in [""] + paths for p in sim.projects_in(path)]
    assert [p.id for p in sim.iter_projects()] == [p.id for p in projects]
    assert sim.projects_in("")  # a project at the root, which counts as a directory
    assert len(projects) >= 5 and any(p.is_deleted for p in projects)
    assert all(sim.phases_of(p.id)[0].id == NULL_GUID for p in projects)
    assert any(e.is_in_recycle_bin for p in projects for ph in sim.phases_of(p.id)
               for e in sim.elevations_of(p.id, ph.id))


def test_it_fills_realistic_and_consistent_fields(client, sim):
    client.go_to_directory("Demo Odoo")
    projects = client.data("/projects")
    for project in projects:
        assert GUID.match(project["id"]) and 1.6e9 < project["createdDate"] <= project["changedDate"] < 1e10
    dos = sim.find_project("DOS22309")
    client.go_to_phase(dos, NULL_GUID)
    for elevation in client.data("/elevations"):
        assert GUID.match(elevation["id"]) and GUID.match(elevation["versionId"])
        assert elevation["createdDate"] <= elevation["changedDate"] <= dos.changed_date
        assert 300 <= elevation["width"] <= 6000 and 300 <= elevation["height"] <= 4000
        assert elevation["systemDescription"] and elevation["surfaceOfBaseElement"]["colorOutside"]


def test_it_sizes_the_small_data_set():
    sim = make_sim(dataset="small")
    assert [d.path for d in sim.iter_directories()] == ["Archive", "Projects", "Projects/2024"]
    projects = [p for d in sim.iter_directories() for p in sim.projects_in(d.path)]
    assert len(projects) == 4
    assert sum(len(sim.elevations_of(p.id, ph.id)) for p in projects for ph in sim.phases_of(p.id)) == 24


def test_it_generates_the_large_data_set_lazily():
    sim = make_sim(dataset="large")
    directories = list(sim.iter_directories())
    assert len(directories) == 50
    assert sim.stats()["generated"] == {"phases": 0, "elevations": 0}
    projects = [p for d in directories for p in sim.projects_in(d.path)]
    assert len(projects) == 1000 and len({p.id for p in projects}) == 1000
    assert sum(len(sim.phases_of(p.id)) for p in projects) == 5000
    assert sim.stats()["generated"] == {"phases": 5000, "elevations": 0}
    sample = projects[::20]
    assert all(len(sim.elevations_of(p.id, ph.id)) == 20 for p in sample for ph in sim.phases_of(p.id))
    assert sim.stats()["generated"]["elevations"] == len(sample) * 5 * 20


def test_it_serves_the_large_data_set_through_the_api():
    sim = make_sim(dataset="large")
    client = ApiClient.login(sim)
    assert len(client.data("/directories")) == 10
    client.go_to_directory("Customers/2023")
    projects = client.data("/projects")
    assert len(projects) == 20
    client.select("projects", projects[0]["id"])
    assert len(client.data("/phases")) == 5
    client.select("phases", NULL_GUID)
    assert len(client.data("/elevations")) == 20
