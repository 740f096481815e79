"""Per-type sync configuration, edited by staff in the admin."""

from django.db import models
from django.db.models import F, Q


class ObjectType(models.TextChoices):
    DIRECTORY = "directory", "Directory"
    PROJECT = "project", "Project"
    PHASE = "phase", "Phase"
    ELEVATION = "elevation", "Elevation"
    PARTS_LIST = "parts_list", "Parts list"


class TrustMode(models.TextChoices):
    """Whether an unchanged project changedDate vouches for the project's phases and elevations
    (syncapp.models.trust: auto relies on it once the evidence holds)."""

    OFF = "off", "Off: always list phases and elevations"
    AUTO = "auto", "Auto: once the evidence holds"
    ON = "on", "On: always trust an unchanged changedDate"


# What each row schedules, in plain words (the admin's "what it schedules" column): the
# {objects} of each parent are verified by re-reading the parent's list of them.
SCHEDULES = {
    ObjectType.DIRECTORY: "{objects}: the list in each directory re-read every {interval}",
    ObjectType.PROJECT: "{objects}: each directory's list re-read every {interval}",
    ObjectType.PHASE: "{objects}: each project's list re-read every {interval}",
    ObjectType.ELEVATION: "{objects}: each phase's list re-read every {interval}",
    ObjectType.PARTS_LIST: "{objects}: downloaded when their elevation changed upstream",
}

# The settings of activity-based intervals (RFC 9111 section 4.2.2's heuristic freshness):
# interval = clamp(factor x time since the last upstream change, interval, maximum interval).
ACTIVITY_FIELDS = ("activity_based", "activity_factor", "max_interval_minutes")

# Settings that nothing reads for a row: the admin does not let staff edit them there.
NOT_APPLICABLE = {
    # Directories carry no upstream date, so their interval cannot follow their activity.
    ObjectType.DIRECTORY: {"trust_changed_date", *ACTIVITY_FIELDS},
    ObjectType.PHASE: {"trust_changed_date"},
    ObjectType.ELEVATION: {"cascade", "trust_changed_date"},
    # Parts lists follow their elevation (no interval of their own); parse jobs retry on a fixed policy.
    ObjectType.PARTS_LIST: {"interval_minutes", "staleness_minutes", "max_attempts", "retry_base_seconds",
                            "retry_max_seconds", "cascade", "trust_changed_date", *ACTIVITY_FIELDS},
}

# Dependency order, parents first. Index = depth in the tree.
TYPE_ORDER = [
    ObjectType.DIRECTORY,
    ObjectType.PROJECT,
    ObjectType.PHASE,
    ObjectType.ELEVATION,
    ObjectType.PARTS_LIST,
]

# The defaults of DESIGN.md section 3; the data migration and `restore_defaults` use them.
DEFAULT_CONFIGS = {
    ObjectType.DIRECTORY: {"interval_minutes": 60, "staleness_minutes": 120, "priority": 40},
    # Projects as often as phases: with activity-based intervals a quiet project's phases are read
    # rarely, so an edit in it is found by its directory's listing of projects (a new changedDate);
    # that listing's interval bounds how soon any edit shows, and 15 min keeps it inside the phases'
    # and elevations' 30-minute threshold. It costs one listing per directory, a few per hour.
    ObjectType.PROJECT: {"interval_minutes": 15, "staleness_minutes": 30, "priority": 30},
    ObjectType.PHASE: {"interval_minutes": 15, "staleness_minutes": 30, "priority": 20},
    ObjectType.ELEVATION: {"interval_minutes": 15, "staleness_minutes": 30, "priority": 20},
    ObjectType.PARTS_LIST: {"interval_minutes": 15, "staleness_minutes": 30, "priority": 10},
}

# Activity-based intervals, on by default where an upstream date exists (set by migration 0016,
# which adds the fields; DEFAULT_CONFIGS stays what migration 0002 can create). Elevations are
# included: they are what a phase's listing verifies, so without it every phase would still be
# listed every elevation interval, however old its project.
ACTIVITY_DEFAULTS = {
    object_type: {"activity_based": True, "activity_factor": 0.1, "max_interval_minutes": 24 * 60}
    for object_type in (ObjectType.PROJECT, ObjectType.PHASE, ObjectType.ELEVATION)
}

MAX_INTERVAL_MINUTES = 7 * 24 * 60  # a week: anything longer is a typo, not a schedule
MAX_STALENESS_MINUTES = 30 * 24 * 60


def default_values(object_type: str) -> dict:
    """Every default of one row: DEFAULT_CONFIGS plus the activity settings added later."""
    return {**DEFAULT_CONFIGS[object_type], **ACTIVITY_DEFAULTS.get(object_type, {})}


class ObjectSyncConfigQuerySet(models.QuerySet):
    def as_map(self) -> dict[str, "ObjectSyncConfig"]:
        """All configs keyed by type, with unsaved defaults for any missing row."""
        configs = {config.object_type: config for config in self}
        for object_type in DEFAULT_CONFIGS:
            configs.setdefault(object_type, ObjectSyncConfig(object_type=object_type, **default_values(object_type)))
        return configs


