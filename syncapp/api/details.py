"""Whole objects for the detail endpoints: a project with its tree, an elevation with its context.

A project of any size costs the same statements: configs, project, phases, elevations
(parts list joined, row counts as correlated subqueries), glass, U-values, plus one per
included kind of row. Nothing is queried per phase or per elevation.
"""

from datetime import datetime

from . import queries, serialize
from .conditional import changed_at, latest

INCLUDABLE = ("articles", "profiles")


def _elevation_moment(row, config) -> datetime | None:
    stored = row.parts_list
    return latest([changed_at(row, config), stored.parsed_at if stored else None])


def project_detail(project, configs, *, include: set[str], include_removed: bool) -> tuple[dict, datetime | None]:
    """The project's detail dict and the latest moment any part of it changed."""
    phases = queries.phases_of(project, configs, include_removed=include_removed)
    elevation_rows = queries.elevations(configs, include_removed=include_removed, phase__project_id=project.pk)
    rows = queries.parts_list_rows(elevation_rows, include)
    by_phase: dict[int, list[dict]] = {phase.pk: [] for phase in phases}
    moments = [changed_at(project, configs["project"], content_field="tree_changed_at")]
    for row in elevation_rows:
        if row.phase_id in by_phase:
            by_phase[row.phase_id].append(serialize.elevation(row, rows))
            moments.append(_elevation_moment(row, configs["elevation"]))
    moments += [changed_at(phase, configs["phase"]) for phase in phases]
    detail = {
        **serialize.project_summary(project),
        "phases": [serialize.phase(phase, by_phase[phase.pk]) for phase in phases],
    }
    return detail, latest(moments)


def elevation_detail(row, configs, *, include: set[str]) -> tuple[dict, datetime | None]:
    rows = queries.parts_list_rows([row], include)
    detail = {
        **serialize.elevation(row, rows),
        "project": {"guid": row.project_guid, "name": row.project_name},
        "phase": {"guid": row.phase_guid, "name": row.phase_name},
        "directory": row.directory_path,
    }
    return detail, _elevation_moment(row, configs["elevation"])
