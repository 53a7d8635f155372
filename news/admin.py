from django.contrib import admin, messages
from django.utils.html import format_html
from django_ckeditor_5.widgets import CKEditor5Widget

from editorial import workflow
from editorial.admin_mixins import ReviewedAdminMixin, ReviewedInlineMixin

from .models import Category, Document, DocumentSeries, NewsItem, OldAddress


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "order"]
    list_editable = ["order"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]


class DocumentInline(ReviewedInlineMixin, admin.TabularInline):
    model = Document
    extra = 1
    fields = ["title", "file", "series", "version", "position", "link"]
    readonly_fields = ["link"]

    @admin.display(description="Address to link from the body")
    def link(self, document):
        if not document.pk:
            return "—"
        return format_html(
            '<a href="{0}">{0}</a> ({1})', document.get_absolute_url(), document.label
        )


@admin.register(DocumentSeries)
class DocumentSeriesAdmin(admin.ModelAdmin):
    list_display = ["title", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    search_fields = ["title"]


class OldAddressInline(ReviewedInlineMixin, admin.TabularInline):
    model = OldAddress
    extra = 0
    fields = ["archive_year", "slug"]
    verbose_name_plural = "old addresses (redirect here)"


@admin.register(NewsItem)
class NewsItemAdmin(ReviewedAdminMixin, admin.ModelAdmin):
    list_display = [
        "title", "category", "date", "archive_year", "status", "published_at", "expires_at",
        "withdrawn_at",
    ]
    list_filter = ["status", "category", "archive_year"]
    search_fields = ["title", "summary"]
    date_hierarchy = "date"
    list_select_related = ["category"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [DocumentInline, OldAddressInline]
    actions = ["publish", "unpublish"]
    save_on_top = True
    fieldsets = [
        (None, {"fields": ["title", "slug", "category", "date", "archive_year", "position"]}),
        ("Content", {"fields": ["summary", "body", "decorative_images", "author"]}),
        ("Publication", {"fields": ["status", "published_at", "expires_at"]}),
    ]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "body":
            kwargs["widget"] = CKEditor5Widget(config_name="default")
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def has_publish_permission(self, request):
        return self.can_publish(request)

    @admin.action(description="Publish the selected items", permissions=["publish"])
    def publish(self, request, queryset):
        published, refused = 0, []
        for item in queryset.exclude(status=NewsItem.Status.PUBLISHED):
            try:
                workflow.publish_now(item, request.user, bulk=True)
            except workflow.ReviewError:
                refused.append(item.title)
                continue
            published += 1
        self.message_user(request, f"Published {published} item(s).", messages.SUCCESS)
        if refused:
            self.message_user(
                request,
                "Not published, their body needs fixing first (open each for details): "
                + "; ".join(refused),
                messages.ERROR,
            )

    @admin.action(description="Unpublish the selected items", permissions=["publish"])
    def unpublish(self, request, queryset):
        count = 0
        for item in queryset.filter(status=NewsItem.Status.PUBLISHED):
            workflow.unpublish(item, request.user, bulk=True)
            count += 1
        self.message_user(request, f"Unpublished {count} item(s).", messages.SUCCESS)
