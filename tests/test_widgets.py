"""Judged tables: the quick Styler sends exactly what pandas' own Styler sends, and the performance
page colours each officer's rates by their judgement against the targets."""

from __future__ import annotations

import random

import pandas as pd
import pyarrow as pa
import pytest
from streamlit.elements.lib.pandas_styler_utils import marshall_styler
from streamlit.proto.ArrowData_pb2 import ArrowData

from app.i18n import translate
from app.targets import Targets
from app.widgets import TABLE_COLORS, judged_styler
from tests.apptest_helpers import USERS, cell_colours, run_app

MARKS = ["met", "near", "below", None]


def _slow(frame: pd.DataFrame, judged: dict[str, list]):  # noqa: ANN202 - a pandas Styler
    """The plain way: pandas' Styler.apply, every cell through pandas' renderer."""

    def colours(column: pd.Series) -> list[str]:
        marks = judged.get(column.name)
        if marks is None:
            return [""] * len(column)
        return [f"color: {TABLE_COLORS[m]}; font-weight: 600" if m else "" for m in marks]

    return frame.style.apply(colours)


def _sent(styler) -> ArrowData:  # noqa: ANN001
    proto = ArrowData()
    styler.set_uuid("same")
    marshall_styler(proto, styler, "same")
    return proto


def _frame(rows: int, seed: int) -> tuple[pd.DataFrame, dict[str, list]]:
    chance = random.Random(seed)
    words = ["吴辛", "长江社区第1网格", "91.7%", "—", "<b>x</b>", "", "a;b{c}", "issue_map?lang=zh&officer=3"]
    frame = pd.DataFrame({f"列{c}": [chance.choice(words) for _ in range(rows)] for c in range(6)})
    frame.index = chance.sample(range(10_000), rows)  # positions count, not labels
    judged = {f"列{c}": [chance.choice(MARKS) for _ in range(rows)] for c in (1, 3, 4)}
    judged["列4"] = None  # a column named with no judgements is left alone
    judged["not a column"] = [chance.choice(MARKS) for _ in range(rows)]
    return frame, judged


@pytest.mark.parametrize(("rows", "seed"), [(0, 1), (1, 2), (7, 3), (300, 4)])
def test_the_quick_styler_sends_what_pandas_own_styler_sends(rows, seed) -> None:
    frame, judged = _frame(rows, seed)
    quick, slow = _sent(judged_styler(frame, judged)), _sent(_slow(frame, judged))
    assert quick.styler.styles == slow.styler.styles
    assert quick.styler.display_values == slow.styler.display_values
    if rows > 5:  # the comparison has something in it: each judgement coloured somewhere
        assert all(TABLE_COLORS[mark] in quick.styler.styles for mark in ("met", "near", "below"))


def test_a_missing_cell_stays_empty_where_pandas_would_write_nan() -> None:
    frame = pd.DataFrame({"a": ["x", None, "y"]})
    judged = {"a": ["met", "near", None]}
    quick, slow = _sent(judged_styler(frame, judged)), _sent(_slow(frame, judged))
    assert quick.styler.styles == slow.styler.styles
    shown = pa.ipc.open_stream(quick.styler.display_values).read_pandas()["a"]
    assert shown[0] == "x" and pd.isna(shown[1]) and shown[2] == "y"
    assert pa.ipc.open_stream(slow.styler.display_values).read_pandas()["a"][1] == "nan"


@pytest.mark.usefixtures("app_env")
def test_performance_colours_each_officers_rates_by_their_judgement() -> None:
    at = run_app("performance", USERS["street_official"])
    table = at.dataframe[0]
    shown, colours = table.value, cell_colours(table)
    rates = {
        translate("zh", "metric.resolution_rate"): Targets().resolution_rate,
        translate("zh", "metric.on_time_share"): Targets().on_time_share,
        translate("zh", "performance.col.patrols"): Targets().patrol_compliance,
    }
    checked = set()
    for column, target in rates.items():
        index = list(shown.columns).index(column)
        for row, text in enumerate(shown[column]):
            if not text.endswith("%"):
                assert (row, index) not in colours, (row, column, text)  # no figure, no colour
                continue
            value = float(text.rstrip("%")) / 100
            if min(abs(value - target), abs(value - target + 0.05)) < 0.001:
                continue  # rounded to one decimal on screen: too close to a boundary to tell
            judged = "met" if value >= target else "near" if value >= target - 0.05 else "below"
            assert colours.get((row, index)) == TABLE_COLORS[judged], (row, column, text)
            checked.add(judged)
    assert checked == {"met", "near", "below"}, checked
    judged_columns = {list(shown.columns).index(c) for c in rates}
    assert {col for _, col in colours} <= judged_columns, "only rates against a target are coloured"
