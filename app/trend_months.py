"""A monthly trend's months: every month in its place, and the one still going on marked "so far".

Every monthly chart (plotly's in app/charts.py, the big screen's in app/big_screen_svg.py) takes its
months from here, so a month with nothing in it stays on the axis at zero instead of vanishing, and
the month just begun is never drawn as a whole month beside the others: on the 1st it would look
like a collapse. data_access/periods.py decides which months a trend covers and which is open.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pandas as pd

from data_access.periods import Period, month_keys, open_month


@dataclass(frozen=True)
class Months:
    """Every month of a trend in order ("2026-11"), the one still going on (None when the last is
    whole), and how that one's tick reads (the catalogue's "2026-12（至今）")."""

    keys: tuple[str, ...]
    open: str | None = None
    open_label: str = ""

    @classmethod
    def over(cls, span: Period, day: date, so_far: Callable[[str], str]) -> Months:
        """The months of a trend over `span` as of the data's local `day`; `so_far` writes a month
        as still going on."""
        keys, still_open = tuple(month_keys(span)), open_month(span, day)
        return cls(keys, still_open, so_far(still_open) if still_open else "")

    def tick(self, key: str) -> str:
        return self.open_label if key == self.open and self.open_label else key


def on_months(frame: pd.DataFrame, key: str, months: Months, counts: tuple[str, ...] = ()) -> pd.DataFrame:
    """`frame` (one row per month in column `key`) with one row for every month of the trend, in
    order: a month with no row counts 0 in `counts` and has its other columns missing (a share with
    nothing to share is a gap, not 0); rows of months outside the trend are dropped."""
    shaped = frame.drop_duplicates(key).set_index(key).reindex(list(months.keys))
    for column in counts:
        shaped[column] = shaped[column].fillna(0)
    return shaped.rename_axis(key).reset_index()
