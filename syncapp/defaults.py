"""Rows the system needs to exist: the default sync configs and the root directory."""

from .models import ChangedDateEvidence, Directory, ObjectSyncConfig
from .models.config import DEFAULT_CONFIGS, default_values


def ensure_defaults() -> None:
    for object_type in DEFAULT_CONFIGS:
        ObjectSyncConfig.objects.get_or_create(object_type=object_type, defaults=default_values(object_type))
    Directory.objects.get_or_create(path="", defaults={"name": ""})
    ChangedDateEvidence.objects.get_or_create(pk=1)
