"""Routes for the navigation cursor, their cost, and what this server has been seen to allow.

A session stands somewhere (a `Place`); every call needs it somewhere. The observed rules
(API.md): directories are selected by full path, each ancestor prefix in turn from the root,
and only at directory level; selects otherwise go one level down; a sibling phase can be
selected from phase context. Whether a server also accepts other "sideways or upward"
selects (a sibling project or elevation, a phase from an elevation) or a listing from a
deeper level is unknown: such moves are tried once, and the answer (a 409 or 405 means no) is
remembered for the life of the process in a `MoveBook`. A fresh session (login, then down
from the root) always works and costs a login.

Costs are seconds, from the latencies API.md reports for production, refined by what this
process measures (an exponentially weighted average per endpoint).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from .values import LEVELS, Place, path_prefixes

# API.md's production figures (the middle of each observed range; login 4.5-9 s, ~5 typical).
DEFAULT_LATENCY_S = {
    "POST /auth": 5.0,
    "DELETE /auth": 0.05,
    "POST /directories/select": 0.1,
    "POST /projects/select": 0.8,
    "POST /phases/select": 0.2,
    "POST /elevations/select": 0.19,
    "GET /directories": 0.1,
    "GET /projects": 0.3,
    "GET /projects/selected": 0.1,
    "GET /phases": 0.19,
    "GET /elevations": 0.51,
    "GET /elevations/{elevationId}/thumbnail": 0.05,
    "GET /elevations/selected/parts-list": 2.5,
}
FALLBACK_LATENCY_S = 0.2
# Added to an untried move: enough to prefer a known route of similar cost, far below a login.
UNTRIED_PENALTY_S = 0.25
SELECT_TEMPLATE = {
    "directory": "POST /directories/select",
    "project": "POST /projects/select",
    "phase": "POST /phases/select",
    "elevation": "POST /elevations/select",
}
# Observed on real servers (API.md): re-selecting a phase from phase context works.
OBSERVED_MOVES = {("select", "phase", "phase"): True}


class LatencyBook:
    """Expected seconds per endpoint: API.md's figures, moved towards what this process sees."""

    def __init__(self, defaults: dict[str, float] | None = None, weight: float = 0.2):
        self._values = dict(DEFAULT_LATENCY_S if defaults is None else defaults)
        self.weight = weight
        self._lock = threading.Lock()
        self._unsaved: dict[str, tuple[float, int]] = {}  # (sum of seconds, requests) since `take_unsaved`
        self.loaded = False  # the stored figures were read (``store.load_latencies``)

    def estimate(self, template: str) -> float:
        return self._values.get(template, FALLBACK_LATENCY_S)

    def observe(self, template: str, seconds: float) -> None:
        with self._lock:
            old = self._values.get(template)
            self._values[template] = seconds if old is None else old + self.weight * (seconds - old)
            total, n = self._unsaved.get(template, (0.0, 0))
            self._unsaved[template] = (total + seconds, n + 1)

    def load(self, values: dict[str, float]) -> None:
        """Start from figures measured before (``UpstreamLatency``), where this process measured nothing yet."""
        with self._lock:
            for template, seconds in values.items():
                if template not in self._unsaved:
                    self._values[template] = seconds

    def take_unsaved(self) -> dict[str, tuple[float, int]]:
        """{template: (mean seconds, requests)} measured since the last take (the defaults play no part)."""
        with self._lock:
            taken = {t: (total / n, n) for t, (total, n) in self._unsaved.items()}
            self._unsaved = {}
            return taken


class MoveBook:
    """Which non-standard moves this server accepts, learned per process and move kind.

    Keys: ``("select", level, from_level)`` for a select that is not one level down, and
    ``("call", endpoint, from_level)`` for a listing made below its own level.
    """

    def __init__(self):
        self._known: dict[tuple, bool] = dict(OBSERVED_MOVES)
        self._lock = threading.Lock()

    def allowed(self, key: tuple) -> bool | None:
        with self._lock:
            return self._known.get(key)

    def learn(self, key: tuple, allowed: bool) -> None:
        with self._lock:
            self._known[key] = allowed

    def snapshot(self) -> dict[str, bool]:
        with self._lock:
            return {" ".join(k): v for k, v in sorted(self._known.items())}


@dataclass(frozen=True, slots=True)
class Step:
    action: str  # "logout", "login" or "select"
    level: str | None = None
    identifier: str | None = None
    move: tuple | None = None  # the learnable move kind, for a non-standard select

    @property
    def template(self) -> str:
        if self.action == "login":
            return "POST /auth"
        if self.action == "logout":
            return "DELETE /auth"
        return SELECT_TEMPLATE[self.level]


