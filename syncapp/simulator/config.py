"""Settings of a simulator instance, and the latency figures observed on real servers."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .edit_mix import EditMixConfig

from .faults import FaultConfig

DATASETS = ("demo", "small", "large", "hostile")
NAVIGATION_MODES = ("strict", "lenient")
LATENCY_MODES = ("none", "real")
PARTS_LIST_SIZES = ("realistic", "small")

# Seconds per endpoint template, as observed in production (API.md). `latency="real"` sleeps
# base * latency_scale * (1 + up to LATENCY_JITTER), so these figures are a true lower bound
# that a benchmark may sum up. Templates not listed use DEFAULT_LATENCY_S.
# Figures marked "assumed" were not measured; they are kept small and in line with their neighbours.
LATENCY_PROFILE: dict[str, float] = {
    "POST /auth": 5.0,
    "DELETE /auth": 0.05,  # assumed
    "GET /version": 0.02,  # assumed
    "GET /directories": 0.1,  # assumed, like selecting one
    "POST /directories/select": 0.1,
    "GET /projects": 0.3,
    "POST /projects/select": 0.8,
    "GET /projects/selected": 0.1,  # assumed
    "GET /phases": 0.19,
    "POST /phases/select": 0.2,
    "GET /elevations": 0.51,
    "POST /elevations/select": 0.19,
    "GET /elevations/{elevationId}/thumbnail": 0.05,
    "GET /elevations/selected/thumbnail": 0.05,
    "GET /elevations/selected/drawing": 0.2,  # assumed
    "GET /elevations/selected/parts-list": 2.5,
}
DEFAULT_LATENCY_S = 0.1
LATENCY_JITTER = 0.1


@dataclass
class SimulatorConfig:
    dataset: str = "demo"
    seed: int = 1
    navigation: str = "strict"
    latency: str = "none"
    latency_scale: float = 1.0
    max_sessions: int | None = None
    token_idle_expiry_s: float | None = None
    username: str = "demo"
    password: str = "demo"
    # None: "realistic" (0.7-1.7 MB) for the demo data set, "small" (10-30 KB) otherwise.
    parts_list_size: str | None = None
    touch_bumps_project: bool = True
    # A realistic mix of edits while serving (syncapp/simulator/edit_mix.py); None: no edits of its own.
    edit_mix: EditMixConfig | None = None
    faults: FaultConfig = field(default_factory=FaultConfig)
    parts_list_cache_bytes: int = 96 * 1024 * 1024
    # Injectable so tests can expire tokens and bump dates without waiting.
    clock: Callable[[], float] = time.time

    def __post_init__(self):
        _check_choice("dataset", self.dataset, DATASETS)
        _check_choice("navigation", self.navigation, NAVIGATION_MODES)
        _check_choice("latency", self.latency, LATENCY_MODES)
        if self.parts_list_size is not None:
            _check_choice("parts_list_size", self.parts_list_size, PARTS_LIST_SIZES)
        if self.latency_scale < 0:
            raise ValueError("latency_scale must be >= 0")
        if self.max_sessions is not None and self.max_sessions < 1:
            raise ValueError("max_sessions must be None or >= 1")
        if self.token_idle_expiry_s is not None and self.token_idle_expiry_s <= 0:
            raise ValueError("token_idle_expiry_s must be None or > 0")
        if isinstance(self.faults, dict):
            self.faults = FaultConfig.from_dict(self.faults)
        if isinstance(self.edit_mix, dict):
            self.edit_mix = EditMixConfig(**self.edit_mix)

    @property
    def effective_parts_list_size(self) -> str:
        if self.parts_list_size:
            return self.parts_list_size
        return "realistic" if self.dataset == "demo" else "small"

    def latency_for(self, template: str) -> float:
        """The base delay (before jitter) of one request to an endpoint template."""
        if self.latency == "none":
            return 0.0
        return LATENCY_PROFILE.get(template, DEFAULT_LATENCY_S) * self.latency_scale


def _check_choice(name: str, value, choices) -> None:
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}, not {value!r}")
