"""Helpers for benchmarks that run the Procfile's processes for real.

Not a benchmark itself (the leading underscore keeps `benchmark` from listing it).
"""

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil
from django.conf import settings
from django.db import connection
from ._scratch import database_url

ROOT = Path(settings.BASE_DIR)
MB = 1024 * 1024


def procfile_commands() -> dict[str, str]:
    commands = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, command = line.partition(":")
            commands[name.strip()] = command.strip()
    return commands


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def scratch_database(prefix: str):
    """Create an empty database on the configured server for the run; drop it afterwards."""
    name = f"{prefix}_{os.getpid()}"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield database_url(name)
    finally:
        connection.close()  # a fresh connection: the old one may have idled out during a long run
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def production_env(**overrides) -> dict:
    """Environment for child processes with production settings (DEBUG keeps queries in memory)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST")}
    env.update(
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="false",
        DJANGO_SETTINGS_MODULE="project.settings",
        PYTHONUNBUFFERED="1",
        # The Procfile says `python` and `gunicorn`: ours, whatever the caller's PATH.
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    env.update({key: str(value) for key, value in overrides.items()})
    return env


class Process:
    """A Procfile line run through the shell in its own process group, output to a file."""

    def __init__(self, name: str, command: str, env: dict, log_dir: Path):
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.popen = subprocess.Popen(
            ["sh", "-c", command], cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def running(self) -> bool:
        return self.popen.poll() is None

    def stop(self, timeout: float = 30) -> int | None:
        if self.running():
            try:
                os.killpg(self.popen.pid, signal.SIGTERM)
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout=10)
            except ProcessLookupError:
                pass
        self._log.close()
        return self.popen.returncode

    def tail(self, chars: int = 2000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:]


@dataclass
class MemoryPeak:
    """Peak memory of a process tree: RSS summed (counts shared pages once per process) and PSS summed."""

    rss: int = 0
    pss: int = 0
    processes: int = 0
    samples: int = 0
    per_process_rss: dict = field(default_factory=dict)

    def sample(self, pid: int) -> None:
        try:
            root = psutil.Process(pid)
            tree = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return
        rss = pss = 0
        for process in tree:
            try:
                info = process.memory_full_info()
                name = " ".join(process.cmdline()[:3])[:60]
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                continue
            rss += info.rss
            pss += getattr(info, "pss", info.rss)
            self.per_process_rss[name] = max(self.per_process_rss.get(name, 0), info.rss)
        self.samples += 1
        self.rss = max(self.rss, rss)
        self.pss = max(self.pss, pss)
        self.processes = max(self.processes, len(tree))

    def figures(self, prefix: str) -> dict:
        return {
            f"{prefix}_peak_rss_mb": round(self.rss / MB, 1),
            f"{prefix}_peak_pss_mb": round(self.pss / MB, 1),
            f"{prefix}_processes": self.processes,
        }


def wait_for(predicate, *, timeout: float, what: str, process: Process | None = None, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and not process.running():
            raise RuntimeError(f"{process.name} exited ({process.popen.returncode}) before {what}:\n{process.tail()}")
        try:
            if predicate():
                return
        except (OSError, httpx.TransportError):
            pass  # not listening yet
        time.sleep(interval)
    raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what}")
