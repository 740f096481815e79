"""Apply a parent's listing to its mirrored children: create, update, verify, tombstone.

Runs inside the caller's transaction. Sync never deletes: a child missing from
the listing gets ``removed_at`` (with its whole subtree), unless the listing is
suspicious — all children gone, or most of four or more, as a transiently
empty answer looks — in which case the absence is only noted (``missing_since``)
and must be confirmed by a listing taken at least ``REMOVAL_CONFIRM_AFTER`` later.

Why a delay and not simply "the next listing": a retry, a cascade and a forced
sync can list the same parent again within seconds, while the upstream hiccup
that emptied the first answer still lasts; two such answers would confirm a
removal that is not real. A regular listing comes an interval later.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Model

from ..models import ChangeKind
from .changes import record_changes

# A listing that loses more than this share of at least this many children is suspect.
SUSPICIOUS_DROP_SHARE = 0.5
SUSPICIOUS_MIN_CHILDREN = 4
# A noted absence is confirmed only by a listing at least this much later.
REMOVAL_CONFIRM_AFTER = timedelta(minutes=5)


@dataclass
class ListingOutcome:
    created: list = field(default_factory=list)
    updated: list = field(default_factory=list)
    unchanged: list = field(default_factory=list)
    removed: list = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "created": len(self.created),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "removed": len(self.removed),
        }

    def add(self, other: "ListingOutcome") -> None:
        for name in ("created", "updated", "unchanged", "removed", "warnings"):
            getattr(self, name).extend(getattr(other, name))


def is_suspicious_drop(live_before: int, missing: int) -> bool:
    """An empty answer where children existed, or most of a larger family gone at once."""
    if live_before > 0 and missing == live_before:
        return True
    return live_before >= SUSPICIOUS_MIN_CHILDREN and missing > live_before * SUSPICIOUS_DROP_SHARE


def apply_listing(
    *,
    model: type[Model],
    existing: dict,
    listed: dict[object, dict],
    parent_fields: dict,
    key_field: str,
    now,
    what: str,
    tombstone,
) -> ListingOutcome:
    """Reconcile `existing` (key -> row) with `listed` (key -> field values).

    `tombstone(rows, now)` marks rows and their subtrees removed.
    """
    outcome = ListingOutcome()
    to_create, to_update, update_fields = [], [], {"synced_at", "removed_at", "missing_since"}
    verified = []  # unchanged rows: only their stamps move, the same for all, so one plain UPDATE
    feed = []  # (row, kind, changed fields) for the change feed; created rows get their pk below
    for key, values in listed.items():
        row = existing.get(key)
        if row is None:
            row = model(**parent_fields, **{key_field: key}, **values, synced_at=now)
            to_create.append(row)
            continue
        changed = [name for name, value in values.items() if getattr(row, name) != value]
        for name in changed:
            setattr(row, name, values[name])
        update_fields.update(changed)
        resurrected = row.removed_at is not None
        row.synced_at, row.removed_at, row.missing_since = now, None, None
        if changed or resurrected:
            outcome.updated.append(row)
            feed.append((row, ChangeKind.RESTORED if resurrected else ChangeKind.UPDATED, changed))
            to_update.append(row)
        else:
            outcome.unchanged.append(row)
            verified.append(row.pk)
    if to_create:
        model.objects.bulk_create(to_create)
        outcome.created.extend(to_create)
    if to_update:
        # bulk_update builds a CASE per row and field: worth it only for rows whose values differ.
        model.objects.bulk_update(to_update, sorted(update_fields), batch_size=1000)
    if verified:
        model.objects.filter(pk__in=verified).update(synced_at=now, removed_at=None, missing_since=None)
    feed = [(row, ChangeKind.CREATED, ()) for row in to_create] + feed
    record_changes(model, [(row.pk, kind, names) for row, kind, names in feed])

    live = [row for row in existing.values() if row.removed_at is None]
    missing = [row for key, row in existing.items() if key not in listed and row.removed_at is None]
    if not missing:
        return outcome
    confirm_before = now - REMOVAL_CONFIRM_AFTER
    confirmed = [row for row in missing if row.missing_since is not None and row.missing_since <= confirm_before]
    waiting = [row for row in missing if row.missing_since is not None and row.missing_since > confirm_before]
    fresh = [row for row in missing if row.missing_since is None]
    if fresh and is_suspicious_drop(len(live), len(missing)):
        outcome.warnings.append(
            f"{what}: listing dropped {len(missing)} of {len(live)}; not removing until the next listing confirms"
        )
        model.objects.filter(pk__in=[row.pk for row in fresh]).update(missing_since=now)
        fresh = []
    elif waiting:
        outcome.warnings.append(
            f"{what}: {len(waiting)} noted missing less than {REMOVAL_CONFIRM_AFTER.seconds // 60} min ago "
            "still absent; not removing until the next listing confirms"
        )
    gone = confirmed + fresh
    if gone:
        tombstone(gone, now)
        outcome.removed.extend(gone)
    return outcome
