from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.text import slugify

from common.accessibility import body_problems
from common.sanitize import clean_html
from editorial.models import ReviewedModel

# Addresses the site's own sections use: a standing page may not take them.
RESERVED_SLUGS = {
    "admin",
    "news",
    "news-and-updates",
    "newsletter",
    "cookies",
    "maintenance",
    "documents",
    "static",
    "media",
    "ckeditor5",
    "healthz",
    "anymail",
    "bench",
    "preview",
}


class StandingPageQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=StandingPage.Status.PUBLISHED)


class StandingPage(ReviewedModel):
    """A page the organisation keeps up to date rather than publishes once:
    the privacy notice, the accessibility statement, About. The footer links
    to privacy, accessibility and about (templates/base.html)."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    title = models.CharField(max_length=200)
    slug = models.SlugField(
        max_length=100, unique=True, blank=True,
        help_text="The page's address: /<slug>/ (“privacy”). Made from the title when left empty.",
    )
    summary = models.TextField(
        max_length=300, help_text="Plain text: the page's description for search engines."
    )
    body = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status, default=Status.DRAFT)
    updated_at = models.DateTimeField(auto_now=True)

    objects = StandingPageQuerySet.as_manager()

    class Meta:
        ordering = ["title"]
        permissions = [("publish_standingpage", "Can publish standing pages")]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        self.body = clean_html(self.body)
        if not self.slug:  # an Editor's new page: Publishers choose its address
            self.slug = self._free_slug()
        super().save(*args, **kwargs)

    def _free_slug(self):
        base = slugify(self.title)[:90] or "page"
        taken = set(
            StandingPage.objects.filter(slug__startswith=base).values_list("slug", flat=True)
        )
        slug, n = base, 2
        while slug in taken or slug in RESERVED_SLUGS:
            slug, n = f"{base}-{n}", n + 1
        return slug

    def get_absolute_url(self):
        return reverse("pages:page", kwargs={"slug": self.slug})

    # Under review like news items (pages/editorial_hooks.py): an Editor's
    # change to a published page waits for a Publisher, who alone sets its address.
    editorial_rich_text = ("body",)
    editorial_publisher_fields = ("status", "slug")

    @property
    def is_published(self):
        return self.status == self.Status.PUBLISHED

    def publish(self, at=None):
        self.status = self.Status.PUBLISHED

    def publication_problems(self):
        problems = body_problems(self.body)
        return {"body": problems} if problems else {}

    def clean(self):
        if self.slug in RESERVED_SLUGS:
            raise ValidationError({"slug": "That address belongs to another part of the site."})
