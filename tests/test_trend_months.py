"""Monthly trends on the 1st of a month: every month keeps its place, and the month just begun is
drawn as "so far" (a band, a paler bar, a dotted line, a tick saying so), never as a whole month
beside the others; the same on the big screen's lines."""

from __future__ import annotations

import base64
import re

import pandas as pd
import pytest

from app import big_screen_svg as svg
from app import charts, ehome_services
from app.trend_months import Months, on_months

KEYS = tuple(f"2026-{m:02d}" for m in range(1, 13))
ON_THE_FIRST = Months(KEYS, "2026-12", "2026-12（至今）")
WHOLE = Months(KEYS)


def _flow(months: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"month": months, "received": [400] * len(months), "resolved": [380] * len(months)})


def test_missing_months_count_zero_and_shares_are_gaps() -> None:
    frame = pd.DataFrame({"month": ["2026-03", "2026-12", "2025-12"], "hours": [5.0, 1.0, 9.0], "share": [0.5, 1, 1]})
    shaped = on_months(frame, "month", ON_THE_FIRST, ("hours",))
    assert list(shaped["month"]) == list(KEYS)  # in order; December 2025 is not in the trend
    assert shaped["hours"].tolist() == [0, 0, 5.0, *[0] * 8, 1.0]
    assert shaped["share"].isna().sum() == 10  # a month with nothing to share is missing, not 0 %


def test_the_month_just_begun_is_marked_so_far() -> None:
    figure = charts.flow_by_month(_flow(["2026-10", "2026-11", "2026-12"]), "受理", "办结", ON_THE_FIRST)
    axis = figure.layout.xaxis
    assert list(axis.categoryarray) == list(KEYS)  # January to September have their place, at zero
    assert axis.ticktext[-1] == "2026-12（至今）" and axis.ticktext[-2] == "2026-11"
    band = [shape for shape in figure.layout.shapes if shape.type == "rect"]
    assert [(band_.x0, band_.x1) for band_ in band] == [(10.5, 11.5)]  # behind December only
    bars = next(trace for trace in figure.data if trace.type == "bar")
    assert list(bars.marker.opacity) == [1.0] * 11 + [charts.OPEN_BAR_OPACITY]
    assert list(bars.y) == [0] * 9 + [400, 400, 400]
    line, dotted = [trace for trace in figure.data if trace.type == "scatter"]
    assert line.y[-1] is None and line.y[-2] == 380  # the line stops at November...
    assert list(dotted.x) == ["2026-11", "2026-12"] and dotted.line.dash == "dot"  # ...and goes on dotted
    assert dotted.showlegend is False and dotted.line.color == line.line.color


def test_a_whole_last_month_is_drawn_like_the_others() -> None:
    figure = charts.flow_by_month(_flow(list(KEYS)), "受理", "办结", WHOLE)
    assert list(figure.layout.xaxis.ticktext) == list(KEYS)
    assert not [shape for shape in figure.layout.shapes if shape.type == "rect"]
    assert len([trace for trace in figure.data if trace.type == "scatter"]) == 1
    assert next(t for t in figure.data if t.type == "bar").marker.opacity is None


def test_a_share_trend_breaks_at_a_withheld_month_and_dots_from_the_last_shown() -> None:
    frame = pd.DataFrame({"key": ["2026-09", "2026-10", "2026-12"], "value": [0.8, 0.9, 0.5]})  # November withheld
    figure = charts.share_trend(frame, 0.85, "目标 85%", "按时办结率", ON_THE_FIRST)
    line, dotted = [trace for trace in figure.data if trace.type == "scatter"]
    assert pd.isna(line.y[10]) and line.y[-1] is None
    assert list(dotted.x) == ["2026-10", "2026-12"]  # from the last month that has a share


