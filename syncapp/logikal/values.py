"""Plain values of the API: dates, GUIDs, directory paths and places in the navigation tree."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

LEVELS = ("directory", "project", "phase", "elevation")
# Unix seconds pass 1e10 only in the year 2286: anything larger is milliseconds.
MILLISECONDS_THRESHOLD = 1e10


def parse_timestamp(value) -> datetime | None:
    """Unix seconds (or milliseconds above 1e10) -> aware UTC datetime; None or 0 -> None.

    Raises TypeError/ValueError for anything else, so the caller can name the field.
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"expected a Unix timestamp (number), got {type(value).__name__}")
    if value < 0 or value != value:  # negative or NaN
        raise ValueError(f"expected a non-negative Unix timestamp, got {value!r}")
    if value == 0:
        return None  # "no date" on servers that send 0 rather than leaving the field out
    seconds = value / 1000 if value > MILLISECONDS_THRESHOLD else value
    return datetime.fromtimestamp(seconds, tz=UTC)


def normalize_guid(value) -> str:
    """A GUID in the API's form: lower case, no braces ("{15782E4D-...}" -> "15782e4d-...")."""
    if not isinstance(value, str):
        raise TypeError(f"expected a GUID string, got {type(value).__name__}")
    text = value.strip()
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1]
    try:
        parsed = uuid.UUID(text)
    except ValueError:
        raise ValueError(f"not a GUID: {value!r}") from None
    if len(text) != 36:  # uuid.UUID also accepts 32 bare hex digits and urn: forms
        raise ValueError(f"not a GUID: {value!r}")
    return str(parsed)


def guid_or_none(value) -> uuid.UUID | None:
    """A GUID as typed by a person or a client (any case, braces allowed), or None if it is not one."""
    try:
        return uuid.UUID(normalize_guid(value))
    except (TypeError, ValueError):
        return None


def normalize_path(value) -> str:
    """A directory path as LogiKal selects it: "Demo/Sub 1", "" for the root."""
    if not isinstance(value, str):
        raise TypeError(f"expected a directory path string, got {type(value).__name__}")
    parts = [part for part in value.strip().strip("/").split("/")]
    if any(not part.strip() for part in parts) and parts != [""]:
        raise ValueError(f"directory path has an empty segment: {value!r}")
    return "/".join(parts)


def path_prefixes(path: str) -> list[str]:
    """"A/B/C" -> ["A", "A/B", "A/B/C"]: the order in which a directory is selected from the root."""
    if not path:
        return []
    parts = path.split("/")
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


@dataclass(frozen=True, slots=True)
class Place:
    """A position of the cursor: a directory, optionally a project, phase and elevation in it."""

    path: str = ""
    project_id: str | None = None
    phase_id: str | None = None
    elevation_id: str | None = None

    def __post_init__(self):
        if self.phase_id is not None and self.project_id is None:
            raise ValueError("a phase needs its project")
        if self.elevation_id is not None and self.phase_id is None:
            raise ValueError("an elevation needs its phase")

    @classmethod
    def of(cls, path: str, project_id=None, phase_id=None, elevation_id=None) -> Place:
        """Validated and normalised from caller input (raises ValueError on a bad id or path)."""

        def guid(name, value):
            if value is None:
                return None
            try:
                return normalize_guid(value)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"{name}: {exc}") from None

        try:
            clean = normalize_path(path)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"path: {exc}") from None
        return cls(clean, guid("project_id", project_id), guid("phase_id", phase_id),
                   guid("elevation_id", elevation_id))

    @property
    def chain(self) -> tuple[str, ...]:
        """The selected ids below the directory: (project, phase, elevation) as far as set."""
        ids = (self.project_id, self.phase_id, self.elevation_id)
        return tuple(i for i in ids if i is not None)

    @property
    def depth(self) -> int:
        return len(self.chain)

    @property
    def level(self) -> str:
        return LEVELS[self.depth]

    def up_to(self, depth: int) -> Place:
        ids = list(self.chain[:depth]) + [None] * (3 - min(depth, self.depth))
        return Place(self.path, *ids[:3])

    def contains(self, other: Place) -> bool:
        """True when `other` is this place or lies below it."""
        return other.path == self.path and other.chain[: self.depth] == self.chain

    def describe(self) -> str:
        parts = [self.path or "(root)"]
        parts += [f"{name} {guid[:8]}" for name, guid in zip(LEVELS[1:], self.chain, strict=False)]
        return " > ".join(parts)
