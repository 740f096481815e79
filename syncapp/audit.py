"""The audit trail's one entry point: ``record(...)`` for every staff action, from the admin or a command.

Each call writes one ``AuditEntry`` per object and one log line per entry (logger
``syncapp.audit``; with LOG_FORMAT=json a JSON object with the same fields). Callers:

    from syncapp import audit
    audit.record(request, audit.AuditAction.WEBHOOK_CHANGE, endpoint, changes={"url": [old, new]})
    audit.record(audit.command_actor("api_client"), audit.AuditAction.API_CLIENT_REVOKE, client)

``actor`` is the admin's request (user and client address are read from it) or an
``Actor`` (``command_actor`` for manage.py). ``changes`` maps a field to ``[old, new]``;
``details`` holds anything else worth keeping (counts, flags). Values must be JSON-able;
never pass a password, key or token.
"""

import getpass
import logging
from dataclasses import dataclass

from django.http import HttpRequest

from .models.audit import AuditAction, AuditEntry

__all__ = ["Actor", "AuditAction", "actor_of", "changed_fields", "command_actor", "record", "record_many"]

log = logging.getLogger("syncapp.audit")

REPR_LENGTH = AuditEntry._meta.get_field("object_repr").max_length


@dataclass(frozen=True)
class Actor:
    name: str
    source: str  # "admin", or "manage.py <command>"
    user_id: int | None = None
    address: str | None = None


def actor_of(request: HttpRequest) -> Actor:
    """The staff user of an admin request, with the client address (TRUSTED_PROXY_COUNT applies)."""
    from .api.throttle import UNKNOWN_ADDRESS, client_address

    user = request.user
    address = client_address(request)
    return Actor(name=user.get_username() or "(anonymous)", source="admin", user_id=user.pk,
                 address=None if address == UNKNOWN_ADDRESS else address)


def command_actor(command: str) -> Actor:
    """A manage.py command: the operating-system user who ran it (there is no staff login)."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):  # no user name for this uid (some containers)
        name = "(unknown system user)"
    return Actor(name=name, source=f"manage.py {command}")


def changed_fields(before: dict, after: dict) -> dict:
    """{field: [old, new]} for every field whose value differs."""
    return {name: [before.get(name), after.get(name)] for name in after if before.get(name) != after.get(name)}


def record(actor, action: str, obj=None, *, changes: dict | None = None, details: dict | None = None) -> AuditEntry:
    """Write one audit entry (and its log line) for ``action`` on ``obj`` (None: no single object)."""
    return record_many(actor, action, [obj] if obj is not None else [None], changes=changes, details=details)[0]


def record_many(actor, action: str, objects, *, changes: dict | None = None,
                details: dict | None = None) -> list[AuditEntry]:
    """One entry per object, all in one INSERT: the same action done to each of ``objects``."""
    who = actor_of(actor) if isinstance(actor, HttpRequest) else actor
    action = AuditAction(action)  # an unknown action is a programming error: fail loudly
    entries = [_entry(who, action, obj, changes or {}, details or {}) for obj in objects]
    AuditEntry.objects.bulk_create(entries)
    for entry in entries:
        _log(entry)
    return entries


def _entry(who: Actor, action: str, obj, changes: dict, details: dict) -> AuditEntry:
    object_type = object_id = object_repr = ""
    if obj is not None:
        opts = obj._meta
        object_type, object_id = f"{opts.app_label}.{opts.model_name}", str(obj.pk)
        object_repr = str(obj)[:REPR_LENGTH]
    return AuditEntry(user_id=who.user_id, actor=who.name[:150], source=who.source, address=who.address,
                      action=action, object_type=object_type, object_id=object_id, object_repr=object_repr,
                      changes=changes, details=details)


def _log(entry: AuditEntry) -> None:
    # The text format shows the message; the JSON format also every field below, one line each
    # (control characters in names are escaped by the formatters, see syncapp/logging.py).
    log.info(
        "audit: %s %s %s%s", entry.actor, entry.get_action_display(), entry.object_repr or "-",
        f" {entry.changes}" if entry.changes else "",
        extra={"audit_id": entry.pk, "actor": entry.actor, "source": entry.source, "address": entry.address,
               "action": entry.action, "object_type": entry.object_type, "object_id": entry.object_id,
               "object": entry.object_repr, "changes": entry.changes, "details": entry.details},
    )
