"""Small builders for mirror rows in tests."""

import itertools
import uuid
from datetime import timedelta

from django.utils import timezone

from syncapp.models import Directory, Elevation, ObjectSyncConfig, PartsList, Phase, Project

_counter = itertools.count(1)


def fixed_intervals() -> None:
    """Every type on its configured interval (the activity rule off), for tests of interval mechanics."""
    ObjectSyncConfig.objects.update(activity_based=False)


def ago(minutes: float):
    return timezone.now() - timedelta(minutes=minutes)


def root() -> Directory:
    return Directory.objects.get(path="")


def directory(path: str, *, listed_minutes_ago=None, **fields) -> Directory:
    parent_path = path.rsplit("/", 1)[0] if "/" in path else ""
    parent = Directory.objects.get(path=parent_path)
    listed = None if listed_minutes_ago is None else ago(listed_minutes_ago)
    # A directory enters the mirror through its parent's listing, which verifies it then.
    return Directory.objects.create(path=path, name=path.rsplit("/", 1)[-1], parent=parent, listed_at=listed,
                                    synced_at=listed or timezone.now(), **fields)


def project(directory: Directory, *, listed_minutes_ago=None, changed=None, **fields) -> Project:
    listed = None if listed_minutes_ago is None else ago(listed_minutes_ago)
    changed = changed or ago(600)
    return Project.objects.create(
        guid=uuid.uuid4(), directory=directory, name=fields.pop("name", f"Project {next(_counter)}"),
        listed_at=listed, synced_at=timezone.now(), changed_date=changed,
        listed_changed_date=changed if listed else None, **fields,
    )


def phase(project: Project, *, listed_minutes_ago=None, **fields) -> Phase:
    listed = None if listed_minutes_ago is None else ago(listed_minutes_ago)
    return Phase.objects.create(project=project, guid=uuid.uuid4(), name=fields.pop("name", f"Phase {next(_counter)}"),
                                listed_at=listed, synced_at=timezone.now(), **fields)


def elevation(phase: Phase, *, with_parts_list=True, **fields) -> Elevation:
    changed = fields.pop("changed_date", ago(600))
    row = Elevation.objects.create(phase=phase, guid=uuid.uuid4(), name=fields.pop("name", f"E{next(_counter)}"),
                                   changed_date=changed, synced_at=timezone.now(), **fields)
    if with_parts_list:
        PartsList.objects.create(elevation=row, source_changed_date=changed, downloaded_at=timezone.now())
    return row


def fresh_tree(n_projects=1, n_phases=1, n_elevations=2, path="A"):
    """A fully synced branch under `path`: nothing in it is due."""
    root_dir = root()
    root_dir.listed_at = root_dir.synced_at = timezone.now()
    root_dir.save()
    top = directory(path, listed_minutes_ago=1)
    projects = []
    for _ in range(n_projects):
        p = project(top, listed_minutes_ago=1)
        for _ in range(n_phases):
            ph = phase(p, listed_minutes_ago=1)
            for _ in range(n_elevations):
                elevation(ph)
        projects.append(p)
    return top, projects
