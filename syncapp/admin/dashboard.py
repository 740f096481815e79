"""The sync dashboard: an admin page, its refreshable fragment and the same figures as JSON."""

from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from .. import stats
from ..models.config import TYPE_ORDER, ObjectSyncConfig
from ..models.freshness import Freshness
from ..models.trust import trust_state
from ..snapshots import freshness_history
from ..sync import blocked
from ..sync.capacity import capacity_text
from ..sync.capacity_data import cached_estimate
from .chart import render_chart
from .runs import outcome_text, with_retry_job

REFRESH_SECONDS = 10
JOB_STATUSES = ["todo", "doing", "failed", "succeeded", "cancelled", "aborted"]


def trust_figures(configs) -> dict:
    """Whether directory listings vouch for unchanged projects, the evidence, and a warning when it speaks against it."""
    state = trust_state(configs)
    return {"mode": state.mode, "trusted": state.trusted, "confirmations": state.evidence.confirmations,
            "violations": state.evidence.violations, "summary": state.summary, "warning": state.warning}


def dashboard_figures(now=None) -> dict:
    """Everything the dashboard shows; JsonResponse's encoder writes the dates as ISO 8601."""
    now = now or timezone.now()
    configs = ObjectSyncConfig.objects.as_map()
    freshness = stats.freshness_by_type(now)
    oldest = stats.oldest_stale(now)
    tick = stats.last_tick()
    depth = stats.queue_depth()
    queues = sorted({queue for queue, _ in depth})
    return {
        "generated_at": now,
        "background_sync_enabled": settings.BACKGROUND_SYNC_ENABLED,
        "last_tick": None if tick is None else {
            "ticked_at": tick.ticked_at,
            "age_s": round((now - tick.ticked_at).total_seconds(), 1),
            "jobs_deferred": tick.jobs_deferred,
            "background_enabled": tick.background_enabled,
        },
        "next_tick_at": stats.next_tick_at(now),
        "changed_date_trust": trust_figures(configs),
        "workers_alive": stats.workers_alive(),
        "sessions": stats.sessions(now),
        "types": [
            {
                "object_type": object_type,
                "label": configs[object_type].get_object_type_display(),
                "enabled": configs[object_type].enabled,
                "interval_minutes": configs[object_type].interval_minutes,
                "staleness_minutes": configs[object_type].staleness_minutes,
                # Quiet objects' intervals grow up to this (None: the activity rule is off).
                "max_interval_minutes": configs[object_type].max_interval_minutes
                if configs[object_type].activity_based else None,
                "counts": freshness[object_type],
                "oldest_stale": oldest[object_type],
            }
            for object_type in TYPE_ORDER
            if object_type in freshness
        ],
        "queues": [
            {"queue": queue, "counts": {status: depth.get((queue, status), 0) for status in JOB_STATUSES}}
            for queue in queues
        ],
        "problems": problems(now),
        "stuck": stuck(),
        "syncs_per_hour": [
            {"hour": row["hour"], "outcome": row["outcome"], "count": row["n"]}
            for row in stats.syncs_per_hour(now)
        ],
        "freshness_history": freshness_history(now=now, current=freshness),
        "capacity": capacity_figures(),
    }


def capacity_figures() -> dict:
    """The cached capacity estimate with its words (recomputed at most every CAPACITY_CACHE_S)."""
    data = cached_estimate()
    return {**data, "text": capacity_text(data)}


def stuck() -> dict:
    """Jobs running longer than STALLED_JOB_SECONDS and the objects whose due job they hold up."""
    return {
        "threshold_s": settings.STALLED_JOB_SECONDS,
        "jobs": [vars(job) for job in blocked.long_running_jobs(limit=10)],
        "blocked": [vars(obj) for obj in blocked.blocked_objects(limit=10)],
    }


def _problem(run, now) -> dict:
    return {
        "id": run.pk,
        "started_at": run.started_at,
        "object_type": run.object_type,
        "object_id": run.object_id,
        "object_label": run.object_label,
        "trigger": run.trigger,
        "outcome": run.outcome,
        "summary": run.error_summary or (run.error.splitlines()[0][:200] if run.error else ""),
        "error": run.error,
        "resolved_at": run.resolved_at,
        "failed_times": getattr(run, "failed_times", None),
        "status_text": outcome_text(run, now),
    }


def problems(now) -> dict:
    """Open problems (newest failure per object not fixed since) and those fixed in the last 24 hours."""
    open_runs = stats.open_problems()
    return {
        "open_count": open_runs.count(),
        "open": [_problem(run, now) for run in with_retry_job(open_runs)[:10]],
        "resolved": [_problem(run, now) for run in stats.resolved_problems(now)],
    }


def _check_access(request) -> None:
    # Any staff member who may view something of this app sees the dashboard.
    if not request.user.has_module_perms("syncapp"):
        raise PermissionDenied


def _changelist_url(object_type: str) -> str | None:
    try:
        return reverse(f"admin:syncapp_{object_type}_changelist")
    except NoReverseMatch:
        return None


def _job_admin_url() -> str | None:
    try:
        return reverse("admin:procrastinate_procrastinatejob_changelist")
    except NoReverseMatch:
        return None


def _template_context(request, figures: dict, now) -> dict:
    """Figures plus what the template needs for links and the chart."""
    states = [(state.value, state.label) for state in Freshness]
    for row in figures["types"]:
        base = _changelist_url(row["object_type"])
        row["cells"] = [
            {"state": state, "count": row["counts"][state], "url": base and f"{base}?freshness={state}"}
            for state, _ in states
        ]
        oldest = row["oldest_stale"]
        if oldest and base:
            oldest["url"] = reverse(f"admin:syncapp_{row['object_type']}_change", args=[oldest["id"]])
    return {
        "figures": figures,
        "states": states,
        "job_statuses": JOB_STATUSES,
        "job_admin_url": _job_admin_url(),
        "chart": render_chart(figures["syncs_per_hour"], figures["freshness_history"], now=now),
        "now": now,
        "refresh_seconds": REFRESH_SECONDS,
    }


def dashboard_view(request):
    _check_access(request)
    now = timezone.now()
    context = _template_context(request, dashboard_figures(now), now)
    if request.GET.get("fragment"):
        return TemplateResponse(request, "admin/syncapp/dashboard_body.html", context)
    context.update(admin.site.each_context(request))
    context["title"] = "Sync dashboard"
    return TemplateResponse(request, "admin/syncapp/dashboard.html", context)


def dashboard_json_view(request):
    _check_access(request)
    return JsonResponse(dashboard_figures())
