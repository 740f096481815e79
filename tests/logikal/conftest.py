"""Fixtures for the LogiKal client tests: the simulator over real HTTP, a real test database."""

import contextlib

import pytest

from syncapp.logikal import Upstream
from syncapp.simulator import Simulator, SimulatorConfig, serve


@pytest.fixture
def simulators():
    """Start simulators over HTTP: ``sim, server = simulators(navigation="lenient")``."""
    running = []

    def start(**config):
        config.setdefault("dataset", "demo")
        config.setdefault("parts_list_size", "small")
        sim = Simulator(SimulatorConfig(**config))
        server = serve(sim)
        running.append(server)
        return sim, server

    yield start
    for server in running:
        server.stop()


@pytest.fixture(params=["strict", "lenient"])
def navigation(request):
    return request.param


@pytest.fixture
def sim_server(simulators, navigation):
    return simulators(navigation=navigation)


@pytest.fixture
def sim(sim_server):
    return sim_server[0]


@pytest.fixture
def one_sim_server(simulators):
    """For behaviour that does not depend on the navigation mode: one (strict) simulator."""
    return simulators(navigation="strict")


@pytest.fixture
def upstreams(transactional_db):
    """Build clients against a server; all are closed (sessions logged out) at the end."""
    made = []

    def build(server, **options):
        options.setdefault("max_sessions", 4)
        options.setdefault("connect_timeout_s", 2)
        options.setdefault("read_timeout_s", 5)
        options.setdefault("backoff_s", 0.01)
        options.setdefault("heartbeat_s", 0.1)
        options.setdefault("poll_s", 0.05)
        upstream = Upstream(server.base_url, "demo", "demo", **options)
        made.append(upstream)
        return upstream

    yield build
    for upstream in made:
        with contextlib.suppress(Exception):
            upstream.close()


@pytest.fixture
def upstream(upstreams, sim_server):
    return upstreams(sim_server[1])


@pytest.fixture
def dos(sim):
    return sim.find_project("DOS22309")


def requests_of(sim) -> dict:
    """{endpoint template: number of requests} from the simulator's own counters."""
    return {template: sum(by_status.values()) for template, by_status in sim.stats()["requests"].items()}
