"""Generated LogiKal parts-list files: real SQLite 3 databases, as `GET /elevations/selected/parts-list`
returns them (base64 of the file bytes inside `{"data": ...}`).

Usable on its own, e.g. by parser tests::

    data = build_parts_list({"name": "P1", "guid": "…", "system_code": "AWS 75.SI+", ...},
                            extra_elevation_names=["P10"], drift=None, size="small")

Tables and columns (GUIDs are upper case in braces, e.g. ``{15782E4D-…}``; sizes in mm):

- ``Elevations``: ElevationID, PhaseID, Name, AutoDescription, AutoDescriptionShort,
  Width_Output (REAL), Width_Unit ("mm"), Height_Output (REAL), Height_Unit ("mm"),
  Weight_Output (REAL), Weight_Unit ("kg"), Area_Output (REAL), Area_Unit ("m²"), SystemCode,
  SystemName, SystemLongName, ColorBase_Long, ColorInside, ColorOutside, Amount.
  One row for the elevation itself plus one per ``extra_elevation_names`` entry (same system).
- ``Glass``: GlassID, ElevationID, Name, Width, Height, Area, Thickness, Weight, Ug, Amount, Position.
- ``Articles``: ArticleID, ElevationID, ArticleCode, Description, Amount, Unit, Color, Price,
  Weight, SupplierID.
- ``Profiles``: ProfileID, ElevationID, ArticleCode, Description, Length, Color, Price, Amount,
  Weight, AngleLeft, AngleRight, Position.
- ``UValue``: Name ("Uw", "Uf", "Ug", "Psi"), U, U_Unit.
- ``Projects``: ProjectID, Name, JobNumber, OfferNumber, PersonInCharge, Currency.
- ``Phases``: PhaseID, ProjectID, Name, Description.
- ``Insertions``, ``LabourTimes``, ``LabourCosts``, ``CalcDetailItems``, ``MountingLines``,
  ``Colors``, ``ElevationCE``, ``Suppliers``, ``Manufacturers``: see `partslist_tables`.
- ``size="realistic"``: 55 filler tables more (71 in all, as real files) and enough
  ``CalcDetailItems`` rows for a file of 0.7-1.7 MB. ``size="small"``: only the 16 tables
  above, few rows, 512-byte pages: 10-30 KB.

Drift variants (what another LogiKal version might send):
``"extra_columns"`` adds unknown tables and columns; ``"missing_optional"`` drops the ``UValue``
and ``Glass`` tables; ``"missing_required"`` drops ``Elevations.SystemCode``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import random
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from . import partslist_tables as tables
from .catalog import NULL_GUID, guid_from

DRIFT_VARIANTS = (None, "extra_columns", "missing_optional", "missing_required")
CORRUPT_VARIANTS = ("corrupt", "truncated", "not_sqlite", "oversized")
SIZES = ("realistic", "small")
DEFAULT_OVERSIZED_BYTES = 16 * 1024 * 1024
REQUIRED_ELEVATION_COLUMNS = ("Name", "SystemCode", "SystemName", "Width_Output", "Height_Output")


@dataclass(frozen=True)
class ElevationFacts:
    """What the parts list must agree on with the API's view of the elevation."""

    name: str
    guid: str
    system_code: str = "AWS 75.SI+"
    system_name: str = "Schüco AWS 75.SI+"
    width: float = 1230.0
    height: float = 1480.0
    color_inside: str = "RAL 9016"
    color_outside: str = "RAL 7016"
    system_long_name: str = ""
    color_base: str = ""
    amount: float = 1.0
    elevation_type: str = "Window"
    manufacturer: str = "Schüco"
    project_name: str = "Project"
    project_guid: str = NULL_GUID
    job_number: str = ""
    phase_name: str = "Posities zonder levering"
    phase_guid: str = NULL_GUID

    # API-style spellings accepted by from_mapping, so callers can pass an elevation JSON dict.
    _ALIASES = {"id": "guid", "systemCode": "system_code", "systemName": "system_name",
                "colorInside": "color_inside", "colorOutside": "color_outside",
                "systemLongName": "system_long_name", "colorBase": "color_base", "type": "elevation_type",
                "projectName": "project_name", "projectGuid": "project_guid", "jobNumber": "job_number",
                "phaseName": "phase_name", "phaseGuid": "phase_guid"}

    @classmethod
    def from_mapping(cls, values: Mapping) -> ElevationFacts:
        known = {f.name for f in dataclasses.fields(cls)}
        kwargs = {}
        for key, value in values.items():
            field = cls._ALIASES.get(key, key)
            if field not in known:
                raise ValueError(f"unknown elevation fact {key!r}; known: {sorted(known)}")
            kwargs[field] = value
        missing = {"name", "guid"} - kwargs.keys()
        if missing:
            raise ValueError(f"elevation facts need {sorted(missing)}")
        return cls(**kwargs)


