"""Sync of a directory: list its child directories and projects (the runner cascades)."""

from ..models import Directory, Project
from ..models.trust import trust_state
from .context import SyncResult
from .reconcile import apply_listing
from .tombstone import tombstone_directories, tombstone_projects


def fetch(directory: Directory, ctx) -> tuple[list, list]:
    return ctx.upstream.list_directories(directory.path), ctx.upstream.list_projects(directory.path)


def apply(directory: Directory, fetched, ctx) -> SyncResult:
    child_dirs, projects = fetched
    result = SyncResult()
    directory = Directory.objects.select_for_update().get(pk=directory.pk)
    result.outcome.add(_apply_directories(directory, child_dirs, ctx))
    result.outcome.add(_apply_projects(directory, projects, ctx))
    directory.listed_at = ctx.now
    if directory.parent_id is None:
        directory.synced_at = ctx.now  # the root has no parent listing to verify it
    directory.save(update_fields=["listed_at", "synced_at"])
    if trust_state(ctx.configs).trusted:
        _verify_unchanged_subtrees(directory, ctx)
    return result


def child_path(parent: Directory, info) -> str:
    # The API returns a path; fall back to joining when a server omits it.
    path = (getattr(info, "path", None) or "").strip("/")
    if path:
        return path
    return f"{parent.path}/{info.name}" if parent.path else info.name


def _apply_directories(directory, infos, ctx):
    existing = {row.path: row for row in Directory.objects.filter(parent=directory)}
    listed = {child_path(directory, info): {"name": info.name} for info in infos}
    outcome = apply_listing(
        model=Directory, existing=existing, listed=listed, key_field="path",
        parent_fields={"parent": directory, "effectively_excluded": directory.effectively_excluded},
        now=ctx.now, what=f"directories in {directory}", tombstone=tombstone_directories,
    )
    return outcome


def project_fields(info) -> dict:
    return {
        "name": info.name,
        "job_number": info.job_number or "",
        "offer_number": info.offer_number or "",
        "person_in_charge": info.person_in_charge or "",
        "estimated": bool(info.estimated),
        "is_deleted": bool(info.is_deleted),
        "created_date": info.created_date,
        "changed_date": info.changed_date,
    }


def _apply_projects(directory, infos, ctx):
    # A project may move between directories upstream: match by GUID across the mirror.
    guids = [info.id for info in infos]
    existing = {str(p.guid): p for p in Project.objects.filter(directory=directory)}
    existing.update({str(p.guid): p for p in Project.objects.filter(guid__in=guids)})
    listed = {}
    for info in infos:
        fields = project_fields(info)
        fields["directory_id"] = directory.pk
        listed[str(info.id)] = fields
    # Only this directory's own rows can go missing from its listing.
    own = {guid: row for guid, row in existing.items() if row.directory_id == directory.pk or guid in listed}
    return apply_listing(
        model=Project, existing=own, listed=listed, key_field="guid", parent_fields={},
        now=ctx.now, what=f"projects in {directory}", tombstone=tombstone_projects,
    )


def _verify_unchanged_subtrees(directory, ctx) -> None:
    """While changedDate is trusted (syncapp.models.trust): an unchanged project vouches for its
    phases and elevations. Their `listed_project_changed_date` stays: they were not listed."""
    from ..models import Elevation, Phase
    from django.db.models import F

    unchanged = Project.objects.filter(
        directory=directory, removed_at__isnull=True, listed_at__isnull=False, changed_date=F("listed_changed_date")
    )
    Phase.objects.filter(project__in=unchanged, removed_at__isnull=True).update(synced_at=ctx.now, listed_at=ctx.now)
    Elevation.objects.filter(phase__project__in=unchanged, removed_at__isnull=True).update(synced_at=ctx.now)
    unchanged.update(listed_at=ctx.now)
