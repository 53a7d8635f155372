import fnmatch
import uuid

from django.db import models
from django.utils import timezone


class CookieCategoryQuerySet(models.QuerySet):
    def optional(self):
        """Categories a visitor may refuse."""
        return self.filter(required=False)

    def with_declaration_count(self):
        # Meta.ordering does not apply to aggregate queries: order explicitly.
        return self.annotate(declaration_count=models.Count("declarations")).order_by(
            "order", "name"
        )


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
    order = models.PositiveSmallIntegerField(default=0, help_text="Lowest first.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = CookieCategoryQuerySet.as_manager()

    class Meta:
        ordering = ["order", "name"]
        verbose_name_plural = "cookie categories"

    def __str__(self):
        return self.name


class CookieDeclaration(models.Model):
    category = models.ForeignKey(
        CookieCategory, on_delete=models.CASCADE, related_name="declarations"
    )
    name = models.CharField(
        max_length=100, help_text="The cookie's name; * matches any characters, as in _ga_*."
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


class ConsentPolicy(models.Model):
    """The one row holding the policy version; consent to an older version is asked again."""

    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "consent policy"
        verbose_name_plural = "consent policy"

    def __str__(self):
        return f"Cookie policy version {self.version}"

    @classmethod
    def current(cls):
        return cls.objects.order_by("pk").first() or cls.objects.create()

    @classmethod
    def bump(cls):
        """Ask every visitor again: their consent names an older version."""
        policy = cls.current()
        policy.version = models.F("version") + 1
        policy.updated_at = timezone.now()
        # save() sends post_save: cookies.signals forgets the cached policy and pages.
        policy.save(update_fields=["version", "updated_at"])
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

    consent_id = models.UUIDField(default=uuid.uuid4, db_index=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    policy_version = models.PositiveIntegerField()
    choices = models.JSONField(help_text="Category slug → accepted.")
    location = models.CharField(max_length=10, choices=Location)
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

    def __str__(self):
        return f"{self.consent_id} at {self.created_at:%d/%m/%Y %H:%M}"

    @property
    def method(self):
        return "JavaScript" if self.javascript else "form (no JavaScript)"
