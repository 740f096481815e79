"""Rows the system needs to exist: the default sync configs and the root directory."""

from .models import Directory, ObjectSyncConfig
from .models.config import DEFAULT_CONFIGS


def ensure_defaults() -> None:
    for object_type, values in DEFAULT_CONFIGS.items():
        ObjectSyncConfig.objects.get_or_create(object_type=object_type, defaults=values)
    Directory.objects.get_or_create(path="", defaults={"name": ""})
