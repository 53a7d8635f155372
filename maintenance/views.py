from django.http import HttpResponse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views.generic import DetailView, TemplateView

from portal_site.page_cache import public_page

from .ical import calendar
from .models import MaintenanceNotice

PAST_COUNT = 20


def published_notices():
    return MaintenanceNotice.objects.published().select_related("item")


@method_decorator(public_page, name="dispatch")
class MaintenanceListView(TemplateView):
    """Upcoming windows, soonest first, then the most recent past ones."""

    template_name = "maintenance/list.html"

    def get_context_data(self, **kwargs):
        now = timezone.now()
        return super().get_context_data(
            now=now,
            upcoming=published_notices().upcoming(now),
            past=published_notices().past(now)[:PAST_COUNT],
            **kwargs,
        )


@method_decorator(public_page, name="dispatch")
class MaintenanceNoticeView(DetailView):
    template_name = "maintenance/notice.html"
    context_object_name = "notice"

    def get_queryset(self):
        return published_notices()


@public_page
def maintenance_calendar(request):
    notices = MaintenanceNotice.objects.published().order_by("starts_at", "pk")
    response = HttpResponse(calendar(notices), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="maintenance.ics"'
    return response
