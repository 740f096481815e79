"""Per-type sync configuration: edited in the list and in a form, validated by the database's rules."""

from django import forms
from django.contrib import admin
from django.core.exceptions import NON_FIELD_ERRORS
from django.db.models import Case, IntegerField, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from ..models import ObjectSyncConfig
from ..models.config import MAX_INTERVAL_MINUTES, MAX_STALENESS_MINUTES, TYPE_ORDER
from ..stats import MIRROR_MODELS
from .. import audit
from .audit import AuditHistory
from .common import PermissionCheckedActions, plural, report
from .display import time_column
from .durations import MinutesField, RuleIntegerField, minutes_in_words
from .forcing import force_objects


MAX_SECONDS = 2_147_483_647  # PostgreSQL integer
# What staff can edit (every field but the type and the stamp, fields added later included);
# each change is audited with its old and new value.
AUDITED_FIELDS = tuple(field.attname for field in ObjectSyncConfig._meta.concrete_fields
                       if field.name not in ("id", "object_type", "updated_at"))

# Each rule in the staff's units; the same rules the database enforces (ObjectSyncConfig's constraints).
RULES = {
    "syncconfig_interval_at_least_1_min": (
        "interval_minutes", f"The interval must be between 1 minute and {minutes_in_words(MAX_INTERVAL_MINUTES)}."),
    "syncconfig_staleness_at_least_interval": (
        "staleness_minutes", "The staleness threshold must be at least the interval and at most "
        f"{minutes_in_words(MAX_STALENESS_MINUTES)}."),
    "syncconfig_priority_range": ("priority", "The priority must be between -100 and 100."),
    "syncconfig_attempts_range": ("max_attempts", "Max attempts must be between 1 and 20."),
    "syncconfig_retry_delays_ordered": (
        "retry_max_seconds", "The retry cap must be at least the retry base delay (>= 1 s)."),
}


def _rule(name: str) -> str:
    return RULES[name][1]


