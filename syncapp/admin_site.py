"""The admin site, arranged by what staff look for rather than by Django app.

Sections (index page and sidebar alike): *Sync* (the dashboard, then settings and history),
*Mirror* (the LogiKal tree in its own order, parents first), *Queue* (the job queue), *API*
(the clients that read the mirror), *Security* (audit trail, login attempts), then
the other apps as Django lists them. Installed in place of ``django.contrib.admin`` so that
every ``admin.register`` (Procrastinate's included) lands on this site.

This module is imported while apps load: nothing here imports models at import time.
"""

from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig
from django.urls import NoReverseMatch, reverse

# (section name, [(app label, model name), ...]) in the order staff meet them.
SECTIONS = [
    ("Sync", [
        ("syncapp", "syncrun"), ("syncapp", "objectsyncconfig"), ("syncapp", "schedulertick"),
        ("syncapp", "upstreamsessionlease"),
    ]),
    ("Mirror", [
        ("syncapp", "directory"), ("syncapp", "project"), ("syncapp", "phase"), ("syncapp", "elevation"),
        ("syncapp", "partslist"),
    ]),
    ("Queue", [("procrastinate", "procrastinatejob")]),
    ("API", [("syncapp", "apiclient"), ("syncapp", "webhookendpoint"), ("syncapp", "webhookdelivery")]),
    # Who did what (the audit trail) and who failed to log in (django-axes; unlock by deleting).
    ("Security", [("syncapp", "auditentry"), ("axes", "accessattempt"), ("axes", "accesslog"),
                  ("axes", "accessfailurelog")]),
]


class SyncAdminSite(AdminSite):
    site_header = "LogiKal sync administration"
    site_title = "LogiKal sync"
    index_title = "Overview"
    site_url = "/"  # redirects to the dashboard (syncapp/urls.py)

    def get_app_list(self, request, app_label=None):
        apps = super().get_app_list(request, app_label)
        if app_label is not None:
            return apps  # an app's own index page keeps Django's shape
        models = {(app["app_label"], model["object_name"].lower()): model for app in apps for model in app["models"]}
        placed = set()
        sections = []
        for name, keys in SECTIONS:
            entries = [models[key] for key in keys if key in models]
            placed.update(key for key in keys if key in models)
            if name == "Sync" and self._may_see_dashboard(request):
                entries.insert(0, self._dashboard_entry())
            if entries:
                sections.append({
                    "name": name, "app_label": f"sync-{name.lower()}", "app_url": entries[0]["admin_url"],
                    "has_module_perms": True, "models": entries,
                })
        for app in apps:  # everything not arranged above (users and groups, ...), as Django lists it
            rest = [model for model in app["models"] if (app["app_label"], model["object_name"].lower()) not in placed]
            if rest:
                sections.append({**app, "models": rest})
        return sections

    @staticmethod
    def _may_see_dashboard(request) -> bool:
        return request.user.is_active and request.user.has_module_perms("syncapp")

    @staticmethod
    def _dashboard_entry() -> dict:
        try:
            url = reverse("sync_dashboard")
        except NoReverseMatch:
            url = None
        return {"name": "Dashboard", "object_name": "Dashboard", "admin_url": url, "add_url": None,
                "view_only": True, "perms": {"view": True}, "model": None}


class SyncAdminConfig(AdminConfig):
    default_site = "syncapp.admin_site.SyncAdminSite"
