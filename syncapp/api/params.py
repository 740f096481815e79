"""Reading request parameters that need more than a type: GUIDs in v1 paths, include lists, paths."""

import uuid
from datetime import UTC, datetime

from ..logikal.values import guid_or_none
from .errors import bad_request


def parse_guid(text: str, field: str, *, status: int = 400) -> uuid.UUID:
    guid = guid_or_none(text)
    if guid is None:
        raise bad_request(f"Invalid request: {field}: not a GUID ({str(text)[:60]!r})",
                          [{"field": field, "problem": "not a GUID"}], status=status)
    return guid


def parse_include(text: str | None, allowed: tuple[str, ...]) -> set[str]:
    items = {item.strip() for item in (text or "").split(",") if item.strip()}
    unknown = sorted(items - set(allowed))
    if unknown:
        raise bad_request(f"Invalid request: include: unknown {', '.join(unknown)} (allowed: {', '.join(allowed)})",
                          [{"field": "include", "problem": f"allowed: {', '.join(allowed)}"}])
    return items


def as_utc(moment: datetime | None) -> datetime | None:
    """A time without an offset is read as UTC (as the v1 format is)."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def directory_path(text: str | None) -> str | None:
    if text is None:
        return None
    path = text.strip().strip("/")
    if len(path) > 1024:
        raise bad_request("Invalid request: directory: longer than 1024 characters",
                          [{"field": "directory", "problem": "too long"}])
    return path
