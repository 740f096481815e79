"""Login sessions: tokens, their navigation cursors, idle expiry and the per-user cap."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field

LEVELS = ("directory", "project", "phase", "elevation")


@dataclass
class Cursor:
    """Where a session stands: root -> directory (by path) -> project -> phase -> elevation."""

    directory: str = ""
    project_id: str | None = None
    phase_id: str | None = None
    elevation_id: str | None = None

    @property
    def level(self) -> str:
        if self.elevation_id is not None:
            return "elevation"
        if self.phase_id is not None:
            return "phase"
        if self.project_id is not None:
            return "project"
        return "directory"

    @property
    def depth(self) -> int:
        return LEVELS.index(self.level)


@dataclass
class Session:
    token: str
    username: str
    created_at: float
    last_used_at: float
    cursor: Cursor = field(default_factory=Cursor)


class SessionLimitReached(Exception):
    pass


class SessionStore:
    def __init__(self, *, clock, max_sessions: int | None, idle_expiry_s: float | None):
        self.clock = clock
        self.max_sessions = max_sessions
        self.idle_expiry_s = idle_expiry_s
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()
        self.peak = 0

    def _purge_expired(self) -> None:
        if self.idle_expiry_s is None:
            return
        deadline = self.clock() - self.idle_expiry_s
        for token in [t for t, s in self._sessions.items() if s.last_used_at < deadline]:
            del self._sessions[token]

    def login(self, username: str) -> Session:
        with self._lock:
            self._purge_expired()
            held = sum(1 for s in self._sessions.values() if s.username == username)
            if self.max_sessions is not None and held >= self.max_sessions:
                raise SessionLimitReached(
                    f"The maximum number of concurrent sessions ({self.max_sessions}) for user "
                    f"'{username}' has been reached. Log out another session first.")
            now = self.clock()
            session = Session(str(uuid.uuid4()), username, now, now)
            self._sessions[session.token] = session
            self.peak = max(self.peak, len(self._sessions))
            return session

    def use(self, token: str | None) -> Session | None:
        """The live session of a token (touching its idle timer), or None if unknown/expired."""
        if not token:
            return None
        with self._lock:
            self._purge_expired()
            session = self._sessions.get(token.lower())
            if session is not None:
                session.last_used_at = self.clock()
            return session

    def end(self, token: str) -> bool:
        with self._lock:
            return self._sessions.pop(token.lower(), None) is not None

    def current(self) -> int:
        with self._lock:
            self._purge_expired()
            return len(self._sessions)

    def reset_peak(self) -> None:
        with self._lock:
            self._purge_expired()
            self.peak = len(self._sessions)

    def snapshot(self) -> list[dict]:
        with self._lock:
            self._purge_expired()
            return [{"token": s.token, "username": s.username, "level": s.cursor.level,
                     "directory": s.cursor.directory, "projectId": s.cursor.project_id,
                     "phaseId": s.cursor.phase_id, "elevationId": s.cursor.elevation_id}
                    for s in self._sessions.values()]
