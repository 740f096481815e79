"""The job queue as staff read it: Procrastinate's own job admin, with a list that stays usable.

Procrastinate's list filters by lock and queueing lock (one entry per object: thousands of
links), counts every row and shows each job's arguments as a JSON block. This list says what
the job is for (the object, linked), filters by status, queue and task, and searches locks.
Its actions (retry, cancel, abort) are Procrastinate's, going through its job manager; each
job they act on gets an audit entry (its status before and after).
"""

from django.contrib import admin
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from procrastinate.contrib.django import models as procrastinate_models
from procrastinate.contrib.django.admin import JOB_STATUS_EMOJI_MAPPING, ProcrastinateJobAdmin

from .. import audit
from .common import EstimatedCountPaginator
from .display import short_time

STATUS_COLOURS = {"todo": "#5c6bc0", "doing": "#1565c0", "failed": "#b71c1c", "succeeded": "#2e7d32"}

admin.site.unregister(procrastinate_models.ProcrastinateJob)


def _audited(name: str, action: str, statuses: tuple[str, ...]):
    """Procrastinate's action ``name``, plus one audit entry per job in ``statuses`` it acted on."""
    parent = getattr(ProcrastinateJobAdmin, name)

    def run(self, request, queryset):
        before = {job.pk: job.status for job in queryset.filter(status__in=statuses)}
        parent(self, request, queryset)
        for job in procrastinate_models.ProcrastinateJob.objects.filter(pk__in=before).order_by("pk"):
            audit.record(request, action, job, changes={"status": [before[job.pk], job.status]},
                         details={"task": job.task_name, "lock": job.lock})

    run.__name__ = name
    return admin.action(description=parent.short_description)(run)


@admin.register(procrastinate_models.ProcrastinateJob)
class JobAdmin(ProcrastinateJobAdmin):
    list_display = ["pk", "task", "object_link", "status_badge", "queue_name", "attempts", "scheduled"]
    list_display_links = ["pk"]
    list_filter = ["status", "queue_name", "task_name"]
    search_fields = ["lock", "queueing_lock"]
    search_help_text = "Part of a lock, e.g. sync:project:12 or parse:7."
    ordering = ["-id"]
    list_per_page = 100
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    retry = _audited("retry", audit.AuditAction.JOB_RETRY, ("failed", "doing"))
    cancel = _audited("cancel", audit.AuditAction.JOB_CANCEL, ("todo",))
    abort = _audited("abort", audit.AuditAction.JOB_ABORT, ("todo", "doing"))
    actions = [retry, cancel, abort]

    def get_queryset(self, request):
        if request.resolver_match and request.resolver_match.url_name.endswith("_changelist"):
            # The list shows no events: skip the parent's prefetch of every job's events.
            return admin.ModelAdmin.get_queryset(self, request)
        return super().get_queryset(request)

    @admin.display(description="task", ordering="task_name")
    def task(self, job):
        trigger = job.args.get("trigger") if isinstance(job.args, dict) else None
        name = job.task_name.rsplit(".", 1)[-1].replace("_", " ")
        return f"{name} ({trigger})" if trigger else name

    @admin.display(description="for")
    def object_link(self, job):
        args = job.args if isinstance(job.args, dict) else {}
        object_type, object_id = args.get("object_type"), args.get("object_id")
        if object_type is None and "parts_list_id" in args:
            object_type, object_id = "partslist", args["parts_list_id"]
        if object_type is None or object_id is None:
            return "-"
        label = f"{object_type.replace('_', ' ')} #{object_id}"
        if args.get("subtree"):
            label += " with subtree"
        try:
            url = reverse(f"admin:syncapp_{object_type.replace('_', '')}_change", args=[object_id])
        except NoReverseMatch:
            return label
        return format_html('<a href="{}">{}</a>', url, label)

    @admin.display(description="status", ordering="status")
    def status_badge(self, job):
        return format_html('<span style="color:{};font-weight:bold;white-space:nowrap">{} {}</span>',
                           STATUS_COLOURS.get(job.status, "inherit"), JOB_STATUS_EMOJI_MAPPING.get(job.status, ""),
                           job.status)

    @admin.display(description="scheduled for", ordering="scheduled_at")
    def scheduled(self, job):
        return short_time(job.scheduled_at) if job.scheduled_at else "-"
