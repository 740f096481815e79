"""Sync of an elevation: thumbnail and parts list when they are older than the elevation."""

import logging

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from ..models import Elevation, PartsList
from .changes import record_content_changes
from .context import SyncResult
from ..partslists.jobs import defer_parse_jobs

logger = logging.getLogger(__name__)

THUMBNAIL_SIZE = 300


def parts_list_outdated(elevation: Elevation) -> bool:
    parts_list = PartsList.objects.filter(elevation=elevation).only("downloaded_at", "source_changed_date").first()
    if parts_list is None or parts_list.downloaded_at is None:
        return True
    if elevation.changed_date is None:
        return False
    return parts_list.source_changed_date is None or parts_list.source_changed_date < elevation.changed_date


def thumbnail_outdated(elevation: Elevation) -> bool:
    return not elevation.thumbnail or elevation.thumbnail_changed_date != elevation.changed_date


def sync_elevation(elevation: Elevation, ctx) -> SyncResult:
    from ..partslists.store import store_parts_list

    phase = elevation.phase
    project = phase.project
    coords = (project.directory.path, str(project.guid), str(phase.guid), str(elevation.guid))
    result = SyncResult()

    thumbnail = None
    if ctx.forced or thumbnail_outdated(elevation):
        # Thumbnails are fetched in phase context, before selecting the elevation.
        thumbnail = ctx.upstream.get_thumbnail(*coords, width=THUMBNAIL_SIZE, height=THUMBNAIL_SIZE)

    stored = None
    wants_parts_list = ctx.configs["parts_list"].enabled or ctx.forced
    if wants_parts_list and not elevation.is_in_recycle_bin and (ctx.forced or parts_list_outdated(elevation)):
        data = ctx.upstream.get_parts_list(*coords)
        stored = store_parts_list(elevation=elevation, data=data, source_changed_date=elevation.changed_date)
        if stored.changed:
            result.outcome.updated.append(stored.parts_list)
        else:
            result.outcome.unchanged.append(stored.parts_list)

    # Stored only now, and removed again if the transaction fails: a failed sync leaves no stray file.
    thumbnail_name = None
    if thumbnail is not None:
        thumbnail_name = default_storage.save(f"thumbnails/{elevation.guid}.png", ContentFile(thumbnail))
    try:
        _record(elevation, thumbnail_name, stored, ctx, result)
    except BaseException:
        if thumbnail_name is not None:
            default_storage.delete(thumbnail_name)
        raise
    return result


def _record(elevation, thumbnail_name, stored, ctx, result) -> None:
    with transaction.atomic():
        if thumbnail_name is not None:
            old = Elevation.objects.filter(pk=elevation.pk).values_list("thumbnail", flat=True).first()
            Elevation.objects.filter(pk=elevation.pk).update(
                thumbnail=thumbnail_name, thumbnail_changed_date=elevation.changed_date
            )
            if old and old != thumbnail_name:
                transaction.on_commit(lambda: default_storage.delete(old))
            record_content_changes(Elevation, [elevation], fields=["thumbnail"])
        if stored is not None and stored.needs_parse:
            priority = ctx.configs["parts_list"].priority
            result.jobs_deferred += len(defer_parse_jobs([stored.parts_list.pk], priority=priority))
        ctx.finish(result)
