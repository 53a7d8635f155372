import datetime
import json
import uuid

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.shortcuts import render
from django.urls import path
from django.utils import timezone

from common.admin_mixins import ReadOnlyAdminMixin
from common.csv_export import csv_download

from . import consent_log
from .editorial_hooks import STATISTICS_PERMISSION
from .models import ConsentPolicy, ConsentRecord, CookieCategory, CookieDeclaration


class CookieDeclarationInline(admin.TabularInline):
    model = CookieDeclaration
    extra = 0
    fields = ["name", "storage", "provider", "purpose", "duration", "domain", "path", "order"]


@admin.register(CookieCategory)
class CookieCategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "required", "statistics", "order", "cookies"]
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
    list_display = ["name", "storage", "category", "provider", "duration", "domain"]
    list_filter = ["category", "storage"]
    list_select_related = ["category"]
    search_fields = ["name", "purpose", "provider"]


@admin.register(ConsentPolicy)
class ConsentPolicyAdmin(admin.ModelAdmin):
    list_display = ["__str__", "version", "statistics_basis", "updated_at"]
    readonly_fields = ["version", "statistics_basis", "updated_at"]
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

    list_display = ["created_at", "consent_id", "policy_version", "decision", "summary",
                    "method", "gpc"]
    list_filter = ["decision", "location", "javascript", "gpc", "policy_version", "created_at"]
    search_fields = ["consent_id"]
    date_hierarchy = "created_at"
    actions = ["export_csv"]

    def get_search_results(self, request, queryset, search_term):
        """A consent id as the visitor quotes it (with or without dashes) finds
        their record on every database."""
        try:
            consent_id = uuid.UUID(search_term.strip())
        except ValueError:
            return super().get_search_results(request, queryset, search_term)
        return queryset.filter(consent_id=consent_id), False

    @admin.display(description="choices")
    def summary(self, obj):
        return ", ".join(
            f"{slug}: {'yes' if value else 'no'}" for slug, value in sorted(obj.choices.items())
        ) or "–"

    @admin.action(description="Export selected entries as CSV", permissions=["view"])
    def export_csv(self, request, queryset):
        header = ["consent_id", "created_at", "policy_version", "decision", "choices",
                  "location", "javascript", "gpc"]
        rows = (
            (
                record.consent_id,
                timezone.localtime(record.created_at).isoformat(),
                record.policy_version,
                record.decision,
                json.dumps(record.choices, sort_keys=True),
                record.location,
                record.javascript,
                record.gpc,
            )
            for record in queryset.order_by("created_at").iterator(chunk_size=2000)
        )
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        return csv_download(f"consent-log-{stamp}.csv", header, rows)

    def get_urls(self):
        view = self.admin_site.admin_view(self.statistics_view)
        return [
            path("statistics/", view, name="cookies_consentrecord_statistics"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_see_statistics": request.user.has_perm(STATISTICS_PERMISSION),
        }
        return super().changelist_view(request, extra_context)

    def statistics_view(self, request):
        """Accept, reject and object rates per week and policy version (privacy officers)."""
        if not request.user.has_perm(STATISTICS_PERMISSION):
            raise PermissionDenied
        form = StatisticsPeriodForm(request.GET or None)
        weeks = form.cleaned_data["weeks"] if form.is_valid() else StatisticsPeriodForm.DEFAULT
        since = timezone.localdate() - datetime.timedelta(weeks=weeks)
        rows = consent_log.weekly_statistics(since)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Consent statistics",
            "form": form,
            "weeks": weeks,
            "rows": rows,
            "decisions": consent_log.RATES,
            "chart": consent_log.rates_chart(rows),
        }
        status = 400 if form.is_bound and not form.is_valid() else 200
        return render(request, "admin/cookies/consentrecord/statistics.html", context,
                      status=status)


class StatisticsPeriodForm(forms.Form):
    DEFAULT = 12
    weeks = forms.IntegerField(
        label="Weeks", min_value=1, max_value=260, initial=DEFAULT,
        help_text="How many weeks back, up to five years.",
    )
