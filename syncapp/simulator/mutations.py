"""Changes to the project centre: what users do in LogiKal while a sync runs.

Used by the simulator's control API (tests and demos change upstream data) and by the API's
own mutating endpoints (which a sync client must never call). Dates follow LogiKal's rule as we
understand it: saving an elevation saves its project, so the project's `changedDate` moves too
(unless the simulator is configured with ``touch_bumps_project=False``).
"""

from __future__ import annotations

import itertools

from .catalog import NULL_GUID, guid_from
from .dataset import DEFAULT_PHASE_NAME, DatasetSource
from .model import Directory, Elevation, NotFound, Phase, Project, Tree


class Conflict(ValueError):
    """The change clashes with the current state (name in use, directory not empty)."""


class Mutator:
    def __init__(self, tree: Tree, source: DatasetSource, *, clock, touch_bumps_project: bool):
        self.tree = tree
        self.source = source
        self.clock = clock
        self.touch_bumps_project = touch_bumps_project
        self._serial = itertools.count(1)

    def _stamp(self, previous: int, at: int | None = None) -> int:
        # Strictly later than before, even when the clock is frozen or behind the data set.
        return int(at) if at is not None else max(int(self.clock()), previous + 1)

    def _new_id(self, kind: str) -> str:
        return guid_from(self.source.seed, "added", kind, next(self._serial))

    # -- dates -------------------------------------------------------------------------------
    def touch_project(self, project_id: str, *, at: int | None = None) -> Project:
        with self.tree.lock:
            project = self.tree.project(project_id)
            project.changed_date = self._stamp(project.changed_date, at)
            return project

    def touch_elevation(self, elevation_id: str, *, at: int | None = None, bump_project: bool | None = None) -> Elevation:
        with self.tree.lock:
            project, _, elevation = self.tree.locate_elevation(elevation_id)
            elevation.changed_date = self._stamp(elevation.changed_date, at)
            elevation.version_id = guid_from("version", elevation.id, elevation.changed_date)
            self._bump(project, elevation.changed_date, bump_project)
            return elevation

    def _bump(self, project: Project, stamp: int, bump_project: bool | None = None) -> None:
        if self.touch_bumps_project if bump_project is None else bump_project:
            project.changed_date = max(stamp, project.changed_date + 1)

    # -- directories -------------------------------------------------------------------------
    def add_directory(self, path: str) -> Directory:
        path = _clean_path(path)
        with self.tree.lock:
            if path in self.tree.directories:
                raise Conflict(f"directory {path!r} already exists")
            return self.tree.ensure_directory(path)

    def remove_directory(self, path: str) -> None:
        path = _clean_path(path)
        with self.tree.lock:
            self.tree.directory(path)
            inside = [p for p in self.tree.directories if p == path or p.startswith(path + "/")]
            if any(self.tree.projects_by_directory.get(p) for p in inside):
                raise Conflict("A directory containing projects cannot be removed.")
            for p in inside:
                del self.tree.directories[p]

    # -- projects ----------------------------------------------------------------------------
    def add_project(self, directory: str, name: str) -> Project:
        directory = directory.strip("/")
        with self.tree.lock:
            self.tree.directory(directory)
            self._check_free(name, (p.name for p in self.tree.projects_in(directory)), "project")
            now = int(self.clock())
            project = Project(id=self._new_id("project"), name=name, directory=directory, created_date=now,
                              changed_date=now, index=-1)
            project.phases = [Phase(NULL_GUID, DEFAULT_PHASE_NAME, "", project.id,
                                    index=-1, elevations=[])]
            self.tree.insert_project(project)
            return project

    def rename_project(self, project_id: str, name: str) -> Project:
        with self.tree.lock:
            project = self.tree.project(project_id)
            others = (p.name for p in self.tree.projects_in(project.directory) if p.id != project_id)
            self._check_free(name, others, "project")
            project.name = name
            project.changed_date = self._stamp(project.changed_date)
            return project

    def delete_project(self, project_id: str) -> Project:
        """Flag the project as deleted (it stays listed with isDeleted=true)."""
        with self.tree.lock:
            project = self.tree.project(project_id)
            project.is_deleted = True
            project.changed_date = self._stamp(project.changed_date)
            return project

    def remove_project(self, project_id: str) -> None:
        with self.tree.lock:
            project = self.tree.project(project_id)
            del self.tree.projects[project_id]
            self.tree.projects_by_directory[project.directory].remove(project_id)
            for elevation_id, (owner, _) in list(self.tree.elevation_index.items()):
                if owner == project_id:
                    del self.tree.elevation_index[elevation_id]

    # -- phases ------------------------------------------------------------------------------
    def add_phase(self, project_id: str, name: str, description: str = "") -> Phase:
        with self.tree.lock:
            phases = self.tree.phases_of(project_id)
            self._check_free(name, (p.name for p in phases), "phase")
            phase = Phase(self._new_id("phase"), name, description, project_id, index=-1, elevations=[])
            project = self.tree.project(project_id)
            project.phases.append(phase)
            project.changed_date = self._stamp(project.changed_date)
            return phase

    def rename_phase(self, project_id: str, phase_id: str, name: str) -> Phase:
        with self.tree.lock:
            phase = self.tree.phase(project_id, phase_id)
            others = (p.name for p in self.tree.phases_of(project_id) if p.id != phase_id)
            self._check_free(name, others, "phase")
            phase.name = name
            self._bump(self.tree.project(project_id), self._stamp(0))
            return phase

    def remove_phase(self, project_id: str, phase_id: str) -> None:
        with self.tree.lock:
            project = self.tree.project(project_id)
            phase = self.tree.phase(project_id, phase_id)
            for elevation in phase.elevations or ():
                self.tree.elevation_index.pop(elevation.id, None)
            project.phases.remove(phase)
            project.changed_date = self._stamp(project.changed_date)

    # -- elevations --------------------------------------------------------------------------
    def add_elevation(self, project_id: str, phase_id: str, name: str, *, amount: float = 1.0,
                      element_pricelist_id: str | None = None) -> Elevation:
        with self.tree.lock:
            project = self.tree.project(project_id)
            phase = self.tree.phase(project_id, phase_id)
            existing = self.tree.elevations_of(project_id, phase_id)
            self._check_free(name, (e.name for e in existing), "elevation")
            elevation = self.source.make_elevation(project, phase, f"added-{next(self._serial)}", name)
            elevation.id = self._new_id("elevation")
            elevation.amount = float(amount)
            elevation.created_date = elevation.changed_date = self._stamp(project.changed_date)
            if element_pricelist_id:
                elevation.is_element_pricelist, elevation.element_pricelist_id = True, element_pricelist_id
            phase.elevations.append(elevation)
            self.tree.elevation_index[elevation.id] = (project_id, phase_id)
            self._bump(project, elevation.changed_date)
            return elevation

    def edit_elevation(self, elevation_id: str, *, name: str | None = None, amount: float | None = None) -> Elevation:
        with self.tree.lock:
            project, phase, elevation = self.tree.locate_elevation(elevation_id)
            if name is not None:
                others = (e.name for e in phase.elevations if e.id != elevation_id)
                self._check_free(name, others, "elevation")
                elevation.name = name
            if amount is not None:
                elevation.amount = float(amount)
        return self.touch_elevation(elevation_id)

    def recycle_elevation(self, elevation_id: str, *, in_bin: bool = True) -> Elevation:
        with self.tree.lock:
            project, _, elevation = self.tree.locate_elevation(elevation_id)
            elevation.is_in_recycle_bin = in_bin
            elevation.changed_date = self._stamp(elevation.changed_date)
            self._bump(project, elevation.changed_date)
            return elevation

    def remove_elevation(self, elevation_id: str) -> None:
        with self.tree.lock:
            project, phase, elevation = self.tree.locate_elevation(elevation_id)
            phase.elevations.remove(elevation)
            del self.tree.elevation_index[elevation_id]
            self._bump(project, self._stamp(project.changed_date))

    # -- renaming by kind --------------------------------------------------------------------
    def rename(self, kind: str, identifier: str, name: str, *, project_id: str | None = None):
        if not isinstance(name, str) or not name.strip():
            raise ValueError("a new name must be a non-empty string")
        if kind == "project":
            return self.rename_project(identifier, name)
        if kind == "phase":
            if not project_id:
                raise ValueError("renaming a phase needs project_id (phase ids repeat across projects)")
            return self.rename_phase(project_id, identifier, name)
        if kind == "elevation":
            return self.edit_elevation(identifier, name=name)
        if kind == "directory":
            return self.rename_directory(identifier, name)
        raise ValueError(f"kind must be directory, project, phase or elevation, not {kind!r}")

    def rename_directory(self, path: str, name: str) -> Directory:
        path = _clean_path(path)
        if "/" in name:
            raise ValueError("a directory name cannot contain '/'")
        with self.tree.lock:
            old = self.tree.directory(path)
            new_path = f"{old.parent_path}/{name}".strip("/")
            if new_path in self.tree.directories:
                raise Conflict(f"directory {new_path!r} already exists")
            for p in [p for p in self.tree.directories if p == path or p.startswith(path + "/")]:
                moved = new_path + p[len(path):]
                self.tree.directories[moved] = Directory(moved)
                del self.tree.directories[p]
                ids = self.tree.projects_by_directory.pop(p, [])
                if ids:
                    self.tree.projects_by_directory[moved] = ids
                for project_id in ids:
                    self.tree.projects[project_id].directory = moved
            return self.tree.directories[new_path]

    @staticmethod
    def _check_free(name: str, taken, kind: str) -> None:
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"a {kind} name must be a non-empty string")
        if name in set(taken):
            raise Conflict(f"The requested {kind} name is already in use.")


def _clean_path(path: str) -> str:
    if not isinstance(path, str) or not path.strip("/"):
        raise ValueError("a directory path must be a non-empty string such as 'Demo/Sub 1'")
    return "/".join(part for part in path.split("/") if part)


__all__ = ["Conflict", "Mutator", "NotFound"]
