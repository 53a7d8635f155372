import hashlib
import secrets
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from news.models import Category

from .addresses import canonical_or_none

# The consent text a visitor agrees to, by version. A new wording gets a new
# version; old versions stay so that every consent record can be read back.
CONSENT_TEXTS = {
    "2026-11": (
        "We will email you the news you choose, at the frequency you choose. We keep your "
        "email address and your choices only to send you these emails, and a record of when "
        "you subscribed and confirmed. Every email has a link to change your choices or to "
        "unsubscribe at once."
    ),
}
CONSENT_VERSION = "2026-11"


def email_hash(email):
    """A keyed hash of a normalised address: lets us recognise an erased address
    without keeping it."""
    normalised = (canonical_or_none(email) or email.strip().lower()).encode()
    return hashlib.blake2b(normalised, key=settings.SECRET_KEY.encode()[:64]).hexdigest()


def new_secret():
    return secrets.token_urlsafe(12)


class Frequency(models.TextChoices):
    IMMEDIATE = "immediate", "As soon as news is published"
    WEEKLY = "weekly", "Weekly"
    MONTHLY = "monthly", "Monthly"


class Source(models.TextChoices):
    PAGE = "page", "Sign-up page"
    BANNER = "banner", "Banner"
    EMAIL = "email", "Link in an email"
    ONE_CLICK = "one-click", "One-click unsubscribe (mail client)"
    ADMIN = "admin", "Admin"
    IMPORT = "import", "Import"
    BOUNCE = "bounce", "Permanent delivery failure"
    PROVIDER = "provider", "Email service report (bounce, complaint, unsubscribe)"


class SubscriberQuerySet(models.QuerySet):
    def confirmed(self):
        return self.filter(status=Subscriber.Status.CONFIRMED)


class Subscriber(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for confirmation"
        CONFIRMED = "confirmed", "Confirmed"
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
        SUPPRESSED = "suppressed", "Suppressed (address bounced)"

    email = models.EmailField(
        max_length=254,
        unique=True,
        help_text="Stored in canonical form: lower case, the domain IDNA-encoded.",
    )
    # In every link instead of the sequential id, which would tell anyone with a
    # link how many people subscribed before them.
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    status = models.CharField(max_length=12, choices=Status, default=Status.PENDING)
    frequency = models.CharField(max_length=10, choices=Frequency, default=Frequency.WEEKLY)
    topics = models.ManyToManyField(
        Category,
        blank=True,
        related_name="+",
        help_text="None chosen means every category, including future ones.",
    )
    source = models.CharField(max_length=10, choices=Source, default=Source.PAGE)
    # Part of every signed link; a new one on re-subscription voids older links.
    secret = models.CharField(max_length=32, default=new_secret, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    # Items published after this time and not yet in a digest are due to this subscriber.
    digested_until = models.DateTimeField(null=True, blank=True, editable=False)
    # The per-address limit on emails that public forms (sign-up, "lost your
    # link?") make us send, kept here rather than in Redis so that it holds
    # without Redis: the last such email, and how many since the window began.
    form_email_at = models.DateTimeField(null=True, blank=True, editable=False)
    form_emails_since = models.DateTimeField(null=True, blank=True, editable=False)
    form_emails = models.PositiveSmallIntegerField(default=0, editable=False)

    objects = SubscriberQuerySet.as_manager()

    class Meta:
        ordering = ["email"]
        indexes = [models.Index(fields=["status", "frequency"])]

    def __str__(self):
        return self.email

    def save(self, *args, **kwargs):
        self.email = canonical_or_none(self.email) or self.email.strip().lower()
        if self.status == self.Status.CONFIRMED and self.digested_until is None:
            # Confirmed some other way than the link (admin): news from now on.
            self.confirmed_at = self.confirmed_at or timezone.now()
            self.digested_until = self.confirmed_at
        super().save(*args, **kwargs)

    def topic_ids(self):
        """Chosen category ids, or None for every category."""
        ids = [topic.pk for topic in self.topics.all()]
        return ids or None

    def topics_label(self):
        names = [topic.name for topic in self.topics.all()]
        return ", ".join(names) if names else "All topics"


class SubscriptionConsent(models.Model):
    """Who agreed to what and when, for the newsletter (cookie consent is
    cookies.ConsentRecord). Deliberately no IP address."""

    class Action(models.TextChoices):
        SUBSCRIBE = "subscribe", "Asked to subscribe"
        CONFIRM = "confirm", "Confirmed"
        CHANGE = "change", "Changed preferences"
        UNSUBSCRIBE = "unsubscribe", "Unsubscribed"
        SUPPRESS = "suppress", "Suppressed (bounce or complaint)"
        LIFT = "lift", "Suppression lifted"

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="consents")
    action = models.CharField(max_length=12, choices=Action)
    at = models.DateTimeField(default=timezone.now)
    consent_version = models.CharField(max_length=20)
    source = models.CharField(max_length=10, choices=Source)
    details = models.CharField(max_length=500, blank=True, help_text="Topics and frequency.")

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.get_action_display()} on {self.at:%d/%m/%Y %H:%M}"


