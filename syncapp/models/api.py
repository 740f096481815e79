"""Consumers of the mirror: API clients, their v1 tokens, usage counts, failed logins, sync requests.

Secrets (client keys, v1 tokens) are stored only as SHA-256 hex digests: they are 256-bit
random strings, so a fast hash is as safe as a slow one and keeps authentication to one
indexed lookup. Creating, re-keying and revoking clients goes through
``syncapp.api.clients`` (one function each, for an audit trail to hook).
"""

import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q


class ApiScope(models.TextChoices):
    READ = "read", "Read the mirror"
    SYNC = "sync", "Ask for forced syncs"
    WEBHOOKS = "webhooks", "Own webhook endpoints"


CLIENT_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
HEX64 = r"^[0-9a-f]{64}$"


class ApiClient(models.Model):
    name = models.CharField(
        "name", max_length=100, unique=True,
        validators=[RegexValidator(CLIENT_NAME_PATTERN, "1-100 letters, digits, '.', '_' or '-', starting with a "
                                                        "letter or digit.")],
        help_text="Letters, digits, '.', '_' and '-'. It is the client_id of the v1 login and names the client in logs "
                  "and metrics.",
    )
    scopes = ArrayField(
        models.CharField(max_length=16, choices=ApiScope.choices), verbose_name="scopes", default=list, blank=True,
        help_text="read: every GET of /api/v2 and /api/v1; sync: forced syncs (POST .../sync); webhooks: webhook "
                  "endpoints registered for this client receive changes.",
    )
    key_prefix = models.CharField(
        "key starts with", max_length=16, help_text="The first characters of the key, to recognise it; the rest is not kept."
    )
    key_hash = models.CharField("key SHA-256", max_length=64, unique=True)
    active = models.BooleanField("active", default=True, help_text="Revoked clients are inactive; their key stops working at once.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name="created by",
    )
    created_at = models.DateTimeField("created", auto_now_add=True)
    last_used_at = models.DateTimeField(
        "last used", null=True, blank=True, help_text="Written with the usage counts, at most API_USAGE_FLUSH_S late."
    )
    revoked_at = models.DateTimeField("revoked", null=True, blank=True)

    class Meta:
        verbose_name = "API client"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(name="apiclient_name_format", condition=Q(name__regex=CLIENT_NAME_PATTERN)),
            models.CheckConstraint(name="apiclient_key_hash_hex64", condition=Q(key_hash__regex=HEX64)),
            models.CheckConstraint(
                name="apiclient_known_scopes", condition=Q(scopes__contained_by=[s.value for s in ApiScope])
            ),
            models.CheckConstraint(
                name="apiclient_revoked_is_inactive", condition=Q(revoked_at__isnull=True) | Q(active=False)
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


class ApiToken(models.Model):
    """A bearer token of the v1 login (`POST /api/v1/client-auth/login`), valid 24 hours."""

    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="tokens")
    token_hash = models.CharField("token SHA-256", max_length=64, unique=True)
    created_at = models.DateTimeField("created", auto_now_add=True)
    expires_at = models.DateTimeField("expires", db_index=True)

    class Meta:
        verbose_name = "API token"
        constraints = [models.CheckConstraint(name="apitoken_hash_hex64", condition=Q(token_hash__regex=HEX64))]


class ApiRequestCount(models.Model):
    """API requests per hour, client and HTTP status, summed across web processes (a true counter)."""

    hour = models.DateTimeField("hour")
    client_name = models.CharField("client", max_length=100, blank=True, help_text="Empty: not authenticated.")
    status = models.PositiveSmallIntegerField("HTTP status")
    count = models.PositiveBigIntegerField("count", default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(name="apirequestcount_unique_bucket", fields=["hour", "client_name", "status"])
        ]


class ApiAuthFailure(models.Model):
    """Failed authentications from one client address; past the limit the address is refused for a while."""

    address = models.GenericIPAddressField("client address", unique=True)
    failures = models.PositiveIntegerField("failures", default=0)
    last_failure_at = models.DateTimeField("last failure")

    class Meta:
        verbose_name = "failed API authentication"


class ApiSyncRequest(models.Model):
    """A forced sync asked for over the API; its status URL follows the jobs it started."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(ApiClient, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    object_type = models.CharField("object type", max_length=20)
    object_id = models.BigIntegerField("object id")
    object_label = models.CharField("object", max_length=1024, blank=True)
    job_ids = ArrayField(models.BigIntegerField(), verbose_name="root jobs", default=list)
    subtree = models.BooleanField("with subtree", default=True)
    created_at = models.DateTimeField("created", auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "API sync request"
        indexes = [models.Index(name="apisyncrequest_object", fields=["object_type", "object_id", "-created_at"])]
        constraints = [models.CheckConstraint(name="apisyncrequest_has_jobs", condition=~Q(job_ids=[]))]
