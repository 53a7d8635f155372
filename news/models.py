import os

from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connection, models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.text import slugify

from common.accessibility import body_problems
from common.sanitize import clean_html
from common.storage import random_name
from editorial.models import ReviewedModel

from .validators import validate_document

SUMMARY_MAX_LENGTH = 600
FIRST_YEAR, LAST_YEAR = 1990, 2100


class Category(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    order = models.PositiveSmallIntegerField(
        default=0, help_text="Categories are listed in this order, lowest first."
    )

    class Meta:
        ordering = ["order", "name"]
        verbose_name_plural = "categories"

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("news:category", kwargs={"slug": self.slug})

    @cached_property
    def url(self):
        """Its address, reversed once per instance (lists share one per category)."""
        return self.get_absolute_url()


def online(prefix="", now=None):
    """The condition for items whose own page the public may open: published,
    their publication time come and their expiry time (if any) not. `prefix`
    names the items from another model ("items__" from a category)."""
    now = now or timezone.now()
    return models.Q(
        models.Q(**{f"{prefix}expires_at__isnull": True})
        | models.Q(**{f"{prefix}expires_at__gt": now}),
        **{f"{prefix}status": NewsItem.Status.PUBLISHED, f"{prefix}published_at__lte": now},
    )


def published_condition(prefix="", now=None):
    """The one rule for what the public sees in lists, feeds, search, the
    sitemap and emails: online and not withdrawn (see online())."""
    return online(prefix, now) & models.Q(**{f"{prefix}withdrawn_at__isnull": True})


class NewsItemQuerySet(models.QuerySet):
    def published(self):
        """Items the public may see (published_condition())."""
        return self.filter(published_condition())

    def at_address(self, year, slug):
        """The item at /news/<year>/<slug>/, or the one that address led to
        before its year or slug changed (OldAddress), or None."""
        found = self.filter(archive_year=year, slug=slug).first()
        if found is None:
            found = self.filter(old_addresses__archive_year=year, old_addresses__slug=slug).first()
        return found

    def online(self):
        """Items whose own page answers: the published ones and the withdrawn
        ones, which say so."""
        return self.filter(online())

    def gone(self):
        """Items that were online and are no longer: unpublished or expired.
        Their addresses answer 410 Gone (or lead to a replacement)."""
        now = timezone.now()
        return self.filter(published_at__lte=now).filter(
            models.Q(status=NewsItem.Status.UNPUBLISHED)
            | models.Q(status=NewsItem.Status.PUBLISHED, expires_at__lte=now)
        )

    def for_listing(self):
        """Items with their category, without the body, in one query (feeds, emails)."""
        return self.select_related("category").defer("body", "search_vector")

    def listing(self):
        """Items with only what list pages show (templates/news/_news_list.html)."""
        return self.select_related("category").only(
            "title", "slug", "archive_year", "date", "summary", "category__name", "category__slug"
        )

    def neighbours(self, item):
        """The items just older and just newer than `item` in the site's order
        (newest first: date descending, then the editors' position)."""
        items = self.only("title", "slug", "archive_year", "date", "position")

        def place(i):  # the order of items sharing a date
            return (i.position, -i.pk)

        # Items sharing the date are few: order them here rather than asking
        # the database for an OR of three conditions, which no index serves.
        same_day = sorted(items.filter(date=item.date), key=place)
        newer = [i for i in same_day if place(i) < place(item)]
        older = [i for i in same_day if place(i) > place(item)]
        newer = (
            newer[-1]
            if newer
            else (items.filter(date__gt=item.date).order_by("date", "-position", "id").first())
        )
        older = older[0] if older else items.filter(date__lt=item.date).first()
        return older, newer


class NewsItem(ReviewedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        UNPUBLISHED = "unpublished", "Unpublished (removed from the site)"

    title = models.CharField(max_length=200)
    slug = models.SlugField(
        max_length=200,
        blank=True,
        help_text="The item's address within its year. Made from the title when left empty.",
    )
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="items")
    date = models.DateField(default=timezone.localdate, help_text="The date shown on the item.")
    archive_year = models.PositiveIntegerField(
        blank=True,
        validators=[MinValueValidator(FIRST_YEAR), MaxValueValidator(LAST_YEAR)],
        help_text="The yearly archive the item is listed in. Defaults to the year of its date.",
    )
    summary = models.TextField(
        max_length=SUMMARY_MAX_LENGTH,
        help_text="Plain text shown in lists, feeds and emails.",
    )
    body = models.TextField(blank=True)
    decorative_images = models.BooleanField(
        "images without alternative text are decorative",
        default=False,
        help_text="Tick only if the images you left without alternative text carry no "
        "information (screen readers skip them).",
    )
    status = models.CharField(max_length=11, choices=Status, default=Status.DRAFT)
    published_at = models.DateTimeField(
        "publication time",
        default=timezone.now,
        help_text="A published item stays hidden until this time.",
    )
    expires_at = models.DateTimeField(
        "expiry time",
        null=True,
        blank=True,
        help_text="Leave empty to keep the item online. At this time the item leaves every "
        "public page, feed, sitemap and search.",
    )
    position = models.PositiveIntegerField(
        default=0, help_text="Order among items with the same date, lowest first."
    )
    # Set by a Publisher through Withdraw and Unpublish (editorial.views).
    withdrawn_at = models.DateTimeField(
        "withdrawn", null=True, blank=True, editable=False,
        help_text="A withdrawn item stays at its address with a notice and leaves every list.",
    )
    withdrawal_reason = models.TextField(blank=True, editable=False)
    replaced_by = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, editable=False,
        related_name="+", verbose_name="replaced by",
        help_text="Where the address of an unpublished item sends readers.",
    )
    public_updated_at = models.DateTimeField(
        "updated", null=True, blank=True, editable=False,
        help_text="When its last major change went live: “Updated” on the page, the feeds' "
        "updated date.",
    )
    author = models.CharField("sign-off", max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # PostgreSQL only (news/search.py): title, summary and body weighted A, B, C,
    # kept up to date on save and indexed with GIN (migration 0005).
    search_vector = SearchVectorField(null=True, editable=False)

    objects = NewsItemQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "position", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["archive_year", "slug"], name="news_item_unique_slug_per_year"
            ),
        ]
        # Each index serves one public query whatever the number of items:
        # listings walk an index in display order and stop at the page size;
        # archive counts are index-only.
        indexes = [
            models.Index(fields=["-date", "position", "-id"], name="news_item_order"),
            models.Index(
                fields=["archive_year", "-date", "position", "-id"], name="news_item_year_order"
            ),
            models.Index(
                fields=["category", "-date", "position", "-id"], name="news_item_category_order"
            ),
            models.Index(
                fields=["archive_year", "status", "published_at"], name="news_item_year_count"
            ),
            models.Index(fields=["status", "published_at"], name="news_item_published"),
            # The next expiry (the page cache's timer) without reading every row.
            models.Index(fields=["status", "expires_at"], name="news_item_expiry"),
        ]
        permissions = [("publish_newsitem", "Can publish and unpublish news items")]

    def __str__(self):
        return self.title

    editorial_fields = [
        "title", "slug", "category", "date", "archive_year", "position", "summary", "body",
        "decorative_images", "author", "status", "published_at", "expires_at",
        "withdrawn_at", "withdrawal_reason", "replaced_by",
    ]
    editorial_related = {
        "documents": ["id", "title", "file", "position", "original_name", "size"]
    }
    editorial_rich_text = ("body",)
    editorial_publisher_fields = ("status", "withdrawn_at", "withdrawal_reason", "replaced_by")

    def publish(self, at=None):
        if at is not None:
            self.published_at = at
        elif not self.is_published and self.published_at < timezone.now():
            self.published_at = timezone.now()  # "publish now" for an old draft
        self.status = self.Status.PUBLISHED
        self.replaced_by = None

    def withdraw(self, reason):
        """Keep it at its address with a notice, out of every list (the caller saves)."""
        self.withdrawn_at = timezone.now()
        self.withdrawal_reason = reason

    def unpublish(self, replacement=None):
        """Take it off the site: its address is gone, or leads to `replacement`."""
        self.status = self.Status.UNPUBLISHED
        self.replaced_by = replacement

    def add_change_note(self, note, at):
        """A major change went live at `at`: its note goes on the page, the
        feeds' updated date moves, and digests list it under "Updated"."""
        self.change_notes.create(note=note, published_at=at)
        self.public_updated_at = at
        NewsItem.objects.filter(pk=self.pk).update(public_updated_at=at)

    def publication_problems(self):
        """{field: [messages]} of what must be fixed before review or publication."""
        problems = body_problems(self.body, self.decorative_images)
        return {"body": problems} if problems else {}

    def clean(self):
        if self.expires_at and self.published_at and self.expires_at <= self.published_at:
            raise ValidationError(
                {"expires_at": "Enter an expiry time after the publication time."}
            )

    def save(self, *args, **kwargs):
        if not self.archive_year:
            self.archive_year = self.date.year
        if not self.slug:
            self.slug = self._unique_slug()
        self.body = clean_html(self.body)
        with transaction.atomic():
            self._remember_old_address()
            super().save(*args, **kwargs)
            update_search_vectors(NewsItem.objects.filter(pk=self.pk))

    def get_absolute_url(self):
        return reverse("news:item", kwargs={"year": self.archive_year, "slug": self.slug})

    @cached_property
    def url(self):
        """Its address (with_addresses() gives those of a whole list at once)."""
        return self.get_absolute_url()

    @cached_property
    def attachments(self):
        """Its documents in order, with their series: what the item page lists."""
        return list(self.documents.select_related("series"))

    @property
    def is_online(self):
        """Its page answers: as NewsItemQuerySet.online() says, for one item."""
        now = timezone.now()
        return (
            self.status == self.Status.PUBLISHED
            and self.published_at <= now
            and (self.expires_at is None or self.expires_at > now)
        )

    @property
    def is_public(self):
        """The public sees it in lists: as NewsItemQuerySet.published() says."""
        return self.is_online and not self.is_withdrawn

    @property
    def is_withdrawn(self):
        return self.withdrawn_at is not None

    @property
    def has_expired(self):
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def is_published(self):
        """Published: online now, scheduled, or withdrawn. Only Publishers change it."""
        return self.status == self.Status.PUBLISHED

    @property
    def public_modified_at(self):
        """When readers were last told it changed: its last major change, or
        its publication (feeds' updated date, JSON-LD dateModified)."""
        return self.public_updated_at or self.published_at

    def _unique_slug(self):
        base = slugify(self.title)[:190] or "item"
        taken = set(
            NewsItem.objects.filter(archive_year=self.archive_year, slug__startswith=base)
            .exclude(pk=self.pk)
            .values_list("slug", flat=True)
        )
        slug, n = base, 2
        while slug in taken:
            slug, n = f"{base}-{n}", n + 1
        return slug

    def _remember_old_address(self):
        """Keep the previous address answering with a redirect after a change."""
        if self.pk is None:
            return
        old = NewsItem.objects.filter(pk=self.pk).values("archive_year", "slug").first()
        if old and (old["archive_year"], old["slug"]) != (self.archive_year, self.slug):
            OldAddress.objects.update_or_create(
                archive_year=old["archive_year"], slug=old["slug"], defaults={"item": self}
            )
        # The new address wins over any old one pointing elsewhere.
        OldAddress.objects.filter(archive_year=self.archive_year, slug=self.slug).delete()


