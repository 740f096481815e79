"""The mirror of the LogiKal project centre, its sync configuration and its records."""

from .api import ApiAuthFailure, ApiClient, ApiRequestCount, ApiScope, ApiSyncRequest, ApiToken
from .audit import AuditAction, AuditEntry
from .changes import Change, ChangeFeedHorizon, ChangeKind
from .config import ObjectSyncConfig, ObjectType
from .mirror import Directory, Elevation, Phase, Project
from .partslist import PartsList, PartsListArticle, PartsListGlass, PartsListProfile, PartsListUValue
from .runs import SchedulerTick, SyncRun
from .sessions import UpstreamLatency, UpstreamRequestCount, UpstreamSessionLease, UpstreamSessionWaiter
from .snapshots import FreshnessSnapshot
from .trust import ChangedDateEvidence
from .webhooks import WebhookDelivery, WebhookEndpoint

__all__ = [
    "ApiAuthFailure",
    "ApiClient",
    "ApiRequestCount",
    "ApiScope",
    "ApiSyncRequest",
    "ApiToken",
    "AuditAction",
    "AuditEntry",
    "Change",
    "ChangedDateEvidence",
    "ChangeFeedHorizon",
    "ChangeKind",
    "Directory",
    "Elevation",
    "FreshnessSnapshot",
    "ObjectSyncConfig",
    "ObjectType",
    "PartsList",
    "PartsListArticle",
    "PartsListGlass",
    "PartsListProfile",
    "PartsListUValue",
    "Phase",
    "Project",
    "SchedulerTick",
    "SyncRun",
    "UpstreamLatency",
    "UpstreamRequestCount",
    "UpstreamSessionLease",
    "UpstreamSessionWaiter",
    "WebhookDelivery",
    "WebhookEndpoint",
]
