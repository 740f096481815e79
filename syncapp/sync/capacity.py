"""Capacity: the upstream session time the schedule needs, against what LOGIKAL_MAX_SESSIONS provides.

Pure functions over plain numbers (the mirror's counts, the configs, seconds per request kind);
the queries that gather them are in ``capacity_data.py``. One session can spend 3,600
session-seconds per hour, so the schedule needs ``demand / 3600`` sessions.

The cost of each job, as jobs run with locality (a project's job walks its due phases in the
session standing at the project), is ``job_costs`` below: the one place that knows it.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

from ..models.config import MAX_INTERVAL_MINUTES, ObjectType

NAVIGATION_MODES = ("strict", "lenient")
SESSION_SECONDS_PER_HOUR = 3600
# Intervals staff may raise to meet the schedule, grouped as they drive jobs: a project is visited
# when its phase listing or one of its phases' elevation listings is due, so the two move together.
FIX_GROUPS = ((ObjectType.DIRECTORY, ObjectType.PROJECT), (ObjectType.PHASE, ObjectType.ELEVATION),
              (ObjectType.PHASE,), (ObjectType.ELEVATION,))


@dataclass(frozen=True)
class MirrorCounts:
    directories: int = 0
    projects: int = 0
    phases: int = 0
    elevations: int = 0
    parts_lists_per_hour: float = 0.0  # elevations changed upstream in the last day, per hour
    mean_depth: float = 1.0  # directory selects on the path to a project (each prefix in turn)
    projects_per_directory: float = 1.0  # among the directories that hold projects
    # While directory listings vouch for unchanged projects (changedDate trusted, syncapp.models.trust),
    # a project is visited only when its changedDate moved, or when the trust sweep samples it: those
    # visits per hour. None: no vouching, projects are visited on their intervals.
    change_visits_per_hour: float | None = None


@dataclass(frozen=True)
class JobCosts:
    """Session-seconds of one job (or one part of a job)."""

    directory: float
    project: float  # a project visit without its phases
    phase: float  # one phase walked within a project visit
    parts_list: float


def job_costs(latency: dict[str, float], *, navigation: str, depth: float, projects_per_directory: float) -> JobCosts:
    """The cost model, with L[...] the seconds of one request and d the mean directory depth:

        login     = L[POST /auth]
        path      = d x L[POST /directories/select]          (each path prefix selected in turn)
        directory = login + path + L[GET /directories] + L[GET /projects]
        project   = login + path + L[POST /projects/select] + L[GET /projects/selected] + L[GET /phases]
                    lenient: (login + path) / projects per directory instead of login + path, since a
                    session may select a sibling project within its directory
        phase     = L[POST /phases/select] + L[GET /elevations]     (walked in the project's session)
        parts list, strict  = login + path + L[POST /projects/select] + L[POST /phases/select]
                              + L[POST /elevations/select] + L[GET /elevations/selected/parts-list]
                              (nothing can be selected from an elevation: a fresh session each)
        parts list, lenient = L[POST /phases/select] + L[POST /elevations/select] + L[GET .../parts-list]

    Directory selects need directory level in both modes (API.md), hence the login per
    directory listing and, in strict navigation, per project visit.
    """
    if navigation not in NAVIGATION_MODES:
        raise ValueError(f"navigation must be one of {NAVIGATION_MODES}, not {navigation!r}")
    L = latency
    start = L["POST /auth"] + depth * L["POST /directories/select"]
    select_project = L["POST /projects/select"]
    to_elevation = L["POST /phases/select"] + L["POST /elevations/select"]
    download = L["GET /elevations/selected/parts-list"]
    lenient = navigation == "lenient"
    return JobCosts(
        directory=start + L["GET /directories"] + L["GET /projects"],
        project=(start / max(projects_per_directory, 1.0) if lenient else start)
        + select_project + L["GET /projects/selected"] + L["GET /phases"],
        phase=L["POST /phases/select"] + L["GET /elevations"],
        parts_list=to_elevation + download if lenient else start + select_project + to_elevation + download,
    )


def per_hour(count: int, interval_minutes: float) -> float:
    """How often per hour `count` objects with this interval are verified."""
    return count * 60.0 / interval_minutes


def hourly_demand(counts: MirrorCounts, intervals: dict[str, float], enabled: dict[str, bool],
                  costs: JobCosts) -> dict[str, float]:
    """Session-seconds per hour the schedule needs, by kind of work.

    A directory's listing serves the directory and project intervals (the shorter one counts); a
    project is visited when its phase listing or one of its phases' elevation listings is due (the
    shorter again), and walks its phases every elevation interval; parts lists follow changes.
    While directory listings vouch for unchanged projects, the listings below them follow changes
    too: a changed project is visited and walks all its phases, and nothing else is listed.
    """
    demand = {"directory listings": 0.0, "project visits": 0.0, "phase listings": 0.0, "parts lists": 0.0}
    if enabled[ObjectType.DIRECTORY]:
        every = min(intervals[ObjectType.DIRECTORY], intervals[ObjectType.PROJECT])
        demand["directory listings"] = per_hour(counts.directories, every) * costs.directory
    if counts.change_visits_per_hour is not None:
        phases_per_project = counts.phases / counts.projects if counts.projects else 0.0
        demand["project visits"] = counts.change_visits_per_hour * (costs.project + phases_per_project * costs.phase)
    elif enabled[ObjectType.PROJECT]:
        every = min(intervals[ObjectType.PHASE], intervals[ObjectType.ELEVATION])
        demand["project visits"] = per_hour(counts.projects, every) * costs.project
    if enabled[ObjectType.PHASE] and counts.change_visits_per_hour is None:
        demand["phase listings"] = per_hour(counts.phases, intervals[ObjectType.ELEVATION]) * costs.phase
    if enabled[ObjectType.ELEVATION]:
        demand["parts lists"] = counts.parts_lists_per_hour * costs.parts_list
    return demand


def cycle_seconds(counts: MirrorCounts, costs: JobCosts, sessions: int) -> float:
    """Wall seconds of one unchanged cycle on `sessions` sessions: every directory listed, every project
    visited with all its phases walked (what ``benchmark cycle`` measures)."""
    return (counts.directories * costs.directory + counts.projects * costs.project
            + counts.phases * costs.phase) / sessions


def backlog_seconds(due: dict[str, int], costs: JobCosts, counts: MirrorCounts) -> float:
    """Session-seconds of the jobs due now: a project job walks its project's phases, a phase job alone
    costs a project visit of its own."""
    phases_per_project = counts.phases / counts.projects if counts.projects else 0.0
    return (due.get(ObjectType.DIRECTORY, 0) * costs.directory
            + due.get(ObjectType.PROJECT, 0) * (costs.project + phases_per_project * costs.phase)
            + due.get(ObjectType.PHASE, 0) * (costs.project + costs.phase)
            + due.get(ObjectType.ELEVATION, 0) * costs.parts_list)


@dataclass
class Estimate:
    sessions: int
    navigation: str
    needed_sessions: float
    demand_s_per_hour: dict[str, float]
    backlog_jobs: dict[str, int]
    backlog_s: float
    backlog_eta_s: float | None  # None: the schedule leaves no spare session time for the backlog
    latency_s: dict[str, float]
    measured: bool  # some latency comes from this installation's own requests
    fixes: list[str] = field(default_factory=list)
    change_driven: bool = False  # directory listings vouch for unchanged projects: visits follow changes

    @property
    def can_be_met(self) -> bool:
        return self.needed_sessions <= self.sessions

    @property
    def summary(self) -> str:
        return f"needs {self.needed_sessions:.1f} of {self.sessions} sessions"

    def as_dict(self) -> dict:
        data = asdict(self)
        data.update(can_be_met=self.can_be_met, summary=self.summary,
                    demand_s_per_hour={k: round(v, 1) for k, v in self.demand_s_per_hour.items()},
                    needed_sessions=round(self.needed_sessions, 2), backlog_s=round(self.backlog_s, 1),
                    backlog_eta_s=None if self.backlog_eta_s is None else round(self.backlog_eta_s))
        return data


def estimate(*, counts: MirrorCounts, intervals: dict[str, float], enabled: dict[str, bool],
             latency: dict[str, float], sessions: int, navigation: str, due: dict[str, int],
             measured: bool = False) -> Estimate:
    costs = job_costs(latency, navigation=navigation, depth=counts.mean_depth,
                      projects_per_directory=counts.projects_per_directory)
    demand = hourly_demand(counts, intervals, enabled, costs)
    needed = sum(demand.values()) / SESSION_SECONDS_PER_HOUR
    backlog = backlog_seconds(due, costs, counts)
    spare = sessions - needed
    eta = 0.0 if backlog == 0 else (backlog / spare if spare > 0 else None)
    result = Estimate(sessions=sessions, navigation=navigation, needed_sessions=needed, demand_s_per_hour=demand,
                      backlog_jobs=dict(due), backlog_s=backlog, backlog_eta_s=eta, latency_s=dict(latency),
                      measured=measured, change_driven=counts.change_visits_per_hour is not None)
    if not result.can_be_met:
        result.fixes = fixes(counts, intervals, enabled, costs, sessions, needed)
    return result


def fixes(counts, intervals, enabled, costs, sessions, needed) -> list[str]:
    """What would make the schedule fit: the smallest raise of one group of intervals, or more sessions."""
    def fits(changed: dict[str, float]) -> bool:
        return sum(hourly_demand(counts, changed, enabled, costs).values()) <= sessions * SESSION_SECONDS_PER_HOUR

    options = []
    for group in FIX_GROUPS:
        low = math.floor(max(intervals[t] for t in group))  # whole minutes (activity intervals are means)
        if not fits({**intervals, **{t: MAX_INTERVAL_MINUTES for t in group}}):
            continue
        high = MAX_INTERVAL_MINUTES
        while high - low > 1:  # demand falls as the intervals grow: bisect whole minutes
            middle = (low + high) // 2
            if fits({**intervals, **{t: max(intervals[t], middle) for t in group}}):
                high = middle
            else:
                low = middle
        options.append((high, group))
    text = []
    if options:
        minutes, group = min(options, key=lambda option: (option[0], -len(option[1])))
        names = " and ".join(group)
        text.append(f"raise the {names} interval{'s' if len(group) > 1 else ''} to {minutes} min")
    elif enabled[ObjectType.ELEVATION] and fits_without_parts_lists(counts, intervals, enabled, costs, sessions):
        # Parts lists follow upstream changes, not an interval: only turning them off makes room.
        text.append("turn off scheduled parts-list downloads (the parts list row)")
    text.append(f"raise LOGIKAL_MAX_SESSIONS to {math.ceil(needed)}")
    return text


def fits_without_parts_lists(counts, intervals, enabled, costs, sessions) -> bool:
    demand = hourly_demand(counts, intervals, {**enabled, ObjectType.ELEVATION: False}, costs)
    return sum(demand.values()) <= sessions * SESSION_SECONDS_PER_HOUR


def duration_text(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def capacity_text(data: dict) -> dict[str, str]:
    """The estimate (``Estimate.as_dict()``) in words, for the dashboard and sync_plan."""
    latencies = "measured latencies" if data["measured"] else "API.md's latencies, nothing measured yet"
    per_hour = sum(data["demand_s_per_hour"].values())
    text = {
        "summary": f"The schedule {data['summary']} ({per_hour:,.0f} session-seconds per hour; "
                   f"{data['navigation']} navigation, {latencies})."
                   + (" Directory listings vouch for unchanged projects (changedDate trusted), so only "
                      "projects that changed are visited." if data.get("change_driven") else ""),
        "warning": "",
        "backlog": "",
    }
    if not data["can_be_met"]:
        text["warning"] = (f"The configured intervals cannot be met with LOGIKAL_MAX_SESSIONS={data['sessions']}: "
                           f"objects will go stale. To fix it, {' or '.join(data['fixes'])}.")
    jobs = sum(data["backlog_jobs"].values())
    if jobs:
        eta = data["backlog_eta_s"]
        when = (f"done in {duration_text(eta)} beside the schedule" if eta is not None
                else "never worked off at this capacity: the schedule leaves no spare session time")
        text["backlog"] = (f"Backlog: {jobs:,} due job{'s' if jobs != 1 else ''}, "
                           f"{duration_text(data['backlog_s'])} of session time; {when}.")
    else:
        text["backlog"] = "Backlog: nothing is due."
    return text
