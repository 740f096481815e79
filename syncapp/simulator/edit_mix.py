"""A realistic mix of edits: what a drawing office does to the project centre in a day.

About ``share_per_day`` of all projects are edited a day (5 % by default), mostly recent ones: a
project's chance is weighted by ``1 / (1 + days since its last change / recency_days)``, so a
project someone worked on today is far likelier to be edited again than an archive from last year.
An edit saves one elevation (a new changedDate, and the project's too when the simulator's
``touch_bumps_project`` says LogiKal does that); one edit in ten adds an elevation instead.
``rate`` multiplies the pace, so a scaled run can compress a day (rate 24: a day's edits an hour).

Edits arrive as a Poisson process on a daemon thread (``EditMixThread``), from a seeded generator;
``EditMix.edit_once`` and ``EditMix.pick_projects`` are the deterministic steps the tests drive.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass

DAY_S = 86400.0


@dataclass(frozen=True)
class EditMixConfig:
    share_per_day: float = 0.05
    rate: float = 1.0
    recency_days: float = 7.0
    seed: int = 1

    def __post_init__(self):
        if not 0 < self.share_per_day <= 10:
            raise ValueError("edit share_per_day must be more than 0 and at most 10")
        if not 0 < self.rate <= 1_000_000:
            raise ValueError("edit rate must be more than 0 and at most 1000000")
        if self.recency_days <= 0:
            raise ValueError("edit recency_days must be more than 0")


class EditMix:
    def __init__(self, simulator, config: EditMixConfig):
        self.simulator = simulator
        self.config = config
        self.rng = random.Random(f"edit-mix:{config.seed}")
        self.edits = 0
        self.added = 0
        self.edited_projects: dict[str, int] = {}  # project id -> edits, for tests and stats

    def edits_per_second(self) -> float:
        projects = sum(1 for _ in self.simulator.iter_projects())
        return self.config.share_per_day * projects * self.config.rate / DAY_S

    def weight(self, project, now: float) -> float:
        age_days = max(0.0, now - project.changed_date) / DAY_S
        return 1.0 / (1.0 + age_days / self.config.recency_days)

    def pick_projects(self, k: int) -> list:
        """`k` projects drawn with the recency weights (with replacement: a busy project gets several edits)."""
        now = self.simulator.config.clock()
        projects = [p for p in self.simulator.iter_projects() if not p.is_deleted]
        if not projects:
            return []
        return self.rng.choices(projects, weights=[self.weight(p, now) for p in projects], k=k)

    def edit_once(self) -> str | None:
        """One edit of a recency-weighted project; returns the touched or added elevation's GUID."""
        picked = self.pick_projects(1)
        if not picked:
            return None
        project = picked[0]
        phases = self.simulator.phases_of(project.id)
        if not phases:
            return None
        phase = self.rng.choice(phases)
        elevations = [e for e in self.simulator.elevations_of(project.id, phase.id) if not e.is_in_recycle_bin]
        self.edits += 1
        self.edited_projects[project.id] = self.edited_projects.get(project.id, 0) + 1
        if not elevations or self.rng.random() < 0.1:
            self.added += 1
            return self.simulator.add_elevation(project.id, phase.id, f"Mix {self.edits}")
        elevation = self.rng.choice(elevations)
        self.simulator.touch_elevation(elevation.id)
        return elevation.id

    def stats(self) -> dict:
        return {"edits": self.edits, "added_elevations": self.added, "projects_edited": len(self.edited_projects),
                "edits_per_second": self.edits_per_second()}


class EditMixThread(threading.Thread):
    """Runs an EditMix until stopped: waits drawn from the exponential distribution of its rate."""

    def __init__(self, mix: EditMix):
        super().__init__(name="simulator-edit-mix", daemon=True)
        self.mix = mix
        self._stop_event = threading.Event()

    def run(self) -> None:
        rate = self.mix.edits_per_second()
        while rate > 0 and not self._stop_event.wait(self.mix.rng.expovariate(rate)):
            self.mix.edit_once()

    def stop(self) -> None:
        self._stop_event.set()
