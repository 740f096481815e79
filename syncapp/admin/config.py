"""Per-type sync configuration: edited in the list and in a form, validated by the database's rules."""

from django import forms
from django.contrib import admin
from django.core.exceptions import NON_FIELD_ERRORS
from django.db.models import Case, IntegerField, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from ..models import ObjectSyncConfig
from ..models.config import TYPE_ORDER
from ..stats import MIRROR_MODELS
from .common import PermissionCheckedActions, plural, report
from .forcing import force_objects


class SyncConfigForm(forms.ModelForm):
    """Shows each database rule that a value breaks beside that value's field.

    Model validation reports CheckConstraint violations as errors of the whole
    form; in an editable list that is a line above the row, easy to misread.
    """

    RULE_FIELDS = {
        "syncconfig_interval_at_least_1_min": "interval_minutes",
        "syncconfig_staleness_at_least_interval": "staleness_minutes",
        "syncconfig_priority_range": "priority",
        "syncconfig_attempts_range": "max_attempts",
        "syncconfig_retry_delays_ordered": "retry_max_seconds",
    }

    def _post_clean(self):
        super()._post_clean()
        by_message = {
            str(constraint.get_violation_error_message()): self.RULE_FIELDS.get(constraint.name)
            for constraint in ObjectSyncConfig._meta.constraints
        }
        errors = self._errors.get(NON_FIELD_ERRORS)
        if not errors:
            return
        keep, moved = [], []
        for error in errors.as_data():
            field = by_message.get(error.messages[0]) if len(error.messages) == 1 else None
            (moved if field in self.fields else keep).append((field, error))
        del self._errors[NON_FIELD_ERRORS]
        if keep:
            self._errors[NON_FIELD_ERRORS] = self.error_class(
                [error for _, error in keep], error_class="nonfield", renderer=self.renderer
            )
        for field, error in moved:
            self.add_error(field, error)


@admin.register(ObjectSyncConfig)
class ObjectSyncConfigAdmin(PermissionCheckedActions, admin.ModelAdmin):
    list_display = [
        "object_type", "enabled", "interval_minutes", "staleness_minutes", "priority",
        "cascade", "objects_link", "updated_at",
    ]
    form = SyncConfigForm
    list_display_links = ["object_type"]
    list_editable = ["enabled", "interval_minutes", "staleness_minutes", "priority"]
    readonly_fields = ["object_type", "updated_at"]
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
        n = queryset.filter(enabled=False).update(enabled=True, updated_at=timezone.now())
        report(self, request, f"Enabled {plural(n, 'configuration')}.")

    @admin.action(description="Disable selected sync configurations", permissions=["change"])
    def disable_configs(self, request, queryset):
        self.require(request, "change")
        n = queryset.filter(enabled=True).update(enabled=False, updated_at=timezone.now())
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
            lines.append(f"{config.get_object_type_display()}: {tally.message()}")
        report(self, request, " ".join(lines))
