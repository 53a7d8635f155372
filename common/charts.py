"""Charts drawn on the server as SVG, the same bytes for every visitor.

This module works out the numbers: the scale, the ticks and their labels,
where each point or bar goes, the data table and a one-sentence summary of
what the chart shows. The markup is in templates/charts/ (chart.html: title,
summary, the SVG and the data table beside it). Nothing here builds HTML, and
nothing here knows any app: management information, the admin dashboard's
figures and the consent statistics use it alike.

    chart = line_chart(
        "RTA claims notified, December 2024 to November 2026",
        labels=["December 2024", …], short_labels=["Dec 2024", …],
        series=[Series("RTA claims notified", [50100, …])],
        format_value=lambda value: f"{value:,.0f}",
    )
    {% include "charts/chart.html" with chart=chart %}

Series are told apart by marker shape, dash and fill pattern as well as by
colour (WCAG 1.4.1), and the table gives every number.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.text import slugify

# The drawing's own coordinates. The SVG scales to its container; these keep
# its text about 12 CSS pixels high on a 320-pixel screen (a 290-pixel column).
WIDTH, HEIGHT = 320, 210
FONT_SIZE = 14
CHAR_WIDTH = 0.6 * FONT_SIZE  # a little over the width of a digit (0.556 em) in Arial
# Told apart without colour: a marker shape, a dash and a fill pattern each;
# the colours are the GOV.UK analysis palette, distinct for colour-blind readers.
COLOURS = ("#12436d", "#28a197", "#801650", "#f46a25")
DASHES = ("", "6 3", "2 3", "8 3 2 3")
# Each style's marker, drawn around a point as SVG path commands relative to
# it: a circle, a square, a triangle and a diamond, about 8 units across.
MARKER_SHAPES = (
    "m-3.5 0a3.5 3.5 0 1 0 7 0a3.5 3.5 0 1 0-7 0",
    "m-3.5-3.5h7v7h-7z",
    "m0-4.5 4.2 7.5h-8.4z",
    "m0-4.5 4.5 4.5-4.5 4.5-4.5-4.5z",
)
STYLES = len(COLOURS)
# Markers on every point up to this many categories; past it a single line
# reads better without them (several series always keep theirs).
MARKERS_UP_TO = 36
# Steps between labelled categories: months label every quarter, half-year,
# year and so on, counted back from the newest, which is always labelled.
LABEL_STEPS = (1, 2, 3, 4, 6, 12, 24, 36, 48, 60, 120, 240)
NOT_AVAILABLE = "not available"


@dataclass(frozen=True)
class Series:
    """One line or one set of bars: a name and a value (or None) per category."""

    name: str
    values: Sequence


@dataclass
class Tick:
    position: float
    label: str
    anchor: str = "middle"  # text-anchor of an x-axis label


@dataclass
class Point:
    x: float
    y: float
    label: str  # the category: "November 2026"
    value: str  # formatted: "54,321"


@dataclass
class Segment:
    """A run of points with no gap: one line."""

    points: list

    @property
    def coordinates(self):
        """The polyline's `points`: “x,y x,y …”."""
        return " ".join(f"{point.x},{point.y}" for point in self.points)

    def __len__(self):
        return len(self.points)


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: str


@dataclass
class DrawnSeries:
    name: str
    style: int  # 1…STYLES: the marker shape, dash and fill pattern
    segments: list = field(default_factory=list)  # Segments: runs of Points without a gap
    bars: list = field(default_factory=list)
    markers: bool = True

    @property
    def colour(self):
        return COLOURS[self.style - 1]

    @property
    def dash(self):
        return DASHES[self.style - 1]

    @property
    def marker_shape(self):
        return MARKER_SHAPES[self.style - 1]

    @property
    def marker_path(self):
        """The `d` of one path drawing this series' marker on each of its points."""
        shape = self.marker_shape
        return "".join(f"M{p.x} {p.y}{shape}" for run in self.segments for p in run.points)


@dataclass
class Chart:
    id: str
    kind: str  # "line" or "bar"
    title: str
    summary: str
    category_label: str
    width: int
    height: int
    left: float
    top: float
    right: float
    bottom: float
    y_ticks: list
    x_ticks: list
    series: list
    table_head: list
    table_rows: list  # (category, [each series' value, formatted])
    baseline: float  # y of zero, or of the tick nearest it (where bars stand)

    font_size = FONT_SIZE

    @property
    def view_box(self):
        return f"0 0 {self.width} {self.height}"

    @property
    def has_legend(self):
        return len(self.series) > 1

    @property
    def styles_used(self):
        """One series of each style drawn, for the markers and patterns to define."""
        return list({series.style: series for series in self.series}.values())

    @property
    def y_label_x(self):
        """Where the value axis' labels end, just left of the plot."""
        return round(self.left - 5, 1)

    @property
    def x_label_y(self):
        return round(self.bottom + FONT_SIZE + 8, 1)


