import fnmatch
import uuid

from django.db import models
from django.utils import timezone


class CookieCategoryQuerySet(models.QuerySet):
    def optional(self):
        """Categories a visitor may refuse."""
        return self.filter(required=False)


class CookieCategory(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(
        max_length=50,
        unique=True,
        help_text="Stored in visitors' consent cookies: changing it asks them again.",
    )
    description = models.TextField(help_text="Shown on the cookies page.")
    required = models.BooleanField(
        "strictly necessary",
        default=False,
        help_text="Strictly necessary cookies are always set; visitors get no choice.",
    )
    statistics = models.BooleanField(
        "statistics only",
        default=False,
        help_text="Used only to count how the site is used so that it can be improved: "
        "first-party statistics, no advertising, shared with no one but a processor working "
        "for the site. With COOKIE_STATISTICS_BASIS=exception such cookies are set without "
        "asking, and visitors may object.",
    )
    order = models.PositiveSmallIntegerField(default=0, help_text="Lowest first.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = CookieCategoryQuerySet.as_manager()

    class Meta:
        ordering = ["order", "name"]
        verbose_name_plural = "cookie categories"

    def __str__(self):
        return self.name


class CookieDeclaration(models.Model):
    """A cookie or a web-storage key the site (or a script it loads) may set.

    /cookies/ lists these, and the cookie audit in CI fails on anything a page
    stores that no declaration matches (tests/e2e/test_cookie_audit.py).
    """

    class Storage(models.TextChoices):
        COOKIE = "cookie", "Cookie"
        LOCAL = "local", "Local storage"
        SESSION = "session", "Session storage"

    category = models.ForeignKey(
        CookieCategory, on_delete=models.CASCADE, related_name="declarations"
    )
    name = models.CharField(
        max_length=100, help_text="The cookie's name; * matches any characters, as in _ga_*."
    )
    storage = models.CharField(
        max_length=10, choices=Storage, default=Storage.COOKIE,
        help_text="Where the browser keeps it.",
    )
    provider = models.CharField(
        max_length=100, default="This site", help_text="Who sets it, e.g. “Google”."
    )
    purpose = models.TextField()
    duration = models.CharField(max_length=100, help_text="How long it lasts, e.g. “2 years”.")
    domain = models.CharField(
        max_length=255,
        blank=True,
        help_text="The cookie's domain when it is not this site's host, e.g. .example.org.",
    )
    path = models.CharField(max_length=255, default="/")
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["category__order", "order", "name"]

    def __str__(self):
        return self.name

    def matches(self, cookie_name):
        return fnmatch.fnmatchcase(cookie_name, self.name)


class StatisticsBasis(models.TextChoices):
    """What allows statistics cookies (categories marked "statistics only")."""

    CONSENT = "consent", "Consent: set only after the visitor accepts them"
    # PECR Schedule A1 (Data (Use and Access) Act 2025), in force since 5 February 2026.
    EXCEPTION = "exception", "Statistics exception: set without asking, visitors may object"


class ConsentPolicy(models.Model):
    """The one row holding the policy version; consent to an older version is asked again.

    `statistics_basis` follows settings.COOKIE_STATISTICS_BASIS: a change of
    basis starts a new version (cookies.consent.follow_statistics_basis), so a
    choice is always read under the basis it was made under.
    """

    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(default=timezone.now)
    statistics_basis = models.CharField(
        max_length=10, choices=StatisticsBasis, default=StatisticsBasis.CONSENT,
        help_text="Set by COOKIE_STATISTICS_BASIS; a change starts a new version.",
    )

    class Meta:
        verbose_name = "consent policy"
        verbose_name_plural = "consent policy"

    def __str__(self):
        return f"Cookie policy version {self.version}"

    @classmethod
    def current(cls):
        return cls.objects.order_by("pk").first() or cls.objects.create()

    @classmethod
    def bump(cls, statistics_basis=None):
        """Ask every visitor again: their consent names an older version."""
        policy = cls.current()
        policy.version = models.F("version") + 1
        policy.updated_at = timezone.now()
        fields = ["version", "updated_at"]
        if statistics_basis is not None:
            policy.statistics_basis = statistics_basis
            fields.append("statistics_basis")
        # save() sends post_save: cookies.signals forgets the cached policy and pages.
        policy.save(update_fields=fields)
        policy.refresh_from_db()
        return policy


class ConsentRecordQuerySet(models.QuerySet):
    def older_than(self, when):
        return self.filter(created_at__lt=when)


class ConsentRecord(models.Model):
    """One choice a visitor made. Deliberately no IP address and no user agent."""

    class Location(models.TextChoices):
        BANNER = "banner", "Cookie banner"
        PAGE = "page", "Cookies page"

    class Decision(models.TextChoices):
        """What the choice amounts to (cookies.consent.decision_for), for the statistics."""

        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"
        PARTLY = "partly", "Accepted some"
        OBJECTED = "objected", "Objected to statistics"
        NOT_OBJECTED = "informed", "Informed, did not object"

    consent_id = models.UUIDField(default=uuid.uuid4, db_index=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    policy_version = models.PositiveIntegerField()
    choices = models.JSONField(help_text="Category slug → accepted.")
    location = models.CharField(max_length=10, choices=Location)
    decision = models.CharField(max_length=10, choices=Decision)
    javascript = models.BooleanField(help_text="Saved by the page's script rather than a form.")
    gpc = models.BooleanField("Global Privacy Control", default=False)
    # The banner's script sends a new key with each choice and sends it again
    # when it never saw the answer: the same choice is logged once.
    idempotency_key = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    objects = ConsentRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "consent log entry"
        verbose_name_plural = "consent log"
        permissions = [("view_consent_statistics", "Can view consent statistics")]

    def __str__(self):
        return f"{self.consent_id} at {self.created_at:%d/%m/%Y %H:%M}"

    @property
    def method(self):
        """How the choice was saved, in one label: "Cookies page, form with JavaScript"."""
        if self.location == self.Location.BANNER:
            return f"{self.get_location_display()} (JavaScript)"
        how = "form with JavaScript" if self.javascript else "form without JavaScript"
        return f"{self.get_location_display()}, {how}"
