import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone

from editorial.models import ReviewedModel

SERVICES = {
    "web_portal": "the web portal",
    "a2a": "A2A",
    "training_site": "the training site",
}


class MaintenanceNoticeQuerySet(models.QuerySet):
    def published(self):
        """Notices the public may see (cancelled ones included: they say so)."""
        return self.filter(status=MaintenanceNotice.Status.PUBLISHED)

    def upcoming(self, now=None):
        """Windows that have not ended yet, soonest first."""
        return self.filter(ends_at__gt=now or timezone.now()).order_by("starts_at", "pk")

    def past(self, now=None):
        return self.filter(ends_at__lte=now or timezone.now()).order_by("-starts_at", "-pk")


class MaintenanceNotice(ReviewedModel):
    """A planned window during which some Claims Portal services are unavailable.

    Under review like news items (maintenance/editorial_hooks.py): an
    Editor's change to a published notice waits for a Publisher."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    title = models.CharField(max_length=200)
    starts_at = models.DateTimeField("start", help_text="Europe/London time.")
    ends_at = models.DateTimeField("end", help_text="Europe/London time.")
    web_portal = models.BooleanField("web portal", default=True)
    a2a = models.BooleanField("A2A", default=True)
    training_site = models.BooleanField("training site", default=True)
    description = models.TextField(blank=True, help_text="Plain text.")
    item = models.ForeignKey(
        "news.NewsItem",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="maintenance_notices",
        verbose_name="news item",
        help_text="The news item that announces this window, if any.",
    )
    cancelled = models.BooleanField(
        default=False, help_text="Keep a cancelled window: calendars are told it is cancelled."
    )
    banner_from = models.DateTimeField(
        "show the banner from",
        blank=True,
        help_text="When the site-wide banner appears. Empty: "
        "MAINTENANCE_BANNER_HOURS before the start.",
    )
    status = models.CharField(max_length=10, choices=Status, default=Status.DRAFT)
    # RFC 5545: raised on every change, so calendars replace their copy.
    sequence = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MaintenanceNoticeQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_at", "-pk"]
        indexes = [models.Index(fields=["status", "ends_at"], name="maintenance_current")]
        permissions = [("publish_maintenancenotice", "Can publish maintenance notices")]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        if self.banner_from is None:
            hours = settings.MAINTENANCE_BANNER_HOURS
            self.banner_from = self.starts_at - datetime.timedelta(hours=hours)
        if self.pk is not None:
            self.sequence += 1
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("maintenance:notice", kwargs={"pk": self.pk})

    @property
    def is_published(self):
        return self.status == self.Status.PUBLISHED

    def publish(self, at=None):
        self.status = self.Status.PUBLISHED

    def clean(self):
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": "The end must be after the start."})
        if not (self.web_portal or self.a2a or self.training_site):
            raise ValidationError("Choose at least one affected service.")
        if self.banner_from and self.starts_at and self.banner_from > self.starts_at:
            raise ValidationError({"banner_from": "The banner must appear before the start."})

    @property
    def services(self):
        return [label for field, label in SERVICES.items() if getattr(self, field)]

    @property
    def services_label(self):
        """“all Claims Portal services”, or “the web portal and the training site”."""
        services = self.services
        if len(services) == len(SERVICES):
            return f"all {settings.SITE_NAME} services"
        if len(services) == 1:
            return services[0]
        return ", ".join(services[:-1]) + " and " + services[-1]

    @property
    def duration(self):
        # In UTC: Python subtracts wall-clock times that share a tzinfo, which
        # would make the night the clocks go back an hour too short.
        return self.ends_at.astimezone(datetime.UTC) - self.starts_at.astimezone(datetime.UTC)

    def is_in_progress(self, now=None):
        now = now or timezone.now()
        return self.starts_at <= now < self.ends_at

    def shows_banner(self, now=None):
        now = now or timezone.now()
        return (
            self.status == self.Status.PUBLISHED
            and not self.cancelled
            and self.banner_from <= now < self.ends_at
        )
