"""Keeping a downloaded parts-list file: checks, storage, bookkeeping. No network here.

Files go through Django's storage API (`default_storage`: a local folder by default, object
storage when `FILE_STORAGE_BACKEND` names one) under a content-addressed name,
``parts-lists/<elevation id>/<sha256>.sqlite``, so writing the same content twice is a
no-op and a name always means one content. The file is written first, outside any database
transaction (a storage write may be a network call: `write_parts_list_file`); the row is
recorded on the caller's transaction (`record_parts_list`: the elevation sync records it with
its thumbnail, parse job and run, all or nothing); if that transaction fails, the caller calls
`WrittenFile.discard()` and a file this download created is removed again.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from syncapp.models import Elevation, PartsList
from syncapp.models.partslist import ParseStatus

from .parse import PartsListInvalid, check_sqlite_header

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StoreResult:
    parts_list: PartsList
    needs_parse: bool  # defer `parse_parts_list` for parts_list.pk
    changed: bool  # the stored file is new content


def stored_name(elevation_id: int, sha256: str) -> str:
    return f"parts-lists/{elevation_id}/{sha256}.sqlite"


@dataclass(frozen=True)
class WrittenFile:
    """Downloaded bytes checked and in storage, not yet recorded (or the reason they were refused)."""

    size: int
    sha256: str = ""
    name: str = ""
    created: bool = False  # this call wrote the file: discard() removes it again
    rejected: str = ""

    def discard(self) -> None:
        """The recording transaction failed: remove a file this download created."""
        if self.created:
            delete_stored_file(self.name)


def write_parts_list_file(elevation: Elevation, data: bytes) -> "WrittenFile":
    """Check ``data`` (the decoded parts-list bytes) and put it in storage; no database access.

    A file over ``PARTS_LIST_MAX_BYTES`` or without a sound SQLite header is not stored and
    comes back with ``rejected`` set.
    """
    if not isinstance(data, (bytes, bytearray)):
        raise TypeError(f"data must be the file's bytes, not {type(data).__name__}")
    try:
        check_sqlite_header(bytes(data[:100]), len(data), max_bytes=settings.PARTS_LIST_MAX_BYTES)
    except PartsListInvalid as invalid:
        return WrittenFile(size=len(data), rejected=invalid.message)
    sha256 = hashlib.sha256(data).hexdigest()
    name, created = _write(stored_name(elevation.pk, sha256), data)
    return WrittenFile(size=len(data), sha256=sha256, name=name, created=created)


def record_parts_list(*, elevation: Elevation, written: WrittenFile, source_changed_date: datetime | None,
                      now: datetime | None = None) -> StoreResult:
    """The parts-list row for a written file; database only, on the caller's transaction.

    A rejected download marks the parts list `invalid` with the reason and keeps its earlier
    file and rows; ``source_changed_date`` is not recorded then, so the next elevation sync
    downloads again. Content that was already parsed needs no parse.
    """
    now = now or timezone.now()
    if written.rejected:
        return _record_rejected(elevation, written.rejected, size=written.size, now=now)
    with transaction.atomic():
        parts_list, _ = PartsList.objects.select_for_update().get_or_create(elevation=elevation)
        previous_name = parts_list.file.name
        changed = parts_list.sha256 != written.sha256
        needs_parse = _next_state(parts_list, written.sha256, now)
        parts_list.file.name = written.name
        parts_list.sha256 = written.sha256
        parts_list.size_bytes = written.size
        parts_list.source_changed_date = source_changed_date
        parts_list.downloaded_at = now
        parts_list.save()
        keep = {written.name, stored_name(elevation.pk, parts_list.parsed_sha256) if parts_list.parsed_sha256 else ""}
        if previous_name and previous_name not in keep:
            transaction.on_commit(lambda: delete_stored_file(previous_name))
    logger.info(
        "Stored parts list of elevation %s: %s bytes, sha256 %s (%s)",
        elevation.pk, written.size, written.sha256[:12], "needs parse" if needs_parse else "already parsed",
    )
    return StoreResult(parts_list=parts_list, needs_parse=needs_parse, changed=changed)


def store_parts_list(*, elevation: Elevation, data: bytes, source_changed_date: datetime | None) -> StoreResult:
    """Write and record in one go (outside any transaction of the caller's: the clean-up relies on it)."""
    written = write_parts_list_file(elevation, data)
    try:
        with transaction.atomic():
            return record_parts_list(elevation=elevation, written=written, source_changed_date=source_changed_date)
    except BaseException:
        written.discard()
        raise


def _next_state(parts_list: PartsList, sha256: str, now: datetime) -> bool:
    """Set the parse status the new content calls for; True when a parse job is needed."""
    if sha256 == parts_list.parsed_sha256:
        # Same content as the parsed rows: they stand. A parse still running for other
        # content notices the change and discards its result.
        parts_list.parse_status, parts_list.parse_error = ParseStatus.PARSED, ""
        return False
    running = (
        parts_list.parse_status == ParseStatus.PARSING
        and sha256 == parts_list.sha256
        and not PartsList.objects.filter(pk=parts_list.pk).stalled(now).exists()
    )
    if running:
        return False  # this very content is being parsed right now
    parts_list.parse_status, parts_list.parse_error = ParseStatus.PENDING, ""
    return True


def _record_rejected(elevation: Elevation, reason: str, *, size: int, now: datetime) -> StoreResult:
    message = (
        f"Download of {now:%Y-%m-%d %H:%M:%S} UTC ({size:,} bytes) rejected: {reason}. "
        "The previous file and its parsed rows are kept; the next sync downloads it again."
    )
    with transaction.atomic():
        parts_list, _ = PartsList.objects.select_for_update().get_or_create(elevation=elevation)
        parts_list.parse_status, parts_list.parse_error = ParseStatus.INVALID, message
        parts_list.save(update_fields=["parse_status", "parse_error"])
    logger.warning("Parts list of elevation %s: %s", elevation.pk, message)
    return StoreResult(parts_list=parts_list, needs_parse=False, changed=False)


def _write(name: str, data: bytes) -> tuple[str, bool]:
    if default_storage.exists(name):
        return name, False
    return default_storage.save(name, ContentFile(bytes(data))), True


def delete_stored_file(name: str) -> None:
    """Remove a file no row points at any more; a failure only leaves a stray file behind."""
    try:
        default_storage.delete(name)
    except OSError:
        logger.warning("Could not delete stored parts-list file %s", name, exc_info=True)