def plain_number(value):
    """12345.6 → "12,346": the default way to show a value."""
    return f"{value:,.0f}"


def _as_decimal(value):
    return value if isinstance(value, Decimal) else Decimal(str(value))


def nice_ticks(low, high, count=5, integer=False):
    """Round values from at or below `low` to at or above `high`, about
    `count` of them, `step` apart: 1, 2, 2.5 or 5 times a power of ten."""
    low, high = _as_decimal(low), _as_decimal(high)
    if high == low:
        high, low = (high + 1, low) if high >= 0 else (high, low - 1)
        if low > 0:
            low = Decimal(0)
    raw = (high - low) / max(1, count - 1)
    exponent = math.floor(math.log10(raw))
    magnitude = Decimal(10) ** exponent
    step = next(m * magnitude for m in map(Decimal, ("1", "2", "2.5", "5", "10"))
                if raw <= m * magnitude)
    if integer:
        step = max(Decimal(1), step.to_integral_value(rounding="ROUND_CEILING"))
    start = (low / step).to_integral_value(rounding="ROUND_FLOOR") * step
    end = (high / step).to_integral_value(rounding="ROUND_CEILING") * step
    steps = int((end - start) / step)
    return [start + i * step for i in range(steps + 1)]


def _value_range(values, include_zero):
    low, high = min(values), max(values)
    # A line need not start at zero, but one whose values come near it does,
    # so that small ones are not drawn as if they were nothing.
    if include_zero or (low >= 0 and low <= high / 2):
        low = min(low, 0)
    if high < 0:
        high = 0
    return low, high