# A slug the item pattern accepts and no other part of an address contains.
_SLUG_MARKER = "slug-marker"


def with_addresses(items):
    """`items` (a list or queryset of NewsItem with their categories) as a
    list, each with its `url`, and the items of one category sharing one
    Category, whose `url` is worked out once. The item pattern is reversed
    once per archive year, with a marker where the slug goes: a list of 50
    items reverses 2 to 4 patterns instead of 100."""
    items = list(items)
    around_slug = {}  # archive year -> (the address before the slug, after it)
    categories = {}
    for item in items:
        year = item.archive_year
        if year not in around_slug:
            address = reverse("news:item", kwargs={"year": year, "slug": _SLUG_MARKER})
            around_slug[year] = address.split(_SLUG_MARKER)
        before, after = around_slug[year]
        item.url = before + item.slug + after
        item.category = categories.setdefault(item.category_id, item.category)
    return items


def update_search_vectors(items):
    """Store the search vector of `items` (a queryset); on PostgreSQL only."""
    if connection.vendor == "postgresql":
        from .search import search_vector

        items.update(search_vector=search_vector())


class ChangeNote(models.Model):
    """A major change's public note, shown on its item's page ("Updates to
    this item") and in subscribers' next digest under "Updated"."""

    item = models.ForeignKey(NewsItem, on_delete=models.CASCADE, related_name="change_notes")
    note = models.TextField()
    published_at = models.DateTimeField(help_text="When the change went live.")

    class Meta:
        ordering = ["-published_at", "-pk"]
        indexes = [models.Index(fields=["published_at"], name="news_change_note_time")]

    def __str__(self):
        return self.note


