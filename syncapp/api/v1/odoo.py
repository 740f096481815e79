"""/api/v1/odoo/...: the old middleware's read endpoints for the Odoo module, on the mirror.

Listings show live projects (not removed upstream, not in an excluded directory), as the old
one hid excluded directories; nested phases and elevations are the live ones.
"""

from django.db.models import OuterRef, Q
from ninja import Query, Router

from ...models import Elevation, Phase, Project
from .. import queries
from ..auth import READ
from ..conditional import conditional_response, json_bytes
from ..errors import ApiError, bad_request
from ..params import parse_guid
from . import schemas, shapes

router = Router(tags=["v1 odoo"])
V1_INVALID = 422


def _live_projects(configs):
    # With details: the v1 summary's description comes from them.
    return queries.projects(configs, details=True).exclude(Project.objects.excluded_q())


def _respond(request, payload):
    return conditional_response(request, json_bytes(payload), last_modified=None)


def _project(project_id: str, configs):
    guid = parse_guid(project_id, "project_id", status=V1_INVALID)
    project = queries.project_by_guid(guid, configs, details=True)
    if project is None:
        raise ApiError(404, "PROJECT_NOT_FOUND", f"Project with ID '{project_id}' not found")
    return project


def _phases_with_elevations(project, configs) -> list[dict]:
    """Live phases with their live elevations in the old shape: four statements whatever the size."""
    phases = queries.phases_of(project, configs, include_removed=False)
    rows = queries.elevations(configs, include_removed=False, phase__project_id=project.pk)
    glass = queries.parts_list_rows(rows, set())["glass"]
    by_phase: dict[int, list[dict]] = {phase.pk: [] for phase in phases}
    guid_of = {phase.pk: phase.guid for phase in phases}
    for row in rows:
        if row.phase_id in by_phase:
            by_phase[row.phase_id].append(shapes.elevation(row, guid_of[row.phase_id], glass))
    return [shapes.phase(phase, project.guid, by_phase[phase.pk]) for phase in phases]


@router.get("/odoo/projects", response=schemas.ProjectList, auth=READ)
def projects(request):
    summaries = [shapes.project_summary(row) for row in queries.as_rows(_live_projects(queries.sync_configs()))]
    return _respond(request, dict(
        projects=summaries, count=len(summaries),
        summary={"total_projects": len(summaries), "client_id": request.auth.name},
    ))


@router.get("/odoo/projects/{project_id}", response=schemas.Project, auth=READ)
def project(request, project_id: str):
    configs = queries.sync_configs()
    row = _project(project_id, configs)
    phases = _phases_with_elevations(row, configs)
    return _respond(request, dict(**shapes.project_summary(row), phases=phases))


@router.get("/odoo/projects/{project_id}/complete", response=schemas.ProjectComplete, auth=READ)
def project_complete(request, project_id: str, auto_sync: bool = True):
    # auto_sync is accepted for compatibility: the scheduler keeps the mirror fresh on its own.
    configs = queries.sync_configs()
    row = _project(project_id, configs)
    phases = _phases_with_elevations(row, configs)
    total = sum(len(phase["elevations"]) for phase in phases)
    flat = [
        {
            "phase": {key: phase[key] for key in ("id", "name", "description", "status")},
            "elevations": [{key: e[key] for key in ("id", "name", "description")} for e in phase["elevations"]],
            "elevations_count": len(phase["elevations"]),
        }
        for phase in phases
    ]
    summary = {"phases_count": len(phases), "total_elevations": total, "project_name": row.name,
               "project_id": str(row.guid)}
    project_shape = {**shapes.project_summary(row), "phases_count": len(phases), "total_elevations": total,
                     "phases": phases}
    return _respond(request, dict(project=project_shape, phases_with_elevations=flat,
                                                     summary=summary))


@router.get("/odoo/projects/{project_id}/phases", response=list[schemas.Phase], auth=READ)
def project_phases(request, project_id: str):
    configs = queries.sync_configs()
    row = _project(project_id, configs)
    phases = Phase.objects.filter(project_id=row.pk, removed_at__isnull=True).order_by("name", "pk").annotate(
        live_elevations=queries.count_of(
            Elevation.objects.filter(phase=OuterRef("pk"), removed_at__isnull=True), "phase")
    )
    items = [shapes.phase(phase, row.guid, [], elevations_count=phase.live_elevations) for phase in phases]
    return _respond(request, items)


@router.get("/odoo/projects/{project_id}/phases/{phase_id}/elevations", response=list[schemas.Elevation], auth=READ)
def phase_elevations(request, project_id: str, phase_id: str):
    configs = queries.sync_configs()
    row = _project(project_id, configs)
    phase_guid = parse_guid(phase_id, "phase_id", status=V1_INVALID)
    phase = Phase.objects.filter(project_id=row.pk, guid=phase_guid).first()
    if phase is None:
        raise ApiError(404, "PHASE_NOT_FOUND", f"Phase with ID '{phase_id}' not found in project '{project_id}'")
    rows = queries.elevations(configs, include_removed=False, phase=phase)
    glass = queries.parts_list_rows(rows, set())["glass"]
    return _respond(request, [shapes.elevation(e, phase.guid, glass) for e in rows])


@router.get("/odoo/search", response=schemas.Search, auth=READ)
def search(request, q: str = Query(..., max_length=200)):
    if not q.strip():
        raise bad_request("Invalid request: q: must not be empty", [{"field": "q", "problem": "empty"}],
                          status=V1_INVALID)
    rows = _live_projects(queries.sync_configs()).filter(Q(name__icontains=q.strip()) | Q(job_number__icontains=q.strip()))
    results = [shapes.project_summary(row) for row in queries.as_rows(rows)]
    return _respond(request, dict(results=results, query=q, count=len(results)))


@router.get("/odoo/stats", response=schemas.Stats, auth=READ)
def stats(request):
    configs = queries.sync_configs()
    live = _live_projects(configs)
    listed = [{"project_id": str(p.guid), "project_name": p.name, "phases_count": p.live_phases_count}
              for p in queries.as_rows(live)]
    return _respond(request, dict(
        total_projects=len(listed),
        total_phases=Phase.objects.filter(project__in=live.values("pk"), removed_at__isnull=True).count(),
        total_elevations=Elevation.objects.filter(phase__project__in=live.values("pk"), removed_at__isnull=True).count(),
        projects=listed,
    ))
