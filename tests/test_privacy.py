"""Masking and small-cell suppression: the one place they happen."""

from __future__ import annotations

import pandas as pd
import pytest

from data_access.privacy import mask_name, mask_phone, suppress_small


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


def test_suppress_small_cells() -> None:
    frame = pd.DataFrame({"area": ["a", "b", "c", "d"], "people": [0, 3, 5, 40]})
    out = suppress_small(frame, ["people"], k=5)
    assert out["people"].tolist() == ["0", "<5", "5", "40"]
    assert frame["people"].tolist() == [0, 3, 5, 40]  # the input is untouched


def test_suppressed_table_can_be_sent_to_the_browser() -> None:
    import pyarrow as pa

    frame = pd.DataFrame({"area": ["a", "b"], "people": [3, 1200]})
    pa.Table.from_pandas(suppress_small(frame, ["people"], k=5))  # mixed int/str would raise here
