"""The consent log: keeping it no longer than needed, and what it says in sum."""

import datetime
from collections import Counter
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Q
from django.db.models.functions import TruncWeek
from django.utils import timezone

from common.charts import Series, line_chart

from .models import ConsentRecord


def prune(days=None, dry_run=False):
    """Delete (or with dry_run count) entries older than `days`
    (settings.COOKIE_CONSENT_LOG_RETENTION_DAYS by default); returns how many
    and the days kept."""
    if days is None:
        days = settings.COOKIE_CONSENT_LOG_RETENTION_DAYS
    if days < 1:
        raise ValueError("Keep at least one day of the consent log.")
    old = ConsentRecord.objects.older_than(timezone.now() - datetime.timedelta(days=days))
    if dry_run:
        return old.count(), days
    count, _ = old.delete()
    return count, days


Decision = ConsentRecord.Decision
# The rates the statistics show, in order: what a visitor did with the banner
# or the cookies page. "Accepted some" and "Informed, did not object" count in
# the totals.
RATES = [Decision.ACCEPTED, Decision.REJECTED, Decision.OBJECTED]


@dataclass(frozen=True)
class WeekRow:
    week: datetime.date  # the Monday (Europe/London) the week starts
    policy_version: int
    total: int
    counts: dict  # Decision → number of choices

    def rate(self, decision):
        return self.counts.get(decision, 0) / self.total if self.total else 0.0

    @property
    def rates(self):
        return [(decision, self.counts.get(decision, 0), self.rate(decision)) for decision in RATES]


def weekly_statistics(since):
    """One row per week (from `since`, a date) and policy version, newest first:
    how many choices were logged and how many of each decision. One query,
    grouped in the database; weeks are the site's (Europe/London)."""
    start = timezone.make_aware(datetime.datetime.combine(since, datetime.time()))
    rows = (
        ConsentRecord.objects.filter(created_at__gte=start)
        .annotate(week=TruncWeek("created_at"))
        .values("week", "policy_version")
        .annotate(
            total=Count("pk"),
            **{
                decision: Count("pk", filter=Q(decision=decision))
                for decision in Decision.values
            },
        )
        .order_by("-week", "-policy_version")
    )
    return [
        WeekRow(
            week=timezone.localtime(row["week"]).date(),
            policy_version=row["policy_version"],
            total=row["total"],
            counts={Decision(d): row[d] for d in Decision.values if row[d]},
        )
        for row in rows
    ]


def weekly_rates(rows):
    """The chart's data: the weeks, oldest first, and a common.charts.Series
    per rate of percentages (every policy version of a week together)."""
    weeks = {}
    for row in rows:
        total, counts = weeks.get(row.week, (0, Counter()))
        weeks[row.week] = (total + row.total, counts + Counter(row.counts))
    ordered = sorted(weeks.items())
    series = [
        Series(decision.label, [100 * counts[decision] / total for _, (total, counts) in ordered])
        for decision in RATES
    ]
    return [week for week, _ in ordered], series


def rates_chart(rows):
    """The rates per week as a line chart (common.charts), or None without choices."""
    weeks, series = weekly_rates(rows)
    if not weeks:
        return None
    return line_chart(
        "Accept, reject and object rates per week",
        labels=[f"Week of {week:%d/%m/%Y}" for week in weeks],
        short_labels=[f"{week:%d/%m}" for week in weeks],
        series=series,
        format_value=lambda value: f"{value:.0f}%",
        category_label="Week",
        relative=False,
    )
