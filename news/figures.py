"""Figures about news for the staff dashboard (a panel of news/editorial_hooks.py)."""

from django.db.models import Count
from django.db.models.functions import TruncMonth
from django.utils import timezone

from common.charts import Series, bar_chart
from common.months import last_months, month_name, short_month_name, start_of

from .models import NewsItem


def items_published_by_month(months=12, now=None):
    """[(month, number of items published in it)] for the last `months`
    months up to now, oldest first (one query)."""
    now = now or timezone.now()
    wanted = last_months(months, now)
    counts = dict(
        NewsItem.objects.filter(
            status=NewsItem.Status.PUBLISHED,
            published_at__gte=start_of(wanted[0]),
            published_at__lte=now,
        )
        .annotate(month=TruncMonth("published_at"))
        .values_list("month")
        .annotate(items=Count("pk"))
        .values_list("month", "items")
    )
    counts = {timezone.localdate(month): items for month, items in counts.items()}
    return [(month, counts.get(month, 0)) for month in wanted]


def items_chart(months=12):
    """News items published per month, as a bar chart with its table."""
    rows = items_published_by_month(months)
    return bar_chart(
        f"News items published per month, last {months} months",
        labels=[month_name(month) for month, _ in rows],
        short_labels=[short_month_name(month) for month, _ in rows],
        series=[Series("items published", [items for _, items in rows])],
        format_value=lambda value: f"{value:,}", integer=True, category_label="Month",
        chart_id="figures-items",
    )
