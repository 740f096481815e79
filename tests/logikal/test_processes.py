"""The global session cap across real worker processes sharing one database and one LogiKal."""

import json
import subprocess
import sys
import time

import pytest

from syncapp.logikal import errors
from syncapp.models import UpstreamSessionLease

from ..conftest import ROOT


class Child:
    def __init__(self, env, action, base_url, cap, **options):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.logikal.child", action, base_url, str(cap), json.dumps(options)],
            env=env, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )

    def go(self):
        self.process.stdin.write("go\n")
        self.process.stdin.flush()

    def wait_ready(self, timeout=30) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if line.startswith("READY"):
                return line
            if not line and self.process.poll() is not None:
                break
        raise AssertionError(f"child never got ready: {self.process.stderr.read()[-3000:]}")

    def finish(self, timeout=90) -> dict:
        out, err = self.process.communicate(timeout=timeout)
        assert self.process.returncode == 0, err[-3000:]
        return json.loads(out.strip().splitlines()[-1])

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
        self.process.communicate(timeout=10)


@pytest.fixture
def children(process_env):
    started = []

    def start(*args, **options):
        child = Child(process_env, *args, **options)
        started.append(child)
        return child

    yield start
    for child in started:
        child.kill()


def held(scope: str):
    return UpstreamSessionLease.objects.filter(scope=scope).exclude(holder="")


def test_three_processes_competing_never_exceed_the_cap_and_all_finish(children, sim_server):
    sim, server = sim_server
    # Idle sessions would only time out after a minute: slots must move because waiters ask.
    workers = [children("work", server.base_url, 2, idle_s=60, wait_timeout_s=60) for _ in range(3)]
    for worker in workers:
        worker.wait_ready()
    for worker in workers:
        worker.go()
    results = [worker.finish() for worker in workers]
    assert all(result["failures"] == [] for result in results)
    assert sum(result["done"] for result in results) == 3 * 17
    stats = sim.stats()
    assert stats["peak_sessions"] <= 2
    assert stats["current_sessions"] == 0 and stats["logouts"] == stats["logins"]
    assert stats["mutations"] == 0


def test_a_process_gives_up_its_idle_session_when_another_process_waits(children, one_sim_server, upstreams):
    sim, server = one_sim_server
    idle = children("idle", server.base_url, 1, idle_s=60)
    idle.wait_ready()
    upstream = upstreams(server, max_sessions=1, idle_s=60, wait_timeout_s=15)
    started = time.monotonic()
    assert len(upstream.list_directories("")) == 3
    assert time.monotonic() - started < 10
    stats = sim.stats()
    assert stats["logouts"] == 1 and stats["peak_sessions"] == 1


def test_a_killed_holders_slot_is_taken_over_once_its_lease_expires(children, simulators, upstreams):
    # The server forgets the dead process's session too (before the lease runs out).
    sim, server = simulators(navigation="strict", token_idle_expiry_s=1.0)
    holder = children("hold", server.base_url, 1, lease_s=2.0)
    holder.wait_ready()
    upstream = upstreams(server, max_sessions=1, lease_s=2.0, wait_timeout_s=3.0)
    [lease] = held(upstream.scope)
    # Alive, the holder renews its lease: waiting longer than a lease still gets nothing.
    with pytest.raises(errors.SessionSlotTimeout):
        upstream.list_directories("")
    holder.kill()
    killed = time.monotonic()
    assert len(upstream.list_directories("")) == 3
    assert time.monotonic() - killed <= 3.0
    [taken] = held(upstream.scope)
    assert taken.slot == lease.slot and taken.holder == upstream.holder != lease.holder
    assert sim.stats()["peak_sessions"] == 1