class ObjectSyncConfig(models.Model):
    object_type = models.CharField(
        "object type", max_length=20, choices=ObjectType.choices, unique=True,
        help_text="Which kind of mirrored object these settings govern.",
    )
    enabled = models.BooleanField(
        "enabled", default=True,
        help_text="When off, the list this row names is not re-read on schedule (see the row's schedule); "
        "forced syncs still run. A directory's subdirectories and projects are one listing: it stops only "
        "when both the directory and the project rows are off.",
    )
    interval_minutes = models.PositiveIntegerField(
        "sync interval",
        help_text="Every object of this type is re-verified against LogiKal at least this often, by re-reading "
        "the list it is in (its parent's listing).",
    )
    staleness_minutes = models.PositiveIntegerField(
        "stale after",
        help_text="An object not verified for this long counts as stale (dashboard, metrics, sync_status). "
        "Must be at least the interval.",
    )
    priority = models.SmallIntegerField(
        "priority", default=0,
        help_text="Job priority; higher runs first. Parents should outrank children so a backlog drains top-down.",
    )
    max_attempts = models.PositiveSmallIntegerField(
        "max attempts", default=5,
        help_text="How many times a failing sync job is tried before it is recorded as failed.",
    )
    retry_base_seconds = models.PositiveIntegerField(
        "retry base delay (seconds)", default=10,
        help_text="First retry delay; each further retry doubles it, with jitter.",
    )
    retry_max_seconds = models.PositiveIntegerField(
        "retry delay cap (seconds)", default=600,
        help_text="Retry delays never exceed this.",
    )
    cascade = models.BooleanField(
        "cascade to children", default=True,
        help_text="After a sync of an object of this type (the listing of its children), queue the children it "
        "found changed or due. Has no effect for elevations and parts lists (nothing below them is listed).",
    )
    trust_changed_date = models.CharField(
        "trust unchanged changedDate", max_length=8, choices=TrustMode.choices, default=TrustMode.AUTO,
        help_text="Projects only: whether an unchanged project changedDate counts as proof that its phases and "
        "elevations are unchanged, so they are not listed. Auto: once phase listings have confirmed it often "
        "enough and never contradicted it (see the evidence on this page); off is safe.",
    )
    activity_based = models.BooleanField(
        "longer interval when quiet", default=False,
        help_text="Objects that have not changed upstream for a long time are verified less often: the interval "
        "becomes the factor times the time since their last change in LogiKal, at least the sync interval and at "
        "most the maximum interval. The staleness threshold grows in the same proportion.",
    )
    activity_factor = models.FloatField(
        "factor", default=0.1,
        help_text="Share of the time since the last change that the interval may grow to (0.1: unchanged for "
        "10 days, verified daily). More than 0, at most 1.",
    )
    max_interval_minutes = models.PositiveIntegerField(
        "maximum interval", default=24 * 60,
        help_text="The longest interval a quiet object gets. At least the sync interval.",
    )
    updated_at = models.DateTimeField("updated", auto_now=True)

    objects = ObjectSyncConfigQuerySet.as_manager()

    class Meta:
        verbose_name = "sync configuration"
        verbose_name_plural = "sync configurations"
        ordering = ["-priority", "object_type"]
        # Editing configs is Django's change permission; forcing syncs is separate.
        permissions = [("force_sync", "Can force syncs of mirrored objects")]
        constraints = [
            models.CheckConstraint(
                name="syncconfig_interval_at_least_1_min",
                condition=Q(interval_minutes__gte=1) & Q(interval_minutes__lte=MAX_INTERVAL_MINUTES),
                violation_error_message=f"The interval must be between 1 and {MAX_INTERVAL_MINUTES} minutes.",
            ),
            models.CheckConstraint(
                name="syncconfig_staleness_at_least_interval",
                condition=Q(staleness_minutes__gte=F("interval_minutes"))
                & Q(staleness_minutes__lte=MAX_STALENESS_MINUTES),
                violation_error_message="The staleness threshold must be at least the interval "
                f"and at most {MAX_STALENESS_MINUTES} minutes.",
            ),
            models.CheckConstraint(
                name="syncconfig_priority_range",
                condition=Q(priority__gte=-100) & Q(priority__lte=100),
                violation_error_message="The priority must be between -100 and 100.",
            ),
            models.CheckConstraint(
                name="syncconfig_attempts_range",
                condition=Q(max_attempts__gte=1) & Q(max_attempts__lte=20),
                violation_error_message="Max attempts must be between 1 and 20.",
            ),
            models.CheckConstraint(
                name="syncconfig_retry_delays_ordered",
                condition=Q(retry_base_seconds__gte=1) & Q(retry_max_seconds__gte=F("retry_base_seconds")),
                violation_error_message="The retry cap must be at least the retry base delay (>= 1 s).",
            ),
            models.CheckConstraint(
                name="syncconfig_activity_factor_range",
                condition=Q(activity_factor__gt=0) & Q(activity_factor__lte=1),
                violation_error_message="The factor must be more than 0 and at most 1.",
            ),
            models.CheckConstraint(
                name="syncconfig_max_interval_range",
                condition=Q(max_interval_minutes__gte=1) & Q(max_interval_minutes__lte=MAX_INTERVAL_MINUTES)
                & (Q(activity_based=False) | Q(max_interval_minutes__gte=F("interval_minutes"))),
                violation_error_message="The maximum interval must be at least the sync interval "
                f"and at most {MAX_INTERVAL_MINUTES} minutes.",
            ),
        ]

    @property
    def staleness_ratio(self) -> float:
        """Staleness threshold / interval: an object's own threshold is its own interval times this."""
        return self.staleness_minutes / self.interval_minutes

    def __str__(self) -> str:
        return f"{self.get_object_type_display()} sync"
