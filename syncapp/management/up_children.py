"""The child processes of `manage.py up`: started in their own session, their output relayed.

A person watching `up` needs warnings and errors, not every job and request: unless
`--verbose`, a child's INFO/DEBUG lines (and the lines that continue them, such as a
traceback) are held back. The last held-back lines are shown when a child dies, so a crash
is never silent.
"""

import collections
import os
import re
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

from django.conf import settings

MANAGE = str(Path(settings.BASE_DIR) / "manage.py")
STOP_TIMEOUT_S = 20
HELD_BACK_SHOWN_ON_DEATH = 30
# The start of a log record in the text format ("2026-11-30 06:24:01,123 WARNING name ...") or in JSON.
_RECORD = re.compile(r'^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ (?P<level>[A-Z]+) |^\{.*"level": "(?P<json>[a-z]+)"')
_SHOWN_LEVELS = {"WARNING", "ERROR", "CRITICAL"}


class QuietFilter:
    """Keeps log records at WARNING and above with their continuation lines; holds back the rest."""

    def __init__(self):
        self.showing = False  # lines before any log record (start-up banners) are held back
        self.held_back: collections.deque[str] = collections.deque(maxlen=HELD_BACK_SHOWN_ON_DEATH)

    def keep(self, line: str) -> bool:
        record = _RECORD.match(line)
        if record:
            self.showing = (record.group("level") or record.group("json") or "").upper() in _SHOWN_LEVELS
        if not self.showing:
            self.held_back.append(line)
        return self.showing


def die_with_parent() -> None:
    """Linux: the child gets SIGTERM if `up` itself dies (even by SIGKILL), so nothing is orphaned."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: the children are stopped by `up`'s own handlers only


class Child:
    """A child process whose output is relayed line by line with its name in front."""

    def __init__(self, name: str, args: list[str], env: dict, out, on_line=None, *, verbose: bool = True):
        self.name = name
        self.args, self.env = args, env  # to start it again
        kwargs = {"start_new_session": True, "preexec_fn": die_with_parent} if os.name == "posix" else {
            "creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
        # Own session: a terminal's Ctrl-C reaches only `up`, which stops the children in order.
        self.process = subprocess.Popen(
            [sys.executable, MANAGE, *args], env=env, cwd=settings.BASE_DIR, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True, bufsize=1, **kwargs,
        )
        self._out = out
        self._on_line = on_line
        self.filter = None if verbose else QuietFilter()
        self._relay = threading.Thread(target=self._relay_output, name=f"relay-{name}", daemon=True)
        self._relay.start()

    def _relay_output(self) -> None:
        for line in self.process.stdout:
            if self._on_line:
                self._on_line(line)
            if self.filter is None or self.filter.keep(line.rstrip()):
                self._out(f"[{self.name}] {line.rstrip()}")

    def show_held_back(self) -> None:
        """After an unexpected exit: the last lines that were held back, so the reason is on screen."""
        self._relay.join(timeout=5)
        if self.filter is None or not self.filter.held_back:
            return
        self._out(f"[up] the last lines of {self.name} that were not shown:")
        for line in self.filter.held_back:
            self._out(f"[{self.name}] {line}")

    @property
    def pid(self) -> int:
        return self.process.pid

    def exited(self) -> int | None:
        return self.process.poll()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # SIGTERM: the worker finishes or hands back its jobs
            try:
                self.process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._relay.join(timeout=5)


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True
