"""The change feed: one row per change to a mirrored object, written in the change's own transaction.

Order and visibility (``syncapp.changefeed``): rows are read in (``xid``, ``id``) order and
only below ``pg_snapshot_xmin(pg_current_snapshot())``. Every transaction whose id is below
that horizon has ended, and every row still to come belongs to a transaction whose id is at
or above it, so a reader that moves past a row can never find an earlier row later.
The ``id`` alone would not do: ids are taken when a row is inserted, not when its
transaction commits, so a later id can become visible before an earlier one.
"""

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import BrinIndex
from django.db import models
from django.db.models import Func, Q

from .config import ObjectType


class ChangeKind(models.TextChoices):
    CREATED = "created", "created"
    UPDATED = "updated", "updated"
    REMOVED = "removed", "removed upstream"
    RESTORED = "restored", "restored"
    PARTS_LIST_PARSED = "parts_list_parsed", "parts list parsed"


# The mirrored types (every sync configuration's type but the parts list), labelled as the feed
# spells them.
ChangedObjectType = models.TextChoices(
    "ChangedObjectType", [(t.name, (t.value, t.value)) for t in ObjectType if t != ObjectType.PARTS_LIST]
)


class Xid8Field(models.Field):
    """PostgreSQL's 64-bit transaction id (never wraps around); read as an int."""

    def db_type(self, connection) -> str:
        return "xid8"

    def from_db_value(self, value, expression, connection):
        return None if value is None else int(value)


class CurrentTransactionId(Func):
    function = "pg_current_xact_id"
    template = "%(function)s()"
    output_field = Xid8Field()


class StatementTimestamp(Func):
    function = "statement_timestamp"
    template = "%(function)s()"
    output_field = models.DateTimeField()


class Change(models.Model):
    xid = Xid8Field("transaction", db_default=CurrentTransactionId(), editable=False)
    at = models.DateTimeField("at", db_default=StatementTimestamp(), editable=False)
    kind = models.CharField("kind", max_length=20, choices=ChangeKind.choices)
    object_type = models.CharField("object type", max_length=12, choices=ChangedObjectType.choices)
    object_pk = models.BigIntegerField("object row")
    object_key = models.CharField("object", max_length=1024, help_text="GUID, or a directory's path.")
    project_guid = models.UUIDField("project", null=True, blank=True)
    directory_id = models.BigIntegerField("directory row", null=True, blank=True,
                                          help_text="The directory the object is in (for webhook filters).")
    fields = ArrayField(models.CharField(max_length=64), verbose_name="changed fields", default=list, blank=True)

    class Meta:
        verbose_name = "change"
        indexes = [
            models.Index(name="change_feed_order", fields=["xid", "id"]),
            BrinIndex(name="change_at_brin", fields=["at"]),  # for pruning; nearly free to keep up
        ]
        constraints = [
            models.CheckConstraint(name="change_known_kind", condition=Q(kind__in=ChangeKind.values)),
            models.CheckConstraint(name="change_known_object_type",
                                   condition=Q(object_type__in=ChangedObjectType.values)),
            models.CheckConstraint(name="change_fields_only_on_updates",
                                   condition=Q(kind__in=["updated", "restored"]) | Q(fields=[])),
        ]

    def __str__(self) -> str:
        return f"{self.object_type} {self.object_key} {self.kind}"


class ChangeFeedHorizon(models.Model):
    """Where pruning has reached: cursors before this position answer 410 (one row, id 1)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    xid = Xid8Field("transaction")
    change_id = models.BigIntegerField("change")
    pruned_at = models.DateTimeField("pruned")

    class Meta:
        verbose_name = "change feed horizon"
        constraints = [models.CheckConstraint(name="changefeedhorizon_single_row", condition=Q(id=1))]
