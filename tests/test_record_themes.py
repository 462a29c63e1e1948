"""The needs tab counted by DuckDB from each record's themes beside the copy (record_themes.py):
the same figures as reading and theming the texts, for every scope and area, and without the
MAX_TEXTS cut; the texts are read instead whenever the file does not hold the question."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from data_access import feedback, record_themes, theme_fill
from data_access.analytical import AnalyticalCopy, RoutedEngine
from data_access.engine import make_readonly_engine
from data_access.filters import EVERYWHERE, IssueFilters
from data_access.reference import data_as_of
from data_access.scope import Scope

STREET = Scope.street()


@pytest.fixture(scope="module")
def engines(backend_url: str) -> Iterator[tuple]:
    """(the read database alone, the same behind a copy whose folder holds the records' themes), on
    SQLite and PostgreSQL."""
    plain = make_readonly_engine(backend_url)
    copy = AnalyticalCopy(plain, refresh_seconds=float("inf"), strict=True)
    copy.load_now()
    assert theme_fill.fill(backend_url, copy.folder) > 500
    yield plain, RoutedEngine(plain, copy)
    plain.dispose()


@pytest.fixture(autouse=True)
def _nothing_held(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(feedback, "_held", {})


def _until(engines: tuple) -> datetime:
    return data_as_of(engines[0])


def _same(a: pd.DataFrame, b: pd.DataFrame, key: list[str]) -> None:
    a = a.sort_values(key).reset_index(drop=True)
    b = b.sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b, check_dtype=False)


def _read_texts_spy(monkeypatch: pytest.MonkeyPatch) -> list:
    reads: list = []
    real = feedback.read_texts
    monkeypatch.setattr(feedback, "read_texts", lambda *a, **k: reads.append(a[2:4]) or real(*a, **k))
    return reads


CASES = {
    "street, 90 days": (STREET, 90, EVERYWHERE),
    "street, 12 months": (STREET, 365, EVERYWHERE),
    "a community": (Scope.community("C01"), 120, EVERYWHERE),
    "two grids": (Scope.grids("C02-G1", "C02-G2"), 180, EVERYWHERE),
    "an area picked on the street": (STREET, 120, IssueFilters(community_ids=("C03",))),
    "a day with nothing": (STREET, 0, EVERYWHERE),
}


@pytest.mark.parametrize(("scope", "days", "area"), CASES.values(), ids=CASES.keys())
def test_counted_by_the_copy_equals_reading_the_texts(engines, scope, days, area, monkeypatch) -> None:  # noqa: ANN001
    plain, routed = engines
    until = _until(engines)
    since = until - timedelta(days=days) if days else until - timedelta(hours=1) / 3600
    reads = _read_texts_spy(monkeypatch)
    answered = routed.copy.answered
    by_copy = {
        "table": feedback.theme_table(routed, scope, since, until, area),
        "community": feedback.theme_by_community(routed, scope, since, until, area),
        "months": feedback.theme_months(routed, scope, since, until, area),
    }
    assert reads == [] and routed.copy.answered > answered  # DuckDB counted; no text was read
    _same(by_copy["table"], feedback.theme_table(plain, scope, since, until, area), ["theme"])
    _same(by_copy["community"], feedback.theme_by_community(plain, scope, since, until, area), ["community_id", "theme"])
    _same(by_copy["months"], feedback.theme_months(plain, scope, since, until, area), ["month", "theme"])
    assert feedback.counted_from(routed, scope, since, until, area) is None
    for theme in by_copy["table"]["theme"].head(3):
        mine = feedback.theme_samples(routed, scope, since, until, theme, area)
        theirs = feedback.theme_samples(plain, scope, since, until, theme, area)
        assert set(mine["at"]) == set(theirs["at"]) and len(mine) == len(theirs) > 0
        assert all(theme in t for t in feedback._texts_by_key(plain, scope, since, until, area, mine)["themes"])


def test_every_text_is_counted_where_reading_them_would_cut(engines, monkeypatch) -> None:  # noqa: ANN001
    """The MAX_TEXTS cut of reading the texts does not apply: the copy counts them all."""
    plain, routed = engines
    until = _until(engines)
    since = until - timedelta(days=120)
    whole = feedback.theme_table(plain, STREET, since, until)
    monkeypatch.setattr(feedback, "MAX_TEXTS", 100)
    monkeypatch.setattr(feedback, "_held", {})
    assert feedback.counted_from(plain, STREET, since, until) is not None  # read: cut
    cut = feedback.theme_table(plain, STREET, since, until)
    assert cut["texts"].sum() < whole["texts"].sum() and cut["rising"].isna().all()
    counted = feedback.theme_table(routed, STREET, since, until)  # counted: whole
    assert feedback.counted_from(routed, STREET, since, until) is None
    _same(counted, whole, ["theme"])


def test_a_question_the_file_does_not_hold_reads_the_texts(engines, monkeypatch) -> None:  # noqa: ANN001
    plain, routed = engines
    until = _until(engines)
    held = record_themes.coverage(routed.copy.folder)
    assert held is not None and held.until == until
    reads = _read_texts_spy(monkeypatch)
    later = until + timedelta(hours=1)  # the data moved on since the file was written
    _same(feedback.theme_table(routed, STREET, until - timedelta(days=30), later),
          feedback.theme_table(plain, STREET, until - timedelta(days=30), later), ["theme"])
    assert len(reads) == 1  # read through the copy's engine, and kept for the plain one's same question
    earlier = held.since - timedelta(days=1)  # before the file's window
    feedback.theme_months(routed, STREET, earlier, until)
    assert len(reads) == 2


def test_a_damaged_or_foreign_file_reads_the_texts(engines, tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    _, routed = engines
    folder = routed.copy.folder
    until = _until(engines)
    since = until - timedelta(days=60)
    good = feedback.theme_table(routed, STREET, since, until)
    saved = tmp_path / "saved.parquet"
    shutil.copyfile(folder / record_themes.FILE_NAME, saved)
    try:
        (folder / record_themes.FILE_NAME).write_bytes(b"not parquet at all")
        assert record_themes.coverage(folder) is None
        reads = _read_texts_spy(monkeypatch)
        _same(feedback.theme_table(routed, STREET, since, until), good, ["theme"])
        assert reads
        shutil.copyfile(saved, folder / record_themes.FILE_NAME)
        monkeypatch.setattr(record_themes, "theme_order", lambda: ("parking", "noise"))  # themes changed since
        assert record_themes.covering(routed, since, until) is None
    finally:
        shutil.copyfile(saved, folder / record_themes.FILE_NAME)


def test_duckdb_failing_on_the_file_reads_the_texts(engines, monkeypatch) -> None:  # noqa: ANN001
    plain, routed = engines
    until = _until(engines)
    since = until - timedelta(days=60)

    def broken(query):  # noqa: ANN001, ANN202
        raise duckdb.InternalException("dict-surviving cache: global dictionary column 0 changed identity")

    monkeypatch.setattr(routed.copy, "answer", broken)
    _same(feedback.theme_table(routed, STREET, since, until), feedback.theme_table(plain, STREET, since, until),
          ["theme"])
    _same(feedback.theme_months(routed, STREET, since, until), feedback.theme_months(plain, STREET, since, until),
          ["month", "theme"])
    assert len(feedback.theme_samples(routed, STREET, since, until, "parking")) > 0


def test_the_file_holds_a_bit_per_theme_of_each_record(engines) -> None:  # noqa: ANN001
    plain, routed = engines
    path = routed.copy.folder / record_themes.FILE_NAME
    records = pd.read_parquet(path)
    held = record_themes.coverage(routed.copy.folder)
    texts = feedback.read_texts(plain, STREET, held.since, held.until, EVERYWHERE, limit=None)
    order = record_themes.theme_order()
    expected = {
        (record_themes.SOURCES.index(s), int(i)): record_themes.bits_of(t, order)
        for s, i, t in zip(texts["source"], texts["id"], texts["themes"], strict=True)
        if t
    }
    assert dict(zip(zip(records["source"], records["id"], strict=True), records["bits"], strict=True)) == expected


def test_a_copy_gone_between_asking_and_counting_reads_the_texts(engines, monkeypatch) -> None:  # noqa: ANN001
    plain, routed = engines
    until = _until(engines)
    since = until - timedelta(days=60)
    monkeypatch.setattr(routed.copy, "answer", lambda query: None)  # the snapshot swapped out meanwhile
    _same(feedback.theme_by_community(routed, STREET, since, until),
          feedback.theme_by_community(plain, STREET, since, until), ["community_id", "theme"])
