"""A project's job lists its due phases' elevations in the same upstream session (issue 14).

Listing a project's phases leaves a session standing at that project; a phase job queued by
the cascade runs later, in whatever session is free, and in strict navigation pays a new login
(5 s) to get back there. So the project's job walks on: right after the phase listing, in the
session it holds, it lists the elevations of every phase whose own job would be due after that
listing (new phases, phases whose listing is due by ``job_due()`` before the next tick, or all
of them when the project's changedDate moved). The runner then applies everything in its one transaction and
records each walked phase's run as if its own job had run, so the cascade finds nothing left
to do for those phases.

What the walk does not finish is left to the phases' own jobs, queued by the same cascade as
before: phases beyond the cap (``SYNC_WALK_MAX_PHASES`` phases, ``SYNC_WALK_MAX_SECONDS``
seconds: a huge project must not hold one session and one job for minutes) and a phase whose
listing failed (the walk stops there; the phase's own job retries it, and the project's sync
succeeds). Forced subtree syncs do not walk: their children are forced jobs of their own.
"""

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from ..logikal.errors import UpstreamError
from ..models import Phase, SyncRun
from ..models.config import ObjectType
from ..models.runs import Outcome, Trigger
from .context import SyncContext
from .planner import job_enabled
from .tick import tick_period
from .trust import judge_listing

logger = logging.getLogger("syncapp.sync")


@dataclass
class PhaseListing:
    """One phase's elevation listing, made inside the project's job (network side)."""

    guid: str
    infos: list
    started_at: datetime
    duration_ms: int
    calls: object  # the CallCounter of this phase's requests (navigation included)
    verdict: object = None  # what it says about the project's changedDate (syncapp.sync.trust; None: a new phase)


@dataclass
class Walk:
    listings: list[PhaseListing] = field(default_factory=list)
    left_to_jobs: int = 0  # phases the cap left to their own jobs
    failure: str = ""  # why the walk stopped early (that phase and the rest go to their own jobs)


@dataclass
class WalkOutcome:
    """What applying a walk did: the phases it listed (the cascade skips them) and what to tell."""

    listed: set[tuple[str, int]] = field(default_factory=set)  # (type, id), as SyncResult.listed_children
    runs: list[tuple] = field(default_factory=list)  # as SyncResult.child_runs
    warnings: list[str] = field(default_factory=list)


def project_changed(project, details) -> bool:
    """The project's changedDate moved past the one its phases were listed at (everything below may differ)."""
    previous = project.listed_changed_date
    current = max((d for d in (details.changed_date, project.changed_date) if d is not None), default=None)
    return previous is not None and current is not None and current > previous


def phases_to_walk(project, details, phases, ctx) -> list[str]:
    """GUIDs of listed phases whose own job would be due once this listing is applied, in listing order."""
    configs = ctx.configs
    if ctx.subtree or settings.SYNC_WALK_MAX_PHASES == 0 or not configs[ObjectType.PROJECT].cascade:
        return []
    if project.directory.effectively_excluded:
        return []  # the cascade queues nothing below an excluded directory either
    listed = [str(info.id) for info in phases]
    if project_changed(project, details):
        return listed  # the cascade would list every phase again
    if not job_enabled(configs, ObjectType.PHASE):
        return []
    rows = Phase.objects.filter(project=project)
    known = {str(guid) for guid in rows.filter(removed_at__isnull=True).values_list("guid", flat=True)}
    # Due by the next tick, the horizon the tick looked ahead by when it queued this project: a
    # phase left for that tick would get a job, and in strict navigation a login, of its own.
    horizon = tick_period(now=ctx.now)
    due = {str(guid) for guid in rows.job_due(now=ctx.now, configs=configs, lookahead=horizon)
           .values_list("guid", flat=True)}
    return [guid for guid in listed if guid not in known or guid in due]


def walk_phases(project, guids: list[str], ctx, *, started: float, project_date=None) -> Walk:
    """List the elevations of `guids` on the session the caller holds (network only).

    `started` is the job's monotonic start: the seconds cap counts the whole job, so a slow
    project listing leaves less room for its phases. `project_date`: the changedDate the
    project's details gave in this job, against which each listing is judged (syncapp.sync.trust).
    """
    walk = Walk()
    known = {str(row.guid): row for row in Phase.objects.filter(project=project, guid__in=guids)}
    path, project_guid = project.directory.path, str(project.guid)
    limit = settings.SYNC_WALK_MAX_PHASES
    for index, guid in enumerate(guids):
        if index >= limit or time.monotonic() - started >= settings.SYNC_WALK_MAX_SECONDS:
            walk.left_to_jobs = len(guids) - index
            break
        began, clock = timezone.now(), time.monotonic()
        try:
            with ctx.upstream.track(separate=True) as calls:  # the phase's run counts them, not the project's
                infos = ctx.upstream.list_elevations(path, project_guid, guid)
        except UpstreamError as error:
            # Not the project's failure: this phase and the ones after it go to their own jobs
            # (which retry with backoff); a failing server is not asked again within this job.
            walk.failure = f"phase {guid}: {type(error).__name__}: {error}"
            walk.left_to_jobs = len(guids) - index
            break
        verdict = (judge_listing(known[guid], infos, project=project, current_project_date=project_date)
                   if guid in known else None)
        walk.listings.append(PhaseListing(guid, infos, began, int((time.monotonic() - clock) * 1000), calls,
                                          verdict))
    return walk


def apply_walk(project, walk: Walk, ctx) -> WalkOutcome:
    """Apply the walked listings on the runner's transaction, after the project's own listing.

    Each phase gets what its own job would have written: its elevations reconciled, its
    ``listed_at``, its failure state cleared, and a successful SyncRun (trigger "cascade", the
    project's job id) with its own requests and timing.
    """
    from . import phase as phase_sync
    from .runner import call_figures, clear_failure_state

    done = WalkOutcome()
    if walk.failure:
        done.warnings.append(f"walk stopped at a failing phase, left to its own job: {walk.failure}"[:2000])
        logger.warning("sync project %s: %s", project.pk, done.warnings[-1])
    if walk.left_to_jobs:
        done.warnings.append(f"{walk.left_to_jobs} phases left to their own jobs (walk cap or failure)")
    rows = {str(row.guid): row for row in Phase.objects.select_related("project").filter(
        project=project, guid__in=[listing.guid for listing in walk.listings], removed_at__isnull=True)}
    for listing in walk.listings:
        row = rows.get(listing.guid)
        if row is None:
            continue  # gone from the project's own listing meanwhile: nothing to verify
        phase_ctx = SyncContext(now=listing.started_at, trigger=Trigger.CASCADE, upstream=ctx.upstream,
                                configs=ctx.configs, include_excluded=ctx.include_excluded)
        result = phase_sync.apply(row, phase_sync.ElevationListing(listing.infos, listing.verdict), phase_ctx)
        finished = max(timezone.now(), listing.started_at)
        phase_run = SyncRun.objects.create(
            object_type=ObjectType.PHASE, object_id=row.pk, object_label=str(row)[:1024], trigger=Trigger.CASCADE,
            job_id=ctx.run.job_id, attempt=1, worker=ctx.run.worker, started_at=listing.started_at, finished_at=finished,
            duration_ms=listing.duration_ms, outcome=Outcome.SUCCESS,
            error="\n".join(result.outcome.warnings)[:10000], **result.outcome.counts(),
            **call_figures(listing.calls),
        )
        clear_failure_state(row, phase_run)
        done.listed.add((ObjectType.PHASE, row.pk))
        done.runs.append((phase_run, listing.calls, result.outcome.counts()))
    return done
