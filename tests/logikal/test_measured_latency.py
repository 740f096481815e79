"""Measured latencies survive the process: merged into UpstreamLatency, read by the next client."""

import time

import pytest

from syncapp.logikal.navigation import LatencyBook
from syncapp.logikal.store import merge_latencies
from syncapp.models import UpstreamLatency


def test_a_clients_measured_latencies_are_stored_and_the_next_client_starts_from_them(upstreams, simulators):
    server = simulators(navigation="strict", latency="real", latency_scale=0.02)[1]  # login 0.1 s, GET /phases 4 ms
    first = upstreams(server, flush_every_s=3600)
    first.list_projects("")
    assert not UpstreamLatency.objects.exists()  # nothing written per request
    first.close()  # flushes
    stored = dict(UpstreamLatency.objects.values_list("endpoint", "seconds"))
    # 5 s x 0.02, plus jitter and the loopback; generous above (a loaded machine adds its own time),
    # and far from API.md's 5 s that a client starts with when nothing was measured.
    assert 0.09 <= stored["POST /auth"] < 1.0
    assert UpstreamLatency.objects.get(endpoint="POST /auth").samples == 1

    second = upstreams(server)
    assert second.latency.estimate("POST /auth") == 5.0  # API.md's figure until the stored ones are read
    second.list_projects("")  # starts the maintenance thread, whose first tick reads them
    deadline = time.monotonic() + 5
    while second.latency.estimate("POST /auth") == 5.0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert second.latency.estimate("POST /auth") < 1.0


@pytest.mark.django_db
def test_merging_moves_the_stored_average_as_n_requests_would():
    book = LatencyBook(defaults={}, weight=0.2)
    book.observe("GET /phases", 1.0)
    merge_latencies(book.take_unsaved(), book.weight)
    assert UpstreamLatency.objects.get(endpoint="GET /phases").seconds == 1.0  # the first figure as it is
    assert book.take_unsaved() == {}  # taken once
    # Another process saw two requests of 2.0 s on average: 1 + (1 - 0.8^2) x (2 - 1) = 1.36
    merge_latencies({"GET /phases": (2.0, 2)}, 0.2)
    row = UpstreamLatency.objects.get(endpoint="GET /phases")
    assert row.seconds == pytest.approx(1.36) and row.samples == 3
