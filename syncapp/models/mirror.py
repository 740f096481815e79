"""The mirror tree: Directory > Project > Phase > Elevation.

Identity follows the API: directories by full path, projects by GUID, phases by
GUID within their project (the null GUID is the default phase of every project),
elevations by GUID within their phase. Sync never deletes a row: objects that
vanish upstream get ``removed_at`` and keep their data.
"""

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from .config import ObjectType
from .freshness import ElevationQuerySet, MirrorQuerySet, ProjectQuerySet

NULL_GUID = "00000000-0000-0000-0000-000000000000"


class SyncState(models.Model):
    """Bookkeeping every mirrored object carries."""

    first_seen_at = models.DateTimeField("first seen", auto_now_add=True)
    synced_at = models.DateTimeField(
        "verified", null=True, blank=True, db_index=True,
        help_text="Last time this object was verified against LogiKal (from its parent's listing).",
    )
    last_attempt_at = models.DateTimeField("last attempt", null=True, blank=True)
    last_error = models.TextField("last error (details)", blank=True, default="")
    last_error_summary = models.CharField(
        "last error", max_length=200, blank=True, default="",
        help_text="What went wrong at the last sync, in short (syncapp.logikal.plain_words).",
    )
    failure_count = models.PositiveIntegerField("consecutive failures", default=0)
    removed_at = models.DateTimeField(
        "removed upstream", null=True, blank=True,
        help_text="Set when the object vanished from its parent's listing; the data is kept.",
    )
    missing_since = models.DateTimeField(
        "missing since", null=True, blank=True,
        help_text="Missing from a listing of its parent that looked incomplete (for example empty); "
        "it is marked removed only if the next listing confirms it.",
    )
    content_changed_at = models.DateTimeField(
        "content changed", default=timezone.now,
        help_text="When the mirror last saw this object's own data change (created, updated, removed, restored, "
                  "parts list parsed); not a verification. Set by syncapp.sync.changes.record_content_changes.",
    )

    objects = MirrorQuerySet.as_manager()

    class Meta:
        abstract = True


class ListingState(models.Model):
    """For objects whose children are verified by listing them."""

    listed_at = models.DateTimeField(
        "children listed", null=True, blank=True,
        help_text="Last successful listing of this object's children.",
    )

    class Meta:
        abstract = True


