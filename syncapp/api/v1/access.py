"""/api/v1: the client-credentials login, the elevation thumbnail and the force-sync of a project."""

import hmac
import time

from django.conf import settings
from django.db.models import Q
from ninja import Query, Router

from ...logikal.values import guid_or_none
from ...models import ApiClient, Project
from .. import sync_requests, throttle
from ..auth import READ, SYNC, refuse_if_locked
from ..clients import issue_v1_token
from ..errors import ApiError
from ..keys import digest
from ..params import parse_guid
from ..v2.elevations import find_elevation, thumbnail_response
from . import schemas

router = Router(tags=["v1 access"])
POLL_S = 0.5


@router.post("/client-auth/login", response=schemas.LoginResponse, auth=None)
def login(request, credentials: schemas.LoginRequest):
    """client_id is the API client's name, client_secret its key; answers a bearer token valid 24 h."""
    address = refuse_if_locked(request)
    client = ApiClient.objects.filter(name=credentials.client_id.strip(), active=True).first()
    given = digest(credentials.client_secret.strip())
    # Compared in constant time; an unknown name is checked against a dummy so it takes as long.
    if not hmac.compare_digest(client.key_hash if client else "0" * 64, given) or client is None:
        throttle.record_failure(address)
        raise ApiError(401, "INVALID_CREDENTIALS", "Invalid client credentials",
                       "Client ID or secret is incorrect, or client is inactive")
    request.api_client = client
    token, lifetime = issue_v1_token(client)
    return {"access_token": token, "token_type": "bearer", "expires_in": lifetime,
            "client_info": {"client_id": client.name, "name": client.name, "scopes": client.scopes}}


@router.get("/elevations/{elevation_id}/thumbnail", auth=READ, response={200: bytes})
def thumbnail(request, elevation_id: str):
    return thumbnail_response(request, find_elevation(parse_guid(elevation_id, "elevation_id", status=422)))


def _find_project(project_id: str, directory_id: str | None) -> Project:
    """The old clients passed a GUID; a unique job number or name (optionally within directory_id) works too."""
    guid = guid_or_none(project_id)
    if guid is not None:
        candidates = Project.objects.filter(guid=guid)
    else:
        text = project_id.strip()
        candidates = Project.objects.filter(Q(job_number=text) | Q(name=text), removed_at__isnull=True)
        if directory_id:
            path = directory_id.strip().strip("/")
            candidates = candidates.filter(Q(directory__path=path) | Q(directory__name=path))
    found = list(candidates.select_related("directory")[:2])
    if len(found) != 1:
        reason = "is ambiguous" if found else "not found"
        raise ApiError(404, "PROJECT_NOT_FOUND", f"Project with ID '{project_id}' {reason}")
    return found[0]


def _counts(follower) -> dict:
    runs = sync_requests.run_counts(follower.job_ids)

    def count(object_type: str, outcome: str, field: str = "runs") -> int:
        return runs.get((object_type, outcome), {}).get(field, 0)

    return {"phases_synced": count("phase", "success"), "elevations_synced": count("phase", "success", "listed"),
            "parts_lists_synced": count("elevation", "success"), "parts_lists_failed": count("elevation", "failed")}


@router.post("/sync/force/project/{project_id}", response=schemas.ForceSyncResponse, auth=SYNC)
def force_sync_project(request, project_id: str, directory_id: str | None = Query(None)):
    """Waits for the sync up to API_V1_FORCE_SYNC_WAIT_S, then answers `status: "queued"` with the status URL."""
    started = time.monotonic()
    project = _find_project(project_id, directory_id)
    row, _created = sync_requests.request_sync(project, request.auth)
    follower = sync_requests.follower_for(row)
    progress = follower.poll()
    while not progress.finished and time.monotonic() - started < settings.API_V1_FORCE_SYNC_WAIT_S:
        time.sleep(POLL_S)
        progress = follower.poll()
    counts = _counts(follower)
    answer = {"project_id": project_id, "directory_id": project.directory.path, **counts,
              "duration_seconds": round(time.monotonic() - started, 1), "status_url": sync_requests.status_url(row)}
    if not progress.finished:
        return {**answer, "success": True, "status": "queued",
                "message": f'Sync of project "{project.name}" is still running; follow it at the status URL'}
    if counts["phases_synced"] == 0 and progress.failed:
        raise ApiError(400, "FORCE_SYNC_PROJECT_FAILED", "Force sync project failed", "; ".join(progress.errors))
    return {**answer, "success": True, "status": "completed",
            "message": f'Project "{project.name}" fully synced from Logikal'}
