from django.urls import include, path
from django.views.generic import RedirectView

from . import views

urlpatterns = [
    # The site's landing page (the admin's "View site") is the sync dashboard.
    path("", RedirectView.as_view(pattern_name="sync_dashboard"), name="home"),
    # The seed system's documented bookmark for the sync intervals.
    path("ui/sync-intervals", RedirectView.as_view(pattern_name="admin:syncapp_objectsyncconfig_changelist"),
         name="sync_intervals"),
    # Served first by syncapp.middleware.ProbeMiddleware; named here for reverse() and the URLconf's completeness.
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", views.metrics, name="metrics"),
    # The sync dashboard, an admin page: before admin.site.urls in project/urls.py.
    path("", include("syncapp.admin.urls")),
    path("", include("syncapp.api.urls")),
]
