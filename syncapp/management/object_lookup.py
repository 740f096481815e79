"""Finding one mirrored object from what a person types: a GUID, a path or a name.

    directory  "Demo/Sub 1" (full path), "/" or "" (the root), or a unique name
    project    GUID, job number, name, or "Directory/Path/Project name"
    phase      GUID (with --project when it is the null GUID or not unique), "PROJECT/PHASE", or a unique name
    elevation  GUID, "PROJECT/PHASE/ELEVATION", or a unique name (--project narrows)

PROJECT is anything that finds a project. Every way of reading the text is tried
and the matches pooled, so a name that is also someone's job number comes back
ambiguous instead of silently picking one.
"""

import uuid

from django.db.models import Q

from ..models import Directory, Elevation, Phase, Project
from ..models.tree import type_of

TYPES = ("directory", "project", "phase", "elevation")


class NoSingleMatch(Exception):
    """Nothing, or more than one object, matches."""

    def __init__(self, message: str, candidates=()):
        super().__init__(message)
        self.candidates = list(candidates)


def full_path(obj) -> str:
    """Where a person would find the object: directory path / project / phase / elevation."""
    return type_of(obj).path_of(obj)


def _guid(text: str):
    try:
        return uuid.UUID(text.strip())
    except ValueError:
        return None


def _split_last(text: str) -> list[tuple[str, str]]:
    """Every way of cutting "a/b/c" into (head, tail) at a slash, longest tail first."""
    cuts = []
    for index, char in enumerate(text):
        if char == "/" and 0 < index < len(text) - 1:
            cuts.append((text[:index], text[index + 1:]))
    return cuts


def _directories(ident: str) -> list:
    path = ident.strip().strip("/")
    found = Directory.objects.filter(path=path)
    if found:
        return list(found)
    return list(Directory.objects.filter(name=path).exclude(path=""))


def _projects(ident: str) -> set:
    ident = ident.strip()
    guid = _guid(ident)
    if guid:
        return set(Project.objects.select_related("directory").filter(guid=guid))
    found = set(Project.objects.select_related("directory").filter(Q(name=ident) | Q(job_number=ident)))
    for head, tail in _split_last(ident):
        found |= set(Project.objects.select_related("directory").filter(directory__path=head.strip("/"), name=tail))
    return found


def _phases(ident: str, projects) -> set:
    ident = ident.strip()
    guid = _guid(ident)
    scope = Phase.objects.select_related("project__directory")
    scope = scope if projects is None else scope.filter(project__in=projects)
    if guid:
        return set(scope.filter(guid=guid))
    found = set(scope.filter(name=ident))
    for head, tail in _split_last(ident):
        parents = _projects(head)
        if projects is not None:
            parents &= set(projects)
        if parents:
            tail_guid = _guid(tail)
            found |= set(Phase.objects.select_related("project__directory").filter(project__in=parents).filter(
                Q(guid=tail_guid) if tail_guid else Q(name=tail)
            ))
    return found


def _elevations(ident: str, projects) -> set:
    ident = ident.strip()
    guid = _guid(ident)
    scope = Elevation.objects.select_related("phase__project__directory")
    scope = scope if projects is None else scope.filter(phase__project__in=projects)
    if guid:
        return set(scope.filter(guid=guid))
    found = set(scope.filter(name=ident))
    for head, tail in _split_last(ident):
        phases = _phases(head, projects)
        if phases:
            tail_guid = _guid(tail)
            found |= set(Elevation.objects.select_related("phase__project__directory").filter(phase__in=phases).filter(
                Q(guid=tail_guid) if tail_guid else Q(name=tail)
            ))
    return found


def find_object(object_type: str, ident: str, *, project: str | None = None):
    """The one object of ``object_type`` that ``ident`` names; raises NoSingleMatch otherwise."""
    if object_type not in TYPES:
        raise NoSingleMatch(f"unknown type {object_type!r}; choose from {', '.join(TYPES)}")
    projects = None
    if project is not None:
        if object_type not in ("phase", "elevation"):
            raise NoSingleMatch("--project only narrows a phase or an elevation")
        projects = _projects(project)
        if not projects:
            raise NoSingleMatch(f"no project matches {project!r}")
    if object_type == "directory":
        found = _directories(ident)
    elif object_type == "project":
        found = _projects(ident)
    elif object_type == "phase":
        found = _phases(ident, projects)
    else:
        found = _elevations(ident, projects)
    found = sorted(found, key=lambda obj: (full_path(obj), obj.pk))
    if not found:
        raise NoSingleMatch(f"no {object_type} matches {ident!r}")
    if len(found) > 1:
        hint = "give its GUID, a longer path" + (" or --project" if object_type in ("phase", "elevation") else "")
        raise NoSingleMatch(f"{ident!r} matches {len(found)} {object_type}s; {hint}", candidates=found)
    return found[0]


def describe(obj) -> str:
    """One line per candidate: path, GUID, state."""
    guid = getattr(obj, "guid", None)
    state = " (removed upstream)" if obj.removed_at else ""
    return f"{full_path(obj)}{'  ' + str(guid) if guid else ''}  [id {obj.pk}]{state}"