class SuppressionQuerySet(models.QuerySet):
    def for_address(self, email):
        """The suppression of `email` (any spelling of it), if there is one."""
        return self.filter(email_hash=email_hash(email))


class Suppression(models.Model):
    """An address we must not add or mail again, kept only as a keyed hash."""

    class Reason(models.TextChoices):
        ERASED = "erased", "Erased on request"
        BOUNCED = "bounced", "Permanent delivery failure (hard bounce)"
        REJECTED = "rejected", "Rejected by the email service"
        COMPLAINED = "complained", "Spam complaint"
        SOFT_BOUNCES = "soft", "Repeated temporary failures (soft bounces)"

    email_hash = models.CharField(max_length=128, unique=True)
    reason = models.CharField(max_length=10, choices=Reason)
    created_at = models.DateTimeField(default=timezone.now)
    provider = models.CharField(max_length=20, blank=True, help_text="Empty: our own SMTP.")
    event_id = models.CharField(max_length=200, blank=True, help_text="The provider's event id.")
    detail = models.CharField(max_length=500, blank=True)

    objects = SuppressionQuerySet.as_manager()

    def __str__(self):
        return f"{self.get_reason_display()} ({self.email_hash[:12]}…)"


class ProviderEvent(models.Model):
    """A tracking event an email service reported (bounce, complaint…), kept so
    that the same event delivered twice changes nothing, and to count soft
    bounces. The address is kept only as its keyed hash, like suppressions."""

    class Kind(models.TextChoices):
        HARD_BOUNCE = "hard", "Hard bounce"
        SOFT_BOUNCE = "soft", "Soft bounce"
        REJECTED = "rejected", "Rejected"
        COMPLAINT = "complaint", "Spam complaint"
        UNSUBSCRIBE = "unsubscribe", "Unsubscribed at the email service"

    provider = models.CharField(max_length=20)
    event_id = models.CharField(max_length=200)
    email_hash = models.CharField(max_length=128)
    kind = models.CharField(max_length=12, choices=Kind)
    happened_at = models.DateTimeField(default=timezone.now)
    received_at = models.DateTimeField(default=timezone.now)
    detail = models.CharField(max_length=500, blank=True)
    # The digest the event is about, for its complaint and bounce rates.
    digest = models.ForeignKey(
        "Digest", null=True, blank=True, on_delete=models.SET_NULL, related_name="provider_events"
    )

    class Meta:
        constraints = [
            # One SES notification can name several recipients under one id.
            models.UniqueConstraint(
                fields=["provider", "event_id", "email_hash"], name="newsletter_event_once"
            )
        ]
        indexes = [
            models.Index(fields=["email_hash", "kind", "happened_at"]),
            models.Index(fields=["digest", "kind"]),
        ]

    def __str__(self):
        return f"{self.provider} {self.get_kind_display()} {self.event_id}"


