from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from common.admin_mixins import ReadOnlyAdminMixin
from common.csv_export import csv_download
from news.selectors import categories

from . import brakes, csv_io, digests, emails, imports, schedules, sending, services, tasks
from .models import (
    Delivery,
    Digest,
    DigestSchedule,
    Frequency,
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


class PreviewForm(forms.Form):
    frequency = forms.ChoiceField(
        choices=Frequency.choices, initial=Frequency.WEEKLY, widget=forms.RadioSelect
    )
    topics = forms.ModelMultipleChoiceField(
        queryset=categories(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every topic.",
    )


@admin.register(Digest)
class DigestAdmin(admin.ModelAdmin):
    list_display = [
        "__str__", "status", "until", *Delivery.Status.values, "progress", "stop_reason"
    ]
    list_filter = ["frequency", "status"]
    readonly_fields = [
        "frequency", "period", "until", "status", "stop_reason", "created_at", "finished_at",
    ]
    fields = readonly_fields
    actions = ["send_now"]
    change_form_template = "admin/newsletter/digest/change_form.html"
    change_list_template = "admin/newsletter/digest/change_list.html"

    def get_queryset(self, request):
        return digests.with_progress(super().get_queryset(request))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # its page is read-only; pause, resume and cancel have their own

    def can_control(self, request):
        return request.user.has_perm("newsletter.change_digest")

    @admin.display(description="progress")
    def progress(self, digest):
        progress = digests.Progress.of(digest)
        if not progress.total:
            return "—"
        url = reverse("admin:newsletter_digest_progress", args=[digest.pk])
        return format_html(
            '<div data-progress-url="{}" data-unit=" emails">'
            '<progress value="{}" max="{}" aria-label="Emails sent">{} %</progress> '
            '<span data-progress-text>{} of {} emails</span></div>',
            url, progress.finished, progress.total, progress.finished * 100 // progress.total,
            progress.finished, progress.total,
        )

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<int:digest_id>/progress.json",
                view(self.progress_view),
                name="newsletter_digest_progress",
            ),
            path(
                "<int:digest_id>/control/",
                view(self.control_view),
                name="newsletter_digest_control",
            ),
            path("preview/", view(self.preview_view), name="newsletter_digest_preview"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        digest = self.get_object(request, object_id)
        extra = {}
        if digest is not None:
            accepted, complaints, bounces = brakes.figures(digest.pk)
            extra = {
                "progress": digests.Progress.of(digest),
                "accepted": accepted,
                "complaints": complaints,
                "bounces": bounces,
                "can_control": self.can_control(request),
                "control_url": reverse("admin:newsletter_digest_control", args=[digest.pk]),
            }
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})

    def progress_view(self, request, digest_id):
        if not self.has_view_permission(request):
            raise PermissionDenied
        digest = get_object_or_404(Digest, pk=digest_id)
        progress = digests.Progress.of(digest)
        return JsonResponse(
            {
                "status": digest.get_status_display(),
                "done": progress.finished,
                "total": progress.total,
                "running": digest.status == Digest.Status.SENDING and progress.waiting > 0,
            }
        )

    def control_view(self, request, digest_id):
        """Pause, resume or cancel a digest (POST only: the page's buttons)."""
        if not self.can_control(request):
            raise PermissionDenied
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        digest = get_object_or_404(Digest, pk=digest_id)
        action = request.POST.get("action")
        who = f"{request.user.get_username()} on {timezone.localtime():%d/%m/%Y %H:%M}"
        if action == "pause" and sending.pause(digest, f"Paused by {who}."):
            self.message_user(request, "Paused: no new batch will start.", messages.SUCCESS)
        elif action == "resume" and sending.resume(digest):
            count = tasks.start_sending(digest.pk)
            self.message_user(request, f"Resumed: {count} emails still to send.", messages.SUCCESS)
        elif action == "cancel" and sending.cancel(digest, f"Cancelled by {who}."):
            self.message_user(
                request, "Cancelled: the emails not sent yet will not be sent.", messages.SUCCESS
            )
        else:
            self.message_user(
                request, f"Nothing done: the digest is {digest.get_status_display().lower()}.",
                messages.WARNING,
            )
        return redirect("admin:newsletter_digest_change", digest.pk)

    def preview_view(self, request):
        """The next digest as it would be sent now, for a frequency and topics:
        its HTML in a sandboxed frame, its plain text and its sizes."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = PreviewForm(request.GET if "frequency" in request.GET else None)
        preview = None
        if form.is_valid():
            preview = digest_preview(
                form.cleaned_data["frequency"],
                [topic.pk for topic in form.cleaned_data["topics"]],
                request.user.email or "preview@example.invalid",
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Preview the next digest",
            "form": form,
            "preview": preview,
            "limit": settings.NEWSLETTER_MAX_HTML_BYTES,
        }
        status = 400 if form.errors else 200
        return render(request, "admin/newsletter/digest/preview.html", context, status=status)

    class Media:
        js = ["js/admin_progress.js"]

    @admin.action(description="Send now (build, or resume pending deliveries)")
    def send_now(self, request, queryset):
        for digest in queryset:
            if digest.status == Digest.Status.NEW:
                count = tasks.build_and_send(digest.pk)
            elif digest.status == Digest.Status.SENDING:
                count = tasks.start_sending(digest.pk)
            else:
                self.message_user(
                    request, f"{digest}: {digest.get_status_display().lower()}, not sent.",
                    messages.WARNING,
                )
                continue
            self.message_user(request, f"{digest}: {count or 0} deliveries queued.")


def _count_column(status, label):
    @admin.display(description=label.lower())
    def column(self, digest):
        return digests.Progress.of(digest)[status]

    return column


for _status, _label in Delivery.Status.choices:  # a column per delivery status
    setattr(DigestAdmin, _status, _count_column(_status, _label))


def digest_preview(frequency, topic_ids, to):
    """What the preview page shows: the next digest's message to `to` (links
    that do not work), its bodies and sizes; None if it would say nothing."""
    renderer, items = digests.next_digest(frequency, topic_ids)
    sections = renderer.sections_for(set(topic_ids) if topic_ids else None)
    if not renderer.has_news(items, sections):
        return None
    recipient = Subscriber(email=to, secret="preview")
    message = renderer.message(recipient, items, sections)
    html = message.alternatives[0].content
    bodies = renderer.bodies(items, sections)
    return {
        "subject": message.subject,
        "html": html,
        "text": message.body,
        "html_size": emails.sent_size(html),
        "text_size": emails.sent_size(message.body),
        "message_size": len(message.message().as_bytes()),
        "items": len(items),
        "in_full": bodies.in_full,
        "as_links": bodies.as_links,
        "left_out": bodies.left_out,
    }


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
    renderer, items = digests.next_digest(schedule.frequency)
    if not items:
        return None
    message = renderer.message(Subscriber(email=to, secret="test"), items)
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
