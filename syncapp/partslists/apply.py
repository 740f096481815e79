"""Parsing a stored parts list into the database: the body of the `parse_parts_list` task.

Three short steps, so that no transaction is open while the file is read:

1. claim: mark the row `parsing` with a fresh ``parse_started_at`` (the claim's token);
2. read the stored file with the pure parser (no database);
3. apply: in one transaction, if the claim still holds (same file, same token), replace the
   parsed rows and facts, or record why the file is invalid (earlier rows stay untouched).

Safe to run again at any point: a process killed after step 1 leaves the row `parsing` with
an old ``parse_started_at``; the next run (a retried job, or `defer_needed_parses`) claims
it anew. A claim taken over by a newer run, or a newer file stored meanwhile, makes the older
run discard its result instead of overwriting.
"""

from __future__ import annotations

import functools
import logging
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import models, transaction
from django.utils import timezone

from syncapp.models import ChangeKind, Elevation, PartsList, PartsListArticle, PartsListGlass, PartsListProfile, PartsListUValue
from syncapp.models.partslist import ParseStatus

from syncapp.sync.changes import record_content_changes

from .jobs import ParseRetryStrategy
from .parse import ParsedPartsList, PartsListInvalid, parse_parts_list_file
from .schema import ARTICLES, GLASS, PROFILES, U_VALUES, Table
from .store import delete_stored_file, stored_name

logger = logging.getLogger(__name__)

ROW_MODELS: dict[Table, type[models.Model]] = {
    GLASS: PartsListGlass,
    ARTICLES: PartsListArticle,
    PROFILES: PartsListProfile,
    U_VALUES: PartsListUValue,
}
FACT_FIELDS = (
    "auto_description", "auto_description_short", "width_output", "width_unit", "height_output", "height_unit",
    "weight_output", "weight_unit", "area_output", "area_unit", "system_code", "system_name", "system_long_name",
    "color_base_long",
)
MISSING = "missing"
RETRYABLE = ParseRetryStrategy.retryable


@dataclass(frozen=True)
class Claim:
    parts_list_id: int
    elevation_id: int
    elevation_name: str
    elevation_guid: str
    file_name: str
    sha256: str
    started_at: datetime


def parse_stored_parts_list(parts_list_id: int) -> str:
    """Parse the stored file of one parts list; returns the resulting parse status.

    An unusable file ends `invalid` with a message and the call succeeds; so does an
    unexpected error (a bug must not retry forever), with the traceback in the log. Errors a
    retry may fix (storage, database) put the row back to `pending` and propagate to the
    job's retry strategy.
    """
    claim = _claim(parts_list_id)
    if not isinstance(claim, Claim):
        return claim
    try:
        return _parse_claimed(claim)
    except RETRYABLE:
        _release(claim)
        raise
    except Exception as error:
        logger.exception("Unexpected error parsing parts list %s", claim.parts_list_id)
        return _finish_invalid(claim, f"unexpected error while parsing ({type(error).__name__}: {error})")
    except BaseException:
        _release(claim)
        raise


def _parse_claimed(claim: Claim) -> str:
    try:
        with _readable_path(claim.file_name) as path:
            parsed = parse_parts_list_file(
                path, claim.elevation_name, elevation_guid=claim.elevation_guid,
                max_bytes=settings.PARTS_LIST_MAX_BYTES,
            )
    except PartsListInvalid as invalid:
        return _finish_invalid(claim, invalid.message)
    except FileNotFoundError:
        return _finish_invalid(
            claim, f"the stored file {claim.file_name} is missing; force a sync of the elevation to download it again"
        )
    return _finish_parsed(claim, parsed)


def _claim(parts_list_id: int) -> Claim | str:
    now = timezone.now()
    with transaction.atomic():
        parts_list = (
            PartsList.objects.select_for_update(of=("self",)).select_related("elevation")
            .filter(pk=parts_list_id).first()
        )
        if parts_list is None:
            return MISSING
        if not parts_list.sha256 or not parts_list.file.name:
            return parts_list.parse_status  # nothing stored yet (or only rejected downloads)
        if parts_list.parse_status == ParseStatus.PARSED and parts_list.sha256 == parts_list.parsed_sha256:
            return ParseStatus.PARSED  # idempotent per sha256
        parts_list.parse_status, parts_list.parse_started_at = ParseStatus.PARSING, now
        parts_list.save(update_fields=["parse_status", "parse_started_at"])
        elevation = parts_list.elevation
        return Claim(
            parts_list_id=parts_list.pk, elevation_id=elevation.pk, elevation_name=elevation.name,
            elevation_guid=str(elevation.guid), file_name=parts_list.file.name, sha256=parts_list.sha256,
            started_at=now,
        )


