"""LogiKal dates: Unix seconds, though some values arrive in milliseconds."""

from datetime import datetime, timezone

MILLISECONDS_THRESHOLD = 1e10  # seconds since 1970 pass this only in the year 2286


def parse_upstream_date(value) -> datetime | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, datetime):
        return value
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if number <= 0:
        return None
    if number > MILLISECONDS_THRESHOLD:
        number /= 1000
    return datetime.fromtimestamp(number, tz=timezone.utc)
