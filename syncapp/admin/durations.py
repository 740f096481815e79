"""Durations as staff write and read them: "15 min", "2 h", "1 d 12 h" instead of raw minutes.

A bare number still means minutes (what the field stored all along), so nothing typed
before changes meaning.
"""

import re

from django import forms
from django.core.exceptions import ValidationError

MINUTES_PER = {"d": 24 * 60, "h": 60, "min": 1}
UNIT_WORDS = {
    "d": "d", "day": "d", "days": "d",
    "h": "h", "hr": "h", "hrs": "h", "hour": "h", "hours": "h",
    "m": "min", "min": "min", "mins": "min", "minute": "min", "minutes": "min",
}
_PART = re.compile(r"(\d+(?:[.,]\d+)?)\s*([a-z]+)")


def format_minutes(minutes) -> str:
    """90 -> "1 h 30 min", 1440 -> "1 d", 2160 -> "1 d 12 h"; at most two units, largest first."""
    if minutes is None or minutes == "":
        return ""
    minutes = int(minutes)
    if minutes <= 0:
        return f"{minutes} min"
    parts = []
    for unit in ("d", "h", "min"):
        amount, minutes = divmod(minutes, MINUTES_PER[unit])
        if amount:
            parts.append(f"{amount} {unit}")
    return " ".join(parts)


def minutes_in_words(minutes: int) -> str:
    """For messages: 1 -> "1 minute", 10080 -> "7 days", 90 -> "90 minutes"."""
    for unit, size in (("day", 24 * 60), ("hour", 60)):
        if minutes >= size and minutes % size == 0:
            n = minutes // size
            return f"{n} {unit}{'s' if n != 1 else ''}"
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


class BadDuration(ValueError):
    pass


def parse_minutes(text: str) -> int:
    """ "90", "90 min", "1.5 h", "2h", "1 d 12 h" -> whole minutes; anything else raises BadDuration."""
    text = text.strip().lower()
    if re.fullmatch(r"[+-]?\d+", text):
        return int(text)
    if text.startswith("-"):
        raise BadDuration("negative")
    total, rest = 0.0, text
    for match in _PART.finditer(text):
        unit = UNIT_WORDS.get(match.group(2))
        if unit is None:
            raise BadDuration(f"unknown unit {match.group(2)!r}")
        total += float(match.group(1).replace(",", ".")) * MINUTES_PER[unit]
        rest = rest.replace(match.group(0), "", 1)
    if rest.strip() or text == "":
        raise BadDuration("not a duration")
    if total != int(total):
        raise BadDuration("not whole minutes")
    return int(total)


class MinutesField(forms.Field):
    """A duration typed in minutes, hours or days; every value out of range gets the rule's message."""

    widget = forms.TextInput(attrs={"size": 9, "class": "sync-duration"})
    default_error_messages = {
        "invalid": "Enter a duration such as 15 min, 2 h or 1 d (a bare number is minutes).",
    }

    def __init__(self, *, min_minutes: int, max_minutes: int, rule: str, **kwargs):
        self.min_minutes, self.max_minutes, self.rule = min_minutes, max_minutes, rule
        kwargs.setdefault("help_text", "e.g. 15 min, 2 h, 1 d 12 h")
        super().__init__(**kwargs)

    def prepare_value(self, value):
        # A number from the database shows in units; text typed by staff is shown back as typed.
        return format_minutes(value) if isinstance(value, int) else value

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, int):
            return value
        try:
            return parse_minutes(str(value))
        except BadDuration:
            if str(value).strip().startswith("-"):
                raise ValidationError(self.rule, code="rule") from None
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None

    def validate(self, value):
        super().validate(value)
        if value is not None and not self.min_minutes <= value <= self.max_minutes:
            raise ValidationError(self.rule, code="rule")


class RuleIntegerField(forms.IntegerField):
    """A whole number whose every out-of-range value (negative, huge) gets the rule's own message."""

    def __init__(self, *, low: int, high: int, rule: str, **kwargs):
        self.low, self.high, self.rule = low, high, rule
        super().__init__(**kwargs)

    def validate(self, value):
        super().validate(value)
        if value is not None and not self.low <= value <= self.high:
            raise ValidationError(self.rule, code="rule")
