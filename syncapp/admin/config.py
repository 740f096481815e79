"""Per-type sync configuration: edited in the list and in a form, validated by the database's rules."""

from django.conf import settings
from django.contrib import admin
from django.db.models import Case, IntegerField, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from ..models import ObjectSyncConfig
from ..models.config import NOT_APPLICABLE, SCHEDULES, TYPE_ORDER, ObjectType
from ..models.tree import MODELS
from ..models.trust import CONFIRMATIONS_NEEDED, trust_state
from .. import audit
from .audit import AuditHistory
from .common import PermissionCheckedActions, plural, report
from .config_form import SyncConfigForm
from .display import time_column
from .durations import minutes_in_words

# What staff can edit (every field but the type and the stamp, fields added later included);
# each change is audited with its old and new value.
AUDITED_FIELDS = tuple(field.attname for field in ObjectSyncConfig._meta.concrete_fields
                       if field.name not in ("id", "object_type", "updated_at"))


@admin.register(ObjectSyncConfig)
class ObjectSyncConfigAdmin(AuditHistory, PermissionCheckedActions, admin.ModelAdmin):
    list_display = [
        "object_type", "schedule", "enabled", "interval_minutes", "staleness_minutes", "priority",
        "cascade", "updated_at_short",
    ]
    form = SyncConfigForm
    list_display_links = ["object_type"]
    list_editable = ["enabled", "interval_minutes", "staleness_minutes", "priority"]
    readonly_fields = ["object_type", "schedule", "updated_at", "changed_date_evidence"]
    updated_at_short = time_column("updated_at", "updated")
    fieldsets = [
        (None, {"fields": ["object_type", "schedule", "enabled"]}),
        ("Schedule", {
            "fields": ["interval_minutes", "staleness_minutes", "priority"],
            "description": "Every object of this type is re-verified within the interval; past the "
            "staleness threshold it shows as stale. Higher priority runs first.",
        }),
        ("Quiet objects", {
            "fields": ["activity_based", "activity_factor", "max_interval_minutes"],
            "description": "Heuristic freshness, as HTTP caches use it (RFC 9111 section 4.2.2): interval = "
            "factor x time since the last change in LogiKal, at least the sync interval, at most the longest "
            "interval. The last change is a project's change date (for its phases too: they have none of "
            "their own) and an elevation's own change date.",
        }),
        ("Retries", {"fields": ["max_attempts", "retry_base_seconds", "retry_max_seconds"]}),
        ("Cascade", {"fields": ["cascade", "trust_changed_date"]}),
        ("Record", {"fields": ["updated_at"], "classes": ["collapse"]}),
    ]
    actions = ["enable_configs", "disable_configs", "sync_all_now", "restart_evidence"]
    # Parents first, the order syncs run in.
    ordering = [Case(*(When(object_type=t, then=Value(i)) for i, t in enumerate(TYPE_ORDER)),
                     output_field=IntegerField()).asc()]

    def get_fieldsets(self, request, obj=None):
        """The project row also shows what phase listings taught about its changedDate."""
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or obj.object_type != ObjectType.PROJECT:
            return fieldsets
        return [*fieldsets[:-1], ("Evidence about changedDate", {
            "fields": ["changed_date_evidence"],
            "description": "Every phase listing that finds an elevation created, removed or changed checks whether "
            "its project's changedDate had moved since the phase was last listed. While directory listings vouch "
            "for unchanged projects, a background sweep lists the phases of a few of them every 20 minutes to "
            "look for changes the changedDate did not show.",
        }), fieldsets[-1]]

    @admin.display(description="evidence")
    def changed_date_evidence(self, config):
        state = trust_state({**ObjectSyncConfig.objects.as_map(), config.object_type: config})
        ev = state.evidence
        lines = [state.summary]
        if ev.last_confirmation_at:
            lines.append(f"last confirmation {ev.last_confirmation_at:%Y-%m-%d %H:%M}")
        if ev.violations:
            lines.append(f"last violation {ev.last_violation_at:%Y-%m-%d %H:%M}: {ev.last_violation}")
        lines.append(f"{ev.swept_projects} unchanged projects swept"
                     + (f", last at {ev.last_sweep_at:%Y-%m-%d %H:%M}" if ev.last_sweep_at else ""))
        if ev.started_at:
            lines.append(f"gathered since {ev.started_at:%Y-%m-%d %H:%M}")
        if state.warning:
            lines.append(state.warning)
        return format_html_join(mark_safe("<br>"), "{}", ((line,) for line in lines))

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

    @admin.display(description="what it schedules")
    def schedule(self, config):
        """"Phases: each project's list re-read every 15 min", the objects linked to their list."""
        model = MODELS.get(config.object_type)
        if model is None:
            objects = "Parts lists"
        else:
            opts = model._meta
            url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
            objects = format_html('<a href="{}">{}</a>', url, str(opts.verbose_name_plural).capitalize())
        # The wording is ours (SCHEDULES); the values are escaped.
        text = format_html(SCHEDULES[config.object_type], objects=objects,
                           interval=minutes_in_words(config.interval_minutes))
        if config.activity_based and "activity_based" not in NOT_APPLICABLE.get(config.object_type, ()):
            text = format_html("{}, quiet ones as rarely as every {}", text, minutes_in_words(config.max_interval_minutes))
        return text

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

    @admin.action(description="Start the changedDate evidence afresh", permissions=["change"])
    def restart_evidence(self, request, queryset):
        """After a violation was explained (or LogiKal updated): counts back to zero, auto trust earned again."""
        from ..sync.trust import reset_evidence

        self.require(request, "change")
        before = trust_state().evidence
        reset_evidence()
        for config in queryset.filter(object_type=ObjectType.PROJECT):
            audit.record(request, audit.AuditAction.CONFIG_CHANGE, config, changes={
                "changed_date_evidence": [str(before), "0 confirmations, 0 violations"]})
        report(self, request, f"Started the changedDate evidence afresh (was: {before}). Auto trust needs "
               f"{CONFIRMATIONS_NEEDED} confirmations again.")

    @admin.action(description="Sync all objects of the selected types now", permissions=["force_sync"])
    def sync_all_now(self, request, queryset):
        """Queues one small job that queues the forced syncs (syncapp.sync.sync_all): the request stays quick."""
        from ..sync.sync_all import request_sync_all

        self.require(request, "force_sync")
        types = [config.object_type for config in queryset]
        kinds = [str(MODELS[t]._meta.verbose_name_plural) for t in MODELS if t in types]
        lines = []
        if kinds:
            job_id = request_sync_all(types)
            for config in queryset:
                if config.object_type in MODELS:
                    audit.record(request, audit.AuditAction.FORCE_SYNC_TYPE, config, details={"fan_out_job": job_id})
            lines.append(f"Queued job {job_id}: it queues a forced sync of every live object of {', '.join(kinds)} "
                         f"(removed and excluded ones are skipped), at most {settings.SCHEDULER_MAX_JOBS_PER_TICK:,} "
                         "per tick; each chunk's counts appear under Sync runs.")
        if ObjectType.PARTS_LIST in types:
            lines.append("Parts lists are synced with their elevations: select Elevation for those.")
        report(self, request, " ".join(lines))
