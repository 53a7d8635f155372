from django.contrib import admin, messages
from django.utils.html import format_html
from django_ckeditor_5.widgets import CKEditor5Widget

from editorial import revisions as workflow
from editorial.admin_mixins import ReviewedAdminMixin, ReviewedInlineMixin
from editorial.models import AuditEntry

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
    preview_template = "news/item.html"
    preview_object_name = "item"

    def preview_object(self, item, revision):
        item = super().preview_object(item, revision)
        # The documents as the revision lists them, not the live ones.
        item.attachments = workflow.related_as_in(
            revision.content, "documents", item.documents.select_related("series")
        )
        return item

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "body":
            kwargs["widget"] = CKEditor5Widget(config_name="default")
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def has_publish_permission(self, request):
        return self.can_publish(request)

    def save_model(self, request, obj, form, change):
        # Editors write drafts (status is read-only for them); only Publishers
        # decide what goes live.
        if not self.has_publish_permission(request) and not change:
            obj.status = NewsItem.Status.DRAFT
        super().save_model(request, obj, form, change)

    @admin.action(description="Publish the selected items", permissions=["publish"])
    def publish(self, request, queryset):
        published, refused = 0, []
        for item in queryset.exclude(status=NewsItem.Status.PUBLISHED):
            if item.publication_problems():
                refused.append(item.title)
                continue
            item.publish()
            item.save()
            workflow.record_status_change(item, request.user, AuditEntry.Action.PUBLISH, bulk=True)
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
            item.status = NewsItem.Status.DRAFT
            item.save()
            workflow.record_status_change(
                item, request.user, AuditEntry.Action.UNPUBLISH, bulk=True
            )
            count += 1
        self.message_user(request, f"Unpublished {count} item(s).", messages.SUCCESS)
