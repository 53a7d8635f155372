import json

from django.contrib import admin, messages
from django.db.models import Count
from django.utils import timezone

from common.admin_mixins import ReadOnlyAdminMixin
from common.csv_export import csv_download

from .models import ConsentPolicy, ConsentRecord, CookieCategory, CookieDeclaration


class CookieDeclarationInline(admin.TabularInline):
    model = CookieDeclaration
    extra = 0
    fields = ["name", "provider", "purpose", "duration", "domain", "path", "order"]


@admin.register(CookieCategory)
class CookieCategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "required", "order", "cookies"]
    list_editable = ["order"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [CookieDeclarationInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(declaration_total=Count("declarations"))

    @admin.display(description="declared cookies", ordering="declaration_total")
    def cookies(self, obj):
        return obj.declaration_total


@admin.register(CookieDeclaration)
class CookieDeclarationAdmin(admin.ModelAdmin):
    list_display = ["name", "category", "provider", "duration", "domain"]
    list_filter = ["category"]
    list_select_related = ["category"]
    search_fields = ["name", "purpose", "provider"]


@admin.register(ConsentPolicy)
class ConsentPolicyAdmin(admin.ModelAdmin):
    list_display = ["__str__", "version", "updated_at"]
    readonly_fields = ["version", "updated_at"]
    actions = ["ask_everyone_again"]

    def has_add_permission(self, request):
        return not ConsentPolicy.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Ask everyone again (new policy version)", permissions=["change"])
    def ask_everyone_again(self, request, queryset):
        policy = ConsentPolicy.bump()
        self.message_user(
            request,
            f"The cookie policy is now version {policy.version}: every visitor will see the "
            "cookie banner again.",
            messages.SUCCESS,
        )




@admin.register(ConsentRecord)
class ConsentRecordAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The consent log: read-only, exportable as CSV, pruned by `prune_consent_log`."""

    list_display = ["created_at", "consent_id", "policy_version", "summary", "location",
                    "method", "gpc"]
    list_filter = ["location", "javascript", "gpc", "policy_version", "created_at"]
    search_fields = ["consent_id"]
    date_hierarchy = "created_at"
    actions = ["export_csv"]

    @admin.display(description="choices")
    def summary(self, obj):
        return ", ".join(
            f"{slug}: {'yes' if value else 'no'}" for slug, value in sorted(obj.choices.items())
        ) or "–"

    @admin.action(description="Export selected entries as CSV", permissions=["view"])
    def export_csv(self, request, queryset):
        header = ["consent_id", "created_at", "policy_version", "choices", "location",
                  "javascript", "gpc"]
        rows = (
            (
                record.consent_id,
                timezone.localtime(record.created_at).isoformat(),
                record.policy_version,
                json.dumps(record.choices, sort_keys=True),
                record.location,
                record.javascript,
                record.gpc,
            )
            for record in queryset.order_by("created_at").iterator(chunk_size=2000)
        )
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        return csv_download(f"consent-log-{stamp}.csv", header, rows)
