"""The dashboard's URLs, under /admin/ and behind the admin site's login (included by syncapp/urls.py)."""

from django.contrib import admin
from django.urls import path

from .dashboard import dashboard_json_view, dashboard_view

urlpatterns = [
    path("admin/dashboard/", admin.site.admin_view(dashboard_view), name="sync_dashboard"),
    path("admin/dashboard/data.json", admin.site.admin_view(dashboard_json_view), name="sync_dashboard_json"),
]
