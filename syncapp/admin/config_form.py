"""The sync configuration's form: durations in units, each database rule's own message beside its field."""

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from ..models import ObjectSyncConfig
from ..models.config import MAX_INTERVAL_MINUTES, MAX_STALENESS_MINUTES, NOT_APPLICABLE
from ..models.trust import CONFIRMATIONS_NEEDED
from .durations import MinutesField, RuleIntegerField, minutes_in_words

MAX_SECONDS = 2_147_483_647  # PostgreSQL integer

# Each rule in the staff's units; the same rules the database enforces (ObjectSyncConfig's constraints).
RULES = {
    "syncconfig_interval_at_least_1_min": (
        "interval_minutes", f"The interval must be between 1 minute and {minutes_in_words(MAX_INTERVAL_MINUTES)}."),
    "syncconfig_staleness_at_least_interval": (
        "staleness_minutes", "The staleness threshold must be at least the interval and at most "
        f"{minutes_in_words(MAX_STALENESS_MINUTES)}."),
    "syncconfig_priority_range": ("priority", "The priority must be between -100 and 100."),
    "syncconfig_attempts_range": ("max_attempts", "Max attempts must be between 1 and 20."),
    "syncconfig_retry_delays_ordered": (
        "retry_max_seconds", "The retry cap must be at least the retry base delay (>= 1 s)."),
    "syncconfig_activity_factor_range": ("activity_factor", "The factor must be a number more than 0 and at most 1."),
    "syncconfig_max_interval_range": (
        "max_interval_minutes", "The maximum interval must be at least the sync interval and at most "
        f"{minutes_in_words(MAX_INTERVAL_MINUTES)}."),
}


def _rule(name: str) -> str:
    return RULES[name][1]


class FactorField(forms.FloatField):
    """The activity factor: whatever is wrong with it (not a number, zero, negative, above 1), one message."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.error_messages["invalid"] = _rule("syncconfig_activity_factor_range")

    def to_python(self, value):
        return super().to_python(value.replace(",", ".") if isinstance(value, str) else value)

    def validate(self, value):
        super().validate(value)
        if value is not None and not 0 < value <= 1:
            raise ValidationError(_rule("syncconfig_activity_factor_range"), code="rule")


class SyncConfigForm(forms.ModelForm):
    """Durations in minutes, hours or days; each rule's own message beside the field it concerns.

    Model validation reports CheckConstraint violations as errors of the whole form; in an
    editable list that is a line above the row, easy to misread, and in minutes. Every bad
    value, a negative one included, gets the message of the rule it breaks.
    """

    interval_minutes = MinutesField(
        label="sync interval", min_minutes=1, max_minutes=MAX_INTERVAL_MINUTES,
        rule=_rule("syncconfig_interval_at_least_1_min"),
        help_text="Every object of this type is re-verified at least this often (e.g. 15 min, 2 h, 1 d).",
    )
    staleness_minutes = MinutesField(
        label="stale after", min_minutes=1, max_minutes=MAX_STALENESS_MINUTES,
        rule=_rule("syncconfig_staleness_at_least_interval"),
        help_text="Not verified for this long, an object shows as stale. At least the interval.",
    )
    priority = RuleIntegerField(low=-100, high=100, rule=_rule("syncconfig_priority_range"),
                                help_text="Higher runs first; parents should outrank their children.")
    max_attempts = RuleIntegerField(low=1, high=20, rule=_rule("syncconfig_attempts_range"),
                                    help_text="How often a failing sync is tried before it counts as failed.")
    retry_base_seconds = RuleIntegerField(
        low=1, high=MAX_SECONDS, label="first retry after (seconds)",
        rule=f"The retry base delay must be between 1 and {MAX_SECONDS:,} seconds.",
        help_text="Each further retry waits twice as long, with jitter.")
    retry_max_seconds = RuleIntegerField(
        low=1, high=MAX_SECONDS, label="longest retry delay (seconds)",
        rule=_rule("syncconfig_retry_delays_ordered"))
    activity_factor = FactorField(
        label="factor", widget=forms.TextInput(attrs={"size": 5}),
        help_text="The interval grows to this share of the time since the object last changed in LogiKal "
        "(0.1: unchanged for 10 days, verified once a day). More than 0, at most 1.")
    max_interval_minutes = MinutesField(
        label="longest interval", min_minutes=1, max_minutes=MAX_INTERVAL_MINUTES,
        rule=_rule("syncconfig_max_interval_range"),
        help_text="However quiet an object is, it is verified at least this often (e.g. 1 d). At least the "
        "sync interval.")

    class Meta:
        labels = {
            "cascade": "sync changed children too",
            "activity_based": "verify quiet objects less often",
            "trust_changed_date": "skip unchanged projects",
        }
        help_texts = {
            "trust_changed_date": "Projects only. When LogiKal's change date of a project has not moved since "
            "its phases were last listed, its phases and elevations are not listed again. This saves most of a "
            "re-sync but relies on LogiKal moving that date for every change inside the project. Auto relies on "
            f"it once {CONFIRMATIONS_NEEDED} phase listings found changes with the date moved and none without "
            "(one such violation turns it off again); off is safe; on trusts it whatever the evidence.",
            "cascade": "After a sync, also sync the children it found changed or due.",
            "activity_based": "An object that has not changed in LogiKal for a long time is verified less often: "
            "its interval becomes the factor times the time since its last change, between the sync interval "
            "and the longest interval; its staleness threshold grows in proportion. A change LogiKal reports "
            "(a project's change date moving) is still acted on at once.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Declared fields join every form made from this one; the list edits only some of them.
        for name in [name for name in self.declared_fields if name not in (self._meta.fields or ())]:
            self.fields.pop(name, None)
        # What nothing reads for this row is shown, not editable: a posted value is ignored.
        for name in NOT_APPLICABLE.get(self.instance.object_type, ()):
            if name in self.fields:
                self.fields[name].disabled = True
                self.fields[name].help_text = "No effect for this row."

    def clean(self):
        """The longest interval against the interval, also where only one of them is on the form (the list):
        Django checks a constraint only when every field it names is on the form."""
        cleaned = super().clean()
        values = {name: cleaned.get(name, getattr(self.instance, name))
                  for name in ("activity_based", "interval_minutes", "max_interval_minutes")}
        if values["activity_based"] and None not in values.values() \
                and values["max_interval_minutes"] < values["interval_minutes"]:
            field = "max_interval_minutes" if "max_interval_minutes" in self.fields else "interval_minutes"
            self.add_error(field, _rule("syncconfig_max_interval_range"))
        return cleaned

    def _post_clean(self):
        super()._post_clean()
        errors = self._errors.get(NON_FIELD_ERRORS)
        if not errors:
            return
        by_message = {
            str(constraint.get_violation_error_message()): RULES.get(constraint.name)
            for constraint in ObjectSyncConfig._meta.constraints
        }
        keep, moved = [], []
        for error in errors.as_data():
            rule = by_message.get(error.messages[0]) if len(error.messages) == 1 else None
            (moved if rule and rule[0] in self.fields else keep).append((rule, error))
        del self._errors[NON_FIELD_ERRORS]
        if keep:
            self._errors[NON_FIELD_ERRORS] = self.error_class(
                [error for _, error in keep], error_class="nonfield", renderer=self.renderer
            )
        for (field, message), _ in moved:
            if message not in self._errors.get(field, []):
                self.add_error(field, message)