class SyncConfigForm(forms.ModelForm):
    """Durations in minutes, hours or days; each rule's own message beside the field it concerns.

    Model validation reports CheckConstraint violations as errors of the whole form; in an
    editable list that is a line above the row, easy to misread, and in minutes. Every bad
    value, a negative one included, gets the message of the rule it breaks.
    """

    interval_minutes = MinutesField(
        label="sync interval", min_minutes=1, max_minutes=MAX_INTERVAL_MINUTES,
        rule=_rule("syncconfig_interval_at_least_1_min"),
        help_text="Every object of this type is re-verified at least this often (e.g. 15 min, 2 h, 1 d).",
    )
    staleness_minutes = MinutesField(
        label="stale after", min_minutes=1, max_minutes=MAX_STALENESS_MINUTES,
        rule=_rule("syncconfig_staleness_at_least_interval"),
        help_text="Not verified for this long, an object shows as stale. At least the interval.",
    )
    priority = RuleIntegerField(low=-100, high=100, rule=_rule("syncconfig_priority_range"),
                                help_text="Higher runs first; parents should outrank their children.")
    max_attempts = RuleIntegerField(low=1, high=20, rule=_rule("syncconfig_attempts_range"),
                                    help_text="How often a failing sync is tried before it counts as failed.")
    retry_base_seconds = RuleIntegerField(
        low=1, high=MAX_SECONDS, label="first retry after (seconds)",
        rule=f"The retry base delay must be between 1 and {MAX_SECONDS:,} seconds.",
        help_text="Each further retry waits twice as long, with jitter.")
    retry_max_seconds = RuleIntegerField(
        low=1, high=MAX_SECONDS, label="longest retry delay (seconds)",
        rule=_rule("syncconfig_retry_delays_ordered"))

    class Meta:
        labels = {
            "cascade": "sync changed children too",
            "trust_changed_date": "skip unchanged projects",
        }
        help_texts = {
            "trust_changed_date": "Projects only. When LogiKal's change date of a project has not moved since "
            "its phases were last listed, its phases and elevations are not listed again. This saves most of a "
            "re-sync but relies on LogiKal moving that date for every change inside the project; off is safe.",
            "cascade": "After a sync, also sync the children it found changed or due.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Declared fields join every form made from this one; the list edits only some of them.
        for name in [name for name in self.declared_fields if name not in (self._meta.fields or ())]:
            self.fields.pop(name, None)

    def _post_clean(self):
        super()._post_clean()
        errors = self._errors.get(NON_FIELD_ERRORS)
        if not errors:
            return
        by_message = {
            str(constraint.get_violation_error_message()): RULES.get(constraint.name)
            for constraint in ObjectSyncConfig._meta.constraints
        }
        keep, moved = [], []
        for error in errors.as_data():
            rule = by_message.get(error.messages[0]) if len(error.messages) == 1 else None
            (moved if rule and rule[0] in self.fields else keep).append((rule, error))
        del self._errors[NON_FIELD_ERRORS]
        if keep:
            self._errors[NON_FIELD_ERRORS] = self.error_class(
                [error for _, error in keep], error_class="nonfield", renderer=self.renderer
            )
        for (field, message), _ in moved:
            if message not in self._errors.get(field, []):
                self.add_error(field, message)


@admin.register(ObjectSyncConfig)
class ObjectSyncConfigAdmin(AuditHistory, PermissionCheckedActions, admin.ModelAdmin):
    list_display = [
        "object_type", "enabled", "interval_minutes", "staleness_minutes", "priority",
        "cascade", "objects_link", "updated_at_short",
    ]
    form = SyncConfigForm
    list_display_links = ["object_type"]
    list_editable = ["enabled", "interval_minutes", "staleness_minutes", "priority"]
    readonly_fields = ["object_type", "updated_at"]
    updated_at_short = time_column("updated_at", "updated")
    fieldsets = [
        (None, {"fields": ["object_type", "enabled"]}),
        ("Schedule", {
            "fields": ["interval_minutes", "staleness_minutes", "priority"],
            "description": "Every object of this type is re-verified within the interval; past the "
            "staleness threshold it shows as stale. Higher priority runs first.",
        }),
        ("Retries", {"fields": ["max_attempts", "retry_base_seconds", "retry_max_seconds"]}),
        ("Cascade", {"fields": ["cascade", "trust_changed_date"]}),
        ("Record", {"fields": ["updated_at"], "classes": ["collapse"]}),
    ]
    actions = ["enable_configs", "disable_configs", "sync_all_now"]
    # Parents first, the order syncs run in.
    ordering = [Case(*(When(object_type=t, then=Value(i)) for i, t in enumerate(TYPE_ORDER)),
                     output_field=IntegerField()).asc()]

    def get_changelist_form(self, request, **kwargs):
        return super().get_changelist_form(request, form=SyncConfigForm, **kwargs)

    def has_add_permission(self, request):
        return False  # one row per type exists from the first migration on

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        """Save, and audit every field that changed (old -> new), in the form as in the list."""
        before = ObjectSyncConfig.objects.filter(pk=obj.pk).values(*AUDITED_FIELDS).first() or {}
        super().save_model(request, obj, form, change)
        changes = audit.changed_fields(before, {name: getattr(obj, name) for name in AUDITED_FIELDS})
        if changes:
            audit.record(request, audit.AuditAction.CONFIG_CHANGE, obj, changes=changes)

    def _set_enabled(self, request, queryset, enabled: bool) -> int:
        changing = list(queryset.filter(enabled=not enabled))
        n = queryset.filter(pk__in=[config.pk for config in changing]).update(
            enabled=enabled, updated_at=timezone.now())
        audit.record_many(request, audit.AuditAction.CONFIG_CHANGE, changing, changes={"enabled": [not enabled, enabled]})
        return n

    @admin.display(description="objects")
    def objects_link(self, config):
        model = MIRROR_MODELS.get(config.object_type)
        if model is None:
            return "-"
        opts = model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        return format_html('<a href="{}">{}</a>', url, opts.verbose_name_plural)

    @admin.action(description="Enable selected sync configurations", permissions=["change"])
    def enable_configs(self, request, queryset):
        self.require(request, "change")
        n = self._set_enabled(request, queryset, True)
        report(self, request, f"Enabled {plural(n, 'configuration')}.")

    @admin.action(description="Disable selected sync configurations", permissions=["change"])
    def disable_configs(self, request, queryset):
        self.require(request, "change")
        n = self._set_enabled(request, queryset, False)
        report(self, request, f"Disabled {plural(n, 'configuration')}.")

    @admin.action(description="Sync all objects of the selected types now", permissions=["force_sync"])
    def sync_all_now(self, request, queryset):
        self.require(request, "force_sync")
        lines = []
        for config in queryset:
            model = MIRROR_MODELS.get(config.object_type)
            if model is None:
                lines.append(f"{config.get_object_type_display()}: synced with its elevation, nothing to queue")
                continue
            tally = force_objects(model.objects.all(), subtree=False)
            audit.record(request, audit.AuditAction.FORCE_SYNC_TYPE, config, details={
                "queued": tally.queued, "already_queued": tally.already_queued, "skipped": tally.skipped})
            lines.append(f"{config.get_object_type_display()}: {tally.count_message()}")
        report(self, request, " ".join(lines))
