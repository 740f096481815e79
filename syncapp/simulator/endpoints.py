"""Handlers of the MBIOE v3 endpoints: plain functions from a request context to a response.

Routing, authentication, latency, faults and statistics happen around them in `api`; the
mutating endpoints (which a sync client must never call) are in `endpoints_mutating`.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import navigation as nav
from .envelope import INVALID_BODY, ApiError, Request, Response, binary, ok, ok_empty, require_fields
from .model import NotFound
from .partslist import CORRUPT_VARIANTS, corrupt_parts_list
from .serializers import directory_data, elevation_data, phase_data, project_data, version_data
from .sessions import Session, SessionLimitReached
from .thumbnail import MAX_SIDE, render_elevation_png

if TYPE_CHECKING:
    from .simulator import Simulator

GUID_RE = re.compile(r"^\{?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}?$")
AUTH_FAILED = "Authentication failed. Invalid username or password."


@dataclass
class Context:
    sim: Simulator
    request: Request
    session: Session | None
    params: dict[str, str]
    api_path: str

    @property
    def cursor(self):
        return self.session.cursor

    @property
    def tree(self):
        return self.sim.tree

    @property
    def mode(self) -> str:
        return self.sim.config.navigation


def parse_guid(value: str, name: str = "identifier") -> str:
    if not isinstance(value, str) or not GUID_RE.match(value):
        raise ApiError(400, INVALID_BODY, [f"The property '{name}' must be a GUID."])
    return value.strip("{}").lower()


# -- authentication and version ---------------------------------------------------------------
def login(ctx: Context) -> Response:
    body = require_fields(ctx.request.json_body(), {"username": str, "password": str, "erp": bool},
                          required=("username", "password"))
    config, stats = ctx.sim.config, ctx.sim.stats_counter
    if body["username"] != config.username or body["password"] != config.password:
        stats.add("failed_logins")
        raise ApiError(401, AUTH_FAILED)
    try:
        session = ctx.sim.sessions.login(body["username"])
    except SessionLimitReached as exc:
        # 403 rather than 401: the credentials are fine, a client should wait, not give up.
        stats.add("refused_logins")
        raise ApiError(403, "The maximum number of concurrent sessions has been reached.", [str(exc)]) from None
    stats.add("logins")
    return ok({"username": session.username, "token": session.token})


def logout(ctx: Context) -> Response:
    ctx.sim.sessions.end(ctx.session.token)
    ctx.sim.stats_counter.add("logouts")
    return ok_empty()


def version(ctx: Context) -> Response:
    return ok(version_data())


# -- directories and projects -------------------------------------------------------------------
def list_directories(ctx: Context) -> Response:
    with ctx.tree.lock:
        nav.require_level(ctx.cursor, "directory")
        return ok([directory_data(d) for d in ctx.tree.child_directories(ctx.cursor.directory)])


def select_directory(ctx: Context) -> Response:
    body = require_fields(ctx.request.json_body(), {"identifier": str}, required=("identifier",))
    if not body["identifier"]:
        raise ApiError(400, INVALID_BODY, ["The property 'identifier' must not be empty."])
    with ctx.tree.lock:
        nav.select_directory(ctx.tree, ctx.cursor, body["identifier"])
    return ok_empty()


def list_projects(ctx: Context) -> Response:
    return _read_at(ctx, "directory", lambda tree, cursor: [project_data(p) for p in tree.projects_in(cursor.directory)])


def select_project(ctx: Context) -> Response:
    return _select_by_guid(ctx, nav.select_project)


def selected_project(ctx: Context) -> Response:
    return _read_at(ctx, "project", lambda tree, cursor: project_data(tree.project(cursor.project_id)))


# -- phases and elevations ----------------------------------------------------------------------
def list_phases(ctx: Context) -> Response:
    return _read_at(ctx, "project", lambda tree, cursor: [phase_data(p) for p in tree.phases_of(cursor.project_id)])


def select_phase(ctx: Context) -> Response:
    return _select_by_guid(ctx, nav.select_phase)


def list_elevations(ctx: Context) -> Response:
    return _read_at(ctx, "phase", lambda tree, cursor: [
        elevation_data(e) for e in tree.elevations_of(cursor.project_id, cursor.phase_id)])


def select_elevation(ctx: Context) -> Response:
    return _select_by_guid(ctx, nav.select_elevation)


def _read_at(ctx: Context, level: str, read) -> Response:
    """`read(tree, cursor)` of a call LogiKal answers at `level` (or, in lenient navigation, below it)."""
    with ctx.tree.lock:
        nav.require_level(ctx.cursor, level, lenient_from_deeper=True, mode=ctx.mode)
        return ok(read(ctx.tree, ctx.cursor))


def _select_by_guid(ctx: Context, select) -> Response:
    """POST .../select of a project, phase or elevation: the body's GUID, checked, then `select`."""
    body = require_fields(ctx.request.json_body(), {"identifier": str}, required=("identifier",))
    identifier = parse_guid(body["identifier"])
    with ctx.tree.lock:
        select(ctx.tree, ctx.cursor, identifier, ctx.mode)
    return ok_empty()