class OldAddress(models.Model):
    """A former (year, slug) of an item, answered with a permanent redirect."""

    item = models.ForeignKey(NewsItem, on_delete=models.CASCADE, related_name="old_addresses")
    archive_year = models.PositiveIntegerField()
    slug = models.SlugField(max_length=200)

    class Meta:
        verbose_name_plural = "old addresses"
        constraints = [
            models.UniqueConstraint(fields=["archive_year", "slug"], name="news_old_address_unique")
        ]

    def __str__(self):
        return f"/news/{self.archive_year}/{self.slug}/"


class DocumentSeries(models.Model):
    """Versions of one document published over time, such as the Insurer Index.

    /documents/<slug>/latest/ always leads to the newest published version."""

    title = models.CharField(max_length=200, help_text="“Insurer Index for RTA A2A Users”.")
    slug = models.SlugField(
        max_length=100,
        unique=True,
        help_text="The series' address, and the start of its downloads' file names "
        "(“insurer-index” gives insurer-index-v232.xlsx).",
    )
    description = models.TextField(blank=True, help_text="Plain text.")

    class Meta:
        ordering = ["title"]
        verbose_name_plural = "document series"

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("documents:series", kwargs={"series": self.slug})


class DocumentQuerySet(models.QuerySet):
    def published(self):
        """Documents of published items: a series' versions, its latest."""
        return self.filter(item__in=NewsItem.objects.published())

    def downloadable(self):
        """Documents the public may download: those of items whose page
        answers (a withdrawn item's page still lists its documents)."""
        return self.filter(item__in=NewsItem.objects.online())

    def newest_first(self):
        return self.order_by("-item__date", "-item__published_at", "-pk")


