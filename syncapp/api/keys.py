"""Secrets handed to API clients: random, shown once, stored only as a SHA-256 digest."""

import hashlib
import secrets

KEY_PREFIX = "lsk_"  # an API client's key
TOKEN_PREFIX = "lst_"  # a 24-hour token of the v1 login
SHOWN_PREFIX_LENGTH = 12  # kept in clear so that staff can tell keys apart


def new_secret(prefix: str) -> str:
    """256 random bits, URL-safe, with a prefix that says what the secret is (and lets scanners spot leaks)."""
    return prefix + secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
