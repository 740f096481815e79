"""`SessionHandle`: one pooled session standing at a place, and the read calls made from there.

Each call says where it must be made (its `Need`, which the pool also uses to pick a session
before one is handed out), moves the cursor only as far as that, and parses the answer once.
"""

from __future__ import annotations

import base64
import binascii
import logging

from . import errors
from .navigation import Need
from .responses import (
    DirectoryInfo,
    ElevationInfo,
    PhaseInfo,
    ProjectInfo,
    parse_directories,
    parse_elevations,
    parse_phases,
    parse_projects,
    parse_selected_project,
)
from .session import Session
from .values import LEVELS, Place

logger = logging.getLogger(__name__)
THUMBNAIL_FORMATS = ("PNG", "JPG", "EMF")
THUMBNAIL_VIEWS = ("Interior", "Exterior")

# Each read call: the depth its place must have (0 directory .. 3 elevation), the depth the cursor
# moves to for it, its endpoint, and whether a cursor deeper than that will do (listings that
# LogiKal answers from below in lenient navigation).
NEEDS = {
    "list_directories": (0, 0, "GET /directories", False),
    "list_projects": (0, 0, "GET /projects", True),
    "get_project": (1, 1, "GET /projects/selected", True),
    "list_phases": (1, 1, "GET /phases", True),
    "list_elevations": (2, 2, "GET /elevations", True),
    # Thumbnails are made from phase context: no elevation select needed.
    "get_thumbnail": (3, 2, "GET /elevations/{elevationId}/thumbnail", True),
    "get_parts_list": (3, 3, "GET /elevations/selected/parts-list", False),
}


class SessionHandle:
    """A pooled session at a place; each method moves the cursor only as far as its call needs."""

    def __init__(self, session: Session, place: Place):
        self._session = session
        self.place = place

    def __repr__(self) -> str:
        return f"<SessionHandle {self.place.describe()} {self._session!r}>"

    @property
    def session(self) -> Session:
        return self._session

    @staticmethod
    def need(call: str, place: Place) -> Need:
        """Where `call` must be made from `place`; the pool also uses it to pick a session before one exists."""
        needs_depth, cursor_depth, endpoint, deeper_ok = NEEDS[call]
        return Need(_at_least(place, needs_depth).up_to(cursor_depth), endpoint, deeper_ok=deeper_ok)

    def _get(self, need: Need, path: str, **kwargs):
        return self._session.call(need, "GET", need.endpoint.split(" ", 1)[1], path=path, **kwargs)

    def list_directories(self) -> list[DirectoryInfo]:
        need = self.need("list_directories", self.place)
        return parse_directories(self._get(need, "/directories"))

    def list_projects(self) -> list[ProjectInfo]:
        need = self.need("list_projects", self.place)
        return parse_projects(self._get(need, "/projects"))

    def get_project(self) -> ProjectInfo:
        """The selected project's details, checked to be the project this handle stands at.

        The one answer that names its place: if the server's cursor is elsewhere (a move that
        landed late or got lost), the session starts afresh once; a second mismatch is refused.
        """
        need = self.need("get_project", self.place)
        for _ in range(2):
            project = parse_selected_project(self._get(need, "/projects/selected"))
            if project.id == self.place.project_id:
                return project
            logger.warning("LogiKal answered %s for project %s while %s was expected: starting a fresh session",
                           need.endpoint, project.id, self.place.project_id)
            self._session.cursor = None
        raise errors.MalformedResponse(f"{need.endpoint}: answered for project {project.id}, not "
                                       f"{self.place.project_id}", field="id", endpoint=need.endpoint)

    def list_phases(self) -> list[PhaseInfo]:
        return parse_phases(self._get(self.need("list_phases", self.place), "/phases"))

    def list_elevations(self) -> list[ElevationInfo]:
        return parse_elevations(self._get(self.need("list_elevations", self.place), "/elevations"))

    def get_thumbnail(self, *, width: int = 300, height: int = 300, fmt: str = "PNG",
                      view: str = "Exterior") -> bytes:
        """The elevation's thumbnail, made from phase context (no elevation select needed)."""
        if fmt not in THUMBNAIL_FORMATS:
            raise ValueError(f"fmt must be one of {THUMBNAIL_FORMATS}, not {fmt!r}")
        if view not in THUMBNAIL_VIEWS:
            raise ValueError(f"view must be one of {THUMBNAIL_VIEWS}, not {view!r}")
        for name, value in (("width", width), ("height", height)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive number of pixels, not {value!r}")
        need = self.need("get_thumbnail", self.place)
        params = {"width": str(width), "height": str(height), "format": fmt, "view": view,
                  "withdimensions": "false", "withdescription": "false"}
        return self._get(need, f"/elevations/{self.place.elevation_id}/thumbnail", params=params, binary=True)

    def get_parts_list(self) -> bytes:
        """The parts list of the elevation: a SQLite 3 file (base64 in the answer, decoded here)."""
        need = self.need("get_parts_list", self.place)
        data = self._get(need, "/elevations/selected/parts-list")
        if not isinstance(data, str):
            raise errors.MalformedResponse(
                f"{need.endpoint}: malformed field data: expected base64 text, got {type(data).__name__}",
                field="data", endpoint=need.endpoint)
        try:
            return base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            raise errors.MalformedResponse(f"{need.endpoint}: malformed field data: not valid base64",
                                           field="data", endpoint=need.endpoint) from None


def _at_least(place: Place, depth: int) -> Place:
    if place.depth < depth:
        raise ValueError(f"this call needs a {LEVELS[depth]}: give its id")
    return place