def build_parts_list(
    elevation: ElevationFacts | Mapping,
    *,
    seed: int = 0,
    extra_elevation_names: Sequence[str] = (),
    drift: str | None = None,
    size: str = "realistic",
) -> bytes:
    """The bytes of a SQLite 3 parts-list file for one elevation (deterministic per arguments)."""
    facts = elevation if isinstance(elevation, ElevationFacts) else ElevationFacts.from_mapping(elevation)
    if drift not in DRIFT_VARIANTS:
        raise ValueError(f"drift must be one of {DRIFT_VARIANTS}, not {drift!r}")
    if size not in SIZES:
        raise ValueError(f"size must be one of {SIZES}, not {size!r}")
    realistic = size == "realistic"
    rng = random.Random(f"partslist:{seed}:{facts.guid}:{facts.name}")
    layouts = _table_layouts(drift, realistic)

    conn = sqlite3.connect(":memory:")
    try:
        conn.execute(f"PRAGMA page_size = {4096 if realistic else 512}")
        for table, columns in layouts.items():
            conn.execute(f'CREATE TABLE "{table}" ({", ".join(f"{c} {t}" for c, t in columns)})')

        rows = tables.fixed_rows(facts, rng, scale=4 if realistic else 1)
        rows["Elevations"] = [tables.elevation_row(facts, facts.name, facts.guid, facts.width, facts.height)]
        for extra in extra_elevation_names:
            width = float(rng.choice((600, 900, 1230, 1800, 2400)))
            height = float(rng.choice((600, 1200, 1480, 2100, 2400)))
            rows["Elevations"].append(tables.elevation_row(facts, extra, guid_from(facts.guid, extra), width, height))
        rows["CalcDetailItems"] = tables.calc_detail_rows(facts, rng, 0, 40 if realistic else 6)
        if realistic:
            for table in tables.FILLER_TABLE_NAMES:
                rows[table] = tables.filler_rows(facts, rng, table, rng.randint(2, 12))
        if drift == "extra_columns":
            rows["CloudSyncState"] = [{"Key": "revision", "Value": str(rng.randint(1, 99))}]
            rows["SustainabilityData"] = [{"ElevationID": rows["Elevations"][0]["ElevationID"],
                                           "CO2_kg": round(rng.uniform(40, 400), 1), "Epd": "EPD-ALU-2025"}]
            for row in rows["Elevations"]:
                row.update(BimObjectID=guid_from(facts.guid, "bim"), ThermalBreak="polyamide")

        for table, table_rows in rows.items():
            if table in layouts:
                _insert(conn, table, layouts[table], table_rows)
        if realistic:
            target = int(rng.uniform(0.75, 1.6) * 1024 * 1024)
            _grow_calc_details(conn, facts, rng, layouts["CalcDetailItems"], target)
        conn.commit()
        return conn.serialize()
    finally:
        conn.close()


