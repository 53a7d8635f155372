from django.contrib import admin
from django_ckeditor_5.widgets import CKEditor5Widget

from editorial.admin_mixins import ReviewedAdminMixin

from .models import StandingPage


@admin.register(StandingPage)
class StandingPageAdmin(ReviewedAdminMixin, admin.ModelAdmin):
    list_display = ["title", "slug", "status", "updated_at"]
    list_filter = ["status"]
    search_fields = ["title", "summary"]
    prepopulated_fields = {"slug": ["title"]}
    fields = ["title", "slug", "summary", "body", "status"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "body":
            kwargs["widget"] = CKEditor5Widget(config_name="default")
        return super().formfield_for_dbfield(db_field, request, **kwargs)