@dataclass(frozen=True)
class Route:
    steps: tuple[Step, ...]
    cost: float
    fresh: bool

    @property
    def untried(self) -> tuple[tuple, ...]:
        return tuple(s.move for s in self.steps if s.move is not None)


@dataclass(frozen=True)
class Need:
    """Where a call must be made: at `place`, or (for listings, if the server allows) below it."""

    place: Place
    endpoint: str = ""
    deeper_ok: bool = False


def _downward(place: Place, from_depth: int) -> list[Step]:
    return [Step("select", LEVELS[d + 1], place.chain[d]) for d in range(from_depth, place.depth)]


def fresh_route(target: Place, *, logged_in: bool, latency: LatencyBook) -> Route:
    steps = [Step("logout")] if logged_in else []
    steps.append(Step("login"))
    steps += [Step("select", "directory", prefix) for prefix in path_prefixes(target.path)]
    steps += _downward(target, 0)
    return Route(tuple(steps), sum(latency.estimate(s.template) for s in steps), fresh=True)


def reuse_routes(cursor: Place | None, target: Place, *, moves: MoveBook, latency: LatencyBook) -> list[Route]:
    """Routes from `cursor` to `target` within the same session (no login)."""
    if cursor is None:
        return []
    if cursor == target:
        return [Route((), 0.0, fresh=False)]
    candidates: list[list[Step]] = []
    if cursor.depth == 0:
        if cursor.path == target.path:
            dirs = []
        elif not target.path:
            return []  # the root cannot be selected by name: only a fresh session starts there
        elif not cursor.path or target.path.startswith(cursor.path + "/"):
            dirs = [p for p in path_prefixes(target.path) if len(p) > len(cursor.path)]
        else:
            dirs = path_prefixes(target.path)
        candidates.append([Step("select", "directory", p) for p in dirs] + _downward(target, 0))
    elif cursor.path == target.path and target.depth > 0:
        for depth in range(1, target.depth + 1):  # the level at which the route selects first
            if target.chain[: depth - 1] != cursor.chain[: depth - 1]:
                break  # a different parent: nothing at this level or below is reachable
            if depth == cursor.depth + 1:
                candidates.append(_downward(target, cursor.depth))
            elif depth <= cursor.depth:
                key = ("select", LEVELS[depth], cursor.level)
                if moves.allowed(key) is False:
                    continue
                first = Step("select", LEVELS[depth], target.chain[depth - 1], move=key)
                candidates.append([first] + _downward(target, depth))
    routes = []
    for steps in candidates:
        cost = 0.0
        for step in steps:
            cost += latency.estimate(step.template)
            if step.move is not None and moves.allowed(step.move) is None:
                cost += UNTRIED_PENALTY_S
        routes.append(Route(tuple(steps), cost, fresh=False))
    return routes


def deeper_call_key(cursor: Place | None, need: Need) -> tuple | None:
    """The move key of making `need`'s call from `cursor` below its place, if that applies."""
    if cursor is None or not need.deeper_ok or cursor == need.place:
        return None
    if cursor.depth > need.place.depth and need.place.contains(cursor):
        return ("call", need.endpoint, cursor.level)
    return None


def can_call_here(cursor: Place | None, need: Need, moves: MoveBook) -> bool:
    if cursor is not None and cursor == need.place:
        return True
    key = deeper_call_key(cursor, need)
    return key is not None and moves.allowed(key) is not False


def best_route(cursor: Place | None, target: Place, *, logged_in: bool, moves: MoveBook,
               latency: LatencyBook) -> Route:
    routes = reuse_routes(cursor, target, moves=moves, latency=latency)
    routes.append(fresh_route(target, logged_in=logged_in, latency=latency))
    return min(routes, key=lambda r: (r.cost, len(r.steps)))


def cost_to_serve(cursor: Place | None, need: Need, *, logged_in: bool, moves: MoveBook,
                  latency: LatencyBook) -> float:
    """Seconds a session at `cursor` needs before it can make `need`'s call."""
    if can_call_here(cursor, need, moves):
        key = deeper_call_key(cursor, need)
        return UNTRIED_PENALTY_S if key is not None and moves.allowed(key) is None else 0.0
    return best_route(cursor, need.place, logged_in=logged_in, moves=moves, latency=latency).cost
