"""Admin: measures, their groups, and releases under review (editorial)
with two ways to load figures: typed in, or a CSV/XLSX file checked first."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from editorial.admin_mixins import ReviewedAdminMixin

from .forms import ConfirmUploadForm, FiguresForm, ReleaseAdminForm, UploadForm, default_period
from .models import Measure, MeasureGroup, Release
from .services import ReasonRequired, set_figures
from .uploads import UploadError, check, read_rows


@admin.register(MeasureGroup)
class MeasureGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "order"]
    list_editable = ["order"]


@admin.register(Measure)
class MeasureAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "group", "unit", "decimal_places", "order"]
    list_filter = ["group", "unit"]
    list_select_related = ["group"]
    search_fields = ["name", "code"]
    prepopulated_fields = {"code": ["name"]}


# Reviewed like news items: editorial's mixin is the whole integration (see
# README, "Putting another model under review"); figures are this app's own.
@admin.register(Release)
class ReleaseAdmin(ReviewedAdminMixin, admin.ModelAdmin):
    form = ReleaseAdminForm
    change_form_template = "management_information/admin/release_change_form.html"
    list_display = ["month", "status", "announced", "published_at", "figure_count",
                    "illustrative"]
    list_filter = ["status", "announced", "illustrative"]
    date_hierarchy = "period"
    autocomplete_fields = ["announcement"]
    fieldsets = [
        (None, {"fields": ["period", "notes", "illustrative", "announcement"]}),
        ("Publication and the release calendar", {"fields": [
            "status", "announced", "announced_date", "published_at", "date_change_reason",
        ]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(figure_count=Count("figures"))

    @admin.display(description="figures", ordering="figure_count")
    def figure_count(self, release):
        return release.figure_count

    @admin.display(description="month", ordering="period")
    def month(self, release):
        return release.month

    def get_changeform_initial_data(self, request):
        return {"period": default_period(), **super().get_changeform_initial_data(request)}

    # ---- figures

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/figures/", wrap(self.figures_view),
                 name="management_information_release_figures"),
            path("<path:object_id>/upload/", wrap(self.upload_view),
                 name="management_information_release_upload"),
        ] + super().get_urls()

    def may_change_figures(self, request, release):
        """Editors load figures into drafts; only Publishers change a published release's."""
        return self.has_change_permission(request, release) and (
            not release.is_published or self.can_publish(request)
        )

    def _figures_release(self, request, object_id):
        release = Release.objects.filter(pk=object_id).first() if object_id.isdigit() else None
        if release is None:
            raise Http404("No such release.")
        if not self.may_change_figures(request, release):
            raise PermissionDenied
        return release

    def _figures_context(self, request, release, title, **extra):
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": release,
            "title": title,
            "subtitle": release.month,
            "change_url": reverse("admin:management_information_release_change",
                                  args=[release.pk]),
            **extra,
        }

    def _saved(self, request, release, changes):
        if not changes:
            self.message_user(request, "Nothing changed: the figures are as they were.")
        else:
            corrected = " and recorded as a revision" if release.is_public else ""
            count = len(changes)
            self.message_user(
                request, f"Saved {count} figure{'' if count == 1 else 's'}{corrected}.",
                messages.SUCCESS,
            )
        return HttpResponseRedirect(
            reverse("admin:management_information_release_change", args=[release.pk])
        )

    def figures_view(self, request, object_id):
        release = self._figures_release(request, object_id)
        measures = Measure.objects.select_related("group")
        form = FiguresForm(request.POST or None, release=release, measures=measures)
        status = 200
        if request.method == "POST":
            if form.is_valid():
                try:
                    changes = set_figures(release, form.cleaned_data["values"], request.user,
                                          form.cleaned_data["reason"])
                except ReasonRequired as error:
                    form.add_error("reason", str(error))
                else:
                    return self._saved(request, release, changes)
            status = 400
        context = self._figures_context(request, release, "Figures", form=form)
        return TemplateResponse(request, "management_information/admin/figures.html", context,
                                status=status)

    def upload_view(self, request, object_id):
        release = self._figures_release(request, object_id)
        if "payload" in request.POST:
            return self._confirm_upload(request, release)
        form = UploadForm(request.POST or None, request.FILES or None)
        context = {"form": form}
        status = 200
        if request.method == "POST":
            status = 400
            if form.is_valid():
                try:
                    rows = check(release, read_rows(form.cleaned_data["file"]))
                except UploadError as error:
                    form.add_error("file", str(error))
                else:
                    status = self._upload_report(release, form, rows, context)
        context = self._figures_context(request, release, "Upload figures", **context)
        return TemplateResponse(request, "management_information/admin/upload.html", context,
                                status=status)

    def _upload_report(self, release, form, rows, context):
        """Put the report of every row in `context`; a confirmation form when
        the whole file can be loaded. Returns the page's status."""
        problems = [row for row in rows if row.verdict == "problem"]
        changed = [row for row in rows if row.verdict in ("new", "changed")]
        context.update(rows=rows, problems=problems, changed=changed,
                       file_name=form.cleaned_data["file"].name)
        if problems:
            return 400
        if changed:
            context["confirm"] = ConfirmUploadForm(
                initial={"payload": ConfirmUploadForm.sign(release, changed)}
            )
        return 200

    def _confirm_upload(self, request, release):
        confirm = ConfirmUploadForm(request.POST)
        if confirm.is_valid():
            try:
                values = confirm.values_for(release)
                changes = set_figures(release, values, request.user,
                                      confirm.cleaned_data["reason"])
            except ValidationError as error:
                confirm.add_error(None, error)
            except ReasonRequired as error:
                confirm.add_error("reason", str(error))
            else:
                return self._saved(request, release, changes)
        context = self._figures_context(request, release, "Upload figures", form=UploadForm(),
                                        confirm=confirm)
        return TemplateResponse(request, "management_information/admin/upload.html", context,
                                status=400)

    def render_change_form(self, request, context, add=False, change=False, form_url="",
                           obj=None):
        if obj is not None:
            context.update(
                figures=obj.figures.select_related("measure__group")
                .order_by(*[f"measure__{field}" for field in Measure._meta.ordering]),
                corrections=obj.corrections.select_related("corrected_by"),
                may_change_figures=self.may_change_figures(request, obj),
            )
        return super().render_change_form(request, context, add, change, form_url, obj)
