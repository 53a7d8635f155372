
from django.contrib import admin
from django.urls import NoReverseMatch
from django.utils import timezone
from django.utils.html import format_html

from common.admin_mixins import ReadOnlyAdminMixin
from common.csv_export import csv_download

from . import audit
from .links import admin_url
from .models import AuditEntry, Revision


@admin.register(Revision)
class RevisionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The review queue (filter "Waiting for review") and every revision."""

    list_display = ["object_link", "number", "state", "author", "created_at", "submitted_at"]
    list_filter = ["state", "content_type"]
    list_select_related = ["author", "content_type"]
    date_hierarchy = "created_at"
    exclude = ["content"]

    @admin.display(description="Object")
    def object_link(self, revision):
        opts = revision.content_type.model_class()._meta
        view = "review" if revision.state == Revision.State.SUBMITTED else "history"
        try:
            url = admin_url(opts, view, revision.object_id)
        except NoReverseMatch:  # a model no longer under review
            return str(revision.object)
        return format_html('<a href="{}">{}</a>', url, revision.object)


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "actor_name", "action", "content_type", "object_repr", "bulk"]
    list_filter = ["action", "content_type", "bulk", "created_at"]
    search_fields = ["actor_name", "object_repr", "detail"]
    date_hierarchy = "created_at"
    list_select_related = ["content_type"]
    actions = ["export_csv"]

    @admin.action(description="Export the selected entries as CSV")
    def export_csv(self, request, queryset):
        return csv_download(
            f"audit-log-{timezone.localdate():%Y-%m-%d}.csv",
            audit.CSV_COLUMNS,
            audit.csv_rows(queryset.order_by("created_at", "pk")),
        )
