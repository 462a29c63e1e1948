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


def suppress_small(frame: pd.DataFrame, count_columns: list[str], k: int) -> pd.DataFrame:
    """Counts in (0, k) become '<k' so no small group is identifiable. The count columns become text
    (a column mixing numbers and '<5' cannot be sent to the browser as a typed column)."""
    out = frame.copy()
    label = f"<{k}"
    for column in count_columns:
        out[column] = [
            "" if pd.isna(v) else label if 0 < v < k else f"{int(v):,}" if float(v).is_integer() else f"{v:,}"
            for v in out[column]
        ]
    return out