class Directory(SyncState, ListingState):
    OBJECT_TYPE = ObjectType.DIRECTORY
    EXCLUSION_LOOKUP = "effectively_excluded"

    path = models.CharField(
        "path", max_length=1024, unique=True, help_text='Full path as LogiKal selects it, e.g. "Demo/Sub 1"; "" is the root.'
    )
    name = models.CharField("name", max_length=255, blank=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    excluded = models.BooleanField("excluded", default=False, help_text="Staff excluded this directory and its subtree.")
    effectively_excluded = models.BooleanField(
        "excluded (inherited)", default=False, db_index=True,
        help_text="Excluded itself or through an excluded ancestor.",
    )

    class Meta:
        verbose_name_plural = "directories"
        ordering = ["path"]
        constraints = [
            models.CheckConstraint(
                name="directory_root_has_no_parent",
                condition=(Q(path="") & Q(parent__isnull=True)) | (~Q(path="") & Q(parent__isnull=False)),
            ),
            models.CheckConstraint(
                name="directory_excluded_implies_effective",
                condition=Q(excluded=False) | Q(effectively_excluded=True),
            ),
            models.CheckConstraint(name="directory_not_own_parent", condition=~Q(parent=F("pk"))),
        ]

    def __str__(self) -> str:
        return self.path or "(root)"

    @property
    def depth(self) -> int:
        return 0 if not self.path else self.path.count("/") + 1


class Project(SyncState, ListingState):
    OBJECT_TYPE = ObjectType.PROJECT
    EXCLUSION_LOOKUP = "directory__effectively_excluded"
    objects = ProjectQuerySet.as_manager()

    guid = models.UUIDField("GUID", unique=True)
    directory = models.ForeignKey(Directory, on_delete=models.PROTECT, related_name="projects")
    name = models.CharField("name", max_length=255, db_index=True)
    job_number = models.CharField("job number", max_length=255, blank=True, db_index=True)
    offer_number = models.CharField("offer number", max_length=255, blank=True)
    person_in_charge = models.CharField("person in charge", max_length=255, blank=True)
    estimated = models.BooleanField("estimated", default=False)
    is_deleted = models.BooleanField("deleted in LogiKal", default=False)
    created_date = models.DateTimeField("created upstream", null=True, blank=True)
    changed_date = models.DateTimeField("changed upstream", null=True, blank=True)
    listed_changed_date = models.DateTimeField(
        "changedDate at last listing", null=True, blank=True,
        help_text="The project changedDate when its phases were last listed; a newer changedDate means changes below.",
    )
    details = models.JSONField("details", default=dict, blank=True, help_text="Payload of GET /projects/selected.")
    live_phases_count = models.PositiveIntegerField(
        "phases", default=0, help_text="Phases not removed upstream; kept by the writer of each change, for readers."
    )
    live_elevations_count = models.PositiveIntegerField(
        "elevations", default=0, help_text="Elevations not removed upstream, in all phases."
    )
    tree_changed_at = models.DateTimeField(
        "tree changed", default=timezone.now, db_index=True,
        help_text="The latest content change of the project or anything below it (phases, elevations, parts lists).",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Phase(SyncState, ListingState):
    OBJECT_TYPE = ObjectType.PHASE
    EXCLUSION_LOOKUP = "project__directory__effectively_excluded"

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="phases")
    guid = models.UUIDField("GUID", help_text="Unique only within the project: the default phase is the null GUID everywhere.")
    name = models.CharField("name", max_length=255)
    description = models.TextField("description", blank=True)
    listed_project_changed_date = models.DateTimeField(
        "project changedDate at last listing", null=True, blank=True,
        help_text="The project's changedDate when this phase's elevations were last listed: whether it moved "
        "by the next listing that finds a change is the evidence about trusting changedDate.",
    )

    class Meta:
        ordering = ["project_id", "name"]
        constraints = [models.UniqueConstraint(name="phase_guid_unique_per_project", fields=["project", "guid"])]

    def __str__(self) -> str:
        return f"{self.project} / {self.name}"


class Elevation(SyncState):
    OBJECT_TYPE = ObjectType.ELEVATION
    EXCLUSION_LOOKUP = "phase__project__directory__effectively_excluded"
    objects = ElevationQuerySet.as_manager()

    phase = models.ForeignKey(Phase, on_delete=models.PROTECT, related_name="elevations")
    guid = models.UUIDField("GUID")
    version_id = models.CharField("version id", max_length=64, blank=True)
    name = models.CharField("name", max_length=255, db_index=True)
    amount = models.IntegerField("amount", null=True, blank=True)
    is_in_recycle_bin = models.BooleanField("in recycle bin", default=False)
    automatic_description = models.TextField("automatic description", blank=True)
    system_description = models.TextField("system description", blank=True)
    model_description = models.TextField("model description", blank=True)
    user_description = models.TextField("user description", blank=True)
    surface_of_base_element = models.JSONField("surface of base element", default=dict, blank=True)
    surface_of_insertions = models.JSONField("surface of insertions", default=dict, blank=True)
    created_by_user = models.CharField("created by", max_length=255, blank=True)
    created_date = models.DateTimeField("created upstream", null=True, blank=True)
    changed_date = models.DateTimeField("changed upstream", null=True, blank=True)
    width = models.FloatField("width", null=True, blank=True)
    height = models.FloatField("height", null=True, blank=True)
    is_element_pricelist_elevation = models.BooleanField("element price list elevation", default=False)
    element_pricelist_id = models.CharField("element price list id", max_length=64, blank=True)
    type = models.CharField("type", max_length=64, blank=True)
    state = models.CharField("state", max_length=64, blank=True)
    thumbnail = models.FileField("thumbnail", upload_to="thumbnails/", blank=True)
    thumbnail_changed_date = models.DateTimeField("thumbnail of changedDate", null=True, blank=True)

    class Meta:
        ordering = ["phase_id", "name"]
        constraints = [models.UniqueConstraint(name="elevation_guid_unique_per_phase", fields=["phase", "guid"])]

    def __str__(self) -> str:
        return self.name
