"""Gathering evidence about the project changedDate (see ``syncapp.models.trust``), and the sweep.

A phase listing is judged in two steps. ``judge_listing`` (the phase sync's fetch, no transaction
open) compares the listed elevations with the mirror's: an elevation created, gone (not in a
listing that looks transiently empty) or with a new changedDate is a change. When there is one
and the mirror has not seen the project's changedDate move since the phase was last listed, it
asks LogiKal for the project's current changedDate: the directory listing that would show the
move may simply not have run yet, and only LogiKal's own answer can tell a violation from a race.
``record_evidence`` (the phase sync's apply, in its transaction) counts the verdict.

The sweep (``sweep_unchanged_projects``, a periodic task) lists the phases of a few unchanged
projects at low priority, so that violations are found even where directory listings vouch for
everything: those are exactly the listings trust would skip.
"""

import logging
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from ..models import Elevation, Phase, Project
from ..models.runs import Trigger
from ..models.trust import ChangedDateEvidence, evidence, trust_state
from .jobs import PlannedJob, defer_sync_jobs
from .reconcile import is_suspicious_drop

logger = logging.getLogger(__name__)

SWEEP_CRON = "*/20 * * * *"
SWEEP_PROJECTS_PER_RUN = 2  # 6 projects an hour: about 5 % of one session on the reference latencies
SWEEP_PRIORITY = -50  # below every default priority: the sweep waits for idle workers


@dataclass(frozen=True)
class ListingVerdict:
    changes: int  # elevations created, gone or with a new changedDate
    project_changed_date: datetime | None  # the newest changedDate known for the project (mirror or LogiKal)
    moved: bool | None  # had it moved since the phase's last listing? None: no earlier listing to compare


def elevation_changes(phase: Phase, infos) -> int:
    live = dict(Elevation.objects.filter(phase=phase, removed_at__isnull=True).values_list("guid", "changed_date"))
    listed = {str(info.id): info.changed_date for info in infos}
    live = {str(guid): changed for guid, changed in live.items()}
    created = sum(1 for guid in listed if guid not in live)
    moved = sum(1 for guid, changed in listed.items() if guid in live and live[guid] != changed)
    gone = [guid for guid in live if guid not in listed]
    if gone and is_suspicious_drop(len(live), len(gone)):
        gone = []  # a transiently empty answer is no change (reconcile waits for a confirmation)
    return created + moved + len(gone)


def judge_listing(phase: Phase, infos, *, project: Project, upstream=None, current_project_date=None) -> ListingVerdict:
    """What this listing says about the project's changedDate (network allowed: no transaction here).

    `project`: the phase's project as this job loaded it (with its directory), whose changedDate is
    the mirror's. `current_project_date`: the project's changedDate as LogiKal gave it in this same
    job (the project's walk, ``walk.py``); without it, `upstream` is asked when the answer matters.
    """
    previous = phase.listed_project_changed_date
    known = _newest(project.changed_date, current_project_date)
    if previous is None:
        return ListingVerdict(0, known, None)
    changes = elevation_changes(phase, infos)
    moved = known is not None and known > previous
    if changes and not moved and current_project_date is None and upstream is not None:
        known = _newest(known, upstream.get_project(project.directory.path, str(project.guid)).changed_date)
        moved = known is not None and known > previous
    return ListingVerdict(changes, known, moved)


def _newest(*dates):
    return max((d for d in dates if d is not None), default=None)


def record_evidence(phase: Phase, verdict: ListingVerdict | None, now) -> str | None:
    """Count the verdict and set the changedDate this listing saw on `phase` (its caller saves the
    row, with the listing's other stamps); in the phase sync's transaction.

    No verdict (a phase new in this job's own project listing): nothing to judge, only the date kept.
    """
    if verdict is None:
        phase.listed_project_changed_date = Project.objects.values_list("changed_date", flat=True).get(
            pk=phase.project_id)
    else:
        phase.listed_project_changed_date = verdict.project_changed_date
    if verdict is None or not verdict.changes or verdict.moved is None:
        return None
    evidence()  # the row exists from the migration on; this only guards a database built otherwise
    rows = ChangedDateEvidence.objects.filter(pk=1)
    if verdict.moved:
        rows.update(confirmations=F("confirmations") + 1, last_confirmation_at=now)
        return "confirmation"
    rows.update(violations=F("violations") + 1, last_violation_at=now, last_violation_project=phase.project_id,
                last_violation=f"{verdict.changes} elevation change(s) in {phase} while the project's changedDate "
                f"stayed {verdict.project_changed_date:%Y-%m-%d %H:%M:%S} UTC"[:500])
    logger.warning("changedDate violation: %s", phase, extra={"object_type": "phase", "object_id": phase.pk})
    return "violation"


def reset_evidence(now=None) -> None:
    """Staff start the evidence afresh (after a violation was explained, or LogiKal was updated)."""
    evidence()
    ChangedDateEvidence.objects.filter(pk=1).update(
        confirmations=0, violations=0, last_confirmation_at=None, last_violation_at=None,
        last_violation_project=None, last_violation="", started_at=now or timezone.now())


def unchanged_projects():
    """Live projects listed before whose changedDate has not moved since: what trust would skip."""
    return Project.objects.live().filter(listed_at__isnull=False, changed_date=F("listed_changed_date"))


def sweep_unchanged_projects(*, count: int = SWEEP_PROJECTS_PER_RUN, now=None) -> list[int]:
    """Queue low-priority listings of every live phase of `count` random unchanged projects.

    Returns the projects' ids. The phase listings judge themselves like any other
    (``judge_listing``); the sweep only makes sure some happen where trust skips them, so it
    runs only while changedDate is trusted (and background sync is on): otherwise every phase
    is listed on its own schedule anyway.
    """
    if not settings.BACKGROUND_SYNC_ENABLED or not trust_state().trusted:
        return []
    now = now or timezone.now()
    projects = list(unchanged_projects().order_by("?").values_list("pk", flat=True)[:count])
    phases = Phase.objects.live().filter(project_id__in=projects).select_related("project")
    planned = [PlannedJob("phase", phase.pk, str(phase), "changedDate sweep") for phase in phases]
    with transaction.atomic():
        defer_sync_jobs(planned, trigger=Trigger.FORCED, priority=SWEEP_PRIORITY)
        evidence()
        ChangedDateEvidence.objects.filter(pk=1).update(swept_projects=F("swept_projects") + len(projects),
                                                        last_sweep_at=now)
    return projects
