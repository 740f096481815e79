from django.apps import AppConfig


class SyncAppConfig(AppConfig):
    name = "syncapp"
    verbose_name = "LogiKal sync"
    default_auto_field = "django.db.models.BigAutoField"
