"""The admin dashboard's figures: small charts, their numbers beside them, for
the staff whose role covers the data. Each app computes its own figures
(news.figures, newsletter.figures); this tag draws them with common.charts."""

from django import template
from django.utils import timezone

from common.charts import Series, bar_chart, line_chart, total_sentence
from common.months import month_name, short_month_name
from news.figures import items_published_by_month
from newsletter.figures import digest_deliveries, subscribers_by_month

register = template.Library()

MONTHS = 12
DIGESTS = 10
BOUNCE_NOTE = (
    "Bounces and complaints come from the email service after sending and name no "
    "digest: each is counted for the digest sent last before it."
)


def count(value):
    return f"{value:,}"


def _months(rows):
    return {
        "labels": [month_name(month) for month, _ in rows],
        "short_labels": [short_month_name(month) for month, _ in rows],
    }


def _series(rows, names):
    return [Series(label, [values[name] for _, values in rows]) for name, label in names]


def subscribers_chart():
    rows = subscribers_by_month(MONTHS)
    return line_chart(
        f"Subscribers at the end of each month, last {MONTHS} months",
        series=_series(rows, [("confirmed", "confirmed"), ("unsubscribed", "unsubscribed"),
                              ("suppressed", "suppressed")]),
        format_value=count, integer=True, category_label="Month",
        chart_id="figures-subscribers", **_months(rows),
    )


def deliveries_chart():
    rows = digest_deliveries(DIGESTS)
    if not rows:
        return None
    days = [f"{timezone.localtime(digest.created_at):%d/%m/%Y}" for digest, _ in rows]
    frequencies = [digest.get_frequency_display() for digest, _ in rows]
    series = _series(rows, [("sent", "sent"), ("failed", "failed"), ("bounced", "bounced"),
                            ("complained", "complained")])
    return bar_chart(
        f"Deliveries of the last {len(rows)} digest{'s' if len(rows) > 1 else ''}",
        labels=[f"{frequency} digest, {day}" for frequency, day in zip(frequencies, days,
                                                                       strict=True)],
        short_labels=[day[:5] for day in days],
        series=series,
        format_value=count, integer=True, category_label="Digest",
        chart_id="figures-deliveries",
        summary=total_sentence(
            [f"the {frequency.lower()} digest of {day}"
             for frequency, day in zip(frequencies, days, strict=True)],
            series, count,
        ),
    )


def items_chart():
    rows = [(month, {"items": items}) for month, items in items_published_by_month(MONTHS)]
    return bar_chart(
        f"News items published per month, last {MONTHS} months",
        series=_series(rows, [("items", "items published")]),
        format_value=count, integer=True, category_label="Month",
        chart_id="figures-items", **_months(rows),
    )


@register.inclusion_tag("management_information/staff_figures.html", takes_context=True)
def staff_figures(context):
    user = context["request"].user
    charts = []
    if user.has_perm("newsletter.view_subscriber"):
        charts.append((subscribers_chart(), ""))
    if user.has_perm("newsletter.view_digest"):
        chart = deliveries_chart()
        charts.append((chart, BOUNCE_NOTE) if chart else (None, "No digest has been sent yet."))
    if user.has_perm("news.view_newsitem"):
        charts.append((items_chart(), ""))
    return {"charts": charts}
