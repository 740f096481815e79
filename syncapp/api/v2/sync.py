"""Forced syncs over the API: POST .../sync answers 202 with a status URL; GET on it follows the jobs."""

from uuid import UUID

from django.http import HttpResponse
from ninja import Router

from ...models import ApiSyncRequest
from .. import schemas, sync_requests
from ..auth import READ_OR_SYNC
from ..conditional import json_bytes
from ..errors import ApiError

router = Router(tags=["sync"])


def accepted(request, obj):
    """202 with the request's status (the same request while its job still waits)."""
    row, _created = sync_requests.request_sync(obj, getattr(request, "api_client", None))
    progress = sync_requests.follower_for(row).poll()
    body = sync_requests.describe(row, progress, obj)
    response = HttpResponse(json_bytes(body), status=202, content_type="application/json")
    response["Location"] = body["status_url"]
    return response


@router.get("/sync-requests/{request_id}", response=schemas.SyncRequest, auth=READ_OR_SYNC,
            summary="Progress and outcome of a forced sync asked for over the API")
def sync_request_status(request, request_id: UUID):
    row = ApiSyncRequest.objects.filter(pk=request_id).first()
    if row is None:
        raise ApiError(404, "SYNC_REQUEST_NOT_FOUND", f"Sync request '{request_id}' not found")
    follower = sync_requests.follower_for(row)
    return sync_requests.describe(row, follower.poll(), follower.root)
