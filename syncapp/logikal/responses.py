"""Typed views of the API's read payloads, written from the documented fields (MBIOE v3 spec).

Tolerant of fields they do not know (kept in ``raw``), strict about the documented ones: a
required field missing, or any documented field of the wrong type, raises MalformedResponse
naming the field (``"elevations[3].changedDate"``). Optional fields may be absent or null.
GUIDs come out lower case without braces, dates as aware UTC datetimes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from .errors import MalformedResponse
from .values import normalize_guid, parse_timestamp


class _Reader:
    """Reads fields of one JSON object, naming each problem after its place in the answer."""

    def __init__(self, obj, where: str, endpoint: str):
        self.where = where
        self.endpoint = endpoint
        if not isinstance(obj, dict):
            raise self.error(where, f"expected an object, got {type(obj).__name__}")
        self.obj = obj

    def error(self, name: str, problem: str) -> MalformedResponse:
        return MalformedResponse(f"{self.endpoint}: malformed field {name}: {problem}", field=name,
                                 endpoint=self.endpoint)

    def _get(self, key: str, required: bool):
        value = self.obj.get(key)
        if value is None and required:
            raise self.error(f"{self.where}.{key}", "missing")
        return value

    def text(self, key: str, *, required: bool = False) -> str | None:
        value = self._get(key, required)
        if value is not None and not isinstance(value, str):
            raise self.error(f"{self.where}.{key}", f"expected a string, got {type(value).__name__}")
        return value

    def flag(self, key: str, *, required: bool = False) -> bool | None:
        value = self._get(key, required)
        if value is not None and not isinstance(value, bool):
            raise self.error(f"{self.where}.{key}", f"expected true/false, got {type(value).__name__}")
        return value

    def number(self, key: str, *, required: bool = False) -> float | None:
        value = self._get(key, required)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(f"{self.where}.{key}", f"expected a number, got {type(value).__name__}")
        return float(value)

    def guid(self, key: str, *, required: bool = False) -> str | None:
        value = self._get(key, required)
        if value is None:
            return None
        try:
            return normalize_guid(value)
        except (TypeError, ValueError) as exc:
            raise self.error(f"{self.where}.{key}", str(exc)) from None

    def date(self, key: str, *, required: bool = False) -> datetime | None:
        value = self._get(key, required)
        try:
            return parse_timestamp(value)
        except (TypeError, ValueError) as exc:
            raise self.error(f"{self.where}.{key}", str(exc)) from None

    def object(self, key: str) -> _Reader | None:
        value = self._get(key, False)
        return None if value is None else _Reader(value, f"{self.where}.{key}", self.endpoint)


def _items(payload, name: str, endpoint: str) -> list:
    if not isinstance(payload, list):
        raise MalformedResponse(f"{endpoint}: malformed field data: expected a list of {name}, got "
                                f"{type(payload).__name__}", field="data", endpoint=endpoint)
    return payload


@dataclass(frozen=True)
class DirectoryInfo:
    name: str
    path: str
    raw: dict = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class ProjectInfo:
    id: str
    name: str
    created_date: datetime | None
    changed_date: datetime | None
    is_deleted: bool
    job_number: str | None = None
    offer_number: str | None = None
    person_in_charge: str | None = None
    estimated: bool | None = None
    raw: dict = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class PhaseInfo:
    id: str
    name: str
    description: str | None = None
    raw: dict = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class SurfaceInfo:
    name: str | None
    color_inside: str | None
    color_outside: str | None


@dataclass(frozen=True)
class ElevationInfo:
    id: str
    name: str
    changed_date: datetime | None
    created_date: datetime | None = None
    version_id: str | None = None
    amount: float | None = None
    is_in_recycle_bin: bool = False
    automatic_description: str | None = None
    system_description: str | None = None
    model_description: str | None = None
    user_description: str | None = None
    surface_of_base_element: SurfaceInfo | None = None
    surface_of_insertions: SurfaceInfo | None = None
    created_by_user: str | None = None
    width: float | None = None
    height: float | None = None
    is_element_pricelist_elevation: bool | None = None
    element_pricelist_id: str | None = None
    type: str | None = None
    state: str | None = None
    raw: dict = field(default_factory=dict, repr=False, compare=False)


def parse_directories(payload, endpoint: str = "GET /directories") -> list[DirectoryInfo]:
    result = []
    for index, item in enumerate(_items(payload, "directories", endpoint)):
        r = _Reader(item, f"directories[{index}]", endpoint)
        name = r.text("name", required=True)
        path = r.text("path", required=True).strip("/")
        result.append(DirectoryInfo(name=name, path=path, raw=item))
    return result


def parse_project(item, where: str, endpoint: str) -> ProjectInfo:
    r = _Reader(item, where, endpoint)
    return ProjectInfo(
        id=r.guid("id", required=True),
        name=r.text("name", required=True),
        created_date=r.date("createdDate"),
        changed_date=r.date("changedDate", required=True),
        is_deleted=bool(r.flag("isDeleted")),
        job_number=r.text("jobNumber"),
        offer_number=r.text("offerNumber"),
        person_in_charge=r.text("personInCharge"),
        estimated=r.flag("estimated"),
        raw=item,
    )


def parse_projects(payload, endpoint: str = "GET /projects") -> list[ProjectInfo]:
    items = _items(payload, "projects", endpoint)
    return [parse_project(item, f"projects[{i}]", endpoint) for i, item in enumerate(items)]


def parse_selected_project(payload, endpoint: str = "GET /projects/selected") -> ProjectInfo:
    """The project's details, parsed once; ``raw`` keeps the payload whole (the sync engine stores it)."""
    return parse_project(payload, "project", endpoint)


