"""Reading a LogiKal parts-list file (a SQLite 3 database) into plain values. No Django here.

The file comes from upstream and is treated as hostile: it is opened read-only and
immutable, no SQL is built from anything it contains (table and column names are matched
against the fixed layout in `schema` and only those constants are quoted into queries),
values are size-limited, rows per table are capped and reading has a time budget. Every way
a file can be unusable ends in one `PartsListInvalid` with a message staff can act on.
"""

from __future__ import annotations

import math
import os
import re
import sqlite3
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from .schema import ELEVATION_FACTS, ELEVATION_ID, ELEVATION_NAME, ELEVATIONS, ROW_TABLES, Column, Table

SQLITE_MAGIC = b"SQLite format 3\x00"
HEADER_BYTES = 100
MAX_ROWS_PER_TABLE = 100_000
# One cell larger than this is not a parts-list value; SQLite refuses to return it.
MAX_VALUE_BYTES = 1024 * 1024
READ_TIME_LIMIT_S = 60.0
_FETCH_BATCH = 2000
_GUID = re.compile(r"^\{?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\}?$")


class PartsListInvalid(Exception):
    """The file cannot be used; the message says why, for the admin and the logs."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class ParsedPartsList:
    """What downstream users need from one file: the elevation's facts and its bill of materials."""

    facts: dict[str, str]
    glass: list[dict] = field(default_factory=list)
    articles: list[dict] = field(default_factory=list)
    profiles: list[dict] = field(default_factory=list)
    u_values: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    elevation_names: list[str] = field(default_factory=list)

    def rows(self, table: Table) -> list[dict]:
        return getattr(self, table.attribute)


