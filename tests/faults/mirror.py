"""The mirror as plain values, to compare a faulted run with a clean reference run.

A snapshot keys every mirrored row by its upstream identity (directory path, GUIDs) and keeps
the values a user reads: upstream fields, tombstones, the parts-list file and its parsed rows.
Bookkeeping that differs between two correct runs (ids, timestamps of our own, failure
counters, `missing_since`) is left out on purpose.
"""

from dataclasses import dataclass, field
from itertools import groupby

from django.db.models import Count

from syncapp.models import (
    Directory,
    Elevation,
    PartsList,
    PartsListArticle,
    PartsListGlass,
    PartsListProfile,
    PartsListUValue,
    Phase,
    Project,
    SyncRun,
)
from syncapp.models.partslist import ParseStatus
from syncapp.sync.phase import _ELEVATION_FIELDS
from syncapp.sync.recovery import INTERRUPTED_ERROR

PROJECT_FIELDS = ("name", "job_number", "offer_number", "person_in_charge", "estimated", "is_deleted",
                  "created_date", "changed_date", "details")
PARTS_LIST_FIELDS = ("sha256", "parse_status", "parsed_sha256", "size_bytes", "auto_description", "width_output",
                     "height_output", "weight_output", "area_output", "system_code", "system_name",
                     "system_long_name", "color_base_long")
ROW_MODELS = {"glass": PartsListGlass, "articles": PartsListArticle, "profiles": PartsListProfile,
              "u_values": PartsListUValue}


def snapshot() -> dict[tuple, dict]:
    rows: dict[tuple, dict] = {}
    for d in Directory.objects.select_related("parent"):
        rows[("directory", d.path)] = {"name": d.name, "parent": d.parent.path if d.parent else None,
                                       "removed": d.removed_at is not None}
    for p in Project.objects.select_related("directory"):
        values = {name: getattr(p, name) for name in PROJECT_FIELDS}
        rows[("project", str(p.guid))] = {**values, "directory": p.directory.path, "removed": p.removed_at is not None}
    for ph in Phase.objects.select_related("project"):
        rows[("phase", str(ph.project.guid), str(ph.guid))] = {
            "name": ph.name, "description": ph.description, "removed": ph.removed_at is not None}
    for e in Elevation.objects.select_related("phase__project"):
        values = {name: getattr(e, name) for name in _ELEVATION_FIELDS.values()}
        key = ("elevation", str(e.phase.project.guid), str(e.phase.guid), str(e.guid))
        rows[key] = {**values, "thumbnail": bool(e.thumbnail), "removed": e.removed_at is not None}
    counts = {name: dict(model.objects.values_list("parts_list").annotate(n=Count("pk")).values_list("parts_list", "n"))
              for name, model in ROW_MODELS.items()}
    for pl in PartsList.objects.select_related("elevation"):
        values = {name: getattr(pl, name) for name in PARTS_LIST_FIELDS}
        values.update({f"rows_{name}": counts[name].get(pl.pk, 0) for name in ROW_MODELS})
        rows[("parts_list", str(pl.elevation.guid))] = values
    return rows


@dataclass
class Difference:
    lost: list = field(default_factory=list)  # in the reference, missing or tombstoned here
    extra: list = field(default_factory=list)  # here, not in the reference
    changed: dict = field(default_factory=dict)  # key -> {field: (reference, here)}

    @property
    def none(self) -> bool:
        return not (self.lost or self.extra or self.changed)

    def __str__(self) -> str:
        parts = [f"lost {self.lost[:5]}" if self.lost else "", f"extra {self.extra[:5]}" if self.extra else "",
                 f"changed {dict(list(self.changed.items())[:5])}" if self.changed else ""]
        return "; ".join(p for p in parts if p) or "no difference"


def compare(reference: dict, actual: dict, *, ignore_keys=()) -> Difference:
    """What `actual` lost, gained or changed against `reference` (keys in `ignore_keys` skipped)."""
    ignored = set(ignore_keys)
    diff = Difference()
    for key, expected in reference.items():
        if key in ignored:
            continue
        got = actual.get(key)
        if got is None or (got.get("removed") and not expected.get("removed")):
            diff.lost.append(key)
            continue
        changed = {name: (value, got.get(name)) for name, value in expected.items() if got.get(name) != value}
        if changed:
            diff.changed[key] = changed
    diff.extra = [key for key in actual if key not in reference and key not in ignored]
    return diff


def parts_list_keys(status: str) -> set[tuple]:
    return {("parts_list", str(guid)) for guid in
            PartsList.objects.filter(parse_status=status).values_list("elevation__guid", flat=True)}


def invalid_parts_lists() -> dict[str, str]:
    """Elevation GUID -> parse error of every parts list recorded as invalid."""
    rows = PartsList.objects.filter(parse_status=ParseStatus.INVALID).values_list("elevation__guid", "parse_error")
    return {str(guid): error for guid, error in rows}


def wipe() -> None:
    """Empty the mirror (children first: sync never deletes, so the foreign keys protect)."""
    SyncRun.objects.all().delete()
    PartsList.objects.all().delete()
    Elevation.objects.all().delete()
    Phase.objects.all().delete()
    Project.objects.all().delete()
    for directory in sorted(Directory.objects.exclude(path=""), key=lambda d: -d.depth):
        directory.delete()  # deepest first: a parent is protected while it has children
    Directory.objects.filter(path="").update(listed_at=None, synced_at=None, last_error="", failure_count=0)


def overlapping_runs() -> list[tuple[SyncRun, SyncRun]]:
    """Pairs of runs of one object whose [start, finish] intervals overlap.

    Runs closed as interrupted are left out: their finish is when the loss was noticed.
    """
    runs = SyncRun.objects.exclude(error=INTERRUPTED_ERROR).order_by("object_type", "object_id", "started_at")
    overlaps = []
    for _, group in groupby(runs, key=lambda run: (run.object_type, run.object_id)):
        latest = None  # of the runs so far, the one that ends last
        for run in group:
            if latest is not None and (latest.finished_at is None or run.started_at < latest.finished_at):
                overlaps.append((latest, run))
            if latest is None or (latest.finished_at is not None
                                  and (run.finished_at is None or run.finished_at > latest.finished_at)):
                latest = run
    return overlaps


def unaccounted_objects(since) -> list[str]:
    """Live objects that are neither verified since `since` nor carry a recorded error or warning.

    An object missing from a suspicious (transiently empty) listing is accounted for by its
    `missing_since` mark, which its parent's run explains in a warning.
    """
    found = []
    for model in (Directory, Project, Phase, Elevation):
        live = model.objects.filter(removed_at=None)
        verified = live.filter(synced_at__gte=since, failure_count=0)
        errored = live.filter(failure_count__gt=0).exclude(last_error="")
        marked = live.filter(missing_since__isnull=False)
        rest = live.exclude(pk__in=verified.values("pk")).exclude(pk__in=errored.values("pk")).exclude(
            pk__in=marked.values("pk"))
        found += [f"{model.__name__} {row}" for row in rest[:20]]
    return found
