"""Simulated time for steady-state runs: hours pass in seconds by moving every date into the past.

The mirror and the simulator both read the real clock, so time cannot be sped up; instead every
stored time of the mirror (``shift_mirror``) and every date of the simulator
(``Simulator.shift_back``) moves back by the same amount at once. The next scheduler tick then
sees exactly what it would see that much later. ``SimulatorClock`` lets edits be stamped at a
chosen moment of the simulated past.
"""

import random
import time
from datetime import timedelta

from django.db import connection
from django.db.models import DateTimeField, F


class SimulatorClock:
    """The simulator's clock (``SimulatorConfig.clock``): the real time, or `behind` seconds before it."""

    def __init__(self):
        self.behind = 0.0

    def __call__(self) -> float:
        return time.time() - self.behind

    def stamp_at(self, moment: float) -> None:
        """Stamp what happens next at the real-clock `moment` (until ``reset``)."""
        self.behind = max(0.0, time.time() - moment)

    def reset(self) -> None:
        self.behind = 0.0


def _timed_models():
    from syncapp.models import ChangedDateEvidence, Directory, Elevation, PartsList, Phase, Project

    return (Directory, Project, Phase, Elevation, PartsList, ChangedDateEvidence)


def shift_mirror(seconds: float) -> None:
    """Every stored time of the mirror `seconds` earlier: verifications, listings, upstream dates,
    failures, parts lists, the trust evidence, and the start of jobs waiting for a later time.

    Call it while no job runs (a job's writes would land in the old frame).
    """
    from procrastinate.contrib.django.models import ProcrastinateJob

    delta = timedelta(seconds=seconds)
    for model in _timed_models():
        fields = [f.name for f in model._meta.concrete_fields if isinstance(f, DateTimeField)]
        model.objects.update(**{name: F(name) - delta for name in fields})  # NULL stays NULL
    ProcrastinateJob.objects.filter(status="todo").exclude(scheduled_at=None).update(
        scheduled_at=F("scheduled_at") - delta)


def stagger_verifications(now, configs, *, seed: int = 1) -> int:
    """Spread the projects' verifications over their own intervals, as a long-running service has them.

    A first sync verifies everything at once, so every project quiet for more than ten days (the
    activity rule's maximum interval) would fall due at the same moment a day later. Each project
    moves back by a uniform share of its own listing interval (the phase row's rule applied to
    its changedDate: ``listing_overdue_q``): its listing, and the verifications that listing made
    (its phases, their listings and their elevations). Nothing becomes due by it: the share is
    below 1 and an elevation's own interval is never shorter than its project's (it changed no
    later). Returns the number of projects moved.
    """
    from syncapp.models import Elevation, Phase, Project

    rule = configs["phase"]
    rng = random.Random(f"stagger:{seed}")
    offsets = []
    for pk, changed in Project.objects.live().values_list("pk", "changed_date").order_by("pk"):
        interval = timedelta(minutes=rule.interval_minutes)
        if rule.activity_based and changed is not None:
            grown = (now - changed) * rule.activity_factor
            interval = min(max(grown, interval), timedelta(minutes=max(rule.max_interval_minutes,
                                                                       rule.interval_minutes)))
        offsets.append((pk, rng.random() * interval))
    project, phase, elevation = (m._meta.db_table for m in (Project, Phase, Elevation))
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE stagger (project_id bigint PRIMARY KEY, back interval)")
        cursor.executemany("INSERT INTO stagger VALUES (%s, %s)", offsets)
        cursor.execute(f"UPDATE {project} p SET listed_at = p.listed_at - s.back FROM stagger s "
                       "WHERE p.id = s.project_id")
        cursor.execute(f"UPDATE {phase} f SET listed_at = f.listed_at - s.back, synced_at = f.synced_at - s.back "
                       "FROM stagger s WHERE f.project_id = s.project_id")
        cursor.execute(f"UPDATE {elevation} e SET synced_at = e.synced_at - s.back FROM {phase} f, stagger s "
                       "WHERE e.phase_id = f.id AND f.project_id = s.project_id")
        cursor.execute("DROP TABLE stagger")
    return len(offsets)
