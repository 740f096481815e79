"""Finding one mirrored object from what a person types: a GUID, a path or a name.

    directory  "Demo/Sub 1" (full path), "/" or "" (the root), or a unique name
    project    GUID, job number, name, or "Directory/Path/Project name"
    phase      GUID (with --project when it is the null GUID or not unique), "PROJECT/PHASE", or a unique name
    elevation  GUID, "PROJECT/PHASE/ELEVATION", or a unique name (--project narrows)

PROJECT is anything that finds a project. Every way of reading the text is tried
and the matches pooled, so a name that is also someone's job number comes back
ambiguous instead of silently picking one.
"""

from django.db.models import Q

from ..logikal.values import guid_or_none
from ..models import Directory, Project
from ..models.tree import TYPES as TREE
from ..models.tree import type_of

TYPES = tuple(TREE)


class NoSingleMatch(Exception):
    """Nothing, or more than one object, matches."""

    def __init__(self, message: str, candidates=()):
        super().__init__(message)
        self.candidates = list(candidates)


def full_path(obj) -> str:
    """Where a person would find the object: directory path / project / phase / elevation."""
    return type_of(obj).path_of(obj)


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
    guid = guid_or_none(ident)
    if guid:
        return set(Project.objects.select_related("directory").filter(guid=guid))
    found = set(Project.objects.select_related("directory").filter(Q(name=ident) | Q(job_number=ident)))
    for head, tail in _split_last(ident):
        found |= set(Project.objects.select_related("directory").filter(directory__path=head.strip("/"), name=tail))
    return found


def _below_project(mirrored, ident: str, projects) -> set:
    """Phases or elevations: by GUID, by name, or as "PARENT/NAME" where PARENT finds the parent type."""
    ident = ident.strip()
    scope = mirrored.model.objects.select_related(*mirrored.select_related)
    if projects is not None:
        scope = scope.filter(**{f"{mirrored.lookup_to(TREE['project'])}__in": projects})
    guid = guid_or_none(ident)
    if guid:
        return set(scope.filter(guid=guid))
    found = set(scope.filter(name=ident))
    for head, tail in _split_last(ident):
        parents = _find(mirrored.parent, head, projects)
        if parents:
            tail_guid = guid_or_none(tail)
            found |= set(scope.filter(**{f"{mirrored.parent_field}__in": parents}).filter(
                Q(guid=tail_guid) if tail_guid else Q(name=tail)))
    return found


def _find(object_type: str, ident: str, projects) -> set:
    if object_type == "directory":
        return set(_directories(ident))
    if object_type == "project":
        found = _projects(ident)
        return found if projects is None else found & set(projects)
    return _below_project(TREE[object_type], ident, projects)


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
    found = sorted(_find(object_type, ident, projects), key=lambda obj: (full_path(obj), obj.pk))
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
