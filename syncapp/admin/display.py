"""How the admin lists show times, errors and durations: short, in one time zone, in plain words.

The page header names the time zone once (templates/admin/base_site.html); cells show the
shortest time that is unambiguous today ("06:24", "29 Nov 06:24", "29 Nov 2024") with the
full time in the tooltip.
"""

from django.contrib import admin
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import format_html
from django.utils.text import Truncator

FULL_FORMAT = "j M Y, H:i:s"
TECHNICAL_TOOLTIP_CHARS = 600


def short_time_text(value, now=None) -> str:
    if value is None:
        return ""
    now = timezone.localtime(now or timezone.now())
    local = timezone.localtime(value)
    if local.date() == now.date():
        return date_format(local, "H:i")
    if local.year == now.year:
        return date_format(local, "j M H:i")
    return date_format(local, "j M Y")


def short_time(value, now=None):
    """A time cell: short text, the full time (seconds included) in the tooltip; a dash for none."""
    if value is None:
        return "-"
    return format_html(
        '<time datetime="{}" title="{}" style="white-space:nowrap">{}</time>',
        value.isoformat(), date_format(timezone.localtime(value), FULL_FORMAT), short_time_text(value, now),
    )


def time_column(field: str, description: str):
    """A list column showing ``field`` as a short time, sortable by the field."""

    @admin.display(description=description, ordering=field)
    def column(self, obj):
        return short_time(getattr(obj, field))

    column.__name__ = f"{field}_short"
    return column


def error_cell(summary: str, technical: str, *, extra: str = "", chars: int = 90):
    """The short words, with the technical text in the tooltip (the object page shows it whole)."""
    text = summary or Truncator(technical.splitlines()[0] if technical else "").chars(chars)
    if not text:
        return ""
    if extra:
        text = f"{text} — {extra}"
    return format_html('<span class="sync-error" title="{}">{}</span>',
                       Truncator(technical).chars(TECHNICAL_TOOLTIP_CHARS), text)


def format_number(value, *, decimals: int = 3) -> str:
    """1234.5 -> "1,234.5"; 4.0 -> "4"; None -> "". No float noise ("0.30000000000000004")."""
    if value is None:
        return ""
    text = f"{value:,.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
