"""Template filters for figures as staff read them: "1,230", "4" (not "4.0"), short times."""

from django import template

from ..admin.display import format_number, short_time
from ..admin.durations import format_minutes

register = template.Library()


@register.filter
def number(value, decimals=3):
    """1230.0 -> "1,230"; 1.3 -> "1.3"; text that is no number is shown as it is."""
    if value is None or value == "":
        return ""
    try:
        return format_number(float(value), decimals=int(decimals))
    except (TypeError, ValueError):
        return value


@register.filter
def minutes(value):
    return format_minutes(value)


@register.filter
def when(value):
    return short_time(value)