def _locked_if_claimed(claim: Claim) -> PartsList | None:
    """The row, locked, if this claim still owns it; None if a newer file or run took over."""
    parts_list = PartsList.objects.select_for_update().filter(pk=claim.parts_list_id).first()
    if (
        parts_list is None
        or parts_list.parse_status != ParseStatus.PARSING
        or parts_list.parse_started_at != claim.started_at
        or parts_list.sha256 != claim.sha256
    ):
        return None
    return parts_list


def _finish_parsed(claim: Claim, parsed: ParsedPartsList) -> str:
    with transaction.atomic():
        parts_list = _locked_if_claimed(claim)
        if parts_list is None:
            return _superseded(claim)
        previous_sha = parts_list.parsed_sha256
        for table, model in ROW_MODELS.items():
            if previous_sha:  # rows exist only once a parse succeeded (same transaction as parsed_sha256)
                model.objects.filter(parts_list=parts_list).delete()
            model.objects.bulk_create(
                (model(parts_list=parts_list, **_fit(model, row)) for row in parsed.rows(table)), batch_size=2000
            )
        for name, value in _fit(PartsList, {f: parsed.facts.get(f, "") for f in FACT_FIELDS}).items():
            setattr(parts_list, name, value)
        parts_list.articles_count, parts_list.profiles_count = len(parsed.articles), len(parsed.profiles)
        parts_list.parse_status, parts_list.parse_error = ParseStatus.PARSED, ""
        parts_list.parse_warnings = "\n".join(parsed.warnings)
        parts_list.parsed_sha256, parts_list.parsed_at = claim.sha256, timezone.now()
        parts_list.save()
        record_content_changes(Elevation, [claim.elevation_id], kind=ChangeKind.PARTS_LIST_PARSED)
        if previous_sha and previous_sha != claim.sha256:
            old_name = stored_name(claim.elevation_id, previous_sha)
            transaction.on_commit(lambda: delete_stored_file(old_name))
    logger.info(
        "Parsed parts list %s (elevation %s): %d articles, %d profiles, %d glass, %d U-values",
        claim.parts_list_id, claim.elevation_id, len(parsed.articles), len(parsed.profiles), len(parsed.glass),
        len(parsed.u_values),
    )
    return ParseStatus.PARSED


def _finish_invalid(claim: Claim, message: str) -> str:
    with transaction.atomic():
        parts_list = _locked_if_claimed(claim)
        if parts_list is None:
            return _superseded(claim)
        # Only the status and the reason change: the rows of the last good file stay.
        parts_list.parse_status, parts_list.parse_error = ParseStatus.INVALID, message
        parts_list.save(update_fields=["parse_status", "parse_error"])
        record_content_changes(Elevation, [claim.elevation_id], fields=["parts_list"])
    logger.warning("Parts list %s (elevation %s) is invalid: %s", claim.parts_list_id, claim.elevation_id, message)
    return ParseStatus.INVALID


def _release(claim: Claim) -> None:
    """After an unexpected error: back to `pending`, unless someone else owns the row now."""
    try:
        with transaction.atomic():
            if _locked_if_claimed(claim) is not None:
                PartsList.objects.filter(pk=claim.parts_list_id).update(parse_status=ParseStatus.PENDING)
    except Exception:
        # The database itself may be what failed; the row then stays `parsing` and counts as
        # pending once its parse_started_at is old (PartsList.objects.needing_parse).
        logger.warning("Could not release parse claim on parts list %s", claim.parts_list_id, exc_info=True)


def _superseded(claim: Claim) -> str:
    current = PartsList.objects.filter(pk=claim.parts_list_id).values_list("parse_status", flat=True).first()
    logger.info("Parse of parts list %s superseded by a newer file or run; result discarded", claim.parts_list_id)
    return current or MISSING


@contextmanager
def _readable_path(name: str) -> Iterator[Path]:
    """A local path of the stored file: the file itself on local storage, a temporary copy otherwise."""
    try:
        local_path = default_storage.path(name)
    except NotImplementedError:
        local_path = None  # remote storage: no local path
    if local_path is not None:
        yield Path(local_path)
        return
    with tempfile.TemporaryDirectory(prefix="partslist-") as folder:
        local = Path(folder) / "parts.sqlite"
        with default_storage.open(name, "rb") as source, local.open("wb") as target:
            shutil.copyfileobj(source, target, length=1024 * 1024)
        yield local


def _fit(model: type[models.Model], values: dict) -> dict:
    """Cut text to the column's length: one overlong value must not fail the whole file."""
    limits = _max_lengths(model)
    return {
        name: value[: limits[name]] if limits.get(name) and isinstance(value, str) else value
        for name, value in values.items()
    }


@functools.cache
def _max_lengths(model: type[models.Model]) -> dict[str, int | None]:
    return {f.name: getattr(f, "max_length", None) for f in model._meta.concrete_fields}
