"""A benchmark stopped half-way leaves no process and no scratch database behind."""

import signal
import subprocess
import sys
import time

import psutil
import pytest
from django.db import connection

from ..conftest import ROOT

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def start_benchmark(process_env) -> subprocess.Popen:
    # Enough runs to outlast the test: it is stopped, never finished.
    return subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "benchmark", "pickup-latency", "--runs", "1000000"],
        env=process_env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )


def database_exists(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        return cursor.fetchone() is not None


def wait_for_worker(benchmark: subprocess.Popen, timeout: float = 180) -> psutil.Process:
    """The benchmark's `sync_worker` child, once it runs and has taken jobs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert benchmark.poll() is None, benchmark.stderr.read()[-3000:]
        for child in psutil.Process(benchmark.pid).children(recursive=True):
            try:
                if "sync_worker" in child.cmdline():
                    time.sleep(3)  # the runs are under way
                    return child
            except psutil.NoSuchProcess:
                continue
        time.sleep(0.2)
    raise AssertionError("the benchmark never started its worker")


def gone(process: psutil.Process, timeout: float) -> bool:
    try:
        process.wait(timeout=timeout)
    except psutil.TimeoutExpired:
        return False
    return True


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_benchmark_stopped_by_a_signal_stops_its_worker_and_drops_its_scratch_database(process_env, signum):
    benchmark = start_benchmark(process_env)
    scratch = f"bench_pickup_{benchmark.pid}"
    try:
        worker = wait_for_worker(benchmark)
        assert database_exists(scratch)
        benchmark.send_signal(signum)
        assert benchmark.wait(timeout=90) == 130
        assert "stopped by" in benchmark.stderr.read()
        assert gone(worker, 10)
        assert not database_exists(scratch)
    finally:
        if benchmark.poll() is None:
            benchmark.kill()
            benchmark.wait()


def test_a_benchmark_killed_outright_takes_its_worker_with_it(process_env):
    benchmark = start_benchmark(process_env)
    scratch = f"bench_pickup_{benchmark.pid}"
    try:
        worker = wait_for_worker(benchmark)
        benchmark.kill()  # SIGKILL: no clean-up code runs in the benchmark
        benchmark.wait()
        assert gone(worker, 60)  # the kernel sent it SIGTERM when its parent died
    finally:
        if benchmark.poll() is None:
            benchmark.kill()
            benchmark.wait()
        with connection.cursor() as cursor:  # nobody else can drop it
            cursor.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
