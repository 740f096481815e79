"""Reading and pruning the change feed (rows written by ``syncapp.sync.changes``).

A position is (transaction id, row id). A page holds the rows after the reader's position,
in position order, whose transaction id is below ``pg_snapshot_xmin(pg_current_snapshot())``:
all those transactions have ended, and any row written later carries a transaction id at or
above that horizon, hence a later position. So a consumer that resumes from the last
position it read never misses a row and never reads one twice, however the writers'
commits interleave. (Why not the row id alone: see ``syncapp.models.changes``.)

The price: one long transaction anywhere on the database server holds the feed back
until it ends (a sync transaction lasts milliseconds; an open `psql` session can last hours).
"""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

CURSOR_PATTERN = re.compile(r"^(\d{1,20})-(\d{1,19})$")


@dataclass(frozen=True, order=True)
class Position:
    xid: int
    change_id: int

    def encode(self) -> str:
        return f"{self.xid}-{self.change_id}"


START = Position(0, 0)


class CursorInvalid(ValueError):
    pass


class CursorExpired(Exception):
    def __init__(self, horizon: Position, pruned_at: datetime):
        super().__init__(f"changes up to {horizon.encode()} were pruned at {pruned_at.isoformat()}")
        self.horizon, self.pruned_at = horizon, pruned_at


def decode(text: str) -> Position:
    match = CURSOR_PATTERN.match(text or "")
    if not match:
        raise CursorInvalid("not a cursor this feed issued")
    return Position(int(match[1]), int(match[2]))


@dataclass
class Page:
    rows: list[tuple]  # (xid, id, the change as a JSON object in the API's shape)
    next: Position
    has_more: bool


# The database writes each change's JSON (in C): the feed's read rate is mostly serialisation.
_READ = """
    SELECT c.xid::text::bigint, c.id, json_build_object(
        'cursor', c.xid::text || '-' || c.id, 'at', c.at, 'kind', c.kind, 'object_type', c.object_type,
        'id', c.object_key, 'project', c.project_guid, 'fields', c.fields)::text
    FROM syncapp_change c
    WHERE (c.xid, c.id) > (%s::text::xid8, %s) AND c.xid < pg_snapshot_xmin(pg_current_snapshot())
    ORDER BY c.xid, c.id
    LIMIT %s
"""


def horizon() -> tuple[Position, datetime] | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT xid::text::bigint, change_id, pruned_at FROM syncapp_changefeedhorizon WHERE id = 1")
        row = cursor.fetchone()
    return (Position(row[0], row[1]), row[2]) if row else None


def read_page(after: Position | None, limit: int) -> Page:
    """The next `limit` visible changes after `after` (None: from the oldest kept).

    Raises CursorExpired when `after` lies before what pruning has kept.
    """
    kept = horizon()
    if after is None:
        after = kept[0] if kept else START
    elif kept and after < kept[0]:
        raise CursorExpired(*kept)
    with connection.cursor() as cursor:
        cursor.execute(_READ, [str(after.xid), after.change_id, limit + 1])
        rows = cursor.fetchall()
    has_more = len(rows) > limit
    rows = rows[:limit]
    last = Position(rows[-1][0], rows[-1][1]) if rows else after
    return Page(rows, last, has_more)


def prune_changes(*, now=None) -> int:
    """Delete the changes older than SYNC_RUN_RETENTION_DAYS and everything before them; move the horizon.

    Deleting by position (not by time alone) keeps the feed a contiguous tail: a cursor is
    either at or after the horizon and sees every later row, or before it and answers 410.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.SYNC_RUN_RETENTION_DAYS)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT xid::text::bigint, id FROM syncapp_change WHERE at < %s ORDER BY xid DESC, id DESC LIMIT 1",
            [cutoff],
        )
        row = cursor.fetchone()
        if row is None:
            return 0
        boundary = Position(*row)
        cursor.execute("DELETE FROM syncapp_change WHERE (xid, id) <= (%s::text::xid8, %s)",
                       [str(boundary.xid), boundary.change_id])
        deleted = cursor.rowcount
        cursor.execute(
            "INSERT INTO syncapp_changefeedhorizon (id, xid, change_id, pruned_at) "
            "VALUES (1, %s::text::xid8, %s, %s) "
            "ON CONFLICT (id) DO UPDATE SET xid = excluded.xid, change_id = excluded.change_id, "
            "pruned_at = excluded.pruned_at",
            [str(boundary.xid), boundary.change_id, now],
        )
    return deleted
