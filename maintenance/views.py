from django.conf import settings
from django.http import HttpResponse
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views.generic import DetailView, TemplateView

from common.metadata import page_meta
from common.page_cache import add_keys, public_page
from news import surrogate_keys as news_keys

from . import surrogate_keys as keys
from .ical import calendar
from .models import MaintenanceNotice
from .wording import unavailability

PAST_COUNT = 20
LIST_TRAIL = [
    ("Home", reverse_lazy("home")),
    ("Planned maintenance", reverse_lazy("maintenance:list")),
]


def published_notices():
    return MaintenanceNotice.objects.published().select_related("item")


def announcements(notices):
    """The keys of the news items announcing `notices` (their titles are shown)."""
    return {news_keys.item(notice.item_id) for notice in notices if notice.item_id}


@method_decorator(public_page(keys=[keys.NOTICES]), name="dispatch")
class MaintenanceListView(TemplateView):
    """Upcoming windows, soonest first, then the most recent past ones."""

    template_name = "maintenance/list.html"

    def get_context_data(self, **kwargs):
        now = timezone.now()
        meta = page_meta(
            "Planned maintenance",
            f"When {settings.SITE_NAME} services will be unavailable for planned maintenance.",
            breadcrumbs=LIST_TRAIL,
        )
        upcoming = list(published_notices().upcoming(now))
        past = list(published_notices().past(now)[:PAST_COUNT])
        add_keys(self.request, *announcements(upcoming + past))
        return super().get_context_data(
            meta=meta, now=now, upcoming=upcoming, past=past, **kwargs
        )


@method_decorator(public_page, name="dispatch")
class MaintenanceNoticeView(DetailView):
    template_name = "maintenance/notice.html"
    context_object_name = "notice"

    def get_queryset(self):
        return published_notices()

    def get_context_data(self, **kwargs):
        notice = self.object
        add_keys(self.request, keys.notice(notice.pk), *announcements([notice]))
        meta = page_meta(
            notice.title,
            unavailability(notice),
            breadcrumbs=[*LIST_TRAIL, (notice.title, notice.get_absolute_url())],
        )
        return super().get_context_data(meta=meta, **kwargs)


@public_page(keys=[keys.NOTICES])
def maintenance_calendar(request):
    notices = MaintenanceNotice.objects.published().order_by("starts_at", "pk")
    response = HttpResponse(calendar(notices), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="maintenance.ics"'
    return response