def document_upload_to(instance, filename):
    return random_name(filename, "documents")


class Document(models.Model):
    """A file published with an item, such as a spreadsheet or a report."""

    item = models.ForeignKey(NewsItem, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(max_length=200)
    file = models.FileField(upload_to=document_upload_to, validators=[validate_document])
    original_name = models.CharField(max_length=255, editable=False)
    size = models.PositiveBigIntegerField(editable=False, default=0)
    position = models.PositiveSmallIntegerField(default=0)
    series = models.ForeignKey(
        DocumentSeries,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="versions",
        help_text="If this document is a version of a series (such as the Insurer Index).",
    )
    version = models.SlugField(
        max_length=30, blank=True, help_text="The version within its series: “v232”."
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    objects = DocumentQuerySet.as_manager()

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["series", "version"],
                condition=models.Q(series__isnull=False),
                name="news_document_unique_version",
                violation_error_message="This series already has that version.",
            ),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        self.before_revision()
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        """The download address: stable for a version of a series, else by id."""
        if self.series_id:
            return reverse(
                "documents:version", kwargs={"series": self.series.slug, "version": self.version}
            )
        return reverse("documents:download", kwargs={"pk": self.pk})

    def clean(self):
        if self.series_id and not self.version:
            raise ValidationError({"version": "Give the version of this document in its series."})
        if self.version and not self.series_id:
            raise ValidationError({"series": "Choose the series this version belongs to."})

    def before_revision(self):
        """Note a new upload's own name and size (storage then renames it)."""
        if getattr(self.file, "_committed", True) is False:
            self.original_name = os.path.basename(self.file.name)[:255]
            self.size = self.file.size

    @property
    def extension(self):
        return os.path.splitext(self.file.name)[1].lstrip(".").upper()

    @property
    def type_name(self):
        """As GOV.UK names attachment types: “MS Excel Spreadsheet”."""
        return DOCUMENT_TYPE_NAMES.get(self.extension, self.extension)

    @property
    def download_name(self):
        """A meaningful file name: insurer-index-v232.xlsx, or the title's slug."""
        stem = f"{self.series.slug}-{self.version}" if self.series_id else slugify(self.title)
        return f"{stem or 'document'}.{self.extension.lower()}"

    @property
    def size_label(self):
        return human_size(self.size)

    @property
    def label(self):
        """As shown on the site: “Insurer Index v232 (XLSX, 48 KB)”."""
        return f"{self.title} ({self.extension}, {human_size(self.size)})"


DOCUMENT_TYPE_NAMES = {
    "PDF": "PDF",
    "XLSX": "MS Excel Spreadsheet",
    "XLS": "MS Excel Spreadsheet",
    "DOCX": "MS Word Document",
    "DOC": "MS Word Document",
    "CSV": "CSV",
}


def human_size(size):
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} KB"
    return f"{size / (1024 * 1024):.1f} MB"

