"""ETag, Last-Modified and 304 for API responses.

The ETag is a digest of the exact body, so it changes whenever anything in it does,
``state`` and ``verified_at`` included (a state changes with the clock too). Last-Modified
is the latest moment the representation can have changed: content changes, verifications,
attempts, removals, and the moments the clock moved an object into ``due`` or ``stale``.
With second resolution it is the weaker validator; clients should prefer If-None-Match.
"""

import hashlib
import math
from datetime import UTC, datetime

import pydantic_core
from django.http import HttpResponse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date

from ..models import freshness


def state_since(obj, config) -> datetime | None:
    """When the clock alone moved `obj` into its current state (due or stale), else None."""
    return freshness.state_since(obj.synced_at, obj.freshness, obj.effective_interval, obj.effective_staleness)


def changed_at(obj, config, *, content_field: str = "content_changed_at") -> datetime | None:
    """The latest moment `obj`'s representation changed (see the module's docstring)."""
    moments = [getattr(obj, content_field), obj.synced_at, obj.last_attempt_at, obj.removed_at,
               state_since(obj, config)]
    moments = [m for m in moments if m is not None]
    return max(moments) if moments else None


def latest(moments) -> datetime | None:
    moments = [m for m in moments if m is not None]
    return max(moments) if moments else None


def json_bytes(payload) -> bytes:
    """Serialised once (the body and its ETag come from the same bytes), by pydantic-core, without validation.

    The views build plain dicts in the shapes of ``schemas``; validating a 100-elevation
    project again on every request would cost more than reading it. The tests hold every
    response against its schema (extra fields forbidden), so the two cannot drift apart.
    """
    return pydantic_core.to_json(payload)


def weak_etag(basis: bytes) -> str:
    """For bodies that carry a moving part the client may keep an older copy of (the listing's watermark)."""
    return f'W/"{hashlib.sha256(basis).hexdigest()[:32]}"'


def conditional_response(request, body: bytes, *, last_modified: datetime | None,
                         content_type: str = "application/json", etag: str | None = None) -> HttpResponse:
    """200 with the validators, or 304 when the client's copy is current."""
    etag = etag or f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    # Round up: a change later in the same second must never look older than the client's copy.
    stamp = math.ceil(last_modified.timestamp()) if last_modified else None
    if stamp is not None and stamp > datetime.now(UTC).timestamp() + 1:
        stamp = None  # a clock ahead of ours must not promise a future date
    response = get_conditional_response(request, etag=etag, last_modified=stamp)
    if response is None:
        response = HttpResponse(body, content_type=content_type)
    response["ETag"] = etag
    if stamp is not None:
        response["Last-Modified"] = http_date(stamp)
    # Private data behind a key: caches may keep it but must ask again every time.
    response["Cache-Control"] = "private, no-cache"
    return response