def _label_step(count, room, longest):
    fits = max(1, int(room // (longest * CHAR_WIDTH + 14)))
    return next((step for step in LABEL_STEPS if math.ceil(count / step) <= fits),
                LABEL_STEPS[-1])


def _present(series):
    return [value for s in series for value in s.values if value is not None]


def _centres(kind, count, left, right):
    """The x of each category: bands for bars, evenly spaced points for lines."""
    width = right - left
    if kind == "bar":
        band = width / max(1, count)
        return [left + band * (i + 0.5) for i in range(count)], band
    if count > 1:
        return [left + width * i / (count - 1) for i in range(count)], 0
    return [left + width / 2], 0


def _draw(kind, series, labels, centres, band, y_of, zero_y, format_value):
    """A DrawnSeries per series: its bars, or its runs of points."""
    drawn = []
    markers = len(series) > 1 or len(labels) <= MARKERS_UP_TO
    group = band * 0.8  # a category's bars, side by side, with a gap between categories
    for index, one in enumerate(series):
        line = DrawnSeries(one.name, index % STYLES + 1)
        run = []
        for i, value in enumerate(one.values):
            if value is None:
                if run:
                    line.segments.append(Segment(run))
                run = []
            elif kind == "bar":
                width = group / len(series)
                x = centres[i] - group / 2 + width * index
                top, base = sorted((y_of(value), zero_y))
                line.bars.append(Bar(round(x, 1), top, round(width, 1), round(base - top, 1),
                                     labels[i], format_value(value)))
            else:
                run.append(Point(round(centres[i], 1), y_of(value), labels[i],
                                 format_value(value)))
        if run:
            line.segments.append(Segment(run))
        # A point between two gaps has no line to show it: it needs its marker.
        line.markers = markers or any(len(run) == 1 for run in line.segments)
        drawn.append(line)
    return drawn


def _category_ticks(short_labels, centres, room):
    """Labels for as many categories as fit, counted back from the newest."""
    longest = max((len(text) for text in short_labels), default=1)
    step = _label_step(len(short_labels), room, longest)
    ticks = []
    for i in range(len(short_labels) - 1, -1, -step):
        x, half = centres[i], len(short_labels[i]) * CHAR_WIDTH / 2
        anchor = "start" if x - half < 0 else "end" if x + half > WIDTH else "middle"
        ticks.append(Tick(round(x, 1), short_labels[i], anchor))
    return ticks[::-1]


def _chart(kind, title, labels, short_labels, series, format_value, format_tick,
           category_label, summary, chart_id, integer, relative=True):
    labels = list(labels)
    short_labels = list(short_labels or labels)
    series = list(series)
    low, high = _value_range(_present(series) or [0, 1], include_zero=kind == "bar")
    ticks = nice_ticks(low, high, integer=integer)
    tick_labels = [(format_tick or format_value)(tick) for tick in ticks]
    left = max(len(text) for text in tick_labels) * CHAR_WIDTH + 10
    top, right, bottom = 10.0, WIDTH - 8.0, HEIGHT - FONT_SIZE - 16.0
    lowest, highest = float(ticks[0]), float(ticks[-1])

    def y_of(value):
        return round(bottom - (float(value) - lowest) / (highest - lowest) * (bottom - top), 1)

    zero_y = y_of(max(lowest, min(0, highest)))  # where bars stand: zero, or the nearest tick
    centres, band = _centres(kind, len(labels), left, right)
    if summary is None:
        summary = (total_sentence(labels, series, format_value) if kind == "bar"
                   else trend_sentence(labels, series, format_value, relative))
    return Chart(
        id=chart_id or "chart-" + slugify(title),
        kind=kind,
        title=title,
        summary=summary,
        category_label=category_label,
        width=WIDTH,
        height=HEIGHT,
        left=round(left, 1),
        top=top,
        right=right,
        bottom=bottom,
        y_ticks=[Tick(y_of(tick), text) for tick, text in zip(ticks, tick_labels, strict=True)],
        x_ticks=_category_ticks(short_labels, centres, right - left),
        series=_draw(kind, series, labels, centres, band, y_of, zero_y, format_value),
        table_head=[category_label, *[s.name for s in series]],
        table_rows=[
            (label, [NOT_AVAILABLE if s.values[i] is None else format_value(s.values[i])
                     for s in series])
            for i, label in enumerate(labels)
        ],
        baseline=zero_y,
    )


def line_chart(title, labels, series, *, short_labels=None, format_value=plain_number,
               format_tick=None, category_label="Month", summary=None, chart_id=None,
               integer=False, relative=True):
    """A line per series over the categories (`labels`, oldest first), with a
    gap where a value is None. `short_labels` label the axis ("Nov 2026");
    `integer` keeps ticks whole; the summary is trend_sentence()'s (without
    changes in per cent unless `relative`) unless `summary` is given."""
    return _chart("line", title, labels, short_labels, series, format_value, format_tick,
                  category_label, summary, chart_id, integer, relative)


def bar_chart(title, labels, series, *, short_labels=None, format_value=plain_number,
              format_tick=None, category_label="Month", summary=None, chart_id=None,
              integer=False):
    """A group of bars per category, one per series, from zero; the summary
    is total_sentence()'s unless `summary` is given."""
    return _chart("bar", title, labels, short_labels, series, format_value, format_tick,
                  category_label, summary, chart_id, integer)


# ---- the summary sentence


def _known(labels, values):
    return [(label, value) for label, value in zip(labels, values, strict=True)
            if value is not None]


def _joined(parts):
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _movement(first, last, format_value, relative):
    if last == first:
        return f"stayed at {format_value(last)}"
    verb = "rose" if last > first else "fell"
    text = f"{verb} from {format_value(first)} to {format_value(last)}"
    if relative and first > 0:
        text += f" ({abs((last - first) / first * 100):.1f}%)"
    return text


def trend_sentence(labels, series, format_value=plain_number, relative=True):
    """One sentence on how each series moved between its first and last
    values (with the change in per cent when `relative`), and a single
    series' highest and lowest points."""
    runs = [(one.name, _known(labels, one.values)) for one in series]
    runs = [(name, known) for name, known in runs if known]
    if not runs:
        return "There are no figures yet."
    present = [i for i in range(len(labels)) if any(s.values[i] is not None for s in series)]
    start, end = labels[present[0]], labels[present[-1]]
    if start == end:
        values = _joined([f"{name} {format_value(known[0][1])}" for name, known in runs])
        return f"There is one figure so far, for {start}: {values}."
    moves = _joined([f"{name} {_movement(known[0][1], known[-1][1], format_value, relative)}"
                     for name, known in runs])
    sentence = f"From {start} to {end}, {moves}"
    if len(runs) == 1:
        known = runs[0][1]
        high = max(known, key=lambda pair: pair[1])
        low = min(known, key=lambda pair: pair[1])
        if high[1] != low[1]:
            sentence += (f"; the highest was {format_value(high[1])} in {high[0]} "
                         f"and the lowest {format_value(low[1])} in {low[0]}")
    return sentence + "."


def total_sentence(labels, series, format_value=plain_number):
    """One sentence with each series' total over the categories and the
    first series' largest value."""
    runs = [(one.name, _known(labels, one.values)) for one in series]
    if not any(known for _, known in runs):
        return "There are no figures yet."
    totals = _joined([f"{format_value(sum(value for _, value in known))} {name}"
                      for name, known in runs])
    span = f"From {labels[0]} to {labels[-1]}" if len(labels) > 1 else f"In {labels[0]}"
    sentence = f"{span}, {totals} in all"
    name, known = next((name, known) for name, known in runs if known)
    if len(known) > 1 and max(value for _, value in known) > 0:
        label, value = max(known, key=lambda pair: pair[1])
        sentence += f"; the most {name} was {format_value(value)}, in {label}"
    return sentence + "."
