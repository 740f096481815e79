"""Request dispatch: routing, authentication, latency, fault injection and statistics.

`handle(sim, request)` is the whole server as a function; the HTTP shell only converts bytes.
Paths are those of real servers: ``/MbioeService.svc/api/v3/...`` (doubled slashes tolerated);
``/_sim/...`` is the simulator's own control API (see `control`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import control
from . import endpoints as ep
from . import endpoints_mutating as mut
from .envelope import FORBIDDEN, INVALID_SESSION, JSON_TYPE, LOCKED, ApiError, Request, Response, error, ok

if TYPE_CHECKING:
    from .simulator import Simulator

API_PREFIX = "/MbioeService.svc/api/v3"
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    handler: Callable[[ep.Context], Response]
    auth: bool = True
    mutating: bool = False
    listing: bool = False

    @property
    def pattern(self) -> re.Pattern:
        return re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", self.template) + "$")

    @property
    def key(self) -> str:
        return f"{self.method} {self.template}"


ROUTES: tuple[Route, ...] = (
    Route("POST", "/auth", ep.login, auth=False),
    Route("DELETE", "/auth", ep.logout),
    Route("GET", "/version", ep.version, auth=False),
    Route("GET", "/directories", ep.list_directories, listing=True),
    Route("POST", "/directories/select", ep.select_directory),
    Route("GET", "/projects", ep.list_projects, listing=True),
    Route("POST", "/projects/select", ep.select_project),
    Route("GET", "/projects/selected", ep.selected_project),
    Route("GET", "/phases", ep.list_phases, listing=True),
    Route("POST", "/phases/select", ep.select_phase),
    Route("GET", "/elevations", ep.list_elevations, listing=True),
    Route("POST", "/elevations/select", ep.select_elevation),
    Route("GET", "/elevations/{elevationId}/thumbnail", ep.elevation_thumbnail),
    Route("GET", "/elevations/selected/thumbnail", ep.selected_thumbnail),
    Route("GET", "/elevations/selected/drawing", ep.selected_drawing),
    Route("GET", "/elevations/selected/parts-list", ep.parts_list),
    Route("POST", "/directories/create", mut.create_directory, mutating=True),
    Route("DELETE", "/directories/selected", mut.delete_directory, mutating=True),
    Route("POST", "/projects/create", mut.create_project, mutating=True),
    Route("PATCH", "/projects/selected", mut.edit_project, mutating=True),
    Route("DELETE", "/projects/selected", mut.delete_project, mutating=True),
    Route("POST", "/phases/create", mut.create_phase, mutating=True),
    Route("POST", "/elevations/create-element-pricelist", mut.create_elevation, mutating=True),
    Route("PATCH", "/elevations/selected", mut.edit_elevation, mutating=True),
    Route("DELETE", "/elevations/selected", mut.delete_elevation, mutating=True),
) + tuple(
    Route(method, template, mut.not_modelled, mutating=method != "GET") for method, template in (
        ("POST", "/directories/selected/copy-project-from"),
        ("POST", "/phases/selected/copy-elevation-from"),
        ("POST", "/phases/selected/move-elevation-from"),
        ("PATCH", "/phases/selected/reorder-elevation"),
        ("GET", "/elevations/selected/3d"),
        ("GET", "/elevations/selected/quotation-price"),
        ("GET", "/projects/selected/addresses"),
        ("GET", "/projects/selected/addresses/{addressType}"),
        ("PATCH", "/projects/selected/addresses/{addressType}"),
        ("GET", "/projects/selected/estimation"),
        ("GET", "/projects/selected/estimation-data"),
        ("PUT", "/projects/selected/estimation-data"),
        ("GET", "/projects/selected/reports"),
        ("POST", "/projects/selected/reports"),
        ("GET", "/estimation-data"),
        ("GET", "/languages"),
        ("PUT", "/languages/type"),
        ("GET", "/languages/type/{languageType}"),
        ("GET", "/element-pricelists"),
        ("GET", "/element-pricelists/{elementPricelistId}/thumbnail"),
    ) + tuple(("POST", f"/element-pricelist-configurator/{p}") for p in (
        "select", "visual-tree/discard", "visual-tree/next", "visual-tree/previous", "visual-tree/save"))
    + tuple(("GET", f"/element-pricelist-configurator/visual-tree{p}") for p in (
        "", "/3d", "/current-step", "/preview", "/prices", "/thumbnail"))
    + (("PATCH", "/element-pricelist-configurator/visual-tree"),)
)
_COMPILED = [(route, route.pattern) for route in ROUTES]
# Literal segments win over {placeholders}: "/elevations/selected/thumbnail" is not elevation "selected".
_COMPILED.sort(key=lambda item: item[0].template.count("{"))


def normalize_path(path: str) -> str:
    path = re.sub(r"/{2,}", "/", path.split("?", 1)[0])
    return path.rstrip("/") or "/"


def match(method: str, api_path: str) -> tuple[Route | None, dict[str, str], bool]:
    """The route for a request, its path parameters, and whether the path exists for any method."""
    path_known = False
    for route, pattern in _COMPILED:
        found = pattern.match(api_path)
        if found:
            path_known = True
            if route.method == method:
                return route, found.groupdict(), True
    return None, {}, path_known


def handle(sim: Simulator, request: Request) -> Response:
    path = normalize_path(request.path)
    if path == "/_sim" or path.startswith("/_sim/"):
        return control.handle(sim, request, path)
    if not (path == API_PREFIX or path.startswith(API_PREFIX + "/")):
        return error(404, "Not Found", [f"No service at '{path}'; the API lives under {API_PREFIX}."])
    api_path = path[len(API_PREFIX):] or "/"
    route, params, path_known = match(request.method, api_path)
    if route is None:
        template = f"{request.method} (unknown)"
        if path_known:
            response = error(405, "Method Not Allowed", [f"{request.method} is not allowed on '{api_path}'."])
        else:
            response = error(404, "Not Found", [f"Endpoint '{api_path}' does not exist."])
    else:
        template = route.key
        try:
            response = _run(sim, request, route, params, api_path)
        except ApiError as exc:
            response = error(exc.status, exc.message, exc.errors)
        except Exception:  # never leak a stack trace to the client
            logger.exception("simulator failed on %s %s", request.method, request.path)
            response = error(500, "Internal Server Error", ["The simulator failed to handle this request."])
    response.template = template
    sim.stats_counter.count_request(template, response.status)
    return response


def _run(sim: Simulator, request: Request, route: Route, params: dict[str, str], api_path: str) -> Response:
    method = request.method
    delay = sim.latency_delay(route.key)
    if delay:
        sim.stats_counter.add("latency_s", delay)
        request.cancel.wait(delay)
    if route.mutating:
        sim.stats_counter.add("mutations")
    faults = sim.faults
    if timeout := faults.fire("timeout", method, api_path):
        request.cancel.wait(timeout.seconds)
    if server_error := faults.fire("server_error", method, api_path):
        status = faults.draw_status(server_error)
        text = "Internal Server Error" if status == 500 else "Service Unavailable"
        raise ApiError(status, text, [f"{text} (simulated fault)"])

    session = None
    if route.auth:
        token = request.bearer_token()
        if token and faults.fire("expire_token", method, api_path):
            sim.sessions.end(token)
        session = sim.sessions.use(token)
        if session is None:
            raise ApiError(401, INVALID_SESSION)
        if faults.fire("locked", method, api_path):
            raise ApiError(409, LOCKED, ["The requested resource is locked by another user."])
        if faults.fire("forbidden", method, api_path):
            raise ApiError(403, FORBIDDEN)

    response = route.handler(ep.Context(sim, request, session, params, api_path))
    if route.listing and response.status == 200 and faults.fire("empty_listing", method, api_path):
        response = ok([])
    if (response.status == 200 and response.content_type == JSON_TYPE
            and faults.fire("malformed_json", method, api_path)):
        response.body = response.body[: max(1, len(response.body) // 2)]
    return response
