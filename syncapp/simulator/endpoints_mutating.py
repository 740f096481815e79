"""The spec's mutating endpoints. They really change the data, so a client that calls one by
mistake is caught (every call is also counted in stats as ``mutations``).

Modelled: create directory/project/phase/elevation, PATCH project/elevation, DELETE
directory/project/elevation. Other spec endpoints (copy, move, reorder, addresses, estimation,
reports, languages, price-list configurator) answer 403 "missing the required permission",
as a server would for a user without those rights.
"""

from __future__ import annotations

from . import navigation as nav
from .endpoints import Context, parse_guid
from .envelope import FORBIDDEN, INVALID_BODY, ApiError, Response, ok, ok_empty, require_fields
from .mutations import Conflict
from .serializers import elevation_data, phase_data, project_data


def _conflict(exc: Conflict) -> ApiError:
    return ApiError(409, str(exc))


def create_directory(ctx: Context) -> Response:
    body = require_fields(ctx.request.json_body(), {"name": str}, required=("name",))
    name = body["name"].strip()
    if not name or "/" in name:
        raise ApiError(400, INVALID_BODY, ["A directory name must be non-empty and without '/'."])
    with ctx.tree.lock:
        nav.require_level(ctx.cursor, "directory")
        path = f"{ctx.cursor.directory}/{name}".strip("/")
        try:
            ctx.sim.mutator.add_directory(path)
        except Conflict as exc:
            raise ApiError(400, "The directory cannot be created.", [str(exc)]) from None
    return ok({"name": name})


def delete_directory(ctx: Context) -> Response:
    with ctx.tree.lock:
        nav.require_level(ctx.cursor, "directory")
        if not ctx.cursor.directory:
            raise ApiError(400, "The root directory cannot be deleted.")
        try:
            ctx.sim.mutator.remove_directory(ctx.cursor.directory)
        except Conflict as exc:
            raise _conflict(exc) from None
        nav.leave_deleted(ctx.tree, ctx.cursor)
    return ok_empty()


def create_project(ctx: Context) -> Response:
    body = require_fields(ctx.request.json_body(), {"name": str, "estimationDataId": str}, required=("name",))
    with ctx.tree.lock:
        nav.require_level(ctx.cursor, "directory")
        try:
            project = ctx.sim.mutator.add_project(ctx.cursor.directory, body["name"])
        except Conflict as exc:
            raise _conflict(exc) from None
        except ValueError as exc:
            raise ApiError(400, INVALID_BODY, [str(exc)]) from None
        return ok(project_data(project))


def edit_project(ctx: Context) -> Response:
    body = require_fields(ctx.request.json_body(), {"name": str}, required=("name",))
    with ctx.tree.lock:
        nav.require_level(ctx.cursor, "project")
        try:
            ctx.sim.mutator.rename_project(ctx.cursor.project_id, body["name"])
        except Conflict as exc:
            raise _conflict(exc) from None
        except ValueError as exc:
            raise ApiError(400, INVALID_BODY, [str(exc)]) from None
    return ok_empty()


def delete_project(ctx: Context) -> Response:
    with ctx.tree.lock:
        nav.require_level(ctx.cursor, "project")
        ctx.sim.mutator.delete_project(ctx.cursor.project_id)
        nav.leave_deleted(ctx.tree, ctx.cursor)
    return ok_empty()


def create_phase(ctx: Context) -> Response:
    body = require_fields(ctx.request.json_body(), {"name": str, "description": str}, required=("name",))
    with ctx.tree.lock:
        nav.require_level(ctx.cursor, "project")
        try:
            phase = ctx.sim.mutator.add_phase(ctx.cursor.project_id, body["name"], body.get("description") or "")
        except Conflict as exc:
            raise _conflict(exc) from None
        except ValueError as exc:
            raise ApiError(400, INVALID_BODY, [str(exc)]) from None
        return ok(phase_data(phase))


def create_elevation(ctx: Context) -> Response:
    body = require_fields(ctx.request.json_body(), {"name": str, "amount": (int, float), "elementPricelistId": str},
                          required=("amount", "elementPricelistId"))
    pricelist_id = parse_guid(body["elementPricelistId"], "elementPricelistId")
    with ctx.tree.lock:
        nav.require_level(ctx.cursor, "phase")
        cursor = ctx.cursor
        name = body.get("name") or f"E{len(ctx.tree.elevations_of(cursor.project_id, cursor.phase_id)) + 1}"
        try:
            elevation = ctx.sim.mutator.add_elevation(cursor.project_id, cursor.phase_id, name,
                                                      amount=body["amount"], element_pricelist_id=pricelist_id)
        except Conflict as exc:
            raise _conflict(exc) from None
        return ok(elevation_data(elevation))


def edit_elevation(ctx: Context) -> Response:
    body = require_fields(ctx.request.json_body(), {"name": str, "amount": (int, float)}, required=())
    with ctx.tree.lock:
        nav.require_level(ctx.cursor, "elevation")
        try:
            ctx.sim.mutator.edit_elevation(ctx.cursor.elevation_id, name=body.get("name"), amount=body.get("amount"))
        except Conflict as exc:
            raise _conflict(exc) from None
        except ValueError as exc:
            raise ApiError(400, INVALID_BODY, [str(exc)]) from None
    return ok_empty()


def delete_elevation(ctx: Context) -> Response:
    """First delete moves the elevation to the recycle bin, a second one removes it."""
    with ctx.tree.lock:
        nav.require_level(ctx.cursor, "elevation")
        cursor = ctx.cursor
        elevation = ctx.tree.elevation(cursor.project_id, cursor.phase_id, cursor.elevation_id)
        if elevation.is_in_recycle_bin:
            ctx.sim.mutator.remove_elevation(elevation.id)
        else:
            ctx.sim.mutator.recycle_elevation(elevation.id)
        nav.leave_deleted(ctx.tree, cursor)
    return ok_empty()


def not_modelled(ctx: Context) -> Response:
    raise ApiError(403, FORBIDDEN, [f"{FORBIDDEN} (the simulator does not model '{ctx.api_path}')"])