# -- images -------------------------------------------------------------------------------------
def _query(request: Request, names: tuple[str, ...]) -> dict[str, str]:
    lowered = {k.lower(): v for k, v in request.query.items()}
    missing = [n for n in names if n.lower() not in lowered]
    if missing:
        raise ApiError(400, INVALID_BODY, [f"The query parameter '{n}' is required." for n in missing])
    return {n: lowered[n.lower()] for n in names}


def _image_size(query: dict[str, str]) -> tuple[int, int]:
    try:
        width, height = int(query["width"]), int(query["height"])
    except ValueError:
        raise ApiError(400, INVALID_BODY, ["width and height must be whole numbers of pixels."]) from None
    if not (1 <= width <= MAX_SIDE and 1 <= height <= MAX_SIDE):
        raise ApiError(400, INVALID_BODY, [f"width and height must be between 1 and {MAX_SIDE}."])
    return width, height


def _check_choice(query: dict[str, str], name: str, choices: tuple[str, ...]) -> str:
    value = query[name]
    for choice in choices:
        if value.lower() == choice.lower():
            return choice
    raise ApiError(400, INVALID_BODY, [f"The query parameter '{name}' must be one of {', '.join(choices)}."])


def _render(elevation, width: int, height: int, view: str, with_dimensions: bool) -> Response:
    color = elevation.color_outside if view == "Exterior" else elevation.color_inside
    return binary(render_elevation_png(width, height, elevation_width=elevation.width,
                                       elevation_height=elevation.height, frame_color=color,
                                       with_dimensions=with_dimensions))


def _thumbnail_options(request: Request) -> tuple[int, int, str, bool]:
    query = _query(request, ("width", "height", "format", "view", "withdimensions", "withdescription"))
    width, height = _image_size(query)
    image_format = _check_choice(query, "format", ("PNG", "JPG", "EMF"))
    if image_format != "PNG":
        raise ApiError(400, "The simulator renders PNG thumbnails only.", [f"format={image_format} is not simulated."])
    view = _check_choice(query, "view", ("Interior", "Exterior"))
    with_dimensions = _check_choice(query, "withdimensions", ("true", "false")) == "true"
    _check_choice(query, "withdescription", ("true", "false"))
    return width, height, view, with_dimensions


def elevation_thumbnail(ctx: Context) -> Response:
    elevation_id = ctx.params["elevationId"]
    with ctx.tree.lock:
        nav.require_level(ctx.cursor, "phase", lenient_from_deeper=True, mode=ctx.mode)
        try:
            elevation = ctx.tree.elevation(ctx.cursor.project_id, ctx.cursor.phase_id, parse_guid(elevation_id))
        except NotFound:
            raise ApiError(400, "The requested elevation is not part of the selected phase.",
                           [f"Elevation '{elevation_id}' was not found in the selected phase."]) from None
    width, height, view, with_dimensions = _thumbnail_options(ctx.request)
    return _render(elevation, width, height, view, with_dimensions)


def _selected_elevation(ctx: Context):
    with ctx.tree.lock:
        nav.require_level(ctx.cursor, "elevation")
        cursor = ctx.cursor
        return ctx.tree.elevation(cursor.project_id, cursor.phase_id, cursor.elevation_id)


def selected_thumbnail(ctx: Context) -> Response:
    elevation = _selected_elevation(ctx)
    width, height, view, with_dimensions = _thumbnail_options(ctx.request)
    return _render(elevation, width, height, view, with_dimensions)


def selected_drawing(ctx: Context) -> Response:
    elevation = _selected_elevation(ctx)
    query = _query(ctx.request, ("width", "height", "view", "withGlass", "withElevation", "withVerticalCuts",
                                 "withHorizontalCuts"))
    width, height = _image_size(query)
    view = _check_choice(query, "view", ("Interior", "Exterior"))
    for flag in ("withGlass", "withElevation", "withVerticalCuts", "withHorizontalCuts"):
        _check_choice(query, flag, ("true", "false"))
    return _render(elevation, width, height, view, True)


# -- parts list ---------------------------------------------------------------------------------
def parts_list(ctx: Context) -> Response:
    with ctx.tree.lock:
        nav.require_level(ctx.cursor, "elevation")
        cursor = ctx.cursor
        ids = (cursor.project_id, cursor.phase_id, cursor.elevation_id)
    drift = None
    fault = ctx.sim.faults.fire("parts_list", ctx.request.method, ctx.api_path)
    if fault is not None and fault.variant not in CORRUPT_VARIANTS:
        drift = fault.variant
    data = ctx.sim.parts_list_for(*ids, drift=drift)
    if fault is not None and fault.variant in CORRUPT_VARIANTS:
        data = corrupt_parts_list(data, fault.variant, size=fault.size)
    ctx.sim.stats_counter.add("parts_list_bytes", len(data))
    return ok(base64.b64encode(data).decode("ascii"))
