"""`Upstream`: the read calls the sync engine makes, each on the best pooled session.

Every method takes a session from the pool (the one closest to where the call must be made),
moves its cursor there, makes the call and gives the session back. `session_at()` keeps one
session for several calls at one place. Within a `session_at()` block, the facade's own
methods reuse that session (no second session, no self-deadlock with a cap of one).
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import socket
import time
from contextlib import contextmanager
from contextvars import ContextVar

from .counting import HourlyCounts, record, tracking
from .handle import SessionHandle
from .http import Transport
from .navigation import LatencyBook, MoveBook, Need
from .pool import SessionPool
from .responses import DirectoryInfo, ElevationInfo, PhaseInfo, ProjectInfo
from .session import Credentials
from .store import DbThread, add_request_counts, load_latencies, save_latencies
from .values import Place

logger = logging.getLogger(__name__)

_held: ContextVar[tuple | None] = ContextVar("logikal_held_session", default=None)


def scope_for(base_url: str, username: str) -> str:
    """The lease scope of an upstream: same server and user, same cap. A hash: no user name stored."""
    digest = hashlib.sha256(f"{base_url.rstrip('/')}\n{username}".encode()).hexdigest()[:16]
    return f"logikal:{digest}"


def process_holder() -> str:
    return f"{socket.gethostname()[:200]}:{os.getpid()}:{secrets.token_hex(4)}"


class Upstream:
    def __init__(self, base_url: str, username: str, password: str, max_sessions: int, *,
                 connect_timeout_s: float = 10, read_timeout_s: float = 60, lease_s: float = 90,
                 idle_s: float = 120, wait_timeout_s: float = 120, retries: int = 2, backoff_s: float = 0.5,
                 heartbeat_s: float = 1.0, poll_s: float = 0.5, flush_every_s: float = 30.0,
                 http_transport=None):
        if max_sessions < 1:
            raise ValueError("max_sessions must be at least 1")
        if not username:
            raise ValueError("a LogiKal username is required (LOGIKAL_USERNAME)")
        self.base_url = base_url.rstrip("/")
        self.max_sessions = max_sessions
        self.scope = scope_for(self.base_url, username)
        self.holder = process_holder()
        self.latency = LatencyBook()
        self.moves = MoveBook()
        self.hourly = HourlyCounts()
        self.flush_every_s = flush_every_s
        self._last_flush = 0.0
        self.transport = Transport(self.base_url, connect_timeout_s=connect_timeout_s,
                                   read_timeout_s=read_timeout_s, retries=retries, backoff_s=backoff_s,
                                   on_request=self._on_request, http_transport=http_transport,
                                   max_connections=max(8, 2 * max_sessions + 4))
        self.db = DbThread()
        self.pool = SessionPool(
            transport=self.transport, credentials=Credentials(username, password), moves=self.moves,
            latency=self.latency, max_sessions=max_sessions, scope=self.scope, holder=self.holder, db=self.db,
            lease_s=lease_s, idle_s=idle_s, wait_timeout_s=wait_timeout_s, poll_s=poll_s,
            heartbeat_s=heartbeat_s, on_tick=self._maybe_flush,
        )
        self._closed = False

    def __repr__(self) -> str:
        return f"<Upstream {self.base_url} max_sessions={self.max_sessions}>"

    # -- counting --------------------------------------------------------------------------------------
    def _on_request(self, template: str, outcome: str, seconds: float) -> None:
        record(template, outcome, seconds, self.hourly)
        if outcome.startswith("2"):
            self.latency.observe(template, seconds)

    def track(self, *, separate: bool = False):
        """``with upstream.track() as calls:`` -> calls.total, calls.by_endpoint, calls.logins.

        `separate`: calls counted here only, not by the enclosing tracker (see ``counting.tracking``)."""
        return tracking(on_exit=self.flush_counts, separate=separate)

    def flush_counts(self) -> None:
        """Store request counts and measured latencies (UpstreamRequestCount, UpstreamLatency); never raises."""
        counts = self.hourly.take()
        self._last_flush = time.monotonic()
        save_latencies(self.db, self.latency)
        if not counts:
            return
        try:
            self.db.run(add_request_counts, counts)
        except Exception:  # noqa: BLE001
            self.hourly.put_back(counts)
            logger.warning("could not store upstream request counts; kept for the next flush", exc_info=True)

    def _maybe_flush(self) -> None:
        load_latencies(self.db, self.latency)  # once, at the first maintenance tick
        if len(self.hourly) and time.monotonic() - self._last_flush >= self.flush_every_s:
            self.flush_counts()

    # -- sessions --------------------------------------------------------------------------------------
    @contextmanager
    def _session_for(self, need: Need):
        held = _held.get()
        if held is not None and held[0] is self:
            yield held[1]
            return
        session = self.pool.acquire(need)
        token = _held.set((self, session))
        try:
            yield session
        finally:
            _held.reset(token)
            self.pool.release(session)

    @contextmanager
    def session_at(self, path: str, project_id: str | None = None, phase_id: str | None = None,
                   elevation_id: str | None = None):
        """A session navigated to this place, for several calls there (``s.get_project()``, ...)."""
        place = Place.of(path, project_id, phase_id, elevation_id)
        with self._session_for(Need(place)) as session:
            session.navigate(place)
            yield SessionHandle(session, place)

    def warm_up(self, count: int | None = None) -> int:
        """Log in up to `count` sessions (default: the cap) in the background, ahead of a burst of jobs."""
        return self.pool.warm_up(self.max_sessions if count is None else count)

    def _run(self, place: Place, call: str, **kwargs):
        need = SessionHandle.need(call, place)
        with self._session_for(need) as session:
            return getattr(SessionHandle(session, place), call)(**kwargs)

    # -- the read calls --------------------------------------------------------------------------------
    def list_directories(self, path: str) -> list[DirectoryInfo]:
        return self._run(Place.of(path), "list_directories")

    def list_projects(self, path: str) -> list[ProjectInfo]:
        return self._run(Place.of(path), "list_projects")

    def get_project(self, path: str, project_id: str) -> ProjectInfo:
        return self._run(Place.of(path, project_id), "get_project")

    def list_phases(self, path: str, project_id: str) -> list[PhaseInfo]:
        return self._run(Place.of(path, project_id), "list_phases")

    def list_elevations(self, path: str, project_id: str, phase_id: str) -> list[ElevationInfo]:
        return self._run(Place.of(path, project_id, phase_id), "list_elevations")

    def get_thumbnail(self, path: str, project_id: str, phase_id: str, elevation_id: str, *, width: int = 300,
                      height: int = 300, fmt: str = "PNG", view: str = "Exterior") -> bytes:
        place = Place.of(path, project_id, phase_id, elevation_id)
        return self._run(place, "get_thumbnail", width=width, height=height, fmt=fmt, view=view)

    def get_parts_list(self, path: str, project_id: str, phase_id: str, elevation_id: str) -> bytes:
        return self._run(Place.of(path, project_id, phase_id, elevation_id), "get_parts_list")

    # -- lifecycle -------------------------------------------------------------------------------------
    def close(self) -> None:
        """Log out every session, free the slots, store the counts. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        try:
            self.pool.close()
        finally:
            self.flush_counts()
            self.db.stop()
            self.transport.close()

    def stats(self) -> dict:
        return {**self.pool.stats(), "moves": self.moves.snapshot()}