class DigestSchedule(models.Model):
    """When each frequency's digest goes out; edited in admin, read by the beat task."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    frequency = models.CharField(max_length=10, choices=Frequency, unique=True)
    enabled = models.BooleanField(default=True)
    weekday = models.PositiveSmallIntegerField(
        choices=Weekday, default=Weekday.MONDAY, help_text="Weekly digests only."
    )
    day = models.PositiveSmallIntegerField(
        default=1,
        help_text="Monthly digests only: day of the month (1–28 is safe in every month; "
        "later days fall back to the month's last day).",
    )
    hour = models.PositiveSmallIntegerField(default=9, help_text="Hour, UK time (0–23).")

    class Meta:
        ordering = ["frequency"]

    def __str__(self):
        return f"{self.get_frequency_display()} digest"

    def clean(self):
        from django.core.exceptions import ValidationError

        errors = {}
        if not 0 <= self.hour <= 23:
            errors["hour"] = "Enter an hour from 0 to 23."
        if not 1 <= self.day <= 31:
            errors["day"] = "Enter a day from 1 to 31."
        if errors:
            raise ValidationError(errors)


class DigestQuerySet(models.QuerySet):
    def sent(self):
        """Digests that went out to someone: the web archive."""
        return self.filter(status__in=["sending", "paused", "done"], recipients__gt=0)


class Digest(models.Model):
    """One per frequency and period: beat firing twice still makes one digest."""

    class Status(models.TextChoices):
        NEW = "new", "New"
        SENDING = "sending", "Sending"
        PAUSED = "paused", "Paused"
        CANCELLED = "cancelled", "Cancelled"
        DONE = "done", "Done"

    frequency = models.CharField(max_length=10, choices=Frequency)
    period = models.CharField(max_length=40, help_text="For example 2026-W47 or 2026-11.")
    until = models.DateTimeField(help_text="Items published up to this time are included.")
    # Set when built: where its web version starts (the previous digest of the
    # frequency), and how many emails it has.
    since = models.DateTimeField(null=True, blank=True)
    recipients = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status, default=Status.NEW)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Why sending is paused or was cancelled: a manager, or the complaint or
    # bounce brake (newsletter.brakes), which also names the rates.
    stop_reason = models.CharField(max_length=300, blank=True)
    # When the brake last paused it; a manager who resumes it after that
    # overrides the brake for this digest.
    braked_at = models.DateTimeField(null=True, blank=True)
    brake_overridden = models.BooleanField(default=False)

    objects = DigestQuerySet.as_manager()

    class Meta:
        ordering = ["-until", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["frequency", "period"], name="newsletter_one_digest")
        ]

    def __str__(self):
        return f"{self.get_frequency_display()} digest, {self.period_label()}"

    def get_absolute_url(self):
        return reverse("newsletter:archive-detail", args=[self.pk])

    def period_label(self):
        """The time the digest covers, for people: "week of 23 November 2026"."""
        until = timezone.localtime(self.until)
        if self.period.startswith("now-"):  # staff's "send now"
            return f"sent {until:%d/%m/%Y %H:%M}"
        if self.frequency == Frequency.WEEKLY:
            start = until - timedelta(days=7)
            return f"week of {start.day} {start:%B %Y}"
        if self.frequency == Frequency.MONTHLY:
            return f"{until - timedelta(days=1):%B %Y}"
        return f"{until.day} {until:%B %Y}, {until:%H:%M}"


class Delivery(models.Model):
    """One message of one digest to one subscriber; made before any is sent."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped"
        CANCELLED = "cancelled", "Cancelled"

    digest = models.ForeignKey(Digest, on_delete=models.CASCADE, related_name="deliveries")
    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="deliveries")
    since = models.DateTimeField(help_text="Items published after this time are included.")
    status = models.CharField(max_length=10, choices=Status, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # While "sending": the worker renews this while it is alive; past it, the
    # sweeper gives the row to another worker.
    lease_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    # What the mail server or email service answered for this recipient:
    # Anymail's status (queued, sent, rejected, invalid…), "accepted" or
    # "rejected" over SMTP; and the service's id for the message.
    provider_status = models.CharField(max_length=10, blank=True)
    provider_message_id = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(fields=["digest", "subscriber"], name="newsletter_one_delivery")
        ]
        indexes = [models.Index(fields=["digest", "status", "next_attempt_at"])]

    def __str__(self):
        return f"{self.digest} to {self.subscriber_id}"


class SubscriberImport(models.Model):
    """A CSV import run by a worker: first a dry run that gives every row a
    verdict, then, once a manager confirms, the import itself."""

    class Status(models.TextChoices):
        CHECKING = "checking", "Checking the rows (dry run)"
        CHECKED = "checked", "Checked: waiting for confirmation"
        IMPORTING = "importing", "Importing"
        DONE = "done", "Imported"
        FAILED = "failed", "Failed"

    file_name = models.CharField(max_length=200)
    # The file itself, so that a worker in another container can read it.
    content = models.TextField(editable=False)
    status = models.CharField(max_length=10, choices=Status, default=Status.CHECKING)
    total_rows = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Renewed by the worker while it runs; past it, the sweeper queues the job again.
    lease_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Import of {self.file_name} ({self.created_at:%d/%m/%Y %H:%M})"

    @property
    def running(self):
        return self.status in (self.Status.CHECKING, self.Status.IMPORTING)


class ImportRow(models.Model):
    """One row of an import and its verdict."""

    class Verdict(models.TextChoices):
        ADD = "add", "Added"
        DUPLICATE = "duplicate", "Repeats an earlier row"
        ALREADY = "already", "Already on the list: not changed"
        SUPPRESSED = "suppressed", "Suppressed (erased on request, bounced or complained)"
        INVALID = "invalid", "Not valid"

    job = models.ForeignKey(SubscriberImport, on_delete=models.CASCADE, related_name="rows")
    line = models.PositiveIntegerField()
    email = models.CharField(max_length=254, blank=True)
    frequency = models.CharField(max_length=10, blank=True)
    topics = models.CharField(max_length=500, blank=True, help_text="Category ids, ';'-separated.")
    verdict = models.CharField(max_length=10, choices=Verdict)
    message = models.CharField(max_length=200, blank=True)
    done = models.BooleanField(default=False)

    class Meta:
        ordering = ["job", "line"]
        indexes = [models.Index(fields=["job", "done", "line"])]

    def __str__(self):
        return f"Row {self.line}: {self.get_verdict_display()}"
