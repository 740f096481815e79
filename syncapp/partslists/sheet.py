"""A parts list as staff read it: the elevation's facts, then its articles and profiles.

One reading for the elevation page and the CSV/XLSX exports alike, so a figure looks the
same wherever it is shown. Numbers stay numbers here (floats); formatting is the caller's.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field

from syncapp.models import PartsList, PartsListArticle, PartsListGlass, PartsListProfile, PartsListUValue

# (heading, attribute, unit) of the part rows, in the order staff read them.
ARTICLE_COLUMNS = (("Article no.", "article_code", ""), ("Description", "description", ""),
                   ("Colour", "color", ""), ("Amount", "amount", ""))
PROFILE_COLUMNS = (("Article no.", "article_code", ""), ("Description", "description", ""),
                   ("Colour", "color", ""), ("Length", "length", "mm"), ("Price", "price", ""))
# One flat table of both kinds, for a CSV that holds a whole project.
PART_HEADINGS = ("Project", "Phase", "Elevation", "Kind", "Article no.", "Description", "Colour",
                 "Amount", "Length (mm)", "Price")


def as_number(text: str) -> float | None:
    """A figure the file stored as text ("1800", "84.55"); None when it is not a number."""
    try:
        number = float(str(text).replace(",", "."))
    except ValueError:
        return None
    return number if math.isfinite(number) else None


@dataclass
class Fact:
    label: str
    value: str = ""
    number: float | None = None
    unit: str = ""


@dataclass
class Sheet:
    parts_list: PartsList
    facts: list[Fact] = field(default_factory=list)
    glass: list[str] = field(default_factory=list)
    u_values: list[PartsListUValue] = field(default_factory=list)
    articles: list[PartsListArticle] = field(default_factory=list)
    profiles: list[PartsListProfile] = field(default_factory=list)


def _measure(label: str, text: str, unit: str) -> Fact:
    return Fact(label, value=text, number=as_number(text), unit=unit)


def elevation_facts(parts_list: PartsList) -> list[Fact]:
    p = parts_list
    facts = [Fact("Description", p.auto_description or p.auto_description_short)]
    if p.width_output or p.height_output:
        unit = p.width_unit or p.height_unit
        facts += [_measure("Width", p.width_output, unit), _measure("Height", p.height_output, p.height_unit or unit)]
    if p.weight_output:
        facts.append(_measure("Weight", p.weight_output, p.weight_unit))
    if p.area_output:
        facts.append(_measure("Area", p.area_output, p.area_unit))
    system = " – ".join(part for part in (p.system_code, p.system_name) if part)
    if p.system_long_name and p.system_long_name not in (p.system_name, system):
        system = f"{system} ({p.system_long_name})" if system else p.system_long_name
    facts += [Fact("System", system), Fact("Colour", p.color_base_long)]
    return [fact for fact in facts if fact.value]


def read_sheet(parts_list: PartsList) -> Sheet:
    """Facts and rows of one parts list (five small queries)."""
    def rows(model):
        return list(model.objects.filter(parts_list=parts_list).order_by("pk"))

    return Sheet(
        parts_list=parts_list,
        facts=elevation_facts(parts_list),
        glass=[g.name for g in rows(PartsListGlass) if g.name],
        u_values=rows(PartsListUValue),
        articles=rows(PartsListArticle),
        profiles=rows(PartsListProfile),
    )


def part_rows(parts_lists) -> Iterator[tuple]:
    """Articles, then profiles, of each parts list in ``parts_lists`` (a queryset), as PART_HEADINGS rows.

    Streams from the database: a whole project's lists never sit in memory at once.
    """
    names = {"project": "elevation__phase__project__name", "phase": "elevation__phase__name",
             "elevation": "elevation__name"}
    ordered = parts_lists.order_by(*names.values(), "pk")
    for pl_id, project, phase, elevation in ordered.values_list("pk", *names.values()).iterator(chunk_size=200):
        where = PartsListArticle.objects.filter(parts_list_id=pl_id).order_by("pk")
        for code, description, color, amount in where.values_list("article_code", "description", "color", "amount"):
            yield (project, phase, elevation, "Article", code, description, color, amount, None, None)
        where = PartsListProfile.objects.filter(parts_list_id=pl_id).order_by("pk")
        for code, description, color, length, price in where.values_list(
            "article_code", "description", "color", "length", "price"
        ):
            yield (project, phase, elevation, "Profile", code, description, color, None, length, price)
