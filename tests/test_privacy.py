"""Masking and small-cell suppression: the one place they happen."""

from __future__ import annotations

import pandas as pd
import pytest

from data_access.privacy import HIDDEN, count_text, mask_name, mask_phone, suppress_groups


@pytest.mark.parametrize(
    ("name", "masked"),
    [("张三", "张*"), ("张三丰", "张*丰"), ("欧阳娜娜", "欧**娜"), ("王", "*"), (None, ""), ("Ann Lee", "A*****e")],
)
def test_mask_name(name, masked) -> None:
    assert mask_name(name) == masked


@pytest.mark.parametrize(
    ("phone", "masked"),
    [("13812341234", "138****1234"), ("10012345678", "100****5678"), ("12345", "*****"), (None, "")],
)
def test_mask_phone(phone, masked) -> None:
    assert mask_phone(phone) == masked


def test_small_groups_lose_every_number_and_are_flagged() -> None:
    frame = pd.DataFrame({"key": ["a", "b", "c", "d"], "received": [0, 3, 5, 40], "rate": [None, 0.67, 0.8, 0.5]})
    out = suppress_groups(frame, "received", k=5)
    assert out["suppressed"].tolist() == [False, True, False, False]
    assert out.loc[1, ["received", "rate"]].isna().all()  # no rate of a group of three either
    assert out.loc[3, "received"] == 40 and out.loc[3, "rate"] == 0.5
    assert frame["received"].tolist() == [0, 3, 5, 40]  # the input is untouched
    assert count_text(out["received"], out["suppressed"], 5) == ["0", "<5", "5", "40"]


def test_dropped_groups_keep_only_their_total() -> None:
    cells = pd.DataFrame({"lon": [1.0, 2.0, 3.0], "lat": [1.0, 2.0, 3.0], "reports": [2, 7, 4]})
    out = suppress_groups(cells, "reports", k=5, drop=True)
    assert out["reports"].tolist() == [7] and out.attrs[HIDDEN] == 6


def test_threshold_of_one_withholds_nothing() -> None:
    frame = pd.DataFrame({"key": ["a"], "received": [1]})
    assert not suppress_groups(frame, "received", k=1)["suppressed"].any()


def test_suppressed_table_can_be_sent_to_the_browser() -> None:
    import pyarrow as pa

    frame = suppress_groups(pd.DataFrame({"area": ["a", "b"], "people": [3, 1200]}), "people", k=5)
    pa.Table.from_pandas(pd.DataFrame({"people": count_text(frame["people"], frame["suppressed"], 5)}))


@pytest.mark.parametrize("k", [1, 5, 50])
def test_the_input_stays_as_it_was_and_numbers_are_floats_whatever_is_withheld(k) -> None:
    frame = pd.DataFrame({"key": ["a", "b"], "received": [3, 40], "rate": [0.5, 0.25]})
    out = suppress_groups(frame, "received", k=k)
    assert [str(t) for t in out.dtypes[["received", "rate"]]] == ["float64", "float64"]
    out.loc[:, "rate"] = 9.0  # a page writing to what it was given (the query cache's frame is the input)
    out.loc[0, "key"] = "z"
    assert frame.to_dict("list") == {"key": ["a", "b"], "received": [3, 40], "rate": [0.5, 0.25]}
    assert "suppressed" not in frame.columns
