"""Sync of a project: its details, its phase listing and, in the same session, its due phases'
elevation listings (``walk.py``); the runner cascades to whatever is left."""

import time
from dataclasses import dataclass

from ..models import Phase, Project
from .changes import record_content_changes
from .context import SyncResult
from .reconcile import apply_listing
from .tombstone import tombstone_phases
from .walk import Walk, apply_walk, phases_to_walk, walk_phases


@dataclass
class Fetched:
    details: object
    phases: list
    walk: Walk


def fetch(project: Project, ctx) -> Fetched:
    path, guid = project.directory.path, str(project.guid)
    started = time.monotonic()
    # One session for the whole job: it stands at the project after the listing, so the
    # phases are one select each away instead of a login each (strict navigation).
    with ctx.upstream.session_at(path, guid):
        details = ctx.upstream.get_project(path, guid)
        phases = ctx.upstream.list_phases(path, guid)
        walk = walk_phases(project, phases_to_walk(project, details, phases, ctx), ctx, started=started,
                           project_date=details.changed_date)
    return Fetched(details, phases, walk)


def apply(project: Project, fetched: Fetched, ctx) -> SyncResult:
    details, phases = fetched.details, fetched.phases
    result = SyncResult()
    project = Project.objects.select_for_update().get(pk=project.pk)
    previous = project.listed_changed_date
    existing = {str(p.guid): p for p in Phase.objects.filter(project=project)}
    listed = {str(info.id): {"name": info.name, "description": info.description or ""} for info in phases}
    result.outcome = apply_listing(
        model=Phase, existing=existing, listed=listed, key_field="guid", parent_fields={"project": project},
        now=ctx.now, what=f"phases of {project}", tombstone=tombstone_phases,
    )
    before = (project.details, project.changed_date)
    project.details = details.raw
    # The details may be newer than the directory listing that queued us.
    changed = details.changed_date or project.changed_date
    if changed and (project.changed_date is None or changed > project.changed_date):
        project.changed_date = changed
    project.listed_changed_date = project.changed_date
    project.listed_at = ctx.now
    project.save(update_fields=["details", "changed_date", "listed_changed_date", "listed_at"])
    changed_fields = [name for name, old in zip(("details", "changed_date"), before) if getattr(project, name) != old]
    if changed_fields:
        record_content_changes(Project, [project], fields=changed_fields)
    # A moved changedDate means something below changed: re-list every phase now rather
    # than when their interval comes round (phases carry no date of their own).
    result.relist_children = previous is not None and project.changed_date is not None and project.changed_date > previous
    walked = apply_walk(project, fetched.walk, ctx)
    result.listed_children, result.child_runs = walked.listed, walked.runs
    result.warnings.extend(walked.warnings)
    return result
