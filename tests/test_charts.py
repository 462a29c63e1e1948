"""Chart builders: the numbers a bar chart prints on its bars are never cut off by the plot's edge."""

from __future__ import annotations

import pandas as pd

from app import charts
from app.trend_months import Months

MONTHS = Months(tuple(f"2026-{m:02d}" for m in range(1, 13)))


def test_the_tallest_bars_number_is_drawn_above_the_plot_not_cut_off() -> None:
    figures = [
        charts.backlog_by_age(pd.DataFrame({"label": ["<1", "1-3", "3-7", ">7"], "count": [2, 7, 7, 147]})),
        charts.month_bars(pd.DataFrame({"month": ["2026-11"], "spaces": [40]}), "spaces", MONTHS),
        charts.bars(["甲", "乙"], [3, 140]),
    ]
    for figure in figures:
        (bar,) = [trace for trace in figure.data if trace.type == "bar"]
        assert bar.textposition == "outside" and bar.cliponaxis is False


def test_the_reference_and_target_lines_never_run_through_a_shares_number() -> None:
    """Each community's share sits inside its bar's end, and the street's and the target's lines are
    drawn behind the bars: before, "73%" printed past its bar was struck through by the street's line."""
    shares = pd.DataFrame({"label": ["长江社区", "石油路社区", "新社区"], "on_time_share": [0.91, 0.73, 0.04]})
    figure = charts.shares_by_area(shares, 0.77, "全街道", 0.85, "目标 85%")
    (bar,) = figure.data
    assert bar.textposition == "auto" and bar.insidetextanchor == "end"  # outside only when it cannot fit
    assert bar.insidetextfont.color == "white"
    assert list(bar.text) == ["4%", "73%", "91%"]  # ranked, lowest first (drawn bottom up)
    lines = figure.layout.shapes
    assert [line.x0 for line in lines] == [0.77, 0.85]
    assert all(line.layer == "below" for line in lines)
