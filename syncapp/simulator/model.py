"""The in-memory project centre: directories > projects > phases > elevations.

Phases and elevations are generated on first access (see `dataset`), so a 100,000-elevation data
set costs memory only for the parts someone looked at. Everything here is guarded by one
re-entrant lock; callers never sleep while holding it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

from . import catalog
from .catalog import NULL_GUID


class NotFound(LookupError):
    """An identifier that the project centre does not hold."""


@dataclass(slots=True)
class Directory:
    path: str  # full path, "" for the root, "Demo Odoo/Sublevel 1 Testing" below it

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    @property
    def parent_path(self) -> str:
        return self.path.rsplit("/", 1)[0] if "/" in self.path else ""


@dataclass(slots=True)
class Elevation:
    id: str
    version_id: str
    name: str
    project_id: str
    phase_id: str
    amount: float
    system_code: str
    width: float
    height: float
    color_inside: str
    color_outside: str
    insertion_color_inside: str
    insertion_color_outside: str
    model_description: str
    user_description: str
    created_by: str
    created_date: int
    changed_date: int
    type: str = "Window"
    state: str = "Calculated"
    is_in_recycle_bin: bool = False
    is_element_pricelist: bool = False
    element_pricelist_id: str = NULL_GUID

    @property
    def system(self) -> tuple[str, str, str, str, int]:
        return SYSTEMS_BY_CODE.get(self.system_code, catalog.SYSTEMS[0])


SYSTEMS_BY_CODE = {s[0]: s for s in catalog.SYSTEMS}


@dataclass(slots=True)
class Phase:
    id: str
    name: str
    description: str
    project_id: str
    index: int = 0  # position in the generator's plan, for lazy elevations
    elevations: list[Elevation] | None = None  # None until generated


@dataclass(slots=True)
class Project:
    id: str
    name: str
    directory: str
    created_date: int
    changed_date: int
    job_number: str = ""
    offer_number: str = ""
    person_in_charge: str = ""
    estimated: bool = False
    is_deleted: bool = False
    index: int = 0  # the generator's project number, for lazy phases
    phases: list[Phase] | None = field(default=None, repr=False)  # None until generated


class ChildSource(Protocol):
    def phases_for(self, project: Project) -> list[Phase]: ...

    def elevations_for(self, project: Project, phase: Phase) -> list[Elevation]: ...


class Tree:
    """The project centre with lookups by path and GUID; mutations live in `mutations`."""

    def __init__(self, directories: list[str], projects: list[Project], source: ChildSource):
        self.lock = threading.RLock()
        self.source = source
        self.directories: dict[str, Directory] = {"": Directory("")}
        for path in directories:
            self.ensure_directory(path)
        self.projects: dict[str, Project] = {}
        self.projects_by_directory: dict[str, list[str]] = {}
        for project in projects:
            self.insert_project(project)
        self.elevation_index: dict[str, tuple[str, str]] = {}  # elevation id -> (project id, phase id)
        self.generated = {"phases": 0, "elevations": 0}

    # -- structure ---------------------------------------------------------------------------
    def ensure_directory(self, path: str) -> Directory:
        path = path.strip("/")
        with self.lock:
            parts = path.split("/") if path else []
            for depth in range(1, len(parts) + 1):
                prefix = "/".join(parts[:depth])
                self.directories.setdefault(prefix, Directory(prefix))
            return self.directories[path]

    def insert_project(self, project: Project) -> None:
        with self.lock:
            self.ensure_directory(project.directory)
            self.projects[project.id] = project
            self.projects_by_directory.setdefault(project.directory, []).append(project.id)

    def shift_dates(self, seconds: int) -> None:
        """Move every date of the project centre `seconds` into the past: as if that time had passed.

        Lazily generated children take their dates from their project's, so they follow too.
        """
        with self.lock:
            for project in self.projects.values():
                project.created_date -= seconds
                project.changed_date -= seconds
                for phase in project.phases or ():
                    for elevation in phase.elevations or ():
                        elevation.created_date -= seconds
                        elevation.changed_date -= seconds

    # -- reads -------------------------------------------------------------------------------
    def directory(self, path: str) -> Directory:
        with self.lock:
            try:
                return self.directories[path]
            except KeyError:
                raise NotFound(f"directory {path!r}") from None

    def child_directories(self, path: str) -> list[Directory]:
        with self.lock:
            return [d for p, d in self.directories.items() if p and d.parent_path == path]

    def iter_directories(self) -> Iterator[Directory]:
        """Every directory except the root, parents before children."""
        with self.lock:
            paths = sorted(p for p in self.directories if p)
        for path in sorted(paths, key=lambda p: (p.count("/"), p)):
            yield self.directories[path]

    def projects_in(self, path: str) -> list[Project]:
        with self.lock:
            return [self.projects[i] for i in self.projects_by_directory.get(path, ())]

    def project(self, project_id: str) -> Project:
        with self.lock:
            try:
                return self.projects[project_id]
            except KeyError:
                raise NotFound(f"project {project_id}") from None

    def phases_of(self, project_id: str) -> list[Phase]:
        with self.lock:
            project = self.project(project_id)
            if project.phases is None:
                project.phases = self.source.phases_for(project)
                self.generated["phases"] += len(project.phases)
            return list(project.phases)

    def phase(self, project_id: str, phase_id: str) -> Phase:
        with self.lock:
            for phase in self.phases_of(project_id):
                if phase.id == phase_id:
                    return phase
            raise NotFound(f"phase {phase_id} of project {project_id}")

    def elevations_of(self, project_id: str, phase_id: str) -> list[Elevation]:
        with self.lock:
            phase = self.phase(project_id, phase_id)
            if phase.elevations is None:
                phase.elevations = self.source.elevations_for(self.project(project_id), phase)
                self.generated["elevations"] += len(phase.elevations)
                for elevation in phase.elevations:
                    self.elevation_index[elevation.id] = (project_id, phase_id)
            return list(phase.elevations)

    def elevation(self, project_id: str, phase_id: str, elevation_id: str) -> Elevation:
        with self.lock:
            for elevation in self.elevations_of(project_id, phase_id):
                if elevation.id == elevation_id:
                    return elevation
            raise NotFound(f"elevation {elevation_id}")

    def locate_elevation(self, elevation_id: str) -> tuple[Project, Phase, Elevation]:
        """Find an elevation by GUID among those generated so far (a caller can only know those)."""
        with self.lock:
            try:
                project_id, phase_id = self.elevation_index[elevation_id]
            except KeyError:
                raise NotFound(f"elevation {elevation_id}") from None
            return (self.project(project_id), self.phase(project_id, phase_id),
                    self.elevation(project_id, phase_id, elevation_id))

    def find_project(self, name: str) -> Project:
        with self.lock:
            matches = [p for p in self.projects.values() if p.name == name]
        if not matches:
            raise NotFound(f"project named {name!r}")
        if len(matches) > 1:
            raise LookupError(f"{len(matches)} projects are named {name!r}")
        return matches[0]
