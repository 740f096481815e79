"""The activity rule as the README states it, in plain Python: the tests' own oracle for the SQL."""

from datetime import timedelta


def expected_interval(config, last_change, now, *, stale=False) -> timedelta:
    """The rule as the README states it, in plain Python (the test's own oracle)."""
    ratio = config.staleness_minutes / config.interval_minutes if stale else 1
    floor = timedelta(minutes=config.interval_minutes * ratio)
    if not config.activity_based or last_change is None:
        return floor
    grown = (now - last_change) * (config.activity_factor * ratio)
    return min(max(grown, floor), timedelta(minutes=config.max_interval_minutes * ratio))


def last_change_of(obj):
    """The object's last upstream change as the README defines it per type (None: no date)."""
    name = obj.OBJECT_TYPE
    if name in ("project", "elevation"):
        return obj.changed_date
    if name == "phase":
        return obj.project.changed_date
    return None


def listing_interval(obj, configs, now) -> timedelta:
    """How old an object's listing may get: the shortest own interval among the rows it serves."""
    from syncapp.models.tree import type_of

    return min(expected_interval(configs[served], last_change_of(obj), now) for served in type_of(obj).serves)
