"""Reading configuration from the environment, strictly.

Every helper raises ``ConfigError`` naming the variable when a value cannot be
parsed, instead of guessing: a typo in a deploy should stop start-up with one
clear line, not run with a silently different setting.
"""

import math
import os
from urllib.parse import urlsplit

import environ

_TRUE = {"1", "true", "yes", "on", "y", "t"}
_FALSE = {"0", "false", "no", "off", "n", "f"}


class ConfigError(Exception):
    """A configuration variable is missing or has a value we cannot use."""


def _raw(name: str) -> str | None:
    value = os.environ.get(name)
    if value is None:
        return None
    value = value.strip()
    return value if value != "" else None


def env_str(name: str, default: str | None = None) -> str | None:
    value = _raw(name)
    return default if value is None else value


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ConfigError(f"{name}: expected a boolean (true/false), got {value!r}")


def env_int(name: str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
    value = _raw(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"{name}: expected an integer, got {value!r}") from None
    if minimum is not None and number < minimum:
        raise ConfigError(f"{name}: must be at least {minimum}, got {number}")
    if maximum is not None and number > maximum:
        raise ConfigError(f"{name}: must be at most {maximum}, got {number}")
    return number


def env_float(name: str, default: float, *, minimum: float | None = None) -> float:
    value = _raw(name)
    if value is None:
        return default
    try:
        number = float(value)
    except ValueError:
        raise ConfigError(f"{name}: expected a number, got {value!r}") from None
    if not math.isfinite(number):
        raise ConfigError(f"{name}: expected a finite number, got {value!r}")
    if minimum is not None and number < minimum:
        raise ConfigError(f"{name}: must be at least {minimum}, got {number}")
    return number


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = _raw(name)
    if value is None:
        return default
    if value.lower() not in choices:
        raise ConfigError(f"{name}: expected one of {', '.join(choices)}, got {value!r}")
    return value.lower()


def env_cron(name: str, default: str) -> str:
    """A cron expression as Procrastinate's periodic tasks read it (a sixth field gives seconds)."""
    value = env_str(name, default)
    from croniter import croniter

    if not croniter.is_valid(value):
        raise ConfigError(f"{name}: expected a cron expression (5 fields, or 6 with seconds), got {value!r}")
    return value


def env_time_zone(name: str, default: str) -> str:
    value = env_str(name, default)
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{name}: unknown time zone {value!r} (use an IANA name such as Europe/Amsterdam)") from None
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    value = _raw(name)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def env_url(name: str, default: str | None = None, *, schemes: tuple[str, ...] = ("http", "https")) -> str | None:
    value = _raw(name)
    if value is None:
        return default
    parts = urlsplit(value)
    if parts.scheme not in schemes or not parts.netloc:
        raise ConfigError(f"{name}: expected a {'/'.join(schemes)} URL with a host, got {_redact(value)!r}")
    return value.rstrip("/")


def env_database(name: str) -> dict | None:
    """Parse a database URL; only PostgreSQL is accepted (no SQLite anywhere)."""
    value = _raw(name)
    if value is None:
        return None
    scheme = urlsplit(value).scheme
    if scheme not in ("postgres", "postgresql", "pgsql", "postgis"):
        raise ConfigError(f"{name}: expected a postgresql:// URL, got scheme {scheme or 'none'!r}")
    try:
        config = environ.Env.db_url_config(value)
    except Exception:  # django-environ raises assorted errors on garbage
        raise ConfigError(f"{name}: could not parse the database URL") from None
    if not config.get("NAME"):
        raise ConfigError(f"{name}: the URL names no database")
    return config


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@")
    return url
