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
