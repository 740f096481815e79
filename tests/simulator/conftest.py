"""Fixtures for the simulator tests: no database, no Django (the simulator is pure Python)."""

import types

import pytest

from syncapp.simulator import Simulator, SimulatorConfig, serve

THUMBNAIL_QUERY = {"width": 300, "height": 300, "format": "PNG", "view": "Exterior",
                   "withdimensions": "false", "withdescription": "false"}


@pytest.fixture
def settings():
    """Stand-in for pytest-django's fixture, so the suite-wide autouse fixtures also work with
    `-p no:django`; nothing here reads Django settings."""
    return types.SimpleNamespace()


class FrozenClock:
    def __init__(self, now: float = 1_760_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class ApiClient:
    """A logged-in session driven through Simulator.call (in-process, same code as HTTP)."""

    def __init__(self, sim: Simulator, token: str | None = None):
        self.sim = sim
        self.token = token

    @classmethod
    def login(cls, sim: Simulator) -> "ApiClient":
        response = sim.call("POST", "/auth", json={"username": "demo", "password": "demo", "erp": True})
        assert response.status == 200, response.body
        return cls(sim, response.json()["data"]["token"])

    def get(self, path, **query):
        return self.sim.call("GET", path, token=self.token, query=query or None)

    def select(self, level: str, identifier: str):
        return self.sim.call("POST", f"/{level}/select", token=self.token, json={"identifier": identifier})

    def data(self, path, **query):
        response = self.get(path, **query)
        assert response.status == 200, response.body
        return response.json()["data"]

    def go_to_directory(self, path: str) -> None:
        parts = path.split("/")
        for depth in range(1, len(parts) + 1):
            assert self.select("directories", "/".join(parts[:depth])).status == 200

    def go_to_project(self, project) -> None:
        if project.directory:
            self.go_to_directory(project.directory)
        assert self.select("projects", project.id).status == 200

    def go_to_phase(self, project, phase_id: str) -> None:
        self.go_to_project(project)
        assert self.select("phases", phase_id).status == 200

    def go_to_elevation(self, project, phase_id: str, elevation_id: str) -> None:
        self.go_to_phase(project, phase_id)
        assert self.select("elevations", elevation_id).status == 200


def make_sim(**settings) -> Simulator:
    settings.setdefault("dataset", "demo")
    settings.setdefault("parts_list_size", "small")
    return Simulator(SimulatorConfig(**settings))


@pytest.fixture
def sim():
    return make_sim()


@pytest.fixture
def client(sim):
    return ApiClient.login(sim)


@pytest.fixture
def dos(sim):
    return sim.find_project("DOS22309")


@pytest.fixture
def server(sim):
    with serve(sim) as running:
        yield running
