"""Standard Webhooks signatures (`webhook-id`, `webhook-timestamp`, `webhook-signature`) with the `standardwebhooks` package.

After a rotation the delivery carries two signatures, space-separated (the specification's
way), one per secret, until the previous secret's overlap ends: a receiver that still has
the old secret keeps verifying while it is switched over.
"""

import base64
import secrets
from datetime import UTC, datetime

from standardwebhooks import Webhook

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def signed_headers(message_id: str, body: str, signing_secrets: list[str], *, at: datetime | None = None) -> dict:
    at = (at or datetime.now(UTC)).astimezone(UTC)
    signatures = [Webhook(secret).sign(message_id, at, body) for secret in signing_secrets]
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": " ".join(signatures),
        "content-type": "application/json",
    }
