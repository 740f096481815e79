"""Sync of an elevation: thumbnail and parts list when they are older than the elevation.

`fetch` downloads and puts the files in storage; `apply` records the parts-list row, the
thumbnail and the parse job on the runner's transaction, which also records the run: a crash
anywhere leaves either all of them or none (a file in storage that no row names is harmless
and is overwritten by the next download of the same content).
"""

import logging
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from ..models import Elevation, PartsList
from .changes import record_content_changes
from .context import SyncResult
from ..partslists.jobs import defer_parse_jobs
from ..partslists.store import WrittenFile, record_parts_list, write_parts_list_file

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


@dataclass
class Downloaded:
    """What an elevation sync fetched, already in storage (a storage write may be a network call)."""

    thumbnail_name: str | None = None
    parts_list: WrittenFile | None = None

    def discard(self) -> None:
        """The recording transaction failed: no stray file stays behind."""
        if self.thumbnail_name is not None:
            default_storage.delete(self.thumbnail_name)
        if self.parts_list is not None:
            self.parts_list.discard()


def fetch(elevation: Elevation, ctx) -> Downloaded:
    phase = elevation.phase
    project = phase.project
    coords = (project.directory.path, str(project.guid), str(phase.guid), str(elevation.guid))
    thumbnail = data = None
    if ctx.forced or thumbnail_outdated(elevation):
        # Thumbnails are fetched in phase context, before selecting the elevation.
        thumbnail = ctx.upstream.get_thumbnail(*coords, width=THUMBNAIL_SIZE, height=THUMBNAIL_SIZE)
    wants_parts_list = ctx.configs["parts_list"].enabled or ctx.forced
    if wants_parts_list and not elevation.is_in_recycle_bin and (ctx.forced or parts_list_outdated(elevation)):
        data = ctx.upstream.get_parts_list(*coords)
    downloaded = Downloaded()
    try:
        if data is not None:
            downloaded.parts_list = write_parts_list_file(elevation, data)
        if thumbnail is not None:
            downloaded.thumbnail_name = default_storage.save(f"thumbnails/{elevation.guid}.png",
                                                             ContentFile(thumbnail))
    except BaseException:
        downloaded.discard()
        raise
    return downloaded


def apply(elevation: Elevation, downloaded: Downloaded, ctx) -> SyncResult:
    """Parts-list row, thumbnail and parse job, on the runner's transaction (with the run itself)."""
    result = SyncResult()
    if downloaded.parts_list is not None:
        stored = record_parts_list(elevation=elevation, written=downloaded.parts_list,
                                   source_changed_date=elevation.changed_date, now=ctx.now)
        (result.outcome.updated if stored.changed else result.outcome.unchanged).append(stored.parts_list)
        if stored.needs_parse:
            priority = ctx.configs["parts_list"].priority
            result.jobs_deferred += len(defer_parse_jobs([stored.parts_list.pk], priority=priority))
    if downloaded.thumbnail_name is not None:
        name = downloaded.thumbnail_name
        old = Elevation.objects.filter(pk=elevation.pk).values_list("thumbnail", flat=True).first()
        Elevation.objects.filter(pk=elevation.pk).update(thumbnail=name, thumbnail_changed_date=elevation.changed_date)
        if old and old != name:
            transaction.on_commit(lambda: default_storage.delete(old))
        record_content_changes(Elevation, [elevation], fields=["thumbnail"])
    return result
