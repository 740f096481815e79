"""Helpers for benchmarks that run the Procfile's processes for real: their commands, a
production environment, and the peak memory of a process tree.

Not a benchmark itself (the leading underscore keeps `benchmark` from listing it).
"""

import os
import secrets
import sys
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil
from django.conf import settings

from ..harness.processes import ChildProcess, shell_process, wait_for

ROOT = Path(settings.BASE_DIR)
MB = 1024 * 1024


def procfile_commands() -> dict[str, str]:
    commands = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, command = line.partition(":")
            commands[name.strip()] = command.strip()
    return commands


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


def start_web(command: str, *, env: dict, log_dir, port: int) -> tuple[ChildProcess, str, MemoryPeak]:
    """The Procfile's web process once /healthz answers: the process, its base URL and its idle
    memory. A web process that never answers is stopped before the error is raised."""
    web = shell_process("web", command, env=env, log_dir=log_dir)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: httpx.get(f"{base}/healthz", timeout=2).status_code == 200, timeout=120,
                 what="the web process", process=web, ignore=(OSError, httpx.TransportError))
    except BaseException:
        web.stop()
        raise
    idle = MemoryPeak()
    idle.sample(web.pid)
    return web, base, idle
