"""Counting upstream requests: per job (`track()`, context-local) and per hour for metrics.

Every request attempt is recorded once, by endpoint template and outcome (HTTP status or an
error class such as ``timeout``). Trackers live in a context variable, so concurrent jobs in
threads (each thread runs in its own context) never see each other's calls. The hourly
buckets are kept in memory and added to ``UpstreamRequestCount`` in batches.
"""

from __future__ import annotations

import threading
from collections import Counter
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime

LOGIN = "POST /auth"


@dataclass
class CallCounter:
    """What one job asked of LogiKal: ``total``, ``by_endpoint``, ``logins`` and more."""

    total: int = 0
    by_endpoint: dict[str, int] = field(default_factory=dict)
    by_outcome: dict[str, int] = field(default_factory=dict)  # "GET /elevations 200" -> n
    logins: int = 0
    failures: int = 0
    seconds: float = 0.0

    def add(self, template: str, outcome: str, seconds: float) -> None:
        self.total += 1
        self.by_endpoint[template] = self.by_endpoint.get(template, 0) + 1
        label = f"{template} {outcome}"
        self.by_outcome[label] = self.by_outcome.get(label, 0) + 1
        if template == LOGIN and outcome == "200":
            self.logins += 1
        if not outcome.startswith("2"):
            self.failures += 1
        self.seconds += seconds


_trackers: ContextVar[tuple[CallCounter, ...]] = ContextVar("logikal_call_trackers", default=())


@contextmanager
def tracking(on_exit=None, *, separate: bool = False):
    """Count the calls made in this context (nested trackers each see them).

    `separate`: the enclosing trackers do not see these calls (work done inside a job on
    behalf of another object, which records them in its own run).
    """
    counter = CallCounter()
    token = _trackers.set((counter,) if separate else _trackers.get() + (counter,))
    try:
        yield counter
    finally:
        _trackers.reset(token)
        if on_exit is not None and not _trackers.get():
            on_exit()


class HourlyCounts:
    """Request counts by (hour, endpoint, outcome) waiting to be written to the database."""

    def __init__(self):
        self._lock = threading.Lock()
        self._pending: Counter = Counter()

    def add(self, template: str, outcome: str, at: datetime | None = None) -> None:
        hour = (at or datetime.now(UTC)).replace(minute=0, second=0, microsecond=0)
        with self._lock:
            self._pending[(hour, template, outcome[:16])] += 1

    def take(self) -> dict:
        with self._lock:
            taken, self._pending = dict(self._pending), Counter()
        return taken

    def put_back(self, counts: dict) -> None:
        """After a failed write: keep them for the next flush."""
        with self._lock:
            self._pending.update(counts)

    def __len__(self) -> int:
        with self._lock:
            return len(self._pending)


def record(template: str, outcome: str, seconds: float, hourly: HourlyCounts | None) -> None:
    for counter in _trackers.get():
        counter.add(template, outcome, seconds)
    if hourly is not None:
        hourly.add(template, outcome)
