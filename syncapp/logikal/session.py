"""One LogiKal login: its token, its cursor, and the calls made through it.

A session is used by one thread at a time (the pool hands it out). It knows where its cursor
stands and moves it by the cheapest route (`navigation`), learning from refused moves. A 401
anywhere means the server forgot the token: log in again, replay the navigation, retry once.
The token never leaves this object: not in repr(), logs or errors.
"""

from __future__ import annotations

import itertools
import logging
import time

from . import errors
from .http import Transport
from .navigation import LatencyBook, MoveBook, Need, Route, Step, best_route, deeper_call_key
from .responses import parse_login
from .values import Place

logger = logging.getLogger(__name__)
_numbers = itertools.count(1)
# Routes one call may try: each refused move is learned (so the next route differs), and a
# cursor we got wrong is corrected by a fresh session; this bound only stops a server that
# refuses everything.
MAX_REPLANS = 8


class Credentials:
    """Username and password; repr() and str() never show the password."""

    __slots__ = ("username", "_password")

    def __init__(self, username: str, password: str):
        self.username = username or ""
        self._password = password or ""

    def login_body(self) -> dict:
        return {"username": self.username, "password": self._password, "erp": True}

    def __repr__(self) -> str:
        return "<Credentials ***>"

    __str__ = __repr__

    def __reduce__(self):  # no pickling into job arguments or caches
        raise TypeError("credentials cannot be pickled")


class _Replan(Exception):
    """Internal: the route failed in a way a new route can fix."""