def parse_phases(payload, endpoint: str = "GET /phases") -> list[PhaseInfo]:
    result = []
    for index, item in enumerate(_items(payload, "phases", endpoint)):
        r = _Reader(item, f"phases[{index}]", endpoint)
        result.append(PhaseInfo(id=r.guid("id", required=True), name=r.text("name", required=True),
                                description=r.text("description"), raw=item))
    return result


def _surface(r: _Reader | None) -> SurfaceInfo | None:
    if r is None:
        return None
    return SurfaceInfo(name=r.text("name"), color_inside=r.text("colorInside"), color_outside=r.text("colorOutside"))


def parse_elevations(payload, endpoint: str = "GET /elevations") -> list[ElevationInfo]:
    result = []
    for index, item in enumerate(_items(payload, "elevations", endpoint)):
        r = _Reader(item, f"elevations[{index}]", endpoint)
        result.append(ElevationInfo(
            id=r.guid("id", required=True),
            name=r.text("name", required=True),
            changed_date=r.date("changedDate", required=True),
            created_date=r.date("createdDate"),
            version_id=r.guid("versionId"),
            amount=r.number("amount"),
            is_in_recycle_bin=bool(r.flag("isInRecycleBin")),
            automatic_description=r.text("automaticDescription"),
            system_description=r.text("systemDescription"),
            model_description=r.text("modelDescription"),
            user_description=r.text("userDescription"),
            surface_of_base_element=_surface(r.object("surfaceOfBaseElement")),
            surface_of_insertions=_surface(r.object("surfaceOfInsertions")),
            created_by_user=r.text("createdByUser"),
            width=r.number("width"),
            height=r.number("height"),
            is_element_pricelist_elevation=r.flag("isElementPricelistElevation"),
            element_pricelist_id=r.guid("elementPricelistId"),
            type=r.text("type"),
            state=r.text("state"),
            raw=item,
        ))
    return result


def parse_login(payload, endpoint: str = "POST /auth") -> str:
    """The session token. Never put it in a message: the error names the field only."""
    r = _Reader(payload, "data", endpoint)
    token = r.text("token", required=True)
    if not token.strip():
        raise r.error("data.token", "empty")
    return token.strip()
