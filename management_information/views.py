"""The public pages: the latest release, one release, the measures, the calendar."""

import datetime

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.views.generic import DetailView, ListView, TemplateView

from common.metadata import page_meta
from common.page_cache import public_page

from . import surrogate_keys
from .ical import calendar
from .models import Measure, Release
from .reports import MeasureSeries

TRAIL = [("Management information", reverse_lazy("management_information:latest"))]
DESCRIPTION = (
    "The Claims Portal's monthly management information: claims notified and how they "
    "progress, with charts, tables and open data downloads."
)


def published_releases():
    return Release.objects.published()


def release_context(release, is_latest=False):
    """What the release template needs besides the release and its report
    (release.report, read only where a cached fragment is drawn)."""
    return {
        "is_latest": is_latest,
        "meta": page_meta(
            release.title,
            f"Claims Portal management information for {release.month}: each measure's "
            "figure, its change on the month and the year before, charts and downloads.",
            breadcrumbs=[*TRAIL, (release.month, release.get_absolute_url())],
        ),
    }


@method_decorator(public_page(keys=[surrogate_keys.PAGES]), name="dispatch")
class LatestReleaseView(TemplateView):
    """/management-information/: the newest public release, or a page saying
    when the first is due."""

    def get(self, request, *args, **kwargs):
        self.release = published_releases().order_by("-period").first()
        return super().get(request, *args, **kwargs)

    def get_template_names(self):
        if self.release is None:
            return ["management_information/no_release.html"]
        return ["management_information/release.html"]

    def get_context_data(self, **kwargs):
        if self.release is None:
            return super().get_context_data(
                next_release=Release.objects.upcoming().first(),
                meta=page_meta("Management information", DESCRIPTION, breadcrumbs=TRAIL),
                **kwargs,
            )
        return super().get_context_data(
            release=self.release, **release_context(self.release, is_latest=True), **kwargs
        )


@method_decorator(public_page(keys=[surrogate_keys.PAGES]), name="dispatch")
class ReleaseView(DetailView):
    template_name = "management_information/release.html"
    context_object_name = "release"

    def get_object(self, queryset=None):
        period = datetime.date(self.kwargs["year"], self.kwargs["month"], 1)
        return get_object_or_404(published_releases(), period=period)

    def get_context_data(self, **kwargs):
        return super().get_context_data(**release_context(self.object), **kwargs)


def public_measures():
    """Measures with a figure in a public release, by group."""
    return (
        Measure.objects.filter(figures__release__in=published_releases())
        .select_related("group")
        .distinct()
    )


@method_decorator(public_page(keys=[surrogate_keys.PAGES]), name="dispatch")
class MeasureListView(ListView):
    template_name = "management_information/measures.html"
    context_object_name = "measures"

    def get_queryset(self):
        return public_measures()

    def get_context_data(self, **kwargs):
        meta = page_meta(
            "Measures",
            "Every measure in the Claims Portal's management information, with its whole series.",
            breadcrumbs=[*TRAIL, ("Measures", reverse("management_information:measures"))],
        )
        return super().get_context_data(meta=meta, **kwargs)


@method_decorator(public_page(keys=[surrogate_keys.PAGES]), name="dispatch")
class MeasureView(DetailView):
    """One measure's whole series: chart, table and downloads."""

    template_name = "management_information/measure.html"
    context_object_name = "measure"
    slug_field = slug_url_kwarg = "code"

    def get_queryset(self):
        return Measure.objects.select_related("group")

    def get_context_data(self, **kwargs):
        series = MeasureSeries(self.object)
        if not series.rows:
            raise Http404("This measure has no published figures yet.")
        measure = self.object
        meta = page_meta(
            measure.name,
            measure.description or f"Every published monthly figure of {measure.name}.",
            breadcrumbs=[
                *TRAIL,
                ("Measures", reverse("management_information:measures")),
                (measure.name, measure.get_absolute_url()),
            ],
        )
        return super().get_context_data(series=series, meta=meta, **kwargs)


@method_decorator(public_page(keys=[surrogate_keys.PAGES]), name="dispatch")
class CalendarView(TemplateView):
    """Upcoming releases with their dates, then the published ones."""

    template_name = "management_information/calendar.html"

    def get_context_data(self, **kwargs):
        meta = page_meta(
            "Management information release calendar",
            "When the Claims Portal's monthly management information will be published.",
            breadcrumbs=[*TRAIL, ("Release calendar", reverse("management_information:calendar"))],
        )
        published = published_releases().order_by("-period")
        return super().get_context_data(
            upcoming=Release.objects.upcoming(), published=published, meta=meta, **kwargs
        )


@public_page(keys=[surrogate_keys.PAGES])
def calendar_feed(request):
    releases = Release.objects.in_calendar().order_by("published_at", "period")
    response = HttpResponse(calendar(releases), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="management-information.ics"'
    return response
