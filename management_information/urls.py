from django.urls import path, register_converter

from . import downloads, views


class YearConverter:
    regex = "[1-9][0-9]{3}"  # a year Python's dates can hold

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return f"{int(value):04d}"


class MonthConverter:
    """Two digits, 01 to 12: one address per month."""

    regex = "0[1-9]|1[0-2]"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return f"{int(value):02d}"


class FormatConverter:
    regex = "csv|json|xlsx"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


class SeriesFormatConverter(FormatConverter):
    regex = "csv|json"


register_converter(YearConverter, "yyyy")
register_converter(MonthConverter, "mm")
register_converter(FormatConverter, "format")
register_converter(SeriesFormatConverter, "series_format")

app_name = "management_information"

urlpatterns = [
    path("", views.LatestReleaseView.as_view(), name="latest"),
    path("latest/figures.<format:format>", downloads.latest, name="latest-download"),
    path("<yyyy:year>/<mm:month>/", views.ReleaseView.as_view(), name="release"),
    path("<yyyy:year>/<mm:month>/figures.<format:format>", downloads.release,
         name="release-download"),
    path("measures/", views.MeasureListView.as_view(), name="measures"),
    path("measures/<slug:code>/", views.MeasureView.as_view(), name="measure"),
    path("measures/<slug:code>/series.<series_format:format>", downloads.measure,
         name="measure-download"),
    path("calendar/", views.CalendarView.as_view(), name="calendar"),
    path("calendar.ics", views.calendar_feed, name="calendar-feed"),
]
