from django.contrib import admin

from editorial.admin_mixins import ReviewedAdminMixin

from .models import MaintenanceNotice


@admin.register(MaintenanceNotice)
class MaintenanceNoticeAdmin(ReviewedAdminMixin, admin.ModelAdmin):
    list_display = ["title", "starts_at", "ends_at", "status", "cancelled", "item"]
    list_filter = ["status", "cancelled"]
    search_fields = ["title", "description"]
    date_hierarchy = "starts_at"
    autocomplete_fields = ["item"]
    list_select_related = ["item"]
    fieldsets = [
        (None, {"fields": ["title", "starts_at", "ends_at", "description", "item"]}),
        ("Services affected", {"fields": ["web_portal", "a2a", "training_site"]}),
        ("Publication", {"fields": ["status", "cancelled", "banner_from"]}),
    ]
