from django.urls import include, path

from . import views

urlpatterns = [
    # Served first by syncapp.middleware.ProbeMiddleware; named here for reverse() and the URLconf's completeness.
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", views.metrics, name="metrics"),
    # The sync dashboard, an admin page: before admin.site.urls in project/urls.py.
    path("", include("syncapp.admin.urls")),
    path("", include("syncapp.api.urls")),
]
