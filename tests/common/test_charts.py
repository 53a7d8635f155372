"""common.charts: scales, positions, labels, gaps and the summary sentence, and
the templates/charts/ partials that draw them."""

from decimal import Decimal

import pytest
from django.template.loader import render_to_string

from common.charts import (
    FONT_SIZE,
    NOT_AVAILABLE,
    Series,
    bar_chart,
    line_chart,
    nice_ticks,
    total_sentence,
    trend_sentence,
)

MONTHS = [f"Month {n}" for n in range(1, 25)]


@pytest.mark.parametrize(
    "low, high, integer, expected",
    [
        (0, 61_000, False, [0, 20_000, 40_000, 60_000, 80_000]),
        (48_900, 61_000, False, [45_000, 50_000, 55_000, 60_000, 65_000]),
        (0, 3, True, [0, 1, 2, 3]),
        (85.2, 93.1, False, [84, 86, 88, 90, 92, 94]),
        (0, 0.9, False, [0, Decimal("0.25"), Decimal("0.5"), Decimal("0.75"), 1]),
        (5, 5, True, [0, 2, 4, 6]),  # one value: from zero to just above it
    ],
)
def test_ticks_are_round_numbers_that_cover_the_values(low, high, integer, expected):
    ticks = nice_ticks(low, high, integer=integer)
    assert ticks == [Decimal(str(value)) for value in expected]
    assert ticks[0] <= low and ticks[-1] >= high


def test_points_are_placed_on_the_scale_oldest_left():
    chart = line_chart("Claims", MONTHS[:3], [Series("Claims", [0, 50, 100])])
    points = chart.series[0].segments[0].points
    assert [p.x for p in points] == sorted(p.x for p in points)
    assert points[0].x == chart.left and points[-1].x == chart.right
    # 0 sits on the lowest tick, 100 on the highest: the y axis points down.
    assert points[0].y == chart.bottom == chart.y_ticks[0].position
    assert points[-1].y == chart.top == chart.y_ticks[-1].position
    assert points[1].y == pytest.approx((chart.top + chart.bottom) / 2, abs=0.1)
    assert [p.value for p in points] == ["0", "50", "100"]


def test_a_line_far_from_zero_does_not_start_at_zero_but_one_near_it_does():
    far = line_chart("Far", MONTHS[:2], [Series("A", [900, 1000])])
    near = line_chart("Near", MONTHS[:2], [Series("A", [300, 1000])])
    assert far.y_ticks[0].label == "900"
    assert near.y_ticks[0].label == "0"


def test_bars_start_at_zero_and_sit_side_by_side_within_their_month():
    chart = bar_chart("Deliveries", MONTHS[:2],
                      [Series("sent", [900, 1000]), Series("failed", [10, 0])], integer=True)
    sent, failed = chart.series
    assert chart.y_ticks[0].label == "0"
    assert sent.bars[0].x + sent.bars[0].width <= failed.bars[0].x + 0.1
    assert failed.bars[1].height == 0
    assert all(bar.y + bar.height == chart.baseline for bar in sent.bars)


def test_a_missing_value_breaks_the_line_and_the_table_says_so():
    chart = line_chart("Gaps", MONTHS[:5], [Series("A", [1, 2, None, 4, None])])
    segments = chart.series[0].segments
    assert [[p.label for p in run.points] for run in segments] == [["Month 1", "Month 2"],
                                                                   ["Month 4"]]
    assert chart.series[0].markers  # the lone point needs its marker
    assert chart.table_rows[2] == ("Month 3", [NOT_AVAILABLE])


def test_markers_are_left_off_a_long_single_line_but_kept_for_several_series():
    labels = [f"M{n}" for n in range(120)]
    single = line_chart("Long", labels, [Series("A", list(range(120)))])
    several = line_chart("Long", labels, [Series("A", list(range(120))),
                                          Series("B", list(range(120)))])
    assert not single.series[0].markers
    assert all(series.markers for series in several.series)


