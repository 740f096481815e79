"""Directory lanes: scheduled work in one directory runs in one session's wake (issue 14).

Where the server lets a session move between sibling projects (``LOGIKAL_NAVIGATION =
lenient``), a session standing in a directory reaches any project there with one select
(0.8 s), and reaches another directory only through a new login (5 s). The pool already hands
each job the free session that reaches it most cheaply; what it cannot do is choose the job.
Procrastinate gives each of the worker's N slots the highest-priority, oldest job, so N
slots took a directory's N first projects together, each paying a login into it, and then
moved on to the next directory together: N logins per directory.

So scheduled and cascaded jobs below a directory are queued under a *lane* lock instead of
their object's lock: ``lane:<directory id>:<k>``. Procrastinate runs one job per lock at a
time and, among a lock's waiting jobs, the highest-priority oldest first; a slot that finds a
lane busy takes the next lane. A directory gets k = 1..n lanes, n its share of the schedule's
demand (projects' listings per hour) times the sessions, rounded up, so a busy directory still
gets several sessions and the lanes together always cover every session. Jobs are inserted
directory by directory within each priority, so a slot that finishes a job finds the next job
of the same lane first, and the pool hands it the session still standing there.

A project's jobs (its own and its phases') always map to the same lane (the project's id
picks k), so two scheduled jobs of one object still never overlap: the queueing lock lets at
most one of them wait while the other runs, and both hold that lane. Forced jobs keep the
object's lock (a forced subtree wants every session), and a retry waiting out its backoff
takes the object's lock too (a waiting job blocks its lock's later jobs). A forced and a
scheduled job of one object may therefore overlap; the runner serializes their writes on the
object's row.

In strict navigation (the default, what real servers were seen to allow) every project visit
costs a login anyway, and lanes would only limit parallelism: jobs keep their object's lock.
"""

import math

from django.conf import settings

LANE_PREFIX = "lane:"


def lanes_on() -> bool:
    return settings.LOGIKAL_NAVIGATION == "lenient"


def is_lane(lock: str | None) -> bool:
    return bool(lock) and lock.startswith(LANE_PREFIX)


def lane_lock(directory_id: int, project_id: int, lanes: int) -> str:
    return f"{LANE_PREFIX}{directory_id}:{project_id % max(lanes, 1)}"


def lane_counts(sessions: int, configs=None) -> dict[int, int]:
    """Lanes per directory id: ceil(sessions x its share of the projects' listings per hour), 1..sessions.

    One grouped statement over the live projects, made afresh for each batch: a directory's
    listing inserts its new projects in the transaction that queues their jobs, and their lanes
    must count them (a cached figure from before a first sync gave every directory the fallback).
    """
    from ..models import Project

    demand = Project.objects.listings_per_hour_by("directory_id", configs=configs)
    total = sum(demand.values())
    if total <= 0:
        return {}
    return {d: min(sessions, max(1, math.ceil(sessions * n / total - 1e-9))) for d, n in demand.items()}


def grouped_by_directory(jobs: list, *, priority_of, directory_of) -> list:
    """`jobs` reordered so that, within each priority, a directory's jobs stand together.

    Directories keep the order of their first job (the caller's order: most recent first) and
    jobs keep theirs within a directory. Procrastinate takes equal priorities in id order, i.e.
    in this insertion order.
    """
    first_seen: dict = {}
    for index, job in enumerate(jobs):
        first_seen.setdefault((priority_of(job), directory_of(job) or ("alone", index)), index)
    keyed = [(-priority_of(job), first_seen[(priority_of(job), directory_of(job) or ("alone", index))], index, job)
             for index, job in enumerate(jobs)]
    return [job for *_, job in sorted(keyed, key=lambda k: k[:3])]
