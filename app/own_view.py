"""What the query cache hands a page: its own view of an answer every session shares.

The query cache (app/data.py) keeps each answer once per process and gives every caller
``own_view(answer)``. A frame or series comes out as a copy of its own, so a page that adds,
renames, sorts or assigns into its frame changes nothing the next visitor gets. Containers are
rebuilt around their items' own views; values that cannot change are shared as they are.

The copy is pandas' deep copy: a memcpy of each number column, while text (Arrow arrays, which
never change) keeps its buffers; some 10-40 us for the app's frames, where unpickling them (what
st.cache_data does on every call) took 40-1,400 us. Not a shallow copy: under copy-on-write each
shallow copy leaves a weak reference in each of the shared frame's blocks, dead once the copy is
gone and cleared only past 500 of them, and in a busy process those doubled the cost of every full
garbage collection (docs/performance.md). A deep copy leaves one only with the row and column
labels, which pandas views rather than copies.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import decimal
import enum
import pathlib
from typing import Any

import numpy as np
import pandas as pd

# Values no caller can change in place: shared as they are.
_UNCHANGEABLE = (
    str,
    bytes,
    int,
    float,
    complex,
    bool,
    type(None),
    dt.date,
    dt.time,
    dt.timedelta,
    dt.tzinfo,
    decimal.Decimal,
    enum.Enum,
    frozenset,
    range,
    pathlib.PurePath,
    np.generic,
    pd.Index,  # immutable; a frame's own index is replaced, never written into
    pd.Timestamp,
    pd.Timedelta,
    pd.Period,
    pd.Interval,
)


def own_view(value: Any) -> Any:
    """`value` as the caller may change freely without changing it for anyone else."""
    if isinstance(value, _UNCHANGEABLE):
        return value
    if isinstance(value, pd.DataFrame | pd.Series):
        return value.copy(deep=True)
    if isinstance(value, list):
        return [own_view(item) for item in value]
    if isinstance(value, tuple):
        items = [own_view(item) for item in value]
        return type(value)(*items) if hasattr(value, "_fields") else tuple(items)
    if isinstance(value, dict):
        return {key: own_view(item) for key, item in value.items()}
    if isinstance(value, set):
        return set(value)  # its items are hashable, so they cannot change
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _dataclass_view(value)
    return copy.deepcopy(value)  # anything else: a copy of its own, as the pickled cache gave


def _dataclass_view(value: Any) -> Any:
    """A dataclass instance whose fields are their own views (frozen ones too; no __init__ runs)."""
    view = copy.copy(value)
    for field in dataclasses.fields(value):
        object.__setattr__(view, field.name, own_view(getattr(value, field.name)))
    return view
