"""/api/v2/projects: the listing (keyset pages, filters) and a project with its whole tree."""

from datetime import datetime
from urllib.parse import urlencode
from uuid import UUID

from ninja import Query, Router

from ...models import Directory, Phase, Project
from .. import queries, schemas, serialize
from ..auth import READ, SYNC
from ..conditional import changed_at, conditional_response, json_bytes, latest, weak_etag
from ..cursor import Cursor, decode_cursor, encode_cursor
from ..details import INCLUDABLE, project_detail
from ..errors import ApiError, found
from ..params import as_utc, directory_path, parse_include
from ..watermark import changes_watermark
from .sync import accepted

router = Router(tags=["projects"])
MAX_PAGE = 500


@router.get("/projects", response=schemas.ProjectPage, auth=READ, summary="List projects, a page at a time")
def list_projects(
    request,
    directory: str | None = Query(None, description="Only this directory's subtree (full path; '/' is the root)."),
    search: str | None = Query(None, max_length=200, description="Part of the name or job number."),
    changed_since: datetime | None = Query(
        None, description="Projects whose content or anything below it changed at or after this time "
                          "(ISO 8601; without an offset, UTC). Poll again from `next_changed_since`."),
    include_removed: bool = Query(False, description="Also projects removed upstream."),
    limit: int = Query(100, ge=1, le=MAX_PAGE),
    cursor: str | None = Query(None, description="`next_cursor` of the previous page."),
):
    position = decode_cursor(cursor) if cursor else Cursor(0, changes_watermark())
    path = directory_path(directory)
    if path and not Directory.objects.filter(path=path).exists():
        raise ApiError(404, "DIRECTORY_NOT_FOUND", f"Directory '{path}' not found")
    configs = queries.sync_configs()
    rows = queries.project_page(configs, after=position.after, limit=limit, directory=path, search=search,
                                changed_since=as_utc(changed_since), include_removed=include_removed)
    next_cursor = encode_cursor(Cursor(rows[-1].pk, position.watermark)) if len(rows) == limit else None
    next_url = None
    if next_cursor:
        params = {k: v for k, v in request.GET.items() if k != "cursor"}
        next_url = f"{request.path}?{urlencode({**params, 'cursor': next_cursor})}"
    page = {"items": [serialize.project_summary(row) for row in rows], "count": len(rows),
            "next_cursor": next_cursor, "next_url": next_url, "next_changed_since": position.watermark}
    moments = [changed_at(row, configs["project"], content_field="tree_changed_at") for row in rows]
    # An older next_changed_since is always safe to poll from, so a client's cached page stays
    # valid while the rows are the same: the (weak) ETag leaves the watermark out.
    etag = weak_etag(json_bytes({**page, "next_changed_since": None}))
    return conditional_response(request, json_bytes(page), last_modified=latest(moments), etag=etag)


def _project(guid: UUID, configs):
    return found(queries.project_by_guid(guid, configs), "project", guid)


@router.get("/projects/{guid}", response=schemas.ProjectDetail, auth=READ,
            summary="A project with its phases, elevations and parts-list facts")
def get_project(
    request, guid: UUID,
    include: str | None = Query(None, description="Comma-separated rows to add to each parts list: articles, profiles."),
    include_removed: bool = Query(False, description="Also phases and elevations removed upstream."),
):
    wanted = parse_include(include, INCLUDABLE)
    configs = queries.sync_configs()
    detail, moment = project_detail(_project(guid, configs), configs, include=wanted, include_removed=include_removed)
    return conditional_response(request, json_bytes(detail), last_modified=moment)


@router.post("/projects/{guid}/sync", response={202: schemas.SyncRequest}, auth=SYNC,
             summary="Force a sync of the project and everything below it")
def sync_project(request, guid: UUID):
    row = _project(guid, queries.sync_configs())
    return accepted(request, Project.objects.select_related("directory").get(pk=row.pk))


@router.post("/projects/{guid}/phases/{phase_guid}/sync", response={202: schemas.SyncRequest}, auth=SYNC,
             summary="Force a sync of one phase and its elevations")
def sync_phase(request, guid: UUID, phase_guid: UUID):
    project = _project(guid, queries.sync_configs())
    phase = Phase.objects.select_related("project__directory").filter(project_id=project.pk, guid=phase_guid).first()
    if phase is None:
        raise ApiError(404, "PHASE_NOT_FOUND", f"Phase with ID '{phase_guid}' not found in project '{guid}'")
    return accepted(request, phase)
