"""The navigation cursor rules of a session.

Observed on real servers (API.md): selects go downward one level at a time; directories are
selected by full path and can be changed while at directory level; a phase can be re-selected
from phase context; selecting a directory once a project is selected is 409 "cannot be set,
because it isn't valid in the current mapping"; a call at the wrong level is 405 with the spec's
text. Everything else is unknown, hence two modes:

- ``strict``: only the observed moves. Any other select is 409, so a session standing at an
  elevation can go nowhere; listings must be made at exactly their own level.
- ``lenient``: additionally a project, phase or elevation may be selected from any deeper
  context within the same parent (siblings, "one level up"), and the listing of that parent
  (``GET /projects``, ``/phases``, ``/elevations``) works from deeper contexts too. Directory
  selects still need directory level.

Order of checks for a select: wrong level (405) -> move not allowed (409) -> unknown id (404).
"""

from __future__ import annotations

from .envelope import NOT_FOUND, ApiError
from .model import NotFound, Tree
from .sessions import LEVELS, Cursor

LEVEL_TEXT = {
    "directory": "This operation expects the session to be in a directory.",
    "project": "This operation expects the session to be in a project.",
    "phase": "This operation expects the session to be in a phase.",
    "elevation": "This operation expects the session to be in an elevation.",
}


def not_in_mapping(identifier: str) -> ApiError:
    return ApiError(409, "Conflict", [
        f"The requested resource '{identifier}' cannot be set, because it isn't valid in the current mapping."])


def not_found(identifier: str) -> ApiError:
    return ApiError(404, NOT_FOUND, [f"{NOT_FOUND} ('{identifier}')"])


def require_level(cursor: Cursor, level: str, *, lenient_from_deeper: bool = False, mode: str = "strict") -> None:
    """405 unless the cursor is at `level` (or deeper, for lenient listings)."""
    if cursor.level == level:
        return
    if lenient_from_deeper and mode == "lenient" and cursor.depth > LEVELS.index(level):
        return
    raise ApiError(405, LEVEL_TEXT[level])


def select_directory(tree: Tree, cursor: Cursor, identifier: str) -> None:
    if cursor.level != "directory":
        raise not_in_mapping(identifier)
    try:
        tree.directory(identifier)
    except NotFound:
        raise not_found(identifier) from None
    cursor.directory = identifier


def select_project(tree: Tree, cursor: Cursor, identifier: str, mode: str) -> None:
    if cursor.level != "directory" and mode == "strict":
        raise not_in_mapping(identifier)
    project = tree.projects.get(identifier)
    if project is None:
        raise not_found(identifier)
    if project.directory != cursor.directory:
        # Known, but elsewhere: from directory level the directory simply lacks it (404);
        # from deeper it is a move outside the current parent (409).
        raise not_found(identifier) if cursor.level == "directory" else not_in_mapping(identifier)
    cursor.project_id, cursor.phase_id, cursor.elevation_id = project.id, None, None


def select_phase(tree: Tree, cursor: Cursor, identifier: str, mode: str) -> None:
    if cursor.level == "directory":
        raise ApiError(405, LEVEL_TEXT["project"])
    if cursor.level == "elevation" and mode == "strict":
        raise not_in_mapping(identifier)
    try:
        tree.phase(cursor.project_id, identifier)
    except NotFound:
        raise not_found(identifier) from None
    cursor.phase_id, cursor.elevation_id = identifier, None


def select_elevation(tree: Tree, cursor: Cursor, identifier: str, mode: str) -> None:
    if cursor.level in ("directory", "project"):
        raise ApiError(405, LEVEL_TEXT["phase"])
    if cursor.level == "elevation" and mode == "strict":
        raise not_in_mapping(identifier)
    try:
        tree.elevation(cursor.project_id, cursor.phase_id, identifier)
    except NotFound:
        if cursor.level == "elevation" and identifier in tree.elevation_index:
            raise not_in_mapping(identifier) from None
        raise not_found(identifier) from None
    cursor.elevation_id = identifier


def leave_deleted(tree: Tree, cursor: Cursor) -> None:
    """After a DELETE the spec moves the session to the parent of the deleted object."""
    if cursor.elevation_id is not None:
        cursor.elevation_id = None
    elif cursor.project_id is not None:
        cursor.project_id = cursor.phase_id = None
    elif cursor.directory:
        cursor.directory = cursor.directory.rsplit("/", 1)[0] if "/" in cursor.directory else ""
