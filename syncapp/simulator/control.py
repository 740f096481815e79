"""The simulator's own control API under ``/_sim/`` (outside the MBIOE prefix).

- ``GET /_sim/stats``, ``POST /_sim/reset-stats``
- ``GET /_sim/faults``; ``POST /_sim/faults`` with ``{"<kind>": {switch} | rate | null, ..., "clear": bool}``;
  ``DELETE /_sim/faults`` clears all switches
- ``GET /_sim/sessions``, ``GET /_sim/config``
- ``POST /_sim/<operation>`` with the keyword arguments of the Simulator method of the same name
  (dashes for underscores), answering ``{"data": <result>}``: touch-elevation, touch-project,
  delete-project, restore-project, recycle-elevation, remove-elevation, remove-project,
  remove-phase, add-directory, remove-directory, add-project, add-phase, add-elevation, rename.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING

from .envelope import ApiError, Request, Response, error, ok
from .mutations import Conflict

if TYPE_CHECKING:
    from .simulator import Simulator

OPERATIONS = ("touch-elevation", "touch-project", "delete-project", "restore-project", "recycle-elevation",
              "remove-elevation", "remove-project", "remove-phase", "add-directory", "remove-directory",
              "add-project", "add-phase", "add-elevation", "rename")


def handle(sim: Simulator, request: Request, path: str) -> Response:
    name = path[len("/_sim/"):] if path.startswith("/_sim/") else ""
    method = request.method
    try:
        if (method, name) == ("GET", "stats"):
            return ok(sim.stats())
        if (method, name) == ("POST", "reset-stats"):
            sim.reset_stats()
            return ok(sim.stats())
        if name == "faults":
            return _faults(sim, request)
        if (method, name) == ("GET", "sessions"):
            return ok(sim.sessions.snapshot())
        if (method, name) == ("GET", "config"):
            return ok(sim.describe())
        if method == "POST" and name in OPERATIONS:
            return _operation(sim, request, name)
    except ApiError as exc:
        return error(exc.status, exc.message, exc.errors)
    except (TypeError, ValueError) as exc:
        if isinstance(exc, Conflict):
            return error(409, "Conflict", [str(exc)])
        return error(400, "Bad Request", [str(exc)])
    except LookupError as exc:  # NotFound and ambiguous names
        return error(404, "Not Found", [str(exc)])
    known = ["GET stats", "POST reset-stats", "GET|POST|DELETE faults", "GET sessions", "GET config"]
    known += [f"POST {op}" for op in OPERATIONS]
    return error(404, "Not Found", [f"No control endpoint {method} /_sim/{name}; known: {', '.join(known)}"])


def _json_object(request: Request) -> dict:
    if not request.body.strip():
        return {}
    body = request.json_body()
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    return body


def _faults(sim: Simulator, request: Request) -> Response:
    if request.method == "DELETE":
        sim.clear_faults()
    elif request.method == "POST":
        body = _json_object(request)
        clear = bool(body.pop("clear", False))
        if clear:
            sim.clear_faults()
        sim.set_faults(**body)
    elif request.method != "GET":
        return error(405, "Method Not Allowed", ["Use GET, POST or DELETE on /_sim/faults."])
    return ok(sim.faults.snapshot())


def _operation(sim: Simulator, request: Request, name: str) -> Response:
    method = getattr(sim, name.replace("-", "_"))
    kwargs = _json_object(request)
    try:
        inspect.signature(method).bind(**kwargs)
    except TypeError as exc:
        raise ValueError(f"{name}: {exc}; parameters: {inspect.signature(method)}") from None
    result = method(**kwargs)
    return ok(result)