class Session:
    def __init__(self, *, transport: Transport, credentials: Credentials, moves: MoveBook,
                 latency: LatencyBook, slot: int | None = None):
        self.number = next(_numbers)
        self.slot = slot
        self.transport = transport
        self._credentials = credentials
        self.moves = moves
        self.latency = latency
        self._token: str | None = None
        self.cursor: Place | None = None
        self.logins = 0
        self.last_used = time.monotonic()
        self.lost = False  # its lease slot was taken over: log out at the next chance
        # A login or logout whose outcome is unknown (a timeout, a 5xx): the server may hold a session
        # we have no token for. Its slot is then kept until the lease ends, never handed on earlier.
        self.uncertain = False

    def __repr__(self) -> str:
        where = self.cursor.describe() if self.cursor is not None else "unknown"
        state = "logged in" if self._token else "logged out"
        return f"<Session #{self.number} slot={self.slot} {state} at {where}>"

    @property
    def logged_in(self) -> bool:
        return self._token is not None

    # -- login and logout --------------------------------------------------------------------------
    def login(self) -> None:
        if self.uncertain:
            # A session this one may have left on the server still counts against the cap there.
            raise errors.SessionUncertain("a LogiKal session of this slot may still be open upstream; "
                                          "its slot is kept until its lease ends")
        try:
            data = self.transport.request("POST", "/auth", json=self._credentials.login_body(),
                                          retry_read_timeouts=False)
            self._token = parse_login(data)
        except errors.UpstreamError as exc:
            # The server may have opened a session if the request reached it and no answer came back
            # (a read timeout, a cut connection) or a 200 came back unreadable; an error answer or a
            # connection never made means no session.
            self.uncertain = bool(getattr(exc, "maybe_processed", False)) or isinstance(exc, errors.MalformedResponse)
            raise
        self.cursor = Place()
        self.logins += 1
        logger.info("LogiKal session #%s logged in (slot %s, login %d)", self.number, self.slot, self.logins)

    def logout(self) -> None:
        """End the session upstream (best effort: a dead token is gone anyway)."""
        token, self._token, self.cursor = self._token, None, None
        if token is None:
            return
        try:
            # Retried like a read (a repeated DELETE of an ended session answers 401): a logout that
            # still fails leaves a session the server holds until its own expiry, and its slot taken.
            self.transport.request("DELETE", "/auth", token=token, expect_data=False)
            logger.info("LogiKal session #%s logged out (slot %s)", self.number, self.slot)
        except errors.UpstreamError as exc:
            self.uncertain = _may_have_left_a_session(exc)
            logger.info("LogiKal session #%s: logout failed (%s); the server will expire it%s", self.number, exc,
                        " (its slot stays taken until then)" if self.uncertain else "")

    def forget_token(self) -> None:
        """After a 401: the server no longer knows the token, so there is nothing to log out."""
        self._token = None
        self.cursor = None

    # -- calls ----------------------------------------------------------------------------------------
    def call(self, need: Need, method: str, template: str, *, path: str | None = None,
             params: dict | None = None, binary: bool = False):
        """Make one call from where `need` says, navigating there first."""
        return self._with_relogin(lambda: self._call_placed(need, method, template, path, params, binary))

    def navigate(self, target: Place) -> None:
        """Move the cursor to exactly `target`."""
        self._with_relogin(lambda: self._navigate(target))

    def _with_relogin(self, action):
        if self.lost:
            raise errors.SessionUncertain("this LogiKal session's slot was lost; it may not make calls any more")
        try:
            return action()
        except errors.SessionExpired as exc:
            logger.info("LogiKal session #%s expired (%s): logging in again and replaying", self.number,
                        exc.endpoint)
            self.forget_token()
        return action()  # a second 401 propagates (retryable)

    def _call_placed(self, need: Need, method, template, path, params, binary):
        for _ in range(MAX_REPLANS):
            key = deeper_call_key(self.cursor, need)
            if self.cursor != need.place and (key is None or self.moves.allowed(key) is False):
                self._navigate(need.place)
                key = None
            try:
                result = self.transport.request(method, template, path=path, token=self._token, params=params,
                                                binary=binary)
            except (errors.WrongLevel, errors.MoveNotAllowed) as exc:
                if key is not None:
                    self.moves.learn(key, False)
                    logger.info("LogiKal refuses %s from a %s; calling it at its own level from now on",
                                need.endpoint, key[2])
                else:
                    logger.warning("LogiKal session #%s was not where we thought (%s): starting afresh",
                                   self.number, exc)
                    self.cursor = None
                continue
            if key is not None and self.moves.allowed(key) is None:
                self.moves.learn(key, True)
                logger.info("LogiKal accepts %s from a %s", need.endpoint, key[2])
            return result
        raise errors.NavigationError(f"{need.endpoint}: the server kept refusing the call at "
                                     f"{need.place.describe()}", endpoint=need.endpoint)

    def _navigate(self, target: Place) -> None:
        for _ in range(MAX_REPLANS):
            route = best_route(self.cursor, target, logged_in=self.logged_in, moves=self.moves,
                               latency=self.latency)
            try:
                self._run(route)
                return
            except _Replan:
                continue
        raise errors.NavigationError(f"cannot reach {target.describe()}: the server refused every route")

    def _run(self, route: Route) -> None:
        for step in route.steps:
            if step.action == "logout":
                self.logout()
            elif step.action == "login":
                self.login()
            else:
                self._select(step)

    def _select(self, step: Step) -> None:
        try:
            # Never sent twice: a select whose answer timed out may still be running on the server, and
            # if it lands after the moves made next it puts the cursor back behind our backs, so that
            # the next listing answers for another place. Giving up instead leaves the cursor unknown
            # (below), and an unknown cursor is only left by a fresh login: the late select then acts on
            # a token we no longer use.
            self.transport.request("POST", step.template.split(" ", 1)[1], token=self._token,
                                   json={"identifier": step.identifier}, expect_data=False,
                                   retry_read_timeouts=False)
        except (errors.MoveNotAllowed, errors.WrongLevel) as exc:
            if step.move is not None:
                self.moves.learn(step.move, False)
                logger.info("LogiKal refuses to select a %s from a %s (%s); using a fresh session for that "
                            "from now on", step.move[1], step.move[2], exc.status)
            else:
                logger.warning("LogiKal session #%s was not where we thought (%s): starting afresh",
                               self.number, exc)
                self.cursor = None
            raise _Replan from None
        except (errors.SessionExpired, errors.ResourceLocked, errors.NotFound, errors.Forbidden,
                errors.BadRequest):
            raise  # refused: the cursor did not move
        except errors.UpstreamError:
            self.cursor = None  # a timeout or broken answer: the select may or may not have happened
            raise
        if step.move is not None and self.moves.allowed(step.move) is None:
            self.moves.learn(step.move, True)
            logger.info("LogiKal accepts selecting a %s from a %s", step.move[1], step.move[2])
        self.cursor = _after(self.cursor, step)


def _may_have_left_a_session(exc: errors.UpstreamError) -> bool:
    """After a failed logout: could the server still hold the session? Only a definite answer
    (401: no such session; 403/400/404: refused for good) says it cannot."""
    return not isinstance(exc, (errors.SessionExpired, errors.LoginRefused, errors.PermanentUpstreamError))


def _after(cursor: Place, step: Step) -> Place:
    if step.level == "directory":
        return Place(step.identifier)
    if step.level == "project":
        return Place(cursor.path, step.identifier)
    if step.level == "phase":
        return Place(cursor.path, cursor.project_id, step.identifier)
    return Place(cursor.path, cursor.project_id, cursor.phase_id, step.identifier)
