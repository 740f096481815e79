"""Tombstones: an object gone upstream and everything below it get ``removed_at``; no row is deleted."""

from ..models import Directory, Elevation, Phase, Project


def tombstone_directories(rows, now) -> None:
    for directory in rows:
        subtree = Directory.objects.filter(path__startswith=directory.path + "/") | Directory.objects.filter(pk=directory.pk)
        ids = list(subtree.values_list("pk", flat=True))
        Directory.objects.filter(pk__in=ids, removed_at__isnull=True).update(removed_at=now)
        tombstone_projects(Project.objects.filter(directory_id__in=ids), now)


def tombstone_projects(rows, now) -> None:
    ids = _ids(rows)
    Project.objects.filter(pk__in=ids, removed_at__isnull=True).update(removed_at=now)
    Phase.objects.filter(project_id__in=ids, removed_at__isnull=True).update(removed_at=now)
    Elevation.objects.filter(phase__project_id__in=ids, removed_at__isnull=True).update(removed_at=now)


def tombstone_phases(rows, now) -> None:
    ids = _ids(rows)
    Phase.objects.filter(pk__in=ids, removed_at__isnull=True).update(removed_at=now)
    Elevation.objects.filter(phase_id__in=ids, removed_at__isnull=True).update(removed_at=now)


def tombstone_elevations(rows, now) -> None:
    Elevation.objects.filter(pk__in=_ids(rows), removed_at__isnull=True).update(removed_at=now)


def _ids(rows) -> list[int]:
    if hasattr(rows, "values_list"):
        return list(rows.values_list("pk", flat=True))
    return [row.pk for row in rows]
