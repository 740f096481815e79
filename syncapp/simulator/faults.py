"""Fault injection switches.

Each kind of fault is a `FaultSwitch`: it fires with probability ``rate`` (seeded RNG, so runs
repeat) on API requests whose path contains ``path`` (and whose method is ``method``), at most
``count`` times when a count is given, after letting the first ``skip`` matching requests through.
``{"count": 2, "path": "/elevations"}`` therefore means "the next 2 matching requests fail" (rate
defaults to 1), and ``{"count": 1, "skip": 1, ...}`` "the second one fails".

Kinds and their extra options:

- ``server_error``: answer 500 or 503 (``status``; default: either, drawn) before doing anything.
- ``timeout``: hang ``seconds`` (default 30) before handling the request normally.
- ``expire_token``: forget the caller's session, so the request (and later ones) get 401.
- ``locked``: 409, the resource is locked by another user.
- ``forbidden``: 403, the user lacks the permission.
- ``malformed_json``: a 200 JSON answer is cut short (invalid JSON).
- ``parts_list``: the parts-list file is damaged (``variant``: corrupt, truncated, not_sqlite,
  oversized; ``size`` for oversized) or drifted (extra_columns, missing_optional, missing_required).
- ``empty_listing``: a listing (directories, projects, phases, elevations) answers ``[]``.
"""

from __future__ import annotations

import copy
import dataclasses
import random
import threading
from dataclasses import dataclass

from .partslist import CORRUPT_VARIANTS, DRIFT_VARIANTS

FAULT_KINDS = ("server_error", "timeout", "expire_token", "locked", "forbidden", "malformed_json",
               "parts_list", "empty_listing")
PARTS_LIST_FAULT_VARIANTS = CORRUPT_VARIANTS + tuple(v for v in DRIFT_VARIANTS if v)


@dataclass
class FaultSwitch:
    rate: float = 1.0
    count: int | None = None
    skip: int = 0
    path: str | None = None
    method: str | None = None
    status: int | None = None
    seconds: float = 30.0
    variant: str = "corrupt"
    size: int | None = None

    def __post_init__(self):
        if not 0 <= self.rate <= 1:
            raise ValueError("rate must be between 0 and 1")
        if self.count is not None and self.count < 0:
            raise ValueError("count must be None or >= 0")
        if self.skip < 0:
            raise ValueError("skip must be >= 0")
        if self.status not in (None, 500, 503):
            raise ValueError("status must be 500 or 503")
        if self.seconds < 0:
            raise ValueError("seconds must be >= 0")
        if self.variant not in PARTS_LIST_FAULT_VARIANTS:
            raise ValueError(f"variant must be one of {PARTS_LIST_FAULT_VARIANTS}")
        if self.method:
            self.method = self.method.upper()

    @classmethod
    def coerce(cls, value) -> FaultSwitch | None:
        if value is None or isinstance(value, FaultSwitch):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return cls(rate=float(value))
        if not isinstance(value, dict):
            raise ValueError(f"a fault switch is an object or a rate, not {value!r}")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(value) - known
        if unknown:
            raise ValueError(f"unknown fault options {sorted(unknown)}; known: {sorted(known)}")
        return cls(**value)

    def matches(self, method: str, path: str) -> bool:
        if self.count == 0:
            return False
        if self.method and self.method != method:
            return False
        return not self.path or self.path in path


@dataclass
class FaultConfig:
    server_error: FaultSwitch | None = None
    timeout: FaultSwitch | None = None
    expire_token: FaultSwitch | None = None
    locked: FaultSwitch | None = None
    forbidden: FaultSwitch | None = None
    malformed_json: FaultSwitch | None = None
    parts_list: FaultSwitch | None = None
    empty_listing: FaultSwitch | None = None

    def __post_init__(self):
        for kind in FAULT_KINDS:
            setattr(self, kind, FaultSwitch.coerce(getattr(self, kind)))

    @classmethod
    def from_dict(cls, values: dict) -> FaultConfig:
        unknown = set(values) - set(FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}; known: {list(FAULT_KINDS)}")
        return cls(**values)

    def to_dict(self) -> dict:
        return {kind: (dataclasses.asdict(s) if (s := getattr(self, kind)) else None) for kind in FAULT_KINDS}


class FaultInjector:
    """The live switches of one simulator: decides, thread-safely, whether a fault fires now."""

    def __init__(self, config: FaultConfig, seed: int):
        self.config = copy.deepcopy(config)  # counts are consumed; keep the caller's intact
        self._rng = random.Random(f"faults:{seed}")
        self._lock = threading.Lock()
        self.fired: dict[str, int] = {}

    def fire(self, kind: str, method: str, path: str) -> FaultSwitch | None:
        """The switch of `kind` if it fires for this request (consuming one of its count)."""
        with self._lock:
            switch = getattr(self.config, kind)
            if switch is None or not switch.matches(method, path):
                return None
            if switch.skip > 0:
                switch.skip -= 1
                return None
            if switch.rate < 1 and self._rng.random() >= switch.rate:
                return None
            if switch.count is not None:
                switch.count -= 1
            self.fired[kind] = self.fired.get(kind, 0) + 1
            return switch

    def draw_status(self, switch: FaultSwitch) -> int:
        if switch.status:
            return switch.status
        with self._lock:
            return self._rng.choice((500, 503))

    def update(self, values: dict, *, clear: bool = False) -> None:
        """Set (a dict, a FaultSwitch or a bare rate) or clear (None) switches by kind."""
        unknown = set(values) - set(FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}; known: {list(FAULT_KINDS)}")
        switches = {kind: FaultSwitch.coerce(value) for kind, value in values.items()}
        with self._lock:
            if clear:
                self.config = FaultConfig()
            for kind, switch in switches.items():
                setattr(self.config, kind, switch)

    def snapshot(self) -> dict:
        with self._lock:
            return {"switches": self.config.to_dict(), "fired": dict(self.fired)}

    def reset_counts(self) -> None:
        with self._lock:
            self.fired = {}
