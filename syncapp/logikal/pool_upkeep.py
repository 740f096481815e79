"""The session pool's maintenance thread: lease renewal, idle logouts, reacting to waiting processes.

A mixin of `SessionPool` (``syncapp/logikal/pool.py``), kept apart so each module reads in one
sitting; it uses the pool's own state under the pool's condition variable.
"""

from __future__ import annotations

import logging
import threading
import time

from . import store

logger = logging.getLogger("syncapp.logikal.pool")


class LeaseUpkeep:
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