def test_series_differ_in_marker_dash_and_colour():
    chart = line_chart("Subscribers", MONTHS[:3],
                       [Series(name, [1, 2, 3]) for name in ("a", "b", "c", "d")])
    styles = [(s.style, s.dash, s.colour) for s in chart.series]
    assert len({style for style, _, _ in styles}) == 4
    assert len({dash for _, dash, _ in styles}) == 4
    assert len({colour for _, _, colour in styles}) == 4


def test_axis_labels_thin_out_to_fit_and_the_newest_is_always_labelled():
    labels = [f"Mon {2000 + n // 12}" for n in range(24)]
    chart = line_chart("Two years", labels, [Series("A", list(range(24)))])
    shown = [tick.label for tick in chart.x_ticks]
    assert shown[-1] == labels[-1]
    assert 2 <= len(shown) <= 6
    # The labels' estimated widths never overlap.
    width = len(labels[0]) * 0.6 * FONT_SIZE
    positions = [tick.position for tick in chart.x_ticks]
    assert all(b - a >= width for a, b in zip(positions, positions[1:], strict=False))


def test_the_summary_says_how_a_series_moved():
    labels = ["January 2026", "February 2026", "March 2026"]
    assert trend_sentence(labels, [Series("Claims", [100, 80, 120])]) == (
        "From January 2026 to March 2026, Claims rose from 100 to 120 (20.0%); the highest "
        "was 120 in March 2026 and the lowest 80 in February 2026."
    )
    assert trend_sentence(labels, [Series("Claims", [100, 90, 100])]).startswith(
        "From January 2026 to March 2026, Claims stayed at 100;"
    )
    assert trend_sentence(labels, [Series("a", [4, 5, 6]), Series("b", [3, 2, 1])],
                          relative=False) == (
        "From January 2026 to March 2026, a rose from 4 to 6 and b fell from 3 to 1."
    )
    assert trend_sentence(labels, [Series("Claims", [None, 7, None])]) == (
        "There is one figure so far, for February 2026: Claims 7."
    )
    assert trend_sentence(labels, [Series("Claims", [None] * 3)]) == "There are no figures yet."


def test_the_summary_of_bars_gives_totals_and_the_largest():
    labels = ["January 2026", "February 2026"]
    assert total_sentence(labels, [Series("sent", [10, 30]), Series("failed", [1, 0])]) == (
        "From January 2026 to February 2026, 40 sent and 1 failed in all; the most sent "
        "was 30, in February 2026."
    )


def test_the_partial_draws_an_accessible_figure_with_its_table():
    chart = line_chart("Claims notified", MONTHS[:3],
                       [Series("RTA", [1, 2, 3]), Series("EL", [3, 2, 1])], chart_id="chart-x")
    html = render_to_string("charts/chart.html", {"chart": chart})
    assert '<figure class="chart chart--line" id="chart-x">' in html
    assert "<figcaption class=\"chart__title\">Claims notified</figcaption>" in html
    assert chart.summary in html
    assert 'role="img" aria-labelledby="chart-x-name" aria-describedby="chart-x-summary"' in html
    assert html.count("<polyline") == 2
    # Each series' markers, its own shape on each point: circles, then squares.
    assert html.count('<path class="chart__markers"') == 2
    first = chart.series[0].segments[0].points[0]
    assert f'd="M{first.x} {first.y}m-3.5 0a3.5 3.5 0 1 0 7 0' in html  # a circle on it
    assert html.count("m-3.5-3.5h7v7h-7z") == 3 + 1  # the squares, and the legend's
    assert 'stroke-dasharray="6 3"' in html  # the second series is dashed
    assert '<th scope="row">Month 2</th><td class="table__numeric">2</td>' in html
    assert 'role="region" aria-labelledby="chart-x-caption" tabindex="0"' in html
    assert "style=" not in html  # the Content-Security-Policy allows no inline styles


def test_bar_patterns_are_defined_once_per_chart():
    chart = bar_chart("Deliveries", MONTHS[:2], [Series("sent", [1, 2]), Series("failed", [0, 1])],
                      chart_id="chart-d")
    html = render_to_string("charts/chart.html", {"chart": chart})
    assert html.count('<pattern id="chart-d-fill-1"') == 1
    assert html.count('<pattern id="chart-d-fill-2"') == 1
    assert html.count('fill="url(#chart-d-fill-2)"') == 3  # two bars and the legend's key
