"""Sync of a project: its details and its phase listing, then cascade."""

from django.db import transaction

from ..models import Phase, Project
from .cascade import cascade_from
from .changes import record_content_changes
from .context import SyncResult
from .reconcile import apply_listing
from .tombstone import tombstone_phases
from .upstream_dates import parse_upstream_date


def sync_project(project: Project, ctx) -> SyncResult:
    path, guid = project.directory.path, str(project.guid)
    details = ctx.upstream.get_project(path, guid)
    phases = ctx.upstream.list_phases(path, guid)

    result = SyncResult()
    with transaction.atomic():
        project = Project.objects.select_for_update().get(pk=project.pk)
        previous = project.listed_changed_date
        existing = {str(p.guid): p for p in Phase.objects.filter(project=project)}
        listed = {str(info.id): {"name": info.name, "description": info.description or ""} for info in phases}
        result.outcome = apply_listing(
            model=Phase, existing=existing, listed=listed, key_field="guid", parent_fields={"project": project},
            now=ctx.now, what=f"phases of {project}", tombstone=tombstone_phases,
        )
        before = (project.details, project.changed_date)
        project.details = details if isinstance(details, dict) else {}
        # The details may be newer than the directory listing that queued us.
        changed = parse_upstream_date(project.details.get("changedDate")) or project.changed_date
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
        changed_below = previous is not None and project.changed_date is not None and project.changed_date > previous
        result.jobs_deferred = cascade_from(project, ctx, relist_children=changed_below)
        result.warnings.extend(result.outcome.warnings)
        ctx.finish(result)
    return result
