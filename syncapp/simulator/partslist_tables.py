"""Table layouts and row makers for generated parts-list files (see `partslist` for the story).

Kept apart from `partslist` so the public generator reads as a recipe while the column lists,
which are long and mostly filler, live here.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from . import catalog
from .catalog import braced, guid_from

if TYPE_CHECKING:
    from .partslist import ElevationFacts

Columns = tuple[tuple[str, str], ...]

# The tables downstream code reads or that real files were seen to hold, with their columns.
NAMED_TABLES: dict[str, Columns] = {
    "Projects": (("ProjectID", "TEXT"), ("Name", "TEXT"), ("JobNumber", "TEXT"), ("OfferNumber", "TEXT"),
                 ("PersonInCharge", "TEXT"), ("Currency", "TEXT")),
    "Phases": (("PhaseID", "TEXT"), ("ProjectID", "TEXT"), ("Name", "TEXT"), ("Description", "TEXT")),
    "Elevations": (("ElevationID", "TEXT"), ("PhaseID", "TEXT"), ("Name", "TEXT"), ("AutoDescription", "TEXT"),
                   ("AutoDescriptionShort", "TEXT"), ("Width_Output", "REAL"), ("Width_Unit", "TEXT"),
                   ("Height_Output", "REAL"), ("Height_Unit", "TEXT"), ("Weight_Output", "REAL"),
                   ("Weight_Unit", "TEXT"), ("Area_Output", "REAL"), ("Area_Unit", "TEXT"),
                   ("SystemCode", "TEXT"), ("SystemName", "TEXT"), ("SystemLongName", "TEXT"),
                   ("ColorBase_Long", "TEXT"), ("ColorInside", "TEXT"), ("ColorOutside", "TEXT"),
                   ("Amount", "REAL")),
    "Articles": (("ArticleID", "INTEGER"), ("ElevationID", "TEXT"), ("ArticleCode", "TEXT"),
                 ("Description", "TEXT"), ("Amount", "REAL"), ("Unit", "TEXT"), ("Color", "TEXT"),
                 ("Price", "REAL"), ("Weight", "REAL"), ("SupplierID", "INTEGER")),
    "Profiles": (("ProfileID", "INTEGER"), ("ElevationID", "TEXT"), ("ArticleCode", "TEXT"),
                 ("Description", "TEXT"), ("Length", "REAL"), ("Color", "TEXT"), ("Price", "REAL"),
                 ("Amount", "REAL"), ("Weight", "REAL"), ("AngleLeft", "REAL"), ("AngleRight", "REAL"),
                 ("Position", "TEXT")),
    "Glass": (("GlassID", "TEXT"), ("ElevationID", "TEXT"), ("Name", "TEXT"), ("Width", "REAL"),
              ("Height", "REAL"), ("Area", "REAL"), ("Thickness", "REAL"), ("Weight", "REAL"),
              ("Ug", "REAL"), ("Amount", "INTEGER"), ("Position", "TEXT")),
    "Insertions": (("InsertionID", "INTEGER"), ("ElevationID", "TEXT"), ("Kind", "TEXT"), ("Name", "TEXT"),
                   ("Width", "REAL"), ("Height", "REAL"), ("Position", "TEXT")),
    "LabourTimes": (("LabourTimeID", "INTEGER"), ("ElevationID", "TEXT"), ("Activity", "TEXT"),
                    ("Minutes", "REAL")),
    "LabourCosts": (("LabourCostID", "INTEGER"), ("ElevationID", "TEXT"), ("Activity", "TEXT"),
                    ("HourlyRate", "REAL"), ("Cost", "REAL")),
    "CalcDetailItems": (("ItemID", "INTEGER"), ("ElevationID", "TEXT"), ("Category", "TEXT"),
                        ("ArticleCode", "TEXT"), ("Text", "TEXT"), ("Quantity", "REAL"), ("Unit", "TEXT"),
                        ("UnitPrice", "REAL"), ("Total", "REAL"), ("Memo", "TEXT")),
    "MountingLines": (("LineID", "INTEGER"), ("ElevationID", "TEXT"), ("Side", "TEXT"), ("Length", "REAL"),
                      ("Anchor", "TEXT"), ("Spacing", "REAL")),
    "UValue": (("Name", "TEXT"), ("U", "REAL"), ("U_Unit", "TEXT")),
    "Colors": (("ColorID", "INTEGER"), ("Code", "TEXT"), ("Name", "TEXT"), ("Finish", "TEXT")),
    "ElevationCE": (("ElevationID", "TEXT"), ("Characteristic", "TEXT"), ("Value", "TEXT"), ("Standard", "TEXT")),
    "Suppliers": (("SupplierID", "INTEGER"), ("Name", "TEXT"), ("Country", "TEXT")),
    "Manufacturers": (("ManufacturerID", "INTEGER"), ("Name", "TEXT"), ("Country", "TEXT")),
}

# Real files hold 71 tables; the rest are modelled as small look-alike tables nobody reads.
FILLER_TABLE_NAMES: tuple[str, ...] = (
    "Accessories", "Gaskets", "Fittings", "Hardware", "Seals", "Screws", "Anchors", "Brackets", "Cuts",
    "Machinings", "Drillings", "Notches", "Packaging", "Options", "Texts", "Units", "Currencies",
    "PriceGroups", "Discounts", "Surcharges", "Drainage", "Ventilation", "Sunshading", "Panels", "Sills",
    "Thresholds", "Covers", "Insulation", "Foils", "Sealants", "Welds", "CornerJoints", "TJoints",
    "Reinforcements", "Bars", "Sashes", "Frames", "Fields", "Openings", "Handles", "Locks", "Hinges",
    "OperatingForces", "SoundInsulation", "BurglarResistance", "WindLoads", "StaticValues", "Deflections",
    "Settings", "Layouts", "Languages", "Users", "Versions", "ReportTexts", "ExportLog",
)
assert len(NAMED_TABLES) + len(FILLER_TABLE_NAMES) == 71

FILLER_COLUMNS: Columns = (("ID", "INTEGER"), ("ElevationID", "TEXT"), ("Name", "TEXT"),
                           ("Value", "REAL"), ("Info", "TEXT"))

# Schema drift as a newer LogiKal might ship it: tables and columns no parser knows about.
DRIFT_EXTRA_TABLES: dict[str, Columns] = {
    "SustainabilityData": (("ElevationID", "TEXT"), ("CO2_kg", "REAL"), ("Epd", "TEXT")),
    "CloudSyncState": (("Key", "TEXT"), ("Value", "TEXT")),
}
DRIFT_EXTRA_COLUMNS: dict[str, Columns] = {
    "Elevations": (("BimObjectID", "TEXT"), ("ThermalBreak", "TEXT")),
    "Articles": (("EcoScore", "REAL"),),
    "Profiles": (("RecycledShare", "REAL"),),
}

ROW_WORDS = ("incl.", "excl.", "cut", "mitre", "assembly", "surface", "standard", "order", "stock",
             "length", "bar", "pcs", "variant", "left", "right", "top", "bottom", "inside", "outside")


def color_text(code: str) -> str:
    for surface_code, name in catalog.SURFACES:
        if surface_code == code:
            return f"{code} {name}"
    return code


def elevation_row(facts: ElevationFacts, name: str, guid: str, width: float, height: float) -> dict:
    area = round(width * height / 1_000_000, 3)
    fields = max(1, round(width / 900))
    kind = facts.elevation_type
    return {
        "ElevationID": braced(guid), "PhaseID": braced(facts.phase_guid), "Name": name,
        "AutoDescription": f"{kind} {facts.system_name}, {fields}-field, {width:.0f} x {height:.0f} mm, "
                           f"{color_text(facts.color_outside)} / {color_text(facts.color_inside)}",
        "AutoDescriptionShort": f"{kind} {fields}-field",
        "Width_Output": float(width), "Width_Unit": "mm", "Height_Output": float(height), "Height_Unit": "mm",
        "Weight_Output": round(area * 38.5 + 6, 2), "Weight_Unit": "kg",
        "Area_Output": area, "Area_Unit": "m²",
        "SystemCode": facts.system_code, "SystemName": facts.system_name,
        "SystemLongName": facts.system_long_name or facts.system_name,
        "ColorBase_Long": facts.color_base or f"{color_text(facts.color_outside)} - Powder coating matt",
        "ColorInside": facts.color_inside, "ColorOutside": facts.color_outside, "Amount": float(facts.amount),
    }


def fixed_rows(facts: ElevationFacts, rng: random.Random, scale: int) -> dict[str, list[dict]]:
    """Rows of every named table except Elevations and the bulk CalcDetailItems."""
    eid = braced(facts.guid)
    colors = (facts.color_outside, facts.color_inside)
    rows: dict[str, list[dict]] = {
        "Projects": [{"ProjectID": braced(facts.project_guid), "Name": facts.project_name,
                      "JobNumber": facts.job_number, "OfferNumber": facts.job_number and f"O-{facts.job_number}",
                      "PersonInCharge": rng.choice(catalog.PEOPLE), "Currency": "EUR"}],
        "Phases": [{"PhaseID": braced(facts.phase_guid), "ProjectID": braced(facts.project_guid),
                    "Name": facts.phase_name, "Description": ""}],
        "Suppliers": [{"SupplierID": i + 1, "Name": n, "Country": c} for i, (n, c) in enumerate(
            (("Schüco International KG", "DE"), ("Reynaers Aluminium", "BE"), ("Saint-Gobain Glass", "FR"),
             ("Roto Frank", "DE"), ("Würth", "DE")))],
        "Manufacturers": [{"ManufacturerID": 1, "Name": facts.manufacturer, "Country": "DE"}],
        "Colors": [{"ColorID": i + 1, "Code": code, "Name": color_text(code), "Finish": rng.choice(
            catalog.SURFACE_FINISHES)} for i, code in enumerate(dict.fromkeys(colors))],
        "UValue": [{"Name": "Uw", "U": round(rng.uniform(0.8, 1.6), 2), "U_Unit": "W/m²K"},
                   {"Name": "Uf", "U": round(rng.uniform(1.2, 2.2), 2), "U_Unit": "W/m²K"},
                   {"Name": "Ug", "U": 1.1, "U_Unit": "W/m²K"},
                   {"Name": "Psi", "U": round(rng.uniform(0.03, 0.07), 3), "U_Unit": "W/mK"}],
        "ElevationCE": [{"ElevationID": eid, "Characteristic": c, "Value": v, "Standard": "EN 14351-1"}
                        for c, v in (("Air permeability", "Class 4"), ("Watertightness", "E1050"),
                                     ("Wind load resistance", "C5"), ("Acoustic performance", "38 dB"))],
    }
    rows["Articles"] = [{
        "ArticleID": i + 1, "ElevationID": eid, "ArticleCode": f"{rng.randint(200, 299)} {rng.randint(100, 999)}",
        "Description": rng.choice(catalog.ARTICLE_WORDS), "Amount": float(rng.randint(1, 24)),
        "Unit": rng.choice(("pcs", "m", "set")), "Color": rng.choice(colors),
        "Price": round(rng.uniform(0.4, 180), 2), "Weight": round(rng.uniform(0.01, 3), 3),
        "SupplierID": rng.randint(1, 5)} for i in range(12 * scale)]
    rows["Profiles"] = [{
        "ProfileID": i + 1, "ElevationID": eid, "ArticleCode": f"{rng.randint(100, 199)} {rng.randint(100, 999)}",
        "Description": rng.choice(catalog.PROFILE_WORDS), "Length": float(rng.randint(400, 6500)),
        "Color": rng.choice(colors), "Price": round(rng.uniform(8, 140), 2), "Amount": float(rng.randint(1, 4)),
        "Weight": round(rng.uniform(0.8, 4.5), 3), "AngleLeft": rng.choice((45.0, 90.0)),
        "AngleRight": rng.choice((45.0, 90.0)), "Position": rng.choice(("top", "bottom", "left", "right"))}
        for i in range(8 * scale)]
    glass_name, ug, thickness = rng.choice(catalog.GLASS_BUILDUPS)
    panes = max(1, round(facts.width / 900))
    pane_w = round(facts.width / panes - 110, 1)
    pane_h = round(facts.height - 110, 1)
    rows["Glass"] = [{
        "GlassID": braced(guid_from(facts.guid, "glass", i)), "ElevationID": eid, "Name": glass_name,
        "Width": pane_w, "Height": pane_h, "Area": round(pane_w * pane_h / 1e6, 3), "Thickness": float(thickness),
        "Weight": round(pane_w * pane_h / 1e6 * thickness * 1.6, 2), "Ug": ug, "Amount": 1,
        "Position": f"Field {i + 1}"} for i in range(panes)]
    rows["UValue"][2]["U"] = ug
    rows["Insertions"] = [{"InsertionID": i + 1, "ElevationID": eid, "Kind": rng.choice(("Sash", "Fixed", "Door")),
                           "Name": f"Field {i + 1}", "Width": pane_w, "Height": pane_h, "Position": str(i + 1)}
                          for i in range(panes)]
    rows["LabourTimes"] = [{"LabourTimeID": i + 1, "ElevationID": eid, "Activity": a,
                            "Minutes": round(rng.uniform(3, 90), 1)}
                           for i, a in enumerate(("Cutting", "Machining", "Assembly", "Glazing", "Packing"))]
    rows["LabourCosts"] = [{"LabourCostID": r["LabourTimeID"], "ElevationID": eid, "Activity": r["Activity"],
                            "HourlyRate": 58.0, "Cost": round(r["Minutes"] / 60 * 58, 2)}
                           for r in rows["LabourTimes"]]
    rows["MountingLines"] = [{"LineID": i + 1, "ElevationID": eid, "Side": side, "Length": length,
                              "Anchor": "Frame anchor", "Spacing": 700.0}
                             for i, (side, length) in enumerate(
            (("top", facts.width), ("bottom", facts.width), ("left", facts.height), ("right", facts.height)))]
    return rows


def calc_detail_rows(facts: ElevationFacts, rng: random.Random, start: int, count: int) -> list[dict]:
    eid = braced(facts.guid)
    rows = []
    for i in range(start, start + count):
        qty = float(rng.randint(1, 40))
        price = round(rng.uniform(0.2, 95), 2)
        rows.append({
            "ItemID": i + 1, "ElevationID": eid, "Category": rng.choice(("Profile", "Article", "Glass", "Labour")),
            "ArticleCode": f"{rng.randint(100, 299)} {rng.randint(100, 999)}",
            "Text": rng.choice(catalog.ARTICLE_WORDS + catalog.PROFILE_WORDS), "Quantity": qty,
            "Unit": rng.choice(("pcs", "m", "set", "kg")), "UnitPrice": price, "Total": round(qty * price, 2),
            "Memo": " ".join(rng.choice(ROW_WORDS) for _ in range(rng.randint(12, 30))),
        })
    return rows


def filler_rows(facts: ElevationFacts, rng: random.Random, table: str, count: int) -> list[dict]:
    eid = braced(facts.guid)
    return [{"ID": i + 1, "ElevationID": eid, "Name": f"{table} {i + 1}", "Value": round(rng.uniform(0, 500), 2),
             "Info": " ".join(rng.choice(ROW_WORDS) for _ in range(rng.randint(2, 8)))} for i in range(count)]