def check_sqlite_header(head: bytes, size: int, *, max_bytes: int | None = None) -> None:
    """Cheap checks before anything is stored or opened: size limit, SQLite header, truncation.

    ``head`` is at least the first 100 bytes of the file (all of it is fine), ``size`` its length.
    """
    if max_bytes is not None and size > max_bytes:
        raise PartsListInvalid(f"the file is {size:,} bytes, more than the limit of {max_bytes:,} bytes")
    if size == 0:
        raise PartsListInvalid("the file is empty")
    if not head.startswith(SQLITE_MAGIC):
        raise PartsListInvalid(f"not a SQLite 3 database: the file starts with {_preview(head)}")
    if size < HEADER_BYTES or len(head) < HEADER_BYTES:
        raise PartsListInvalid(f"truncated: {size} bytes is shorter than a SQLite header")
    page_size = int.from_bytes(head[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    if page_size < 512 or page_size & (page_size - 1):
        raise PartsListInvalid(f"corrupt SQLite header: page size {page_size} is not a power of two from 512")
    if size % page_size:
        raise PartsListInvalid(
            f"truncated: {size:,} bytes is not a whole number of {page_size}-byte pages"
        )
    # The header's page count is only authoritative when its "valid-for" stamp matches the
    # change counter (SQLite's own rule); older writers leave it stale.
    pages = int.from_bytes(head[28:32], "big")
    if pages and head[24:28] == head[92:96] and pages * page_size > size:
        raise PartsListInvalid(
            f"truncated: the header announces {pages:,} pages ({pages * page_size:,} bytes) "
            f"but the file has {size:,} bytes"
        )


def parse_parts_list_file(
    path_or_bytes: str | os.PathLike | bytes,
    elevation_name: str,
    *,
    elevation_guid: str | None = None,
    max_bytes: int | None = None,
    max_rows: int = MAX_ROWS_PER_TABLE,
) -> ParsedPartsList:
    """Read the file and return the facts of the elevation named exactly ``elevation_name``.

    ``elevation_guid`` (the API's form) picks among several rows of that exact name.
    Raises `PartsListInvalid` for any file that cannot be used.
    """
    if isinstance(path_or_bytes, (bytes, bytearray, memoryview)):
        data = bytes(path_or_bytes)
        check_sqlite_header(data[:HEADER_BYTES], len(data), max_bytes=max_bytes)
        # SQLite reads files, not buffers, in read-only mode; the copy is private and short-lived.
        with tempfile.TemporaryDirectory(prefix="partslist-") as folder:
            path = Path(folder) / "parts.sqlite"
            path.write_bytes(data)
            return _parse_checked_path(path, elevation_name, elevation_guid, max_rows)
    # OSError (missing file, permissions, I/O) propagates: it says nothing about the content.
    path = Path(path_or_bytes)
    size = path.stat().st_size
    with path.open("rb") as handle:
        head = handle.read(HEADER_BYTES)
    check_sqlite_header(head, size, max_bytes=max_bytes)
    return _parse_checked_path(path, elevation_name, elevation_guid, max_rows)


def _parse_checked_path(path: Path, elevation_name: str, elevation_guid: str | None, max_rows: int):
    uri = f"{path.resolve().as_uri()}?mode=ro&immutable=1"
    try:
        conn = sqlite3.connect(uri, uri=True, isolation_level=None)
    except sqlite3.Error as error:
        raise PartsListInvalid(f"cannot open the file as SQLite: {error}") from error
    deadline = time.monotonic() + READ_TIME_LIMIT_S
    try:
        # Invalid UTF-8 in a TEXT cell is damage in one value, not a reason to drop the file.
        conn.text_factory = lambda raw: raw.decode("utf-8", "replace")
        conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
        conn.set_progress_handler(lambda: time.monotonic() > deadline, 10_000)
        conn.execute("PRAGMA trusted_schema = OFF")
        conn.execute("PRAGMA cell_size_check = ON")
        return _read(conn, elevation_name, elevation_guid, max_rows)
    except sqlite3.OperationalError as error:
        if "interrupted" in str(error):
            raise PartsListInvalid(f"reading the file took longer than {READ_TIME_LIMIT_S:.0f} s") from error
        raise PartsListInvalid(f"the file is damaged or unreadable (SQLite: {error})") from error
    except sqlite3.Error as error:
        raise PartsListInvalid(f"the file is damaged or unreadable (SQLite: {error})") from error
    finally:
        conn.close()


def _read(conn: sqlite3.Connection, elevation_name: str, elevation_guid: str | None, max_rows: int):
    # Real tables only: a view could run arbitrary queries from the file's schema.
    present = {
        name.lower(): name
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' LIMIT 10000")
        if isinstance(name, str)
    }
    columns = {table.name: _columns(conn, present.get(table.name.lower())) for table in (ELEVATIONS, *ROW_TABLES)}

    missing, warnings = [], []
    for table in (ELEVATIONS, *ROW_TABLES):
        found = columns[table.name]
        if found is None:
            (missing if table.required else warnings).append(f"table {table.name}")
            continue
        for column in table.columns:
            if column.name.lower() not in found:
                (missing if table.required and column.required else warnings).append(f"column {table.name}.{column.name}")
    if missing:
        raise PartsListInvalid("required parts of the file are missing: " + ", ".join(missing))

    parsed = ParsedPartsList(facts={}, warnings=[f"{w} is missing" for w in warnings])
    elevation_rows = _select(conn, ELEVATIONS, columns[ELEVATIONS.name], max_rows)
    parsed.elevation_names = [row[ELEVATION_NAME.field] for row in elevation_rows]
    parsed.facts = _matching_elevation(elevation_rows, elevation_name, elevation_guid)
    for table in ROW_TABLES:
        if columns[table.name] is not None:
            setattr(parsed, table.attribute, _select(conn, table, columns[table.name], max_rows))
    return parsed


def _columns(conn: sqlite3.Connection, actual_table: str | None) -> set[str] | None:
    if actual_table is None:
        return None
    # The table name is a bound parameter of the table-valued pragma, never part of the SQL.
    rows = conn.execute("SELECT name FROM pragma_table_info(?) LIMIT 10000", (actual_table,))
    return {name.lower() for (name,) in rows if isinstance(name, str)}


def _select(conn: sqlite3.Connection, table: Table, present: set[str], max_rows: int) -> list[dict]:
    wanted = [column for column in table.columns if column.name.lower() in present]
    absent = [column for column in table.columns if column.name.lower() not in present]
    # Only the fixed names of `schema` are quoted into the statement (SQLite matches them
    # case-insensitively against the file's spelling).
    sql = f'SELECT {", ".join(_quoted(c.name) for c in wanted)} FROM {_quoted(table.name)} LIMIT ?'
    cursor = conn.execute(sql, (max_rows + 1,))
    rows: list[dict] = []
    while batch := cursor.fetchmany(_FETCH_BATCH):
        if len(rows) + len(batch) > max_rows:
            raise PartsListInvalid(f"table {table.name} has more than {max_rows:,} rows (the limit per table)")
        for values in batch:
            row = {column.field: _convert(column, value) for column, value in zip(wanted, values, strict=True)}
            row.update({column.field: _convert(column, None) for column in absent})
            rows.append(row)
    return rows


def _matching_elevation(rows: list[dict], name: str, guid: str | None) -> dict[str, str]:
    # Exact comparison in Python: a drifted schema could declare Name COLLATE NOCASE, and
    # "P1" must never match "p1" or "P10".
    matches = [row for row in rows if row[ELEVATION_NAME.field] == name]
    if not matches:
        names = ", ".join(repr(n) for n in [r[ELEVATION_NAME.field] for r in rows][:10]) or "none"
        raise PartsListInvalid(f"no row of table Elevations is named exactly {name!r} (names in the file: {names})")
    if len(matches) > 1 and guid:
        wanted = normalise_guid(guid)
        matches = [row for row in matches if row.get(ELEVATION_ID.field) == wanted] or matches
    row = matches[0]
    return {column.field: row[column.field] for column in ELEVATION_FACTS}


def normalise_guid(value: str) -> str:
    """``{15782E4D-…}`` (the file's form) -> ``15782e4d-…`` (the API's form); other text unchanged."""
    match = _GUID.match(value.strip())
    return match.group(1).lower() if match else value


def _convert(column: Column, value):
    if column.kind == "number":
        return _number(value)
    text = _text(value)
    return normalise_guid(text) if column.kind == "guid" else text


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    elif isinstance(value, float):
        value = _format_number(value)
    else:
        value = str(value)
    # PostgreSQL text cannot hold NUL characters.
    return value.replace("\x00", "")


def _format_number(value: float) -> str:
    if not math.isfinite(value):
        return ""
    return f"{value:.15g}"


def _number(value) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str):
        text = value.strip().replace("\u00a0", "").replace(" ", "")
        if "," in text and "." not in text:
            text = text.replace(",", ".")  # a decimal comma, as Dutch and German installs write it
        try:
            number = float(text)
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def _quoted(identifier: str) -> str:
    assert re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", identifier), identifier  # constants from `schema` only
    return f'"{identifier}"'


def _preview(head: bytes) -> str:
    text = head[:40].decode("latin-1")
    printable = "".join(ch if ch.isprintable() else "." for ch in text)
    return repr(printable + ("…" if len(head) > 40 else ""))
