"""/api/v2/elevations/{guid}: the elevation, its thumbnail, its parts-list file, a forced sync."""

import hashlib
from uuid import UUID

from django.core.files.storage import default_storage
from django.http import FileResponse
from ninja import Query, Router

from ...models import Elevation, PartsList
from .. import queries, schemas
from ..auth import READ, SYNC
from ..conditional import conditional_response, json_bytes
from ..details import INCLUDABLE, elevation_detail
from ..errors import ApiError, found
from ..params import parse_include
from .sync import accepted

router = Router(tags=["elevations"])


def find_elevation(guid: UUID, configs=None):
    return found(queries.elevation_by_guid(guid, configs or queries.sync_configs()), "elevation", guid)


@router.get("/elevations/{guid}", response=schemas.ElevationDetail, auth=READ,
            summary="An elevation with its parts-list facts")
def get_elevation(
    request, guid: UUID,
    include: str | None = Query(None, description="Comma-separated rows to add to the parts list: articles, profiles."),
):
    wanted = parse_include(include, INCLUDABLE)
    configs = queries.sync_configs()
    detail, moment = elevation_detail(find_elevation(guid, configs), configs, include=wanted)
    return conditional_response(request, json_bytes(detail), last_modified=moment)


def read_thumbnail(row) -> bytes:
    if not row.thumbnail:
        raise ApiError(404, "THUMBNAIL_NOT_FOUND", f"Elevation '{row.guid}' has no thumbnail yet")
    try:
        with default_storage.open(row.thumbnail, "rb") as stored:
            return stored.read()
    except FileNotFoundError:
        raise ApiError(404, "THUMBNAIL_NOT_FOUND", f"The thumbnail of elevation '{row.guid}' is missing from storage; "
                                                   "force a sync of the elevation") from None


def thumbnail_response(request, row):
    """The stored PNG with an ETag of its bytes (thumbnails are a few KB)."""
    data = read_thumbnail(row)
    etag = f'"{hashlib.sha256(data).hexdigest()[:32]}"'
    return conditional_response(request, data, last_modified=row.content_changed_at, content_type="image/png",
                                etag=etag)


@router.get("/elevations/{guid}/thumbnail", auth=READ, summary="The stored thumbnail (PNG)",
            response={200: bytes, 304: None, 404: schemas.Error})
def get_thumbnail(request, guid: UUID):
    return thumbnail_response(request, find_elevation(guid))


@router.get("/elevations/{guid}/parts-list.sqlite", auth=READ, summary="The stored parts-list file (SQLite 3)",
            response={200: bytes, 304: None, 404: schemas.Error})
def get_parts_list_file(request, guid: UUID):
    row = find_elevation(guid)
    stored = PartsList.objects.filter(elevation_id=row.pk).exclude(file="").first()
    if stored is None:
        raise ApiError(404, "PARTS_LIST_NOT_FOUND", f"Elevation '{guid}' has no stored parts list yet")
    etag = f'"{stored.sha256}"'
    from django.utils.cache import get_conditional_response

    not_modified = get_conditional_response(request, etag=etag)
    if not_modified is not None:
        return not_modified
    try:
        handle = default_storage.open(stored.file.name, "rb")
    except FileNotFoundError:
        raise ApiError(404, "PARTS_LIST_NOT_FOUND", f"The parts-list file of elevation '{guid}' is missing from "
                                                    "storage; force a sync of the elevation") from None
    response = FileResponse(handle, content_type="application/vnd.sqlite3", as_attachment=True,
                            filename=f"{row.name or row.guid}.sqlite")
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache"
    return response


@router.post("/elevations/{guid}/sync", response={202: schemas.SyncRequest}, auth=SYNC,
             summary="Force a sync of the elevation (thumbnail and parts list)")
def sync_elevation(request, guid: UUID):
    row = find_elevation(guid)
    return accepted(request, Elevation.objects.select_related("phase__project__directory").get(pk=row.pk))
