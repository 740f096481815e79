"""The part of a parts-list file this project reads: a fixed allow-list of tables and columns.

Everything else in the file (71 tables in real ones) is ignored. A required table or column
that is missing makes the file invalid; a missing optional one yields empty values and a
warning. Field names are the ones the models in `syncapp.models.partslist` use.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    name: str  # as LogiKal spells it
    field: str  # our name for it
    kind: str = "text"  # "text", "number" (float or None) or "guid" (normalised to the API's form)
    required: bool = False


@dataclass(frozen=True)
class Table:
    name: str
    attribute: str  # the list on ParsedPartsList that holds its rows
    columns: tuple[Column, ...]
    required: bool = False


ELEVATION_NAME = Column("Name", "name", required=True)
ELEVATION_ID = Column("ElevationID", "elevation_id", kind="guid")
# The facts kept on PartsList; "required" marks what no bill of materials makes sense without.
ELEVATION_FACTS = (
    Column("AutoDescription", "auto_description"),
    Column("AutoDescriptionShort", "auto_description_short"),
    Column("Width_Output", "width_output", required=True),
    Column("Width_Unit", "width_unit"),
    Column("Height_Output", "height_output", required=True),
    Column("Height_Unit", "height_unit"),
    Column("Weight_Output", "weight_output"),
    Column("Weight_Unit", "weight_unit"),
    Column("Area_Output", "area_output"),
    Column("Area_Unit", "area_unit"),
    Column("SystemCode", "system_code", required=True),
    Column("SystemName", "system_name", required=True),
    Column("SystemLongName", "system_long_name"),
    Column("ColorBase_Long", "color_base_long"),
)
ELEVATIONS = Table("Elevations", "elevations", (ELEVATION_NAME, ELEVATION_ID, *ELEVATION_FACTS), required=True)

GLASS = Table("Glass", "glass", (
    Column("GlassID", "glass_id", kind="guid"),
    Column("Name", "name"),
))
ARTICLES = Table("Articles", "articles", (
    Column("ArticleCode", "article_code", required=True),
    Column("Description", "description"),
    Column("Amount", "amount", kind="number"),
    Column("Color", "color"),
), required=True)
PROFILES = Table("Profiles", "profiles", (
    Column("ArticleCode", "article_code", required=True),
    Column("Description", "description"),
    Column("Length", "length", kind="number"),
    Column("Color", "color"),
    Column("Price", "price", kind="number"),
), required=True)
U_VALUES = Table("UValue", "u_values", (
    Column("Name", "name"),
    Column("U", "u", kind="number"),
    Column("U_Unit", "u_unit"),
))

# Tables whose rows are stored, in the order they are read.
ROW_TABLES = (GLASS, ARTICLES, PROFILES, U_VALUES)
