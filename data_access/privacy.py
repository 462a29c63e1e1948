"""The one place that masks personal data and suppresses small cells.

Pure functions, shared by the data layer (person-level queries return masked
values unless a reveal is asked for) and the app (public tables and charts).
"""

from __future__ import annotations

import pandas as pd


def mask_name(name: object) -> str:
    """张三 -> 张*, 张三丰 -> 张*丰, 欧阳娜娜 -> 欧**娜; Latin names keep the first letter."""
    if name is None or (isinstance(name, float) and pd.isna(name)):
        return ""
    text = str(name).strip()
    if len(text) <= 1:
        return "*"
    if len(text) == 2:
        return text[0] + "*"
    return text[0] + "*" * (len(text) - 2) + text[-1]


def mask_phone(phone: object) -> str:
    """13812341234 -> 138****1234; anything short is starred whole."""
    if phone is None or (isinstance(phone, float) and pd.isna(phone)):
        return ""
    digits = str(phone).strip()
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


SUPPRESSED = "suppressed"  # the column suppress_groups adds: True where a group was hidden
HIDDEN = "hidden"  # frame.attrs entry: how many were counted in dropped groups


def suppress_groups(frame: pd.DataFrame, count: str, k: int, drop: bool = False) -> pd.DataFrame:
    """A breakdown with every group of fewer than k (but some) withheld: its numbers (the count and
    every rate) become missing and ``suppressed`` is True, or, with `drop`, the group is removed and
    the total it held is kept in ``frame.attrs["hidden"]``. k <= 1 withholds nothing."""
    small = (frame[count] > 0) & (frame[count] < k) if k > 1 and len(frame) else pd.Series(False, index=frame.index)
    if drop:
        out = frame.loc[~small].reset_index(drop=True)
        out.attrs[HIDDEN] = int(frame.loc[small, count].sum())
        return out
    types = pd.api.types
    numbers = [c for c in frame.columns if types.is_numeric_dtype(frame[c]) and not types.is_bool_dtype(frame[c])]
    # A new frame (pandas copies on write: the caller's, often the query cache's, is never changed),
    # whose columns are copied only where something changes: staff see every group, on every run.
    out = frame.astype(dict.fromkeys(numbers, float))
    if small.any():
        out.loc[small, numbers] = float("nan")
    out[SUPPRESSED] = small.to_numpy()
    return out


def is_withheld(value: object) -> bool:
    """Whether a row's ``suppressed`` value says it was withheld (a missing value: no)."""
    return not pd.isna(value) and bool(value)


def count_text(values: pd.Series, suppressed: pd.Series, k: int) -> list[str]:
    """Counts for a table: '<k' where withheld, else the number with thousands separators. Text
    throughout (a column mixing numbers and '<5' cannot be sent to the browser as a typed column)."""
    return [
        f"<{k}" if hidden else "" if pd.isna(v) else f"{int(v):,}" if float(v).is_integer() else f"{v:,}"
        for v, hidden in zip(values, suppressed, strict=True)
    ]
