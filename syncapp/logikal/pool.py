"""The session pool: logged-in sessions shared by all jobs (threads) of a process.

- A caller gets the idle session that reaches its target most cheaply, or a new one when a
  login plus the route from the root is cheaper (and a slot is free).
- Every session holds a lease slot in PostgreSQL (`store`), so all processes together never
  hold more than `max_sessions`. A session is logged out before its slot is released.
- When no slot is free the caller waits (bounded: SessionSlotTimeout, retryable). A waiting
  process announces itself; processes holding idle sessions then log them out, and hand back
  sessions beyond their fair share as they come free, so idle sessions never starve others.
- A maintenance thread renews leases, logs out sessions idle for `idle_s`, and reacts to
  waiters. A session whose lease was lost is logged out at the next chance.
"""

from __future__ import annotations

import logging
import threading
import time

from . import errors, store
from .http import Transport
from .navigation import LatencyBook, MoveBook, Need, cost_to_serve, fresh_route
from .session import Credentials, Session
from .store import DbThread

logger = logging.getLogger(__name__)


class SessionPool:
    def __init__(self, *, transport: Transport, credentials: Credentials, moves: MoveBook, latency: LatencyBook,
                 max_sessions: int, scope: str, holder: str, db: DbThread, lease_s: float, idle_s: float,
                 wait_timeout_s: float, poll_s: float = 0.5, heartbeat_s: float = 1.0, on_tick=None):
        self.transport = transport
        self._credentials = credentials
        self.moves = moves
        self.latency = latency
        self.max_sessions = max_sessions
        self.scope = scope
        self.holder = holder
        self.db = db
        self.lease_s = lease_s
        self.idle_s = idle_s
        self.wait_timeout_s = wait_timeout_s
        self.poll_s = poll_s
        self.heartbeat_s = heartbeat_s
        self._on_tick = on_tick
        self._cond = threading.Condition()
        self._idle: list[Session] = []
        self._busy: set[Session] = set()
        self._reserved = 0  # slots being claimed or warmed up: they count against the cap
        self._warming = 0  # sessions logging in ahead of demand (warm_up)
        self._waiting = 0  # local callers waiting for a session
        self._foreign_waiters = 0  # other processes waiting (as last seen by the maintenance thread)
        self._next_claim_at = 0.0
        self._slots_ready = False
        self._closed = False
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._maintainer: threading.Thread | None = None
        self._last_renewal = time.monotonic()
        self._reported_busy: frozenset[int] = frozenset()  # busy slots as the lease rows last said

    def __repr__(self) -> str:
        with self._cond:
            return (f"<SessionPool max={self.max_sessions} idle={len(self._idle)} busy={len(self._busy)} "
                    f"reserved={self._reserved} waiting={self._waiting}>")

    # -- taking and giving back -------------------------------------------------------------------
    def acquire(self, need: Need) -> Session:
        """The best session for `need` (not yet navigated: the caller moves it)."""
        self._start_maintenance()
        deadline = time.monotonic() + self.wait_timeout_s
        while True:
            with self._cond:
                if self._closed:
                    raise errors.UpstreamClosed("the LogiKal client is closed")
                choice, session = self._choose(need)
                if choice == "idle":
                    self._idle.remove(session)
                    self._busy.add(session)
                    return session
                if choice == "new":
                    self._reserved += 1
            if choice == "new":
                session = self._open_slot()
                if session is not None:
                    with self._cond:
                        self._busy.add(session)
                    return session
                continue  # no slot after all: choose again (an idle session may do, or wait)
            self._wait(deadline)

    def release(self, session: Session) -> None:
        with self._cond:
            self._busy.discard(session)
            keep = not (self._closed or session.lost or not session.logged_in or self._should_yield())
            if keep:
                session.last_used = time.monotonic()
                self._idle.append(session)
                self._cond.notify_all()
                return
        self._retire(session)

    def _choose(self, need: Need) -> tuple[str, Session | None]:
        best, best_cost = None, float("inf")
        for session in self._idle:
            cost = cost_to_serve(session.cursor, need, logged_in=session.logged_in, moves=self.moves,
                                 latency=self.latency)
            if cost < best_cost:
                best, best_cost = session, cost
        room = len(self._idle) + len(self._busy) + self._reserved < self.max_sessions
        may_claim = room and time.monotonic() >= self._next_claim_at
        if best is None and self._warming > self._waiting:
            return "wait", None  # a login already under way ends sooner than a new one
        if may_claim:
            new_cost = fresh_route(need.place, logged_in=False, latency=self.latency).cost
            if best is None or new_cost < best_cost:
                return "new", None
        if best is not None:
            return "idle", best
        return "wait", None

    def _wait(self, deadline: float) -> None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise errors.SessionSlotTimeout(
                f"no LogiKal session became free within {self.wait_timeout_s:g}s "
                f"(LOGIKAL_MAX_SESSIONS={self.max_sessions} in use)")
        with self._cond:
            self._waiting += 1
            if self._waiting == 1:
                self._wake.set()  # announce the wait to other processes now, not at the next tick
            try:
                self._cond.wait(timeout=min(self.poll_s, remaining))
            finally:
                self._waiting -= 1

    def _open_slot(self) -> Session | None:
        """Claim a lease slot for a new session (logged in later, by its first route)."""
        try:
            slot = self._claim()
        except Exception:
            with self._cond:
                self._reserved -= 1
                self._cond.notify_all()
            raise
        with self._cond:
            self._reserved -= 1
            if slot is None:
                # Every slot is held by some process: do not ask the database again before the next poll.
                self._next_claim_at = time.monotonic() + self.poll_s
                return None
        return Session(transport=self.transport, credentials=self._credentials, moves=self.moves,
                       latency=self.latency, slot=slot)

    def _claim(self) -> int | None:
        if not self._slots_ready:
            self.db.run(store.ensure_slots, self.scope, self.max_sessions)
            self._slots_ready = True
        return self.db.run(store.claim_slot, self.scope, self.holder, self.max_sessions, self.lease_s)

    def _should_yield(self) -> bool:
        """Hand a session back rather than keep it: other processes wait and we hold more than our share."""
        if not self._foreign_waiters:
            return False
        held = len(self._idle) + len(self._busy) + self._reserved
        return held > max(1, self.max_sessions // (self._foreign_waiters + 1))

    def _retire(self, session: Session) -> None:
        """Log out, then free the slot (in this order: the server never sees more than the cap).

        A session whose login or logout went unanswered may still exist on the server: its slot is
        not freed but left to expire with its lease (no longer renewed), as a killed worker's is."""
        session.logout()
        if session.uncertain and session.slot is not None and not session.lost:
            logger.warning("LogiKal session #%s may still be open upstream; its slot %s stays taken until its "
                           "lease ends (%ss at most)", session.number, session.slot, self.lease_s)
        elif session.slot is not None and not session.lost:
            try:
                self.db.run(store.release_slot, self.scope, self.holder, session.slot)
            except Exception:  # noqa: BLE001 - the lease expires by itself
                logger.warning("could not free session slot %s; it expires in %ss", session.slot, self.lease_s,
                               exc_info=True)
        with self._cond:
            self._cond.notify_all()

    # -- warming up -------------------------------------------------------------------------------------
    def warm_up(self, count: int) -> int:
        """Start logging in up to `count` more sessions in the background (free slots only, no wait)."""
        started = 0
        for _ in range(count):
            with self._cond:
                if self._closed or len(self._idle) + len(self._busy) + self._reserved >= self.max_sessions:
                    break
                self._reserved += 1
                self._warming += 1
            threading.Thread(target=self._warm_one, name="logikal-warm-up", daemon=True).start()
            started += 1
        if started:
            self._start_maintenance()
        return started

    def _warm_one(self) -> None:
        session = None
        try:
            session = self._open_slot()  # gives the reservation back
            if session is not None:
                with self._cond:
                    self._busy.add(session)
                session.login()
        except Exception as exc:  # noqa: BLE001 - warming up is an optimisation
            logger.warning("warming up a LogiKal session failed: %s", exc)
        finally:
            with self._cond:
                self._warming -= 1
            if session is not None:
                self.release(session)
            else:
                with self._cond:
                    self._cond.notify_all()

    # -- maintenance ------------------------------------------------------------------------------------
    def _start_maintenance(self) -> None:
        with self._cond:
            if self._maintainer is not None or self._closed:
                return
            self._maintainer = threading.Thread(target=self._maintain, name="logikal-sessions", daemon=True)
            self._maintainer.start()

    def _maintain(self) -> None:
        announced = False
        while not self._stop.is_set():
            self._wake.wait(self.heartbeat_s)
            self._wake.clear()
            if self._stop.is_set():
                break
            try:
                announced = self._tick(announced)
            except Exception:  # noqa: BLE001 - keep maintaining; the next tick retries
                logger.warning("LogiKal session maintenance failed", exc_info=True)
        if announced:
            try:
                self.db.run(store.unmark_waiting, self.scope, self.holder)
            except Exception:  # noqa: BLE001 - the row expires by itself
                logger.debug("could not remove the waiter row", exc_info=True)

    def _tick(self, announced: bool) -> bool:
        now = time.monotonic()
        with self._cond:
            waiting = self._waiting > 0
            holding = bool(self._idle or self._busy)
        if waiting:
            self.db.run(store.mark_waiting, self.scope, self.holder, max(5.0, 5 * self.heartbeat_s))
            announced = True
        elif announced:
            self.db.run(store.unmark_waiting, self.scope, self.holder)
            announced = False
        to_retire: list[Session] = []
        if holding:
            waiters, free = self.db.run(store.pressure, self.scope, self.holder, self.max_sessions)
            with self._cond:
                self._foreign_waiters = waiters
                # Other processes wait and the free slots do not cover them: give up idle sessions,
                # least recently used first.
                self._idle.sort(key=lambda s: s.last_used)
                give = max(0, waiters - free)
                while self._idle and give > 0:
                    to_retire.append(self._idle.pop(0))
                    give -= 1
                expired = [s for s in self._idle if now - s.last_used >= self.idle_s]
                for session in expired:
                    self._idle.remove(session)
                to_retire += expired
        else:
            self._foreign_waiters = 0
        # A session taken or given back since the last renewal: say so within a heartbeat (dashboard).
        if now - self._last_renewal >= self.lease_s / 3 or self._busy_slots() != self._reported_busy:
            self._renew(now)
        for session in to_retire:
            logger.info("logging out idle LogiKal session #%s", session.number)
            self._retire(session)
        if self._on_tick is not None:
            self._on_tick()
        return announced

    def _busy_slots(self) -> frozenset[int]:
        with self._cond:
            return frozenset(s.slot for s in self._busy if s.slot is not None and not s.lost)

    def _renew(self, now: float) -> None:
        with self._cond:
            sessions = [s for s in (*self._idle, *self._busy) if s.slot is not None and not s.lost]
        busy = self._busy_slots()
        cursors = {s.slot: (s.cursor.describe() if s.cursor is not None else "") for s in sessions}
        try:
            lost = self.db.run(store.renew_slots, self.scope, self.holder, cursors, self.lease_s,
                               busy) if cursors else set()
            self._last_renewal = now
            self._reported_busy = busy
        except Exception:  # noqa: BLE001
            logger.warning("renewing LogiKal session leases failed", exc_info=True)
            if now - self._last_renewal < self.lease_s * 0.7:
                return
            lost = set(cursors)  # too late: another process may take our slots, so stop using them
        if not lost:
            return
        logger.warning("LogiKal session slots %s were lost; logging those sessions out", sorted(lost))
        with self._cond:
            gone = []
            for session in sessions:
                if session.slot in lost:
                    session.lost = True
                    if session in self._idle:
                        self._idle.remove(session)
                        gone.append(session)
        for session in gone:
            self._retire(session)

    # -- shutdown ---------------------------------------------------------------------------------------
    def close(self, timeout: float = 10.0) -> None:
        """Log out every session; busy ones are logged out as they come back (waited for up to `timeout`)."""
        with self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
            self._cond.notify_all()
        self._stop.set()
        self._wake.set()
        for session in idle:
            self._retire(session)
        deadline = time.monotonic() + timeout
        with self._cond:
            while (self._busy or self._reserved) and time.monotonic() < deadline:
                self._cond.wait(timeout=0.1)
            left = len(self._busy)
        if left:
            logger.warning("%d LogiKal sessions still in use at close; their leases expire by themselves", left)
        if self._maintainer is not None:
            self._maintainer.join(timeout=5)

    def stats(self) -> dict:
        with self._cond:
            return {"idle": len(self._idle), "busy": len(self._busy), "reserved": self._reserved,
                    "waiting": self._waiting, "foreign_waiters": self._foreign_waiters}
