"""The query cache keeps one answer per process and hands each caller its own view of it: what a page
does to its frame must never reach the next visitor (app/own_view.py, app/data.py)."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import gc
import weakref
from collections import namedtuple
from typing import Any

import numpy as np
import pandas as pd
import pytest

from app import data, registry
from app.own_view import own_view
from data_access import issues
from data_access.filters import IssueFilters
from data_access.scope import Scope
from tests.apptest_helpers import USERS, run_app


def _frame() -> pd.DataFrame:
    return pd.DataFrame({"n": [3, 1, 2], "name": ["石油路", "大坪", "化龙桥"], "share": [0.5, np.nan, 0.25]})


def _same(a: Any, b: Any) -> bool:
    """Equal in content, type and (for frames) dtypes, index and column names."""
    if type(a) is not type(b):
        return False
    if isinstance(a, pd.DataFrame | pd.Series):
        return a.equals(b) and a.index.equals(b.index) and list(a.attrs) == list(b.attrs) and (
            isinstance(a, pd.Series) or (list(a.columns) == list(b.columns) and list(a.dtypes) == list(b.dtypes)))
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if dataclasses.is_dataclass(a):
        return all(_same(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a))
    if isinstance(a, float) and np.isnan(a):
        return np.isnan(b)
    return a == b


def test_every_write_a_page_makes_to_its_frame_stays_in_its_own_view() -> None:
    shared = _frame()
    before = shared.copy(deep=True)
    view = own_view(shared)
    view.loc[0, "n"] = 99
    view.iloc[1, 2] = 1.0
    view["name"] = view["name"].str.upper()
    view["extra"] = 1
    view.index = ["a", "b", "c"]
    view.columns.name = "cols"
    view.attrs["note"] = "x"
    del view["share"]
    series = own_view(shared["share"])
    series.iloc[0] = -1.0
    assert _same(shared, before)
    assert shared.columns.name is None and not shared.attrs
    assert view.loc["a", "n"] == 99  # the writes did land in the view


def _dead_weak_references() -> int:
    gc.collect()
    return sum(1 for o in gc.get_objects() if isinstance(o, weakref.ref) and o() is None)


def test_a_view_leaves_at_most_one_dead_reference_behind_where_a_shallow_copy_left_one_per_column() -> None:
    """Under copy-on-write every copy leaves a weak reference with what it shares; it stays, dead,
    once the copy is gone, until pandas clears such lists (past 500 entries). A shallow copy shares
    each column block, so a busy process piled up thousands of them per cached frame for the garbage
    collector to walk. A view shares only its column labels."""
    shared = pd.DataFrame({f"figure_{i}": np.arange(12.0) * i for i in range(12)} | {"key": [str(i) for i in range(12)]})
    own_view(shared)
    before = _dead_weak_references()
    views = 400  # under the 500 at which pandas would clear them
    for _ in range(views):
        view = own_view(shared)
        view.loc[0, "figure_1"] = -1.0
        del view
    assert _dead_weak_references() - before <= views * 1.1


def test_containers_and_dataclasses_hold_views_and_values_that_cannot_change_are_shared() -> None:
    pair = namedtuple("pair", "frame label")

    @dataclasses.dataclass(frozen=True)
    class Answer:
        frame: pd.DataFrame
        counts: dict
        when: dt.datetime

    when = dt.datetime(2026, 12, 1, 8)
    shared = [{"a": _frame()}, pair(_frame(), "标签"), Answer(_frame(), {"x": [1, 2]}, when), {1, 2}, "文本", 3]
    before = copy.deepcopy(shared)
    view = own_view(shared)
    view[0]["a"].loc[0, "n"] = -5
    view[0]["b"] = 1
    view[1].frame["n"] = 0
    view[2].frame.loc[2, "name"] = "改"
    view[2].counts["x"].append(3)
    view[3].add(9)
    view.append("more")
    assert _same(shared, before)
    assert type(view[1]) is pair and type(view[2]) is Answer
    assert view[2].when is when and view[4] is shared[4]


def test_an_unknown_object_is_copied_whole() -> None:
    class Holder:
        def __init__(self) -> None:
            self.items = [1]

    shared = Holder()
    view = own_view(shared)
    view.items.append(2)
    assert shared.items == [1]


def test_the_query_cache_computes_once_and_hands_each_caller_an_unchanged_answer(tiny_sqlite_url, monkeypatch) -> None:  # noqa: ANN001
    data.forget_answers()
    calls: list[int] = []
    real = issues.resolution_figures

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    counted.__module__, counted.__name__ = "tests.test_own_view", "_counted_figures"
    monkeypatch.setattr("tests.test_own_view._counted_figures", counted, raising=False)
    asked = (Scope.public_visitor(), IssueFilters(), "community")
    first = data.query(counted, tiny_sqlite_url, *asked)
    assert len(first) > 1
    kept = copy.deepcopy(first)
    first.loc[first.index[0], "received"] = -1
    first["planted"] = "x"
    del first["resolved"]
    second = data.query(counted, tiny_sqlite_url, *asked)
    assert len(calls) == 1  # the second answer came from the cache
    assert _same(second, kept)
    assert second is not first
    data.forget_answers()
    data.query(counted, tiny_sqlite_url, *asked)
    assert len(calls) == 2  # forget_answers really forgets


PAGES = [(role, spec.id) for role in ("public", "grid_officer", "street_official") for spec in registry.PAGES
         if (role == "public" and "public" in spec.roles) or role in spec.roles]


@pytest.mark.usefixtures("app_env")
def test_no_page_changes_an_answer_it_shares_with_other_visitors(monkeypatch) -> None:  # noqa: ANN001
    """Every page, as a visitor, a grid officer and a street official, twice: each shared answer is
    the same afterwards as when it was first handed out, and each is a kind own_view knows."""
    data.forget_answers()
    handed: dict[int, tuple[Any, Any]] = {}
    kinds: set[str] = set()

    def recording(value: Any) -> Any:
        if id(value) not in handed:
            handed[id(value)] = (value, copy.deepcopy(value))
            kinds.add(type(value).__name__)
        return own_view(value)

    monkeypatch.setattr(data, "own_view", recording)
    for role, page in PAGES + PAGES:
        at = run_app(page, USERS[role])
        assert not at.exception, (role, page, at.exception)
    assert len(handed) > 100 and "DataFrame" in kinds  # the pages did ask the cache
    changed = [type(value).__name__ for value, before in handed.values() if not _same(value, before)]
    assert not changed