def _table_layouts(drift: str | None, realistic: bool) -> dict[str, tables.Columns]:
    layouts = dict(tables.NAMED_TABLES)
    if realistic:
        layouts.update({name: tables.FILLER_COLUMNS for name in tables.FILLER_TABLE_NAMES})
    if drift == "extra_columns":
        for table, extra in tables.DRIFT_EXTRA_COLUMNS.items():
            layouts[table] = layouts[table] + extra
        layouts.update(tables.DRIFT_EXTRA_TABLES)
    elif drift == "missing_optional":
        del layouts["UValue"], layouts["Glass"]
    elif drift == "missing_required":
        layouts["Elevations"] = tuple(c for c in layouts["Elevations"] if c[0] != "SystemCode")
    return layouts


def _insert(conn: sqlite3.Connection, table: str, columns: tables.Columns, rows: list[dict]) -> None:
    names = [c for c, _ in columns]
    sql = f'INSERT INTO "{table}" ({", ".join(names)}) VALUES ({", ".join("?" * len(names))})'
    conn.executemany(sql, [tuple(row.get(n) for n in names) for row in rows])


def _grow_calc_details(conn, facts, rng, columns, target_bytes: int) -> None:
    # Real files are dominated by calculation detail rows; add them in batches until the file
    # reaches its drawn size, which keeps the size realistic without guessing row widths.
    start = conn.execute("SELECT COUNT(*) FROM CalcDetailItems").fetchone()[0]
    while True:
        pages, page_size = (conn.execute(f"PRAGMA {p}").fetchone()[0] for p in ("page_count", "page_size"))
        if pages * page_size >= target_bytes:
            return
        _insert(conn, "CalcDetailItems", columns, tables.calc_detail_rows(facts, rng, start, 400))
        start += 400


def corrupt_parts_list(data: bytes, variant: str, *, size: int | None = None) -> bytes:
    """A damaged copy of a parts-list file, for fault injection.

    ``corrupt``: SQLite header kept, schema page and later pages garbled (opening works, reading
    fails). ``truncated``: cut off part-way through a page. ``not_sqlite``: an HTML error page.
    ``oversized``: still a valid database, zero-padded to ``size`` bytes (default 16 MiB).
    """
    if variant not in CORRUPT_VARIANTS:
        raise ValueError(f"variant must be one of {CORRUPT_VARIANTS}, not {variant!r}")
    if variant == "not_sqlite":
        return (b"<html><head><title>Runtime Error</title></head><body><h1>Server Error in '/' "
                b"Application.</h1><p>Object reference not set to an instance of an object.</p></body></html>")
    if variant == "truncated":
        return data[: max(100, len(data) * 2 // 5 + 37)]
    if variant == "oversized":
        target = size if size is not None else DEFAULT_OVERSIZED_BYTES
        return data + b"\0" * max(0, target - len(data))
    page_size = int.from_bytes(data[16:18], "big") or 65536
    garbled = bytearray(data)
    noise = hashlib.sha256(data[:4096]).digest()
    for page_start in range(0, len(data), page_size * 3):
        first = max(page_start, 100)
        for i in range(first, min(page_start + page_size, len(data))):
            garbled[i] = noise[i % len(noise)] ^ (i & 0xFF)
    return bytes(garbled)


class PartsListCache:
    """A bounded LRU of generated files (generation of a realistic file takes tens of ms)."""

    def __init__(self, max_bytes: int = 64 * 1024 * 1024):
        self.max_bytes = max_bytes
        self._items: OrderedDict[tuple, bytes] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.builds = 0  # how many files were generated (cache misses)

    def __len__(self) -> int:
        return len(self._items)

    def get_or_build(self, key: tuple, build) -> bytes:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        data = build()
        with self._lock:
            self.builds += 1
            if key not in self._items:
                self._items[key] = data
                self._bytes += len(data)
                while self._bytes > self.max_bytes and len(self._items) > 1:
                    _, dropped = self._items.popitem(last=False)
                    self._bytes -= len(dropped)
        return data

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0
