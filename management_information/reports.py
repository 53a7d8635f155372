"""What the release and measure pages (and their downloads) show, read in a
fixed number of queries however many releases, months or measures there are."""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

from django.db.models import Q

from common.charts import Series, line_chart

from .formatting import format_change, format_value
from .models import Figure, Measure, Release, ReleaseCorrection
from .periods import add_months, month_name, months_between, short_month_name

# The release pages chart each measure over this many months.
MONTHS_CHARTED = 24


def measure_chart(measure, values, title, chart_id):
    """A line chart of `values` ({month: value}) from its first month to its last."""
    months = months_between(min(values), max(values)) if values else []
    return line_chart(
        title,
        labels=[month_name(month) for month in months],
        short_labels=[short_month_name(month) for month in months],
        series=[Series(measure.name, [values.get(month) for month in months])],
        format_value=lambda value: format_value(value, measure),
        integer=measure.decimal_places == 0,
        relative=measure.unit != Measure.Unit.PERCENT,
        chart_id=chart_id,
    )


def revision_notes(corrections, code):
    """“Revised on 03/01/2027: <reason>” for each correction that changed `code`."""
    return [
        correction for correction in corrections
        if any(change["code"] == code for change in correction.changes)
    ]


def revised_figures(change, measure):
    """(measure name, previous, new) of one change of a correction, formatted
    in the measure's unit when it is known."""
    def shown(value):
        if value is None:
            return "no figure"
        return format_value(Decimal(value), measure) if measure else value

    return change["measure"], shown(change["previous"]), shown(change["value"])


@dataclass
class MeasureFigures:
    """One measure in one release: its value, how it changed, its recent months."""

    measure: Measure
    month: object
    values: dict  # {month: value} over the months charted
    revisions: list

    @property
    def value(self):
        return self.values.get(self.month)

    @property
    def value_text(self):
        return format_value(self.value, self.measure)

    @property
    def month_name(self):
        return month_name(self.month)

    @property
    def previous_month(self):
        return add_months(self.month, -1)

    @property
    def year_before(self):
        return add_months(self.month, -12)

    @property
    def month_change(self):
        return format_change(self.value, self.values.get(self.previous_month), self.measure)

    @property
    def year_change(self):
        return format_change(self.value, self.values.get(self.year_before), self.measure)

    @cached_property
    def chart(self):
        months = sorted(self.values)
        return measure_chart(
            self.measure,
            self.values,
            f"{self.measure.name}, {month_name(months[0])} to {month_name(months[-1])}",
            f"chart-{self.measure.code}",
        )


class ReleaseReport:
    """A release's figures by group, each with its changes and chart (three queries)."""

    def __init__(self, release, months=MONTHS_CHARTED):
        self.release = release
        self.months = months

    @cached_property
    def measures(self):
        release = self.release
        first = add_months(release.period, 1 - self.months)
        # Published releases, and this one (a staff preview before it is public).
        figures = Figure.objects.filter(
            Q(release__in=Release.objects.published()) | Q(release=release),
            release__period__range=(first, release.period),
        ).values_list("measure_id", "release__period", "value")
        values = defaultdict(dict)
        for measure_id, month, value in figures:
            values[measure_id][month] = value
        measures = Measure.objects.filter(figures__release=release).select_related("group")
        corrections = self.corrections
        return [
            MeasureFigures(measure, release.period, values[measure.pk],
                           revision_notes(corrections, measure.code))
            for measure in measures
        ]

    @cached_property
    def groups(self):
        """[(group, [MeasureFigures])] in display order."""
        groups = {}
        for row in self.measures:
            groups.setdefault(row.measure.group, []).append(row)
        return list(groups.items())

    @cached_property
    def corrections(self):
        return list(self.release.corrections.all())

    @cached_property
    def revisions(self):
        """Each correction with its changes as the page shows them: [(correction,
        [(measure name, previous figure, new figure)])]."""
        measures = {row.measure.code: row.measure for row in self.measures}
        return [
            (correction, [revised_figures(change, measures.get(change["code"]))
                          for change in correction.changes])
            for correction in self.corrections
        ]

    # Read only where the page is drawn, so that a cached fragment costs no query.

    @cached_property
    def previous(self):
        """The public release of the month before this one's, or the nearest older."""
        return (Release.objects.published().filter(period__lt=self.release.period)
                .order_by("-period").first())

    @cached_property
    def next(self):
        return (Release.objects.published().filter(period__gt=self.release.period)
                .order_by("period").first())

    @cached_property
    def next_release(self):
        """The next release in the calendar."""
        return Release.objects.upcoming().first()

    @property
    def previous_month(self):
        return add_months(self.release.period, -1)

    @property
    def year_before(self):
        return add_months(self.release.period, -12)

    @property
    def previous_month_name(self):
        return month_name(self.previous_month)

    @property
    def year_before_name(self):
        return month_name(self.year_before)


class MeasureSeries:
    """A measure's whole published series (two queries)."""

    def __init__(self, measure):
        self.measure = measure

    @cached_property
    def rows(self):
        """[(release period, value)] oldest first."""
        return list(
            Figure.objects.filter(measure=self.measure, release__in=Release.objects.published())
            .order_by("release__period")
            .values_list("release__period", "value")
        )

    @cached_property
    def values(self):
        return dict(self.rows)

    @cached_property
    def revisions(self):
        corrections = ReleaseCorrection.objects.filter(
            release__in=Release.objects.published()
        ).select_related("release")
        return revision_notes(corrections, self.measure.code)

    @cached_property
    def latest(self):
        """The newest month's MeasureFigures (its changes), or None."""
        if not self.rows:
            return None
        return MeasureFigures(self.measure, self.rows[-1][0], self.values, [])

    @cached_property
    def chart(self):
        if not self.rows:
            return None
        first, last = self.rows[0][0], self.rows[-1][0]
        return measure_chart(
            self.measure, self.values,
            f"{self.measure.name}, {month_name(first)} to {month_name(last)}",
            f"chart-{self.measure.code}-series",
        )
