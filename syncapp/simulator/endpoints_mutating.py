"""The spec's mutating endpoints. They really change the data, so a client that calls one by
mistake is caught (every call is also counted in stats as ``mutations``).

Modelled: create directory/project/phase/elevation, PATCH project/elevation, DELETE
directory/project/elevation. Other spec endpoints (copy, move, reorder, addresses, estimation,
reports, languages, price-list configurator) answer 403 "missing the required permission",
as a server would for a user without those rights.
"""

from __future__ import annotations

from contextlib import contextmanager

from . import navigation as nav
from .endpoints import Context, parse_guid
from .envelope import FORBIDDEN, INVALID_BODY, ApiError, Response, ok, ok_empty, require_fields
from .mutations import Conflict
from .serializers import elevation_data, phase_data, project_data


@contextmanager
def _mutating_at(ctx: Context, level: str):
    """The tree locked, the cursor checked to stand at `level`, and what the tree refuses answered
    as LogiKal does: 409 for a conflict, 400 for an invalid value."""
    with ctx.tree.lock:
        nav.require_level(ctx.cursor, level)
        try:
            yield
        except Conflict as exc:
            raise ApiError(409, str(exc)) from None
        except ValueError as exc:
            raise ApiError(400, INVALID_BODY, [str(exc)]) from None


@contextmanager
def _deleting_at(ctx: Context, level: str):
    """`_mutating_at`, then the cursor leaves what was deleted (as LogiKal's does)."""
    with _mutating_at(ctx, level):
        yield
        nav.leave_deleted(ctx.tree, ctx.cursor)


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
    with _deleting_at(ctx, "directory"):
        if not ctx.cursor.directory:
            raise ApiError(400, "The root directory cannot be deleted.")
        ctx.sim.mutator.remove_directory(ctx.cursor.directory)
    return ok_empty()


def create_project(ctx: Context) -> Response:
    body = require_fields(ctx.request.json_body(), {"name": str, "estimationDataId": str}, required=("name",))
    with _mutating_at(ctx, "directory"):
        return ok(project_data(ctx.sim.mutator.add_project(ctx.cursor.directory, body["name"])))


def edit_project(ctx: Context) -> Response:
    body = require_fields(ctx.request.json_body(), {"name": str}, required=("name",))
    with _mutating_at(ctx, "project"):
        ctx.sim.mutator.rename_project(ctx.cursor.project_id, body["name"])
    return ok_empty()


def delete_project(ctx: Context) -> Response:
    with _deleting_at(ctx, "project"):
        ctx.sim.mutator.delete_project(ctx.cursor.project_id)
    return ok_empty()


def create_phase(ctx: Context) -> Response:
    body = require_fields(ctx.request.json_body(), {"name": str, "description": str}, required=("name",))
    with _mutating_at(ctx, "project"):
        description = body.get("description") or ""
        return ok(phase_data(ctx.sim.mutator.add_phase(ctx.cursor.project_id, body["name"], description)))


def create_elevation(ctx: Context) -> Response:
    body = require_fields(ctx.request.json_body(), {"name": str, "amount": (int, float), "elementPricelistId": str},
                          required=("amount", "elementPricelistId"))
    pricelist_id = parse_guid(body["elementPricelistId"], "elementPricelistId")
    with _mutating_at(ctx, "phase"):
        cursor = ctx.cursor
        name = body.get("name") or f"E{len(ctx.tree.elevations_of(cursor.project_id, cursor.phase_id)) + 1}"
        elevation = ctx.sim.mutator.add_elevation(cursor.project_id, cursor.phase_id, name,
                                                  amount=body["amount"], element_pricelist_id=pricelist_id)
        return ok(elevation_data(elevation))


def edit_elevation(ctx: Context) -> Response:
    body = require_fields(ctx.request.json_body(), {"name": str, "amount": (int, float)}, required=())
    with _mutating_at(ctx, "elevation"):
        ctx.sim.mutator.edit_elevation(ctx.cursor.elevation_id, name=body.get("name"), amount=body.get("amount"))
    return ok_empty()


def delete_elevation(ctx: Context) -> Response:
    """First delete moves the elevation to the recycle bin, a second one removes it."""
    with _deleting_at(ctx, "elevation"):
        cursor = ctx.cursor
        elevation = ctx.tree.elevation(cursor.project_id, cursor.phase_id, cursor.elevation_id)
        if elevation.is_in_recycle_bin:
            ctx.sim.mutator.remove_elevation(elevation.id)
        else:
            ctx.sim.mutator.recycle_elevation(elevation.id)
    return ok_empty()


def not_modelled(ctx: Context) -> Response:
    raise ApiError(403, FORBIDDEN, [f"{FORBIDDEN} (the simulator does not model '{ctx.api_path}')"])
