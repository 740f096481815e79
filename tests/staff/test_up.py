"""`manage.py up`: everything starts, the demo tree gets synced, and every child stops with it."""

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import httpx
import psutil
import pytest

from ..conftest import ROOT

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Up:
    def __init__(self, env: dict, port: int):
        self.port = port
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), "up", "--port", str(port)],
            env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line.rstrip())

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, text: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output:
            assert self.process.poll() is None, f"up exited ({self.process.returncode}):\n{self.output[-4000:]}"
            assert time.monotonic() < deadline, f"no {text!r} after {timeout} s:\n{self.output[-4000:]}"
            time.sleep(0.3)

    def children(self) -> dict[str, int]:
        return {name: int(pid) for name, pid in re.findall(r"^\[up\] started (\w+) \(pid (\d+)\)", self.output, re.M)}

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        for pid in self.children().values():
            if psutil.pid_exists(pid):
                psutil.Process(pid).kill()


@pytest.fixture
def up_env(process_env, clean_queue, tmp_path):
    env = dict(process_env, MEDIA_ROOT=str(tmp_path / "media"), ADMIN_PASSWORD_FILE=str(tmp_path / "password"))
    for name in ("LOGIKAL_API_BASE_URL", "LOG_LEVEL"):
        env.pop(name, None)
    return env


def logged_in(base_url: str, username: str, password: str) -> httpx.Client:
    """An HTTP client logged into the admin through its own login form."""
    web = httpx.Client(base_url=base_url, timeout=10)
    page = web.get("/admin/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    response = web.post("/admin/login/?next=/admin/", data={
        "csrfmiddlewaretoken": token, "username": username, "password": password, "next": "/admin/",
    }, headers={"Referer": f"{base_url}/admin/login/"})
    assert response.status_code == 302 and response.headers["location"] == "/admin/", response.text[:500]
    return web


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_up_runs_everything_syncs_the_demo_tree_and_ctrl_c_stops_every_child(up_env):
    up = Up(up_env, free_port())
    try:
        up.wait_for("Press Ctrl-C to stop.")
        children = up.children()
        assert set(children) == {"simulator", "worker", "web"}
        with urllib.request.urlopen(f"http://127.0.0.1:{up.port}/admin/login/", timeout=5) as response:
            assert response.status == 200
        assert f"Dashboard:  http://127.0.0.1:{up.port}/admin/dashboard/" in up.output
        password = re.search(r"Login: +admin / (\S+)", up.output).group(1)
        web = logged_in(f"http://127.0.0.1:{up.port}", "admin", password)

        # The worker's first tick at start syncs the whole demo tree without anyone asking,
        # and the dashboard shows it.
        deadline = time.monotonic() + 120
        while True:
            figures = web.get("/admin/dashboard/data.json").json()
            counts = {row["object_type"]: row["counts"] for row in figures["types"]}
            behind = sum(states[s] for states in counts.values() for s in ("never", "stale", "due", "failing"))
            if counts["elevation"]["fresh"] > 0 and behind == 0:
                break
            assert time.monotonic() < deadline, f"demo tree not fresh: {counts}\n{up.output[-3000:]}"
            time.sleep(1)
        assert figures["workers_alive"] == 1
        assert figures["last_tick"] is not None

        # The printed curl line works: the demo API client's key reads the mirror.
        key, url = re.search(r'curl -H "Authorization: Bearer (\S+)" (\S+)', up.output).groups()
        projects = httpx.get(url, headers={"Authorization": f"Bearer {key}"}, timeout=10)
        assert projects.status_code == 200 and projects.json()["count"] > 0

        # Once the first sync is done the login is printed again, and it is in the file it names.
        up.wait_for("logikal-sync is ready: the mirror holds 7 directories, 7 projects, 12 phases, 50 elevations")
        ready = up.output[up.output.index("logikal-sync is ready"):]
        assert f"Login:      admin / {password}   (also in {up_env['ADMIN_PASSWORD_FILE']}" in ready
        assert (ROOT / up_env["ADMIN_PASSWORD_FILE"]).read_text().split() == ["admin", password]
        # Without --verbose the worker's and web's routine lines (each job, each request) stay back.
        assert not [line for line in up.lines if re.match(r"\[(worker|web)\] \S+ \S+ INFO ", line)]

        up.process.send_signal(signal.SIGINT)
        assert up.process.wait(timeout=60) == 0, up.output[-3000:]
        assert up.lines[-1] == "Stopped."
        assert all(gone(pid) for pid in children.values()), children
    finally:
        up.stop()


def test_when_a_child_dies_up_stops_the_rest_and_fails(up_env):
    up = Up(up_env, free_port())
    try:
        up.wait_for("Press Ctrl-C to stop.")
        children = up.children()
        psutil.Process(children["simulator"]).kill()
        assert up.process.wait(timeout=60) == 1
        assert "[up] simulator exited with status -9; stopping the rest" in up.output
        assert all(gone(pid) for pid in children.values()), children
    finally:
        up.stop()


def test_up_refuses_a_port_in_use_with_one_line(up_env):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run([sys.executable, str(ROOT / "manage.py"), "up", "--port", str(port)],
                                env=up_env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == f"CommandError: port {port} on 127.0.0.1 is in use; pass --port"


def postgres_processes(data_dir: Path) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["cmdline"]):
        with contextlib.suppress(psutil.Error):
            if any(str(data_dir) in part for part in process.info["cmdline"] or []) and not gone(process.pid):
                found.append(process)
    return found


@pytest.fixture(scope="module")
def embedded_dir():
    """One private embedded PostgreSQL folder (short: a socket path) for the three endings."""
    folder = Path(tempfile.mkdtemp(prefix="ls-up-", dir="/tmp"))
    yield folder
    for process in postgres_processes(folder):  # only if a test failed half-way
        with contextlib.suppress(psutil.Error):
            process.kill()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.parametrize("ending", ["SIGINT", "SIGTERM", "a dead child"])
def test_up_leaves_no_process_behind_embedded_postgresql_included(embedded_dir, tmp_path, ending):
    env = {name: value for name, value in os.environ.items()
           if name not in ("DATABASE_URL", "LOGIKAL_API_BASE_URL", "LOG_LEVEL")}
    env.update(EMBEDDED_DB_DIR=str(embedded_dir / "db"), MEDIA_ROOT=str(tmp_path / "media"),
               ADMIN_PASSWORD_FILE=str(tmp_path / "password"), PYTHONUNBUFFERED="1")
    up = Up(env, free_port())
    try:
        up.wait_for("Press Ctrl-C to stop.", timeout=240)
        children = up.children()
        postmaster = int((embedded_dir / "db" / "postmaster.pid").read_text().split()[0])
        assert not gone(postmaster)
        if ending == "a dead child":
            psutil.Process(children["worker"]).kill()  # SIGKILL: it cannot clean up after itself
            expected_status = 1
        else:
            up.process.send_signal(getattr(signal, ending))
            expected_status = 0
        assert up.process.wait(timeout=120) == expected_status, up.output[-3000:]
        assert "[up] stopped the embedded PostgreSQL" in up.output
        assert all(gone(pid) for pid in children.values()), children
        assert gone(postmaster)
        assert postgres_processes(embedded_dir) == []
        assert json.loads((embedded_dir / "db" / ".handle_pids.json").read_text() or "[]") == []
    finally:
        up.stop()
