"""Parts lists: the stored SQLite file of an elevation and the rows parsed from it."""

from datetime import timedelta

from django.db import models
from django.db.models import Q
from django.utils import timezone

# A parse that started this long ago and never finished belongs to a killed process.
PARSE_STALLED_AFTER = timedelta(minutes=10)


class ParseStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    PARSING = "parsing", "Parsing"
    PARSED = "parsed", "Parsed"
    INVALID = "invalid", "Invalid"


class PartsListQuerySet(models.QuerySet):
    @staticmethod
    def _stalled_q(now, stalled_after: timedelta) -> Q:
        return Q(parse_status=ParseStatus.PARSING, parse_started_at__lt=(now or timezone.now()) - stalled_after)

    def stalled(self, now=None, stalled_after: timedelta = PARSE_STALLED_AFTER):
        """Rows left in `parsing` by a process that died mid-parse."""
        return self.filter(self._stalled_q(now, stalled_after))

    def needing_parse(self, now=None, stalled_after: timedelta = PARSE_STALLED_AFTER):
        """Stored files still owed a parse: pending ones, and stalled parses (which count as pending)."""
        return self.exclude(sha256="").filter(
            Q(parse_status=ParseStatus.PENDING) | self._stalled_q(now, stalled_after)
        )


def _measure(label: str) -> tuple[models.CharField, models.CharField]:
    """A measure as the file states it: the value's text (``<name>_output``) and its unit."""
    return (models.CharField(label, max_length=64, blank=True),
            models.CharField(f"{label} unit", max_length=16, blank=True))


class PartsList(models.Model):
    elevation = models.OneToOneField("syncapp.Elevation", on_delete=models.PROTECT, related_name="parts_list")
    file = models.FileField("file", upload_to="parts-lists/", blank=True)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True, db_index=True)
    size_bytes = models.PositiveBigIntegerField("size (bytes)", default=0)
    source_changed_date = models.DateTimeField(
        "elevation changedDate", null=True, blank=True,
        help_text="The elevation's changedDate when this file was downloaded.",
    )
    downloaded_at = models.DateTimeField("downloaded", null=True, blank=True)
    parse_status = models.CharField(
        "parse status", max_length=10, choices=ParseStatus.choices, default=ParseStatus.PENDING, db_index=True
    )
    parse_error = models.TextField("parse error", blank=True, default="")
    parsed_sha256 = models.CharField(
        "parsed SHA-256", max_length=64, blank=True, help_text="The file whose rows are stored below."
    )
    parsed_at = models.DateTimeField("parsed", null=True, blank=True)
    parse_started_at = models.DateTimeField("parse started", null=True, blank=True)
    parse_warnings = models.TextField(
        "parse warnings", blank=True, default="",
        help_text="What the last successful parse had to do without (missing optional tables or columns).",
    )

    # Elevation facts from the file's Elevations row with exactly the elevation's name.
    auto_description = models.TextField("auto description", blank=True)
    auto_description_short = models.TextField("auto description (short)", blank=True)
    width_output, width_unit = _measure("width")
    height_output, height_unit = _measure("height")
    weight_output, weight_unit = _measure("weight")
    area_output, area_unit = _measure("area")
    system_code = models.CharField("system code", max_length=128, blank=True)
    system_name = models.CharField("system name", max_length=255, blank=True)
    system_long_name = models.CharField("system long name", max_length=255, blank=True)
    color_base_long = models.CharField("base colour", max_length=255, blank=True)
    # Kept with the rows (same transaction), so readers need not count them.
    articles_count = models.PositiveIntegerField("articles", default=0)
    profiles_count = models.PositiveIntegerField("profiles", default=0)

    objects = PartsListQuerySet.as_manager()

    class Meta:
        verbose_name = "parts list"
        constraints = [
            models.CheckConstraint(
                name="partslist_sha256_is_hex64",
                condition=Q(sha256="") | Q(sha256__regex=r"^[0-9a-f]{64}$"),
            ),
            models.CheckConstraint(
                name="partslist_parsed_sha256_is_hex64",
                condition=Q(parsed_sha256="") | Q(parsed_sha256__regex=r"^[0-9a-f]{64}$"),
            ),
            models.CheckConstraint(
                name="partslist_invalid_has_message",
                condition=~Q(parse_status="invalid") | ~Q(parse_error=""),
            ),
            models.CheckConstraint(
                name="partslist_parsed_names_its_file",
                condition=~Q(parse_status="parsed") | ~Q(parsed_sha256=""),
            ),
            models.CheckConstraint(
                name="partslist_parsing_has_start",
                condition=~Q(parse_status="parsing") | Q(parse_started_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"Parts list of {self.elevation}"


class PartsListRow(models.Model):
    parts_list = models.ForeignKey(PartsList, on_delete=models.CASCADE, related_name="+")

    class Meta:
        abstract = True


class PartsListGlass(PartsListRow):
    glass_id = models.CharField("glass id", max_length=64, blank=True)
    name = models.CharField("name", max_length=255, blank=True)

    class Meta:
        verbose_name_plural = "parts-list glass"


class PartsListArticle(PartsListRow):
    article_code = models.CharField("article code", max_length=128, blank=True, db_index=True)
    description = models.TextField("description", blank=True)
    amount = models.FloatField("amount", null=True, blank=True)
    color = models.CharField("colour", max_length=255, blank=True)


class PartsListProfile(PartsListRow):
    article_code = models.CharField("article code", max_length=128, blank=True, db_index=True)
    description = models.TextField("description", blank=True)
    length = models.FloatField("length", null=True, blank=True)
    color = models.CharField("colour", max_length=255, blank=True)
    price = models.FloatField("price", null=True, blank=True)


class PartsListUValue(PartsListRow):
    name = models.CharField("name", max_length=255, blank=True)
    u = models.FloatField("U", null=True, blank=True)
    u_unit = models.CharField("U unit", max_length=32, blank=True)

    class Meta:
        verbose_name = "parts-list U-value"
