"""Child processes of tests and benchmarks: each one dies with its parent.

A run that is stopped half-way (Ctrl-C, SIGTERM from `timeout`, a crashed test) must not leave
workers or simulators behind. Two mechanisms cover it: every child asks the kernel for SIGTERM
when its parent dies (``PR_SET_PDEATHSIG``, Linux; this also covers a parent killed with
SIGKILL), and `sigterm_stops_the_run()` turns SIGTERM into KeyboardInterrupt, so the parent's
``finally`` blocks stop the children in order and drop the scratch database.
"""

import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
PR_SET_PDEATHSIG = 1

try:
    _prctl = ctypes.CDLL(None, use_errno=True).prctl  # resolved here, not in the forked child
except (OSError, AttributeError):  # not Linux: the parent's clean-up alone stops its children
    _prctl = None


def _die_with_parent(parent_pid: int):
    def preexec() -> None:
        if _prctl is not None:
            _prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent_pid:  # the parent died before the request took effect
            os.kill(os.getpid(), signal.SIGTERM)

    return preexec


class ChildProcess:
    """A child whose output goes to a log file (or nowhere); it gets SIGTERM when its parent dies.

    `own_group`: the child leads a process group of its own (a shell and what it starts), and
    stop() signals the whole group.
    """

    def __init__(self, name: str, argv: list[str], *, env: dict, log_path=None, own_group: bool = False):
        self.name = name
        self.log_path = Path(log_path) if log_path else None
        self.own_group = own_group
        self._log = open(self.log_path, "w") if self.log_path else subprocess.DEVNULL  # noqa: SIM115 - stop() closes it
        self.process = subprocess.Popen(
            argv, env=env, cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent(os.getpid()), start_new_session=own_group,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def running(self) -> bool:
        return self.process.poll() is None

    def _signal(self, signum: int) -> None:
        try:
            if self.own_group:
                os.killpg(self.process.pid, signum)
            else:
                self.process.send_signal(signum)
        except ProcessLookupError:
            pass

    def kill(self) -> None:
        if self.running():
            self._signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self, timeout: float = 30) -> int | None:
        """SIGTERM, then SIGKILL after `timeout`; returns the exit status."""
        if self.running():
            self._signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        if self._log is not subprocess.DEVNULL and not self._log.closed:
            self._log.close()
        return self.process.returncode

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path else ""

    def tail(self, chars: int = 2000) -> str:
        return self.output()[-chars:]


def manage_py(*args: str) -> list[str]:
    return [sys.executable, str(ROOT / "manage.py"), *args]


class WorkerProcess(ChildProcess):
    """`manage.py sync_worker` without its initial tick: a run ticks when it means to."""

    def __init__(self, env: dict, *, name: str, concurrency: int = 4, log_path=None, extra_args=()):
        super().__init__(name, manage_py("sync_worker", "--no-initial-tick", "--concurrency", str(concurrency),
                                         "--name", name, *extra_args), env=env, log_path=log_path)


def shell_process(name: str, command: str, *, env: dict, log_dir) -> ChildProcess:
    """A Procfile line, run by the shell in a process group of its own."""
    return ChildProcess(name, ["sh", "-c", command], env=env, log_path=Path(log_dir) / f"{name}.log", own_group=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, *, timeout: float, what: str, process: ChildProcess | None = None, interval: float = 0.2,
             ignore=(OSError,)):
    """Poll `predicate` until it is true; fail early when `process` exits, and after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and not process.running():
            raise RuntimeError(f"{process.name} exited ({process.process.returncode}) before {what}:\n{process.tail()}")
        try:
            if predicate():
                return
        except ignore:
            pass  # not listening yet
        time.sleep(interval)
    raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what}")


@contextmanager
def sigterm_stops_the_run():
    """SIGTERM ends the run as Ctrl-C does (KeyboardInterrupt), so every ``finally`` runs.

    After the first signal both are ignored: a second Ctrl-C must not cut the clean-up short
    and leave the children or the scratch database behind.
    """
    def stop(signum, frame):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        raise KeyboardInterrupt(signal.Signals(signum).name)

    previous = {signum: signal.signal(signum, stop) for signum in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
