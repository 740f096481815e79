"""Parts lists as CSV and XLSX files: one elevation's, or all of a phase's or a project's.

Both hold the same table (PART_HEADINGS: which project, phase and elevation, article or
profile, then the part). The XLSX adds a sheet of elevation facts. Numbers are numbers:
"4", not "4.0", in the CSV; numeric cells with a display format in the XLSX (openpyxl).
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterator

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from syncapp.models import PartsListGlass, PartsListUValue

from .sheet import PART_HEADINGS, elevation_facts, part_rows

FACT_HEADINGS = ("Project", "Phase", "Elevation", "Description", "Width", "Height", "Size unit", "Weight",
                 "Weight unit", "Area", "Area unit", "System", "Colour", "Glass", "U-values")
# Display formats of the numeric columns of the parts table (by heading).
NUMBER_FORMATS = {"Amount": "General", "Length (mm)": "#,##0.0##", "Price": "#,##0.00"}


def plain_number(value) -> str:
    """For CSV: 4.0 -> "4", 12.5 -> "12.5", None -> ""; never float noise or a thousands separator."""
    if value is None:
        return ""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.15g}"


def csv_chunks(parts_lists) -> Iterator[str]:
    """The CSV text in pieces, for a streaming response. A BOM so Excel reads it as UTF-8."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(PART_HEADINGS)
    for n, row in enumerate(part_rows(parts_lists), start=1):
        writer.writerow([plain_number(v) if isinstance(v, float) else ("" if v is None else v) for v in row])
        if n % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _fact_row(parts_list) -> list:
    facts = {fact.label: fact for fact in elevation_facts(parts_list)}

    def number(label):
        fact = facts.get(label)
        return None if fact is None else (fact.number if fact.number is not None else fact.value)

    glass = "; ".join(PartsListGlass.objects.filter(parts_list=parts_list).exclude(name="")
                      .order_by("pk").values_list("name", flat=True))
    u_values = "; ".join(f"{u.name} {plain_number(u.u)} {u.u_unit}".strip()
                         for u in PartsListUValue.objects.filter(parts_list=parts_list).order_by("pk"))
    elevation = parts_list.elevation
    return [
        elevation.phase.project.name, elevation.phase.name, elevation.name,
        facts["Description"].value if "Description" in facts else "",
        number("Width"), number("Height"), parts_list.width_unit or parts_list.height_unit,
        number("Weight"), parts_list.weight_unit, number("Area"), parts_list.area_unit,
        facts["System"].value if "System" in facts else "", parts_list.color_base_long, glass, u_values,
    ]


def _header(sheet, headings) -> None:
    cells = []
    for heading in headings:
        cell = WriteOnlyCell(sheet, value=heading)
        cell.font = Font(bold=True)
        cells.append(cell)
    sheet.append(cells)


def xlsx_bytes(parts_lists) -> bytes:
    """A workbook with the sheets "Parts" (the CSV's table) and "Elevations" (facts per elevation)."""
    book = Workbook(write_only=True)
    parts = book.create_sheet("Parts")
    parts.freeze_panes = "A2"
    for letter, width in zip("ABCDEFGHIJ", (24, 16, 16, 9, 18, 40, 22, 10, 12, 10)):
        parts.column_dimensions[letter].width = width
    _header(parts, PART_HEADINGS)
    formats = [NUMBER_FORMATS.get(heading) for heading in PART_HEADINGS]
    for row in part_rows(parts_lists):
        cells = []
        for value, number_format in zip(row, formats):
            cell = WriteOnlyCell(parts, value=value)
            if number_format and value is not None:
                cell.number_format = number_format
            cells.append(cell)
        parts.append(cells)

    facts = book.create_sheet("Elevations")
    facts.freeze_panes = "A2"
    _header(facts, FACT_HEADINGS)
    ordered = parts_lists.select_related("elevation__phase__project").order_by(
        "elevation__phase__project__name", "elevation__phase__name", "elevation__name", "pk")
    for parts_list in ordered.iterator(chunk_size=200):
        facts.append(_fact_row(parts_list))

    # Spooled: small workbooks stay in memory, a whole project's goes to a temporary file.
    with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as out:
        book.save(out)
        out.seek(0)
        return out.read()
