"""Bulk-building a large mirror straight in the database (planner and admin benchmarks)."""

import uuid
from datetime import timedelta

from django.utils import timezone

from syncapp.models import Directory, Elevation, PartsList, Phase, Project


def build_mirror(*, directories: int, projects: int, phases: int, elevations: int, progress) -> dict:
    """A synced mirror of the given size; every row verified an hour ago, lists fresh."""
    now = timezone.now()
    old = now - timedelta(hours=3)
    root = Directory.objects.get(path="")
    root.listed_at = root.synced_at = old
    root.save()
    dirs = Directory.objects.bulk_create(
        Directory(path=f"Dir {i:03d}", name=f"Dir {i:03d}", parent=root, listed_at=old, synced_at=old)
        for i in range(directories)
    )
    progress(f"{len(dirs)} directories")
    project_rows = Project.objects.bulk_create(
        (Project(guid=uuid.uuid4(), directory=dirs[i % len(dirs)], name=f"P{i:05d}", job_number=f"J{i:05d}",
                 changed_date=old, listed_changed_date=old, listed_at=old, synced_at=old)
         for i in range(projects)), batch_size=5000,
    )
    progress(f"{len(project_rows)} projects")
    phase_rows = Phase.objects.bulk_create(
        (Phase(project=project_rows[i % len(project_rows)], guid=uuid.uuid4(), name=f"Phase {i}", listed_at=old,
               synced_at=old) for i in range(phases)), batch_size=5000,
    )
    progress(f"{len(phase_rows)} phases")
    batch = []
    made = 0
    for i in range(elevations):
        batch.append(Elevation(phase=phase_rows[i % len(phase_rows)], guid=uuid.uuid4(), name=f"E{i}",
                               changed_date=old, synced_at=old))
        if len(batch) == 10000:
            _elevations_with_lists(batch, old)
            made += len(batch)
            batch = []
            progress(f"{made} elevations")
    if batch:
        _elevations_with_lists(batch, old)
    return {"directories": directories + 1, "projects": projects, "phases": phases, "elevations": elevations}


def _elevations_with_lists(batch, old) -> None:
    rows = Elevation.objects.bulk_create(batch)
    PartsList.objects.bulk_create(PartsList(elevation=row, source_changed_date=old, downloaded_at=old) for row in rows)
