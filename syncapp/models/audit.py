"""The audit trail: who did what to which object, when and from where; written by ``syncapp.audit``.

Entries are never changed once written (a database trigger refuses it; only the user link may
be cleared when the user is deleted, the name stays). They are deleted only by the
maintenance job after AUDIT_RETENTION_DAYS.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class AuditAction(models.TextChoices):
    FORCE_SYNC = "force_sync", "forced a sync"
    FORCE_SYNC_SUBTREE = "force_sync_subtree", "forced a sync with the subtree"
    FORCE_SYNC_TYPE = "force_sync_type", "forced a sync of every object of a type"
    EXCLUDE = "exclude", "excluded from sync"
    INCLUDE = "include", "included in sync again"
    CONFIG_CHANGE = "config_change", "changed a sync configuration"
    REPARSE = "reparse", "queued a re-parse"
    API_CLIENT_CREATE = "api_client_create", "created an API client"
    API_CLIENT_CHANGE = "api_client_change", "changed an API client"
    API_CLIENT_ROTATE = "api_client_rotate", "gave an API client a new key"
    API_CLIENT_REVOKE = "api_client_revoke", "revoked an API client"
    API_CLIENT_DELETE = "api_client_delete", "deleted an API client"
    JOB_RETRY = "job_retry", "retried a job"
    JOB_CANCEL = "job_cancel", "cancelled a job"
    JOB_ABORT = "job_abort", "aborted a job"
    WEBHOOK_CREATE = "webhook_create", "created a webhook endpoint"
    WEBHOOK_CHANGE = "webhook_change", "changed a webhook endpoint"
    WEBHOOK_DELETE = "webhook_delete", "deleted a webhook endpoint"


class AuditEntry(models.Model):
    at = models.DateTimeField("when", default=timezone.now)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+", help_text="The staff user; empty for commands and deleted users.")
    actor = models.CharField("who", max_length=150, help_text="The user name, or the system user of a command.")
    source = models.CharField("through", max_length=60, help_text="admin, or the manage.py command.")
    address = models.GenericIPAddressField("from address", null=True, blank=True)
    action = models.CharField("action", max_length=40, choices=AuditAction.choices)
    object_type = models.CharField("object type", max_length=100, blank=True,
                                   help_text="app_label.model of the object, e.g. syncapp.directory.")
    object_id = models.CharField("object id", max_length=64, blank=True)
    object_repr = models.CharField("object", max_length=300, blank=True)
    changes = models.JSONField("changes", default=dict, blank=True,
                               help_text='Field -> [old, new], e.g. {"interval_minutes": [15, 30]}.')
    details = models.JSONField("details", default=dict, blank=True)

    class Meta:
        verbose_name = "audit entry"
        verbose_name_plural = "audit trail"
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["-at"], name="audit_at"),
            models.Index(fields=["object_type", "object_id", "-at"], name="audit_object"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(actor="") & ~Q(source="") & ~Q(action=""), name="audit_who_and_what"),
            models.CheckConstraint(condition=Q(object_type="", object_id="") | (~Q(object_type="") & ~Q(object_id="")),
                                   name="audit_object_type_with_id"),
        ]

    def __str__(self):
        return f"{self.actor} {self.get_action_display()} {self.object_repr}".strip()
