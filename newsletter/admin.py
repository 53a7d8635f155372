from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from common.admin_mixins import ReadOnlyAdminMixin
from common.csv_export import csv_download

from . import csv_io, digests, emails, imports, schedules, services, tasks
from .models import (
    Delivery,
    Digest,
    DigestSchedule,
    ImportRow,
    Subscriber,
    SubscriberImport,
    SubscriptionConsent,
    Suppression,
    email_hash,
)


class SubscriptionConsentInline(admin.TabularInline):
    model = SubscriptionConsent
    extra = 0
    can_delete = False
    fields = ["at", "action", "consent_version", "source", "details"]
    readonly_fields = fields
    verbose_name_plural = "consent history"

    def has_add_permission(self, request, obj=None):
        return False


class ImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="Columns: email (required), frequency (immediate, weekly or monthly), "
        "topics (category slugs separated by ';', empty for all). The first row names the "
        "columns. Imported addresses are added as confirmed: import only people who "
        "agreed to receive the newsletter.",
    )


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    list_display = ["email", "status", "frequency", "topics_label", "source", "confirmed_at"]
    list_filter = ["status", "frequency", "topics", "source"]
    search_fields = ["email"]
    readonly_fields = ["created_at", "confirmed_at", "unsubscribed_at", "digested_until"]
    fields = ["email", "status", "frequency", "topics", "source", *readonly_fields]
    filter_horizontal = ["topics"]
    inlines = [SubscriptionConsentInline]
    actions = ["export_csv", "export_data", "erase"]
    change_list_template = "admin/newsletter/subscriber/change_list.html"

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("topics")

    @admin.display(description="topics")
    def topics_label(self, subscriber):
        return subscriber.topics_label()

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        actions = SubscriptionConsent.Action
        action = actions.CHANGE if change else actions.SUBSCRIBE
        services.record(form.instance, action, "admin")

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("import/", view(self.import_view), name="newsletter_subscriber_import"),
            path(
                "import/<int:job_id>/",
                view(self.import_job_view),
                name="newsletter_subscriber_import_job",
            ),
            path(
                "import/<int:job_id>/progress.json",
                view(self.import_progress_view),
                name="newsletter_subscriber_import_progress",
            ),
            path(
                "import/<int:job_id>/report.csv",
                view(self.import_report_view),
                name="newsletter_subscriber_import_report",
            ),
            *super().get_urls(),
        ]

    def _context(self, request, title, **extra):
        return {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": title,
            **extra,
        }

    def import_view(self, request):
        """Upload: the file is checked for shape here, its rows by a worker."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        status = 200
        if request.method == "POST":
            form = ImportForm(request.POST, request.FILES)
            if form.is_valid():
                try:
                    job = imports.create(form.cleaned_data["file"], request.user)
                except csv_io.CsvError as error:
                    form.add_error("file", str(error))
                else:
                    tasks.queue_import_step(job)
                    return redirect("admin:newsletter_subscriber_import_job", job.pk)
            status = 400
        else:
            form = ImportForm()
        context = self._context(
            request,
            "Import subscribers",
            form=form,
            jobs=SubscriberImport.objects.defer("content")[:10],
        )
        return render(request, "admin/newsletter/subscriber/import.html", context, status=status)

    def _job(self, request, job_id):
        if not self.has_add_permission(request):
            raise PermissionDenied
        return get_object_or_404(SubscriberImport.objects.defer("content"), pk=job_id)

    def import_job_view(self, request, job_id):
        """The dry run's verdicts and the confirmation, then the import's progress."""
        job = self._job(request, job_id)
        if request.method == "POST" and request.POST.get("confirm") == "yes":
            if imports.confirm(job):
                job.refresh_from_db()
                tasks.queue_import_step(job)
                self.message_user(request, "Import started.", messages.SUCCESS)
            return redirect("admin:newsletter_subscriber_import_job", job.pk)
        labels = dict(ImportRow.Verdict.choices)
        counts = imports.totals(job)
        context = self._context(
            request,
            str(job),
            job=job,
            totals=[(labels[v], counts.get(v, 0)) for v in ImportRow.Verdict.values],
            adding=counts.get(ImportRow.Verdict.ADD, 0),
            problems=job.rows.exclude(verdict=ImportRow.Verdict.ADD).order_by("line")[:200],
        )
        return render(request, "admin/newsletter/subscriber/import_job.html", context)

    def import_progress_view(self, request, job_id):
        job = self._job(request, job_id)
        return JsonResponse(
            {
                "status": job.get_status_display(),
                "done": job.rows_done,
                "total": job.total_rows,
                "running": job.running,
            }
        )

    def import_report_view(self, request, job_id):
        job = self._job(request, job_id)
        return csv_download(
            f"import-{job.pk}-report.csv", csv_io.REPORT_COLUMNS, csv_io.report_rows(job)
        )

    @admin.action(description="Export selected subscribers as CSV")
    def export_csv(self, request, queryset):
        return csv_download(
            "subscribers.csv", csv_io.COLUMNS, csv_io.export_rows(queryset.order_by("pk"))
        )

    @admin.action(description="Export one subscriber's data (GDPR)")
    def export_data(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one subscriber.", messages.ERROR)
            return None
        subscriber = queryset.get()
        response = HttpResponse(services.export_data(subscriber), content_type="application/json")
        response["Content-Disposition"] = f'attachment; filename="subscriber-{subscriber.pk}.json"'
        return response

    @admin.action(description="Erase one subscriber (keeps only a hashed suppression)")
    def erase(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one subscriber.", messages.ERROR)
            return None
        subscriber = queryset.get()
        if not self.has_delete_permission(request, subscriber):
            raise PermissionDenied
        if request.POST.get("confirm") == "yes":
            services.erase(subscriber)
            self.message_user(
                request,
                "The subscriber has been erased. Only a hash of the address is kept, "
                "so that an import cannot add it back.",
                messages.SUCCESS,
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Erase a subscriber",
            "subscriber": subscriber,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return render(request, "admin/newsletter/subscriber/erase.html", context)


@admin.register(Digest)
class DigestAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "status",
        "until",
        "pending",
        "sending",
        "sent",
        "failed",
        "skipped",
        "progress",
    ]
    list_filter = ["frequency", "status"]
    readonly_fields = ["frequency", "period", "until", "status", "created_at", "finished_at"]
    actions = ["send_now"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(**digests.digest_counts_annotations())

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="pending")
    def pending(self, digest):
        return digest.pending_count

    @admin.display(description="sending")
    def sending(self, digest):
        return digest.sending_count

    @admin.display(description="sent")
    def sent(self, digest):
        return digest.sent_count

    @admin.display(description="failed")
    def failed(self, digest):
        return digest.failed_count

    @admin.display(description="skipped")
    def skipped(self, digest):
        return digest.skipped_count

    @admin.display(description="progress")
    def progress(self, digest):
        total = sum(
            getattr(digest, f"{s}_count")
            for s in ("pending", "sending", "sent", "failed", "skipped")
        )
        done = total - digest.pending_count - digest.sending_count
        if not total:
            return "—"
        url = reverse("admin:newsletter_digest_progress", args=[digest.pk])
        return format_html(
            '<div data-progress-url="{}" data-unit=" emails">'
            '<progress value="{}" max="{}" aria-label="Emails sent">{} %</progress> '
            '<span data-progress-text>{} of {} emails</span></div>',
            url, done, total, done * 100 // total, done, total,
        )

    def get_urls(self):
        return [
            path(
                "<int:digest_id>/progress.json",
                self.admin_site.admin_view(self.progress_view),
                name="newsletter_digest_progress",
            ),
            *super().get_urls(),
        ]

    def progress_view(self, request, digest_id):
        if not self.has_view_permission(request):
            raise PermissionDenied
        digest = get_object_or_404(Digest, pk=digest_id)
        done, total = digests.progress(digest)
        return JsonResponse(
            {
                "status": digest.get_status_display(),
                "done": done,
                "total": total,
                "running": digest.status != Digest.Status.DONE and done < total,
            }
        )

    class Media:
        js = ["js/admin_progress.js"]

    @admin.action(description="Send now (build, or resume pending deliveries)")
    def send_now(self, request, queryset):
        for digest in queryset:
            if digest.status == Digest.Status.NEW:
                count = tasks.build_and_send(digest.pk)
            else:
                count = tasks.start_sending(digest.pk)
            self.message_user(request, f"{digest}: {count or 0} deliveries queued.")


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["digest", "subscriber", "status", "attempts", "sent_at", "error"]
    list_filter = ["status", "digest"]
    search_fields = ["subscriber__email"]
    list_select_related = ["digest", "subscriber"]
    readonly_fields = [f.name for f in Delivery._meta.fields]


@admin.register(DigestSchedule)
class DigestScheduleAdmin(admin.ModelAdmin):
    list_display = ["__str__", "enabled", "weekday", "day", "hour"]
    list_editable = ["enabled", "weekday", "day", "hour"]
    actions = ["send_test", "send_now"]

    def changelist_view(self, request, extra_context=None):
        schedules.ensure_schedules()
        return super().changelist_view(request, extra_context)

    def has_add_permission(self, request):
        return False

    @admin.action(description="Send a test of the next digest to me")
    def send_test(self, request, queryset):
        if not request.user.email:
            self.message_user(
                request, "Add an email address to your account first.", messages.ERROR
            )
            return
        for schedule in queryset:
            message = test_digest_message(schedule, request.user.email)
            if message is None:
                self.message_user(
                    request, f"{schedule}: nothing has been published since the last one."
                )
                continue
            with emails.mailer() as connection:
                connection.send_messages([message])
            self.message_user(request, f"{schedule}: a test was sent to {request.user.email}.")

    @admin.action(description="Send now (a digest of everything due, without waiting)")
    def send_now(self, request, queryset):
        for schedule in queryset:
            digest = schedules.forced_digest(schedule.frequency)
            count = tasks.build_and_send(digest.pk)
            self.message_user(request, f"{digest}: {count or 0} deliveries queued.")


def test_digest_message(schedule, to):
    """The next digest as a subscriber to every topic would get it, addressed to `to`."""
    from news.selectors import published_since

    last = (
        Digest.objects.filter(frequency=schedule.frequency)
        .order_by("-until")
        .values_list("until", flat=True)
        .first()
    )
    since = last or timezone.now() - timezone.timedelta(days=31)
    digest = Digest(pk=0, frequency=schedule.frequency, period="test", until=timezone.now())
    renderer = emails.DigestRenderer(digest, published_since(since).select_related("category"))
    items = renderer.items_for(since, None)
    if not items:
        return None
    fake = Subscriber(pk=0, email=to, secret="test")
    message = renderer.message(fake, items)
    message.subject = f"[Test] {message.subject}"
    return message


@admin.register(Suppression)
class SuppressionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "reason", "provider", "event_id", "detail", "created_at"]
    list_filter = ["reason", "provider"]
    search_fields = ["email_hash"]
    readonly_fields = ["email_hash", "reason", "provider", "event_id", "detail", "created_at"]
    actions = ["lift"]

    def get_search_results(self, request, queryset, search_term):
        # Staff search by address; only its hash is stored.
        if "@" in search_term:
            return queryset.filter(email_hash=email_hash(search_term)), False
        return super().get_search_results(request, queryset, search_term)

    def has_add_permission(self, request):
        return False

    @admin.action(
        description="Lift the selected suppressions (the addresses may be mailed again)",
        permissions=["delete"],
    )
    def lift(self, request, queryset):
        erased = queryset.filter(reason=Suppression.Reason.ERASED).count()
        lifted = 0
        for suppression in queryset.exclude(reason=Suppression.Reason.ERASED):
            services.lift_suppression(suppression)
            lifted += 1
        self.message_user(request, f"{lifted} suppressions lifted.", messages.SUCCESS)
        if erased:
            self.message_user(
                request,
                f"{erased} erasures kept: an address erased on request is not added back.",
                messages.WARNING,
            )
