"""Opaque keyset cursors: the last primary key of a page, plus the watermark of the walk.

Pages are ordered by primary key, which never changes: rows that existed when the walk
began come exactly once whatever syncs do meanwhile (renames, updates, inserts, removals).
"""

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime

from .errors import bad_request


@dataclass(frozen=True)
class Cursor:
    after: int
    watermark: datetime


def encode_cursor(cursor: Cursor) -> str:
    raw = json.dumps({"a": cursor.after, "w": cursor.watermark.isoformat()}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(text: str, *, status: int = 400) -> Cursor:
    error = bad_request("Invalid request: cursor: not a cursor this API issued; start again without it",
                        [{"field": "cursor", "problem": "not a cursor this API issued"}], status=status)
    if len(text) > 200:
        raise error
    try:
        data = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        after, watermark = data["a"], datetime.fromisoformat(data["w"])
    except (binascii.Error, ValueError, TypeError, KeyError, UnicodeDecodeError):
        raise error from None
    if not isinstance(after, int) or isinstance(after, bool) or after < 0 or watermark.tzinfo is None:
        raise error
    return Cursor(after, watermark)
