"""/api/v2/changes: the change feed (``syncapp.changefeed``), read from a cursor at the reader's own pace."""

from django.conf import settings
from django.http import HttpResponse
from ninja import Query, Router

from ... import changefeed
from .. import schemas
from ..auth import READ
from ..conditional import json_bytes
from ..errors import ApiError, bad_request

router = Router(tags=["changes"])
MAX_PAGE = 5000


@router.get("/changes", response=schemas.ChangePage, auth=READ,
            summary="Every change to the mirror, in order, from a cursor")
def list_changes(
    request,
    after: str | None = Query(None, max_length=50, description="`next_cursor` of the previous page; "
                                                               "without it, from the oldest change kept."),
    limit: int = Query(500, ge=1, le=MAX_PAGE),
):
    position = None
    if after is not None:
        try:
            position = changefeed.decode(after)
        except changefeed.CursorInvalid:
            raise bad_request("Invalid request: after: not a cursor this feed issued; start again without it",
                              [{"field": "after", "problem": "not a cursor this feed issued"}]) from None
    try:
        page = changefeed.read_page(position, limit)
    except changefeed.CursorExpired as expired:
        raise ApiError(
            410, "CURSOR_EXPIRED",
            f"Changes after this cursor are older than SYNC_RUN_RETENTION_DAYS ({settings.SYNC_RUN_RETENTION_DAYS} "
            f"days) and were pruned at {expired.pruned_at.isoformat()}. Read the objects again (GET /api/v2/projects), "
            f"then follow the feed from a new start (GET /api/v2/changes without `after`).",
            {"oldest_cursor": expired.horizon.encode()},
        ) from None
    # The changes come as JSON from the database (syncapp.changefeed); the page is put around them.
    tail = json_bytes({"count": len(page.rows), "next_cursor": page.next.encode(), "has_more": page.has_more})
    body = "".join(['{"changes":[', ",".join(row[2] for row in page.rows), "],"]).encode() + tail[1:]
    response = HttpResponse(body, content_type="application/json")
    response["Cache-Control"] = "private, no-store"
    return response
