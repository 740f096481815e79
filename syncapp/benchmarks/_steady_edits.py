"""The edits of a steady-state run, and how long the mirror took to reflect each (``steady_state.py``).

Times here are *absolute simulated* seconds: a real-clock time plus everything the run has
shifted so far (``shifted_s``), so they stay comparable while every stored date moves back.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from ._webload import percentile


@dataclass
class Edit:
    guid: uuid.UUID
    at: float  # its changedDate, absolute simulated seconds
    threshold_s: float  # its own staleness threshold, counted from the edit itself (the target's)
    promised_s: float  # the threshold the mirror applied to the object when the edit happened
    measured: bool
    detected_at: float | None = None

    @property
    def latency_s(self) -> float | None:
        return None if self.detected_at is None else self.detected_at - self.at


class EditLog:
    """Applies the edit mix as a Poisson process in simulated time and matches edits to the mirror."""

    def __init__(self, sim, clock, mix, config, *, start: float):
        self.sim, self.clock, self.mix, self.config = sim, clock, mix, config
        self.rate = mix.edits_per_second()  # per simulated second
        self.next_at = start + mix.rng.expovariate(self.rate)
        self.edits: list[Edit] = []
        self.pending: list[Edit] = []

    def apply_until(self, until: float, shifted_s: float, *, measured: bool) -> int:
        """Every edit due up to `until`, each stamped at its own simulated moment; returns how many."""
        from syncapp.models import Elevation

        made = []
        try:
            while self.next_at <= until:
                self.clock.stamp_at(self.next_at - shifted_s)
                guid = self.mix.edit_once()
                if guid is not None:
                    made.append((uuid.UUID(guid), self.sim.elevation(guid).changed_date + shifted_s))
                self.next_at += self.mix.rng.expovariate(self.rate)
        finally:
            self.clock.reset()
        known = dict(Elevation.objects.filter(guid__in=[g for g, _ in made]).values_list("guid", "changed_date"))
        for guid, at in made:
            previous = known.get(guid)
            age = None if previous is None else at - (previous.timestamp() + shifted_s)
            edit = Edit(guid, at, self.staleness_s(0.0), self.staleness_s(age), measured)
            self.edits.append(edit)
            self.pending.append(edit)
        return len(made)

    def staleness_s(self, age_s: float | None) -> float:
        """The elevation row's own staleness threshold for an object last changed `age_s` ago (None:
        no date): ``syncapp.models.freshness.own_interval`` with stale=True, in seconds."""
        c = self.config
        floor = c.staleness_minutes * 60.0
        if not c.activity_based or age_s is None:
            return floor
        cap = max(c.max_interval_minutes, c.interval_minutes) * c.staleness_ratio * 60.0
        return min(max(c.activity_factor * c.staleness_ratio * age_s, floor), cap)

    def resolve(self, *, tick_wall: float, drain_s: float, scale: float, shifted_s: float) -> int:
        """Mark the pending edits the mirror now reflects; returns how many.

        Detected at the tick's simulated moment plus the full-scale lag of the listing that showed
        it: (its verification - the tick) / scale, at most the step's whole drain / scale.
        """
        from syncapp.models import Elevation

        if not self.pending:
            return 0
        rows = {guid: (changed, synced) for guid, changed, synced in Elevation.objects.filter(
            guid__in={e.guid for e in self.pending}, removed_at=None).values_list("guid", "changed_date", "synced_at")}
        still, found = [], 0
        for edit in self.pending:
            changed, synced = rows.get(edit.guid, (None, None))
            if changed is None or changed.timestamp() + shifted_s < edit.at - 0.5:
                still.append(edit)
                continue
            lag = min(max(0.0, synced.timestamp() - tick_wall), drain_s) / scale if synced else drain_s / scale
            edit.detected_at = tick_wall + shifted_s + lag
            found += 1
        self.pending = still
        return found

    def undecided(self, now: float) -> int:
        """Measured edits not reflected yet whose threshold has not passed: the run must go on for them."""
        return sum(1 for e in self.pending if e.measured and now - e.at <= e.threshold_s)

    def figures(self, now: float) -> dict:
        measured = [e for e in self.edits if e.measured]
        detected = [e.latency_s for e in measured if e.detected_at is not None]
        decided = [e for e in measured if e.detected_at is not None or now - e.at > e.threshold_s]

        def share(threshold) -> float | None:
            if not decided:
                return None
            within = sum(1 for e in decided if e.detected_at is not None and e.latency_s <= threshold(e))
            return round(within / len(decided), 4)

        def minutes(q):
            return round(percentile(detected, q) / 60, 2) if detected else None

        return {
            "edits": len(measured), "edits_detected": len(detected),
            "edits_undetected": len(measured) - len(detected),
            "edits_undecided": len(measured) - len(decided),
            "detection_latency_min": {"p50": minutes(0.5), "p95": minutes(0.95), "p99": minutes(0.99),
                                      "max": round(max(detected) / 60, 2) if detected else None},
            "threshold_min": round(self.staleness_s(0.0) / 60, 1),
            "share_within_threshold": share(lambda e: e.threshold_s),
            "share_within_promised_threshold": share(lambda e: e.promised_s),
        }
