"""Figures about the newsletter for the staff dashboard (panels of
newsletter/editorial_hooks.py): subscribers over time and each digest's
deliveries. Counts only, no addresses."""

import bisect

from django.db.models import Count, Max, Q
from django.utils import timezone

from common.charts import Series, bar_chart, line_chart, total_sentence
from common.months import add_months, last_months, month_name, short_month_name, start_of

from .models import Delivery, Digest, ProviderEvent, Subscriber, SubscriptionConsent

Status = Subscriber.Status
BOUNCE_NOTE = (
    "Bounces and complaints come from the email service after sending and name no "
    "digest: each is counted for the digest sent last before it."
)
BOUNCES = (ProviderEvent.Kind.HARD_BOUNCE, ProviderEvent.Kind.SOFT_BOUNCE,
           ProviderEvent.Kind.REJECTED)


def subscribers_by_month(months=12, now=None):
    """[(month, {"confirmed", "unsubscribed", "suppressed"})] for the last
    `months` months, oldest first, as things stood at each month's end (now,
    for this month): confirmed subscribers then, and those who had
    unsubscribed or been suppressed by then and still are (one query).
    Erased subscribers are gone from every month."""
    now = now or timezone.now()
    ends = [min(start_of(add_months(month, 1)), now) for month in last_months(months, now)]
    subscribers = Subscriber.objects.exclude(status=Status.PENDING).annotate(
        suppressed_at=Max("consents__at",
                          filter=Q(consents__action=SubscriptionConsent.Action.SUPPRESS))
    )
    counts = {}
    for n, end in enumerate(ends):
        still_subscribed = (
            Q(status=Status.CONFIRMED)
            | Q(status=Status.UNSUBSCRIBED, unsubscribed_at__gte=end)
            | Q(status=Status.SUPPRESSED, suppressed_at__gte=end)
        )
        counts[f"confirmed_{n}"] = Count("pk", filter=Q(confirmed_at__lt=end) & still_subscribed)
        counts[f"unsubscribed_{n}"] = Count(
            "pk", filter=Q(status=Status.UNSUBSCRIBED, unsubscribed_at__lt=end)
        )
        counts[f"suppressed_{n}"] = Count(
            "pk", filter=Q(status=Status.SUPPRESSED, suppressed_at__lt=end)
        )
    totals = subscribers.aggregate(**counts)
    return [
        (month, {name: totals[f"{name}_{n}"]
                 for name in ("confirmed", "unsubscribed", "suppressed")})
        for n, month in enumerate(last_months(months, now))
    ]


def digest_deliveries(count=10):
    """[(digest, {"sent", "failed", "bounced", "complained"})] for the last
    `count` digests that had recipients, oldest first (two queries).

    Bounces and complaints arrive from the email service after sending and
    name no digest: each is counted for the digest sent last before it."""
    digests = list(
        Digest.objects.sent()
        .annotate(
            sent=Count("deliveries", filter=Q(deliveries__status=Delivery.Status.SENT)),
            failed=Count("deliveries", filter=Q(deliveries__status=Delivery.Status.FAILED)),
        )
        .order_by("-created_at", "-pk")[:count]
    )
    digests.reverse()
    if not digests:
        return []
    starts = [digest.created_at for digest in digests]
    reported = {digest.pk: {"bounced": 0, "complained": 0} for digest in digests}
    events = ProviderEvent.objects.filter(
        happened_at__gte=starts[0],
        kind__in=[*BOUNCES, ProviderEvent.Kind.COMPLAINT],
    ).values_list("happened_at", "kind")
    for happened_at, kind in events:
        digest = digests[bisect.bisect_right(starts, happened_at) - 1]
        reported[digest.pk]["complained" if kind == ProviderEvent.Kind.COMPLAINT
                            else "bounced"] += 1
    return [
        (digest, {"sent": digest.sent, "failed": digest.failed, **reported[digest.pk]})
        for digest in digests
    ]


def _count(value):
    return f"{value:,}"


def _series(rows, names):
    return [Series(label, [values[name] for _, values in rows]) for name, label in names]


def subscribers_chart(months=12):
    """Confirmed, unsubscribed and suppressed subscribers at each month's end."""
    rows = subscribers_by_month(months)
    return line_chart(
        f"Subscribers at the end of each month, last {months} months",
        labels=[month_name(month) for month, _ in rows],
        short_labels=[short_month_name(month) for month, _ in rows],
        series=_series(rows, [("confirmed", "confirmed"), ("unsubscribed", "unsubscribed"),
                              ("suppressed", "suppressed")]),
        format_value=_count, integer=True, category_label="Month",
        chart_id="figures-subscribers",
    )


def deliveries_chart(count=10):
    """Each of the last digests' deliveries, as bars; None before the first."""
    rows = digest_deliveries(count)
    if not rows:
        return None
    days = [f"{timezone.localtime(digest.created_at):%d/%m/%Y}" for digest, _ in rows]
    frequencies = [digest.get_frequency_display() for digest, _ in rows]
    series = _series(rows, [("sent", "sent"), ("failed", "failed"), ("bounced", "bounced"),
                            ("complained", "complained")])
    return bar_chart(
        f"Deliveries of the last {len(rows)} digest{'s' if len(rows) > 1 else ''}",
        labels=[f"{frequency} digest, {day}"
                for frequency, day in zip(frequencies, days, strict=True)],
        short_labels=[day[:5] for day in days],
        series=series,
        format_value=_count, integer=True, category_label="Digest",
        chart_id="figures-deliveries",
        summary=total_sentence(
            [f"the {frequency.lower()} digest of {day}"
             for frequency, day in zip(frequencies, days, strict=True)],
            series, _count,
        ),
    )