@pytest.mark.parametrize(
    "build",
    [
        lambda m: charts.monthly_participation(
            pd.DataFrame({"month": ["2026-11"], "hours": [3.0], "volunteers": [2]}), "人", "时", m
        ),
        lambda m: charts.stacked_by_month(
            pd.DataFrame({"month": ["2026-11", "2026-12", "2026-12"], "g": ["a", "a", "b"], "n": [4, 1, 1]}),
            "month", "g", "n", {"a": "甲", "b": "乙"}, m,
        ),
        lambda m: charts.month_bars(pd.DataFrame({"month": ["2026-12"], "new_spaces": [2]}), "new_spaces", m),
        lambda m: charts.officer_trend(
            pd.DataFrame({"key": ["2026-11", "2026-12"], "on_time_share": [0.8, 0.7]}),
            pd.DataFrame({"key": ["2026-12"], "on_time_share": [1.0]}),
            "全街道", "王某", "按时办结率", m,
        ),
        lambda m: ehome_services.trend_figure(
            pd.DataFrame({"month": ["2026-11", "2026-12"], "applications": [9, 1], "online_share": [0.5, 1.0]}),
            "办理", "网上办理", m,
        ),
    ],
    ids=["volunteers", "stacked", "month_bars", "officer", "services"],
)
def test_every_monthly_chart_has_twelve_places_and_marks_the_open_month(build) -> None:  # noqa: ANN001
    figure = build(ON_THE_FIRST)
    assert list(figure.layout.xaxis.categoryarray) == list(KEYS)
    assert figure.layout.xaxis.ticktext[-1] == "2026-12（至今）"
    assert len([shape for shape in figure.layout.shapes if shape.type == "rect"]) == 1
    for bars in (trace for trace in figure.data if trace.type == "bar"):
        assert bars.marker.opacity[-1] == charts.OPEN_BAR_OPACITY and len(bars.x) == 12
    whole = build(WHOLE)
    assert not [shape for shape in whole.layout.shapes if shape.type == "rect"]


def test_the_big_screens_lines_reach_the_open_month_dotted() -> None:
    labels = [f"{m}月" for m in range(1, 13)]
    series = [svg.Series("受理", [400.0] * 11 + [3.0], "#3b78c4")]
    drawn = _svg(svg.trend(labels, series, 168, 21, open_note="至今"))
    plain = _svg(svg.trend(labels, series, 168, 21))
    assert "至今" in drawn and "至今" not in plain
    assert drawn.count("stroke-dasharray") == 1 and "stroke-dasharray" not in plain
    assert drawn.count('fill="none" stroke="#3b78c4" stroke-width="4"') == 1  # the open month's point, hollow
    assert len(re.search(r'<polyline points="([^"]+)"', drawn).group(1).split()) == 11  # solid up to November
    assert len(re.search(r'<polyline points="([^"]+)"', plain).group(1).split()) == 12


def test_the_big_screens_last_values_stay_above_the_month_names() -> None:
    series = [svg.Series("受理", [400.0] * 11 + [2.0], "#3b78c4"), svg.Series("办结", [380.0] * 11 + [1.0], "#e0a83a")]
    drawn = _svg(svg.trend([f"{m}月" for m in range(1, 13)], series, 168, 21, open_note="至今"))
    names_at = float(re.search(r'<text x="[^"]+" y="([^"]+)"[^>]*>12月</text>', drawn).group(1))
    ends = [float(y) for y in re.findall(r'<text x="[^"]+" y="([^"]+)"[^>]*text-anchor="start"[^>]*>[12]</text>', drawn)]
    assert len(ends) == 2 and max(ends) <= names_at - svg.TICK  # both written, neither on the month's name


def _svg(image: str) -> str:
    """The SVG inside the screen's <img> (svg.image writes it as base64)."""
    return base64.b64decode(re.search(r"base64,([A-Za-z0-9+/=]+)", image).group(1)).decode()


def test_twelve_topics_stacked_by_month_have_twelve_colours() -> None:
    """Plotly's own colours start over at the eleventh group: two topics read as one."""
    topics = [f"t{i}" for i in range(12)]
    frame = pd.DataFrame({"month": ["2026-11"] * 12, "topic": topics, "n": range(12, 0, -1)})
    figure = charts.stacked_by_month(frame, "month", "topic", "n", {}, WHOLE)
    colours = [trace.marker.color for trace in figure.data]
    assert len(colours) == 12 and len(set(colours)) == 12
    assert colours[0] == charts.GROUP_COLORS[0]  # the largest group keeps the first colour
