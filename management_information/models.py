"""Monthly management-information (MI) releases: measures, their figures, and
the corrections made to figures after publication.

A release is reviewed like a news item (editorial.models.ReviewedModel): an
Editor's change to a published release waits for a Publisher. It becomes
public at its publication time with no task (Release.objects.published()).
"""

import datetime

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property

from editorial.models import ReviewedModel

from . import wording
from .periods import add_months, month_name

# When a new release goes out unless a Publisher says otherwise: the 15th of
# the month after its period, at 9:30am UK time, as the Claims Portal does.
DEFAULT_RELEASE_DAY = 15
DEFAULT_RELEASE_TIME = datetime.time(9, 30)


class MeasureGroup(models.Model):
    """A heading measures are shown under: “Claims notified”, “Settlement times”."""

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True, help_text="Plain text.")
    order = models.PositiveSmallIntegerField(default=0, help_text="Lowest first.")

    class Meta:
        ordering = ["order", "name"]

    def __str__(self):
        return self.name


class Measure(models.Model):
    """One thing counted every month: “RTA claims notified”."""

    class Unit(models.TextChoices):
        COUNT = "count", "Number"
        PERCENT = "percent", "Percentage (%)"
        DAYS = "days", "Days"
        POUNDS = "pounds", "Pounds (£)"

    group = models.ForeignKey(MeasureGroup, on_delete=models.PROTECT, related_name="measures")
    name = models.CharField(max_length=150, unique=True)
    code = models.SlugField(
        max_length=60,
        unique=True,
        help_text="The measure's address and its name in uploads and downloads: "
        "“rta-claims-notified”. Keep it once figures are published.",
    )
    unit = models.CharField(max_length=10, choices=Unit, default=Unit.COUNT)
    decimal_places = models.PositiveSmallIntegerField(
        default=0, choices=[(n, str(n)) for n in range(4)],
        help_text="How many decimal places its figures have.",
    )
    description = models.TextField(blank=True, help_text="Plain text: what is counted, and how.")
    order = models.PositiveSmallIntegerField(default=0, help_text="Order within its group.")

    class Meta:
        ordering = ["group__order", "group__name", "order", "name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("management_information:measure", kwargs={"code": self.code})


class ReleaseQuerySet(models.QuerySet):
    def published(self):
        """Releases whose figures the public may see: published, and their time has come."""
        return self.filter(status=Release.Status.PUBLISHED, published_at__lte=timezone.now())

    def in_calendar(self):
        """Releases the release calendar shows: announced ones and every published one."""
        return self.filter(models.Q(announced=True) | models.Q(status=Release.Status.PUBLISHED))

    def upcoming(self):
        """In the calendar and not public yet, soonest first."""
        return (
            self.in_calendar()
            .exclude(status=Release.Status.PUBLISHED, published_at__lte=timezone.now())
            .order_by("published_at", "period")
        )


class Release(ReviewedModel):
    """The figures for one month, published on an announced date."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    period = models.DateField(
        unique=True, help_text="The month the figures are for (stored as its first day)."
    )
    status = models.CharField(max_length=10, choices=Status, default=Status.DRAFT)
    announced = models.BooleanField(
        "in the release calendar",
        default=False,
        help_text="Show the release and its date in the release calendar before it is "
        "published (published releases are always there).",
    )
    announced_date = models.DateField(
        "announced date",
        blank=True,
        help_text="The date announced in the calendar. If the release moves, keep this "
        "date, change the publication time and say why: the calendar shows the move. "
        "Empty: the 15th of the month after the period.",
    )
    published_at = models.DateTimeField(
        "publication time",
        blank=True,
        help_text="UK time. A published release stays hidden until this time. Empty: "
        "9:30am on the announced date.",
    )
    date_change_reason = models.CharField(
        "why the date changed", max_length=300, blank=True,
        help_text="Shown in the calendar when the publication date is not the announced one.",
    )
    notes = models.TextField(
        blank=True, help_text="Plain text shown above the figures and in the downloads."
    )
    illustrative = models.BooleanField(
        "illustrative figures",
        default=False,
        help_text="The figures are made up (demonstration content): the page and every "
        "download say so.",
    )
    announcement = models.ForeignKey(
        "news.NewsItem",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="news item",
        help_text="The news item announcing the release; one is drafted when the release "
        "is published without one.",
    )
    # RFC 5545: raised on every change, so calendars replace their copy.
    sequence = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ReleaseQuerySet.as_manager()

    # Only Publishers decide what is public and when, the calendar included.
    editorial_publisher_fields = (
        "status", "announced", "announced_date", "published_at", "date_change_reason",
    )

    class Meta:
        ordering = ["-period"]
        indexes = [models.Index(fields=["status", "published_at"], name="mi_release_published")]
        permissions = [("publish_release", "Can publish management information releases")]

    def __str__(self):
        return self.title

    @property
    def title(self):
        return f"Management information: {month_name(self.period)}"

    @property
    def month(self):
        """“November 2026”."""
        return month_name(self.period)

    def get_absolute_url(self):
        return reverse("management_information:release", kwargs=self.url_kwargs)

    @property
    def url_kwargs(self):
        return {"year": self.period.year, "month": self.period.month}

    def save(self, *args, **kwargs):
        self.period = self.period.replace(day=1)
        if self.announced_date is None:
            self.announced_date = add_months(self.period, 1).replace(day=DEFAULT_RELEASE_DAY)
        if self.published_at is None:
            self.published_at = timezone.make_aware(
                datetime.datetime.combine(self.announced_date, DEFAULT_RELEASE_TIME)
            )
        if self.pk is not None:
            self.sequence += 1
        super().save(*args, **kwargs)

    # ---- review (editorial)

    @property
    def is_published(self):
        """Published (online now or scheduled): what only Publishers may change."""
        return self.status == self.Status.PUBLISHED

    @property
    def is_public(self):
        return self.is_published and self.published_at <= timezone.now()

    def publish(self, at=None):
        if at is not None:
            self.published_at = at
        elif not self.is_published and self.published_at and self.published_at < timezone.now():
            self.published_at = timezone.now()  # "publish now" for a late release
        self.status = self.Status.PUBLISHED

    def publication_problems(self):
        if self.pk is None or not self.figures.exists():
            return {None: ["Load the figures before this release is reviewed or published."]}
        return {}

    # ---- the calendar

    @property
    def release_date(self):
        return timezone.localdate(self.published_at)

    @property
    def moved(self):
        return self.announced_date != self.release_date

    @property
    def is_overdue(self):
        """Announced, its time has passed, and still not published."""
        return not self.is_published and self.published_at <= timezone.now()

    @property
    def date_note(self):
        """“Moved from 15/12/2026 to 17/12/2026: <reason>”, or ""."""
        return wording.date_note(self)

    @property
    def published_on(self):
        """“17/12/2026 at 9:30am”."""
        return wording.published_on(self)

    @cached_property
    def report(self):
        """Its figures as the release page shows them (reports.ReleaseReport)."""
        from .reports import ReleaseReport  # reports reads these models

        return ReleaseReport(self)


class Figure(models.Model):
    """One measure's value in one release."""

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="figures")
    measure = models.ForeignKey(Measure, on_delete=models.PROTECT, related_name="figures")
    value = models.DecimalField(max_digits=18, decimal_places=4)

    class Meta:
        ordering = ["release", "measure"]
        constraints = [
            models.UniqueConstraint(fields=["release", "measure"], name="mi_one_figure_per_measure")
        ]
        # A measure's whole series in one index scan (its page and downloads).
        indexes = [models.Index(fields=["measure", "release"], name="mi_figure_series")]

    def __str__(self):
        return f"{self.measure} in {self.release.month}: {self.value}"


class ReleaseCorrection(models.Model):
    """Figures of a public release changed: when, why, and what they were."""

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="corrections")
    corrected_at = models.DateTimeField(default=timezone.now)
    reason = models.CharField(max_length=500)
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    # [{"code", "measure", "previous", "value"}]: the figures before and after,
    # as decimal strings (None: there was no figure).
    changes = models.JSONField(encoder=DjangoJSONEncoder, default=list)

    class Meta:
        ordering = ["corrected_at", "pk"]

    def __str__(self):
        return f"Revised on {timezone.localtime(self.corrected_at):%d/%m/%Y}: {self.reason}"
