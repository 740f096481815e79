"""Tombstones: an object gone upstream and everything below it get ``removed_at``; no row is deleted."""

from ..models import ChangeKind, Directory, Elevation, Phase, Project
from .changes import record_content_changes


def tombstone_directories(rows, now) -> None:
    for directory in rows:
        subtree = Directory.objects.filter(path__startswith=directory.path + "/") | Directory.objects.filter(pk=directory.pk)
        ids = list(subtree.values_list("pk", flat=True))
        _remove(Directory.objects.filter(pk__in=ids), now)
        tombstone_projects(Project.objects.filter(directory_id__in=ids), now)


def tombstone_projects(rows, now) -> None:
    ids = _ids(rows)
    _remove(Project.objects.filter(pk__in=ids), now)
    _remove(Phase.objects.filter(project_id__in=ids), now)
    _remove(Elevation.objects.filter(phase__project_id__in=ids), now)


def tombstone_phases(rows, now) -> None:
    ids = _ids(rows)
    _remove(Phase.objects.filter(pk__in=ids), now)
    _remove(Elevation.objects.filter(phase_id__in=ids), now)


def tombstone_elevations(rows, now) -> None:
    _remove(Elevation.objects.filter(pk__in=_ids(rows)), now)


def _remove(queryset, now) -> None:
    """Tombstone the live rows of `queryset` and record that their content changed."""
    ids = list(queryset.filter(removed_at__isnull=True).values_list("pk", flat=True))
    if ids:
        queryset.model.objects.filter(pk__in=ids).update(removed_at=now)
        record_content_changes(queryset.model, ids, kind=ChangeKind.REMOVED)


def _ids(rows) -> list[int]:
    if hasattr(rows, "values_list"):
        return list(rows.values_list("pk", flat=True))
    return [row.pk for row in rows]
