"""Log output: JSON lines for LOG_FORMAT=json, and a filter that keeps secrets out of every line.

Both are plain ``logging`` classes with no Django import at module level, so
gunicorn's master can use them before Django is set up (project/gunicorn.py).
"""

import json
import logging
import os
import re
from datetime import datetime, timezone
from functools import lru_cache

# Attributes every LogRecord has; anything else was passed through `extra=`.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}

REDACTED = "***"

# The formatters and the redaction filter, shared by Django's LOGGING and gunicorn's config.
LOG_FORMATTERS = {
    "text": {"()": "syncapp.logging.TextFormatter", "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    "json": {"()": "syncapp.logging.JsonFormatter"},
}
LOG_FILTERS = {"redact_secrets": {"()": "syncapp.logging.RedactSecretsFilter"}}

# Secrets are configured values: whatever is set in these variables never reaches a log.
SECRET_SETTINGS = ("LOGIKAL_PASSWORD", "METRICS_TOKEN", "SECRET_KEY")
# Shorter values would blank out ordinary words; such a secret is not worth protecting anyway.
MIN_SECRET_LENGTH = 4
# The development password is public (README) and is also the name of the demo data set.
PUBLIC_DEV_DEFAULTS = {"demo"}

# Shapes that carry a credential whatever its value: bearer tokens, Authorization
# headers, password/token fields in JSON or query strings, passwords in URLs.
_PATTERNS = [
    (re.compile(r"(?i)\b(bearer)(\s+)[A-Za-z0-9._~+/=-]+"), r"\1\2" + REDACTED),
    (re.compile(r"(?i)\b(authorization[\"']?\s*[:=]\s*[\"']?)(?!bearer\b)(?:basic\s+)?[^\s\"',}]+"), r"\1" + REDACTED),
    (
        re.compile(r"(?i)([\"']?\b(?:password|passwd|token|secret|api_key|apikey)[\"']?\s*[:=]\s*[\"']?)[^\s\"',}&]+"),
        r"\1" + REDACTED,
    ),
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^\s:/@]+:)[^\s@/]+@"), r"\1" + REDACTED + "@"),
]


def _configured_secrets() -> tuple[str, ...]:
    values = []
    settings = _django_settings()
    for name in SECRET_SETTINGS:
        value = getattr(settings, name, None) if settings is not None else None
        if value is None:
            value = os.environ.get(name)
        if value and len(value) >= MIN_SECRET_LENGTH and value not in PUBLIC_DEV_DEFAULTS:
            values.append(value)
    # Longest first: a secret that contains another is replaced whole.
    return tuple(sorted(set(values), key=len, reverse=True))


def _django_settings():
    try:
        from django.conf import settings
    except ImportError:  # pragma: no cover - Django is always installed here
        return None
    return settings if settings.configured else None


@lru_cache(maxsize=8)
def _secret_pattern(secrets: tuple[str, ...]) -> re.Pattern | None:
    if not secrets:
        return None
    return re.compile("|".join(re.escape(secret) for secret in secrets))


def redact(text: str) -> str:
    """``text`` with configured secrets and credential-shaped substrings replaced by ***."""
    pattern = _secret_pattern(_configured_secrets())
    if pattern is not None:
        text = pattern.sub(REDACTED, text)
    for shape, replacement in _PATTERNS:
        text = shape.sub(replacement, text)
    return text


def _redact_value(value):
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: _redact_value(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_redact_value(item) for item in value)
    return value


class RedactSecretsFilter(logging.Filter):
    """Rewrite a record so that no handler can print a secret from it.

    Installed on the root handler (and gunicorn's), it sees every line whatever
    logger emitted it. The message is formatted here, once, so that a secret
    passed as a %-argument is caught too; exception text is formatted and
    redacted here for the same reason.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: keep what we can show
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        for key, value in list(vars(record).items()):
            if key not in _STANDARD and not key.startswith("_"):
                setattr(record, key, _redact_value(value))
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


# Characters that could end a log line or disguise it: C0 and C1 controls, DEL, Unicode line and
# paragraph separators, bidirectional overrides. Upstream names (typed by anyone in LogiKal)
# reach log messages; in the text format each of these is written as an escape instead.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def escape_control_characters(text: str) -> str:
    """'a\nb' -> 'a\\nb': one log line whatever the text holds."""
    named = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
    return _UNPRINTABLE.sub(lambda m: named.get(m.group(), f"\\u{ord(m.group()):04x}"), text)


class TextFormatter(logging.Formatter):
    """The text format, with the message's control characters escaped (a traceback keeps its lines)."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = escape_control_characters(record.message)
        return super().formatMessage(record)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, then every `extra=` field."""

    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "time": datetime.fromtimestamp(record.created, tz=timezone.utc).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                payload.setdefault(key, value)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            payload["exception"] = record.exc_text
        if record.stack_info:
            payload["stack"] = record.stack_info
        # json.dumps escapes newlines, so a multi-line message or traceback stays one line.
        return json.dumps(payload, default=str)


class SkipProbeAccessFilter(logging.Filter):
    """Drop gunicorn access lines of successful health probes (one every few seconds, no news)."""

    PROBE_PATHS = ("/healthz", "/readyz")

    def filter(self, record: logging.LogRecord) -> bool:
        atoms = record.args if isinstance(record.args, dict) else None
        if not atoms:
            return True
        return not (atoms.get("U") in self.PROBE_PATHS and str(atoms.get("s")) == "200")
