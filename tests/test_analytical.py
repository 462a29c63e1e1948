"""The analytical copy: what it covers, that it answers, refreshes without blocking, and fails safe.

Every data-layer test also runs on the copy (the "columnar" engine in conftest), so these
tests are about the copy's own behaviour, not the figures.
"""

from __future__ import annotations

import sqlite3
import threading
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import func, select, text

from data_access import analytical, issue_map, issues
from data_access.analytical import AnalyticalCopy, RoutedEngine, covers
from data_access.engine import make_readonly_engine
from data_access.filters import IssueFilters
from data_access.schema import issue_events, residents
from data_access.schema import issues as issues_table
from data_access.scope import Scope

YEAR = IssueFilters(since=datetime(2025, 12, 1), until=datetime(2026, 12, 1))


def _received(engine) -> int:  # noqa: ANN001
    return int(issues.resolution_figures(engine, Scope.street(), IssueFilters())["received"].iloc[0])


def test_covers_only_what_the_copy_holds() -> None:
    assert covers(select(issues_table.c.status, func.count()).group_by(issues_table.c.status))
    aliased = issues_table.alias("i2")
    assert covers(select(func.count()).select_from(aliased).where(aliased.c.status == "closed"))
    assert not covers(select(issues_table.c.issue_id, issues_table.c.title))
    assert not covers(select(issues_table))  # every column, the description among them
    assert not covers(select(aliased.c.title))
    assert not covers(select(select(issues_table).subquery()))
    assert not covers(select(func.count()).select_from(issue_events))
    inner = select(residents.c.name).scalar_subquery()
    assert not covers(select(issues_table.c.issue_id).where(issues_table.c.title == inner))
    assert not covers(text("SELECT 1"))


def test_copied_queries_are_answered_by_the_copy_and_the_rest_by_the_read_database(backend_url) -> None:
    ro = make_readonly_engine(backend_url)  # loaded from SQLite and from PostgreSQL
    copy = AnalyticalCopy(ro, refresh_seconds=float("inf"), strict=True)
    snapshot = copy.load_now()
    assert snapshot.rows["issues"] > 0 and "issue_events" not in snapshot.rows
    routed = RoutedEngine(ro, copy)

    assert _received(routed) == _received(ro)
    by_month = issues.resolution_figures(routed, Scope.street(), YEAR, by="month")
    pd.testing.assert_frame_equal(by_month, issues.resolution_figures(ro, Scope.street(), YEAR, by="month"))
    after_figures = copy.answered
    assert after_figures >= 2  # counts and percentiles in one statement, twice

    table = issue_map.issue_table(routed, Scope.street(), YEAR, limit=5)  # titles: not in the copy
    assert list(table["issue_id"]) == list(
        issue_map.issue_table(ro, Scope.street(), YEAR, limit=5)["issue_id"]
    )
    assert copy.answered == after_figures


def _writable_change(path: Path) -> None:
    """What a feed does: one more issue, and a new data_as_of."""
    conn = sqlite3.connect(path)
    conn.execute(
        "INSERT INTO issues (issue_id, source, reported_at, channel, category_code, title, description, is_public,"
        " lat, lon, grid_id, community_id, reporter_kind, status, reopened_count)"
        " SELECT max(issue_id) + 1, 'test', '2026-06-01 10:00:00', 'app', 'garbage', 't', 'd', 1,"
        " 29.56, 106.55, 'C01-G1', 'C01', 'resident', 'submitted', 0 FROM issues"
    )
    conn.execute("UPDATE meta SET value = '2026-07-01T00:00:00' WHERE key = 'data_as_of'")
    conn.commit()
    conn.close()


def test_refresh_swaps_in_a_new_copy_without_blocking_queries(sqlite_copy, monkeypatch) -> None:
    ro = make_readonly_engine(f"sqlite:///{sqlite_copy}")
    copy = AnalyticalCopy(ro, refresh_seconds=0, strict=True)
    first = copy.load_now()
    routed = RoutedEngine(ro, copy)
    before = _received(routed)
    _writable_change(sqlite_copy)

    release = threading.Event()
    real_load = analytical.load_snapshot

    def slow_load(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        assert release.wait(30)
        return real_load(*args, **kwargs)

    monkeypatch.setattr(analytical, "load_snapshot", slow_load)
    # The watermark moved and a reload is running, held back: queries still get the old copy at once.
    assert _received(routed) == before
    assert copy.snapshot is first
    release.set()
    assert copy.wait(30)
    assert copy.snapshot is not first
    assert _received(routed) == before + 1


def test_an_unchanged_watermark_keeps_the_copy(tiny_sqlite_url) -> None:
    copy = AnalyticalCopy(make_readonly_engine(tiny_sqlite_url), refresh_seconds=0)
    first = copy.load_now()
    copy.start()
    copy.wait(30)
    assert copy.snapshot is first


def test_a_failed_load_leaves_the_read_database_answering(tiny_sqlite_url, monkeypatch) -> None:
    ro = make_readonly_engine(tiny_sqlite_url)

    def broken(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise RuntimeError("disk full")

    monkeypatch.setattr(analytical, "load_snapshot", broken)
    copy = AnalyticalCopy(ro, refresh_seconds=float("inf"))
    copy.start()
    assert not copy.wait(30)
    assert "disk full" in (copy.last_error or "")
    assert _received(RoutedEngine(ro, copy)) == _received(ro)
    assert copy.answered == 0


def test_below_the_threshold_no_copy_is_kept(tiny_sqlite_url) -> None:
    ro = make_readonly_engine(tiny_sqlite_url)
    copy = AnalyticalCopy(ro, refresh_seconds=float("inf"), min_issues=10**9)
    copy.start()
    assert not copy.wait(30)
    assert copy.last_error is None
    assert _received(RoutedEngine(ro, copy)) == _received(ro)


def test_rows_with_impossible_values_load_as_missing(sqlite_copy) -> None:
    conn = sqlite3.connect(sqlite_copy)
    conn.execute("UPDATE issues SET lat = 'north-ish', resolved_at = 'yesterday' WHERE issue_id = 1")
    conn.commit()
    conn.close()
    copy = AnalyticalCopy(make_readonly_engine(f"sqlite:///{sqlite_copy}"), strict=True)
    snapshot = copy.load_now()
    lat, resolved = snapshot.connection.execute("SELECT lat, resolved_at FROM issues WHERE issue_id = 1").fetchone()
    assert lat is None and resolved is None
    total = snapshot.connection.execute("SELECT count(*) FROM issues").fetchone()[0]
    assert total == snapshot.rows["issues"] == snapshot.watermark[1]


def test_plates_and_residents_words_never_enter_the_copy(tiny_sqlite_url) -> None:
    snapshot = AnalyticalCopy(make_readonly_engine(tiny_sqlite_url), strict=True).load_now()
    columns = {(t, c) for t, c in snapshot.connection.execute(
        "SELECT table_name, column_name FROM information_schema.columns").fetchall()}
    assert ("parking_bookings", "booking_id") in columns and ("consultations", "asked_at") in columns
    for table, column in (("parking_bookings", "plate"), ("parking_unmet_requests", "plate"),
                          ("consultations", "question"), ("residents", "name")):
        assert (table, column) not in columns


def test_a_version_2_database_gets_a_copy_without_the_ehome_tables(sqlite_copy) -> None:
    from data_access.contract import V3_TABLES

    with sqlite3.connect(sqlite_copy) as conn:
        for table in V3_TABLES:
            conn.execute(f"DROP TABLE {table}")
        conn.execute("ALTER TABLE parking_shares DROP COLUMN owner_resident_id")
        conn.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    engine = make_readonly_engine(f"sqlite:///{sqlite_copy}")
    snapshot = AnalyticalCopy(engine, strict=True).load_now()
    assert not set(V3_TABLES) & set(snapshot.rows) and snapshot.rows["parking_shares"] > 0
    routed = RoutedEngine(engine, AnalyticalCopy(engine, strict=True))
    routed.copy.load_now()
    assert _received(routed) == _received(engine)


def test_the_copy_never_writes_to_the_read_database(sqlite_copy) -> None:
    before = sqlite_copy.read_bytes()
    AnalyticalCopy(make_readonly_engine(f"sqlite:///{sqlite_copy}")).load_now()
    assert sqlite_copy.read_bytes() == before


@pytest.mark.parametrize("mode", ["on", "off"])
def test_the_app_uses_the_copy_when_asked(app_env, sqlite_copy, monkeypatch, mode) -> None:
    from app.data import engine_for
    from app.i18n import translate
    from tests.apptest_helpers import USERS, run_app, texts

    # Engines are cached per URL for the life of the process: start and end with a clean cache.
    url = f"sqlite:///{sqlite_copy}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("SYL_ANALYTICAL_COPY", mode)
    engine_for.clear()
    engine = engine_for(url)
    if mode == "on":
        assert isinstance(engine, RoutedEngine) and engine.copy.wait(60)
        at = run_app("transparency")
        assert not at.exception and not at.error, texts(at)
        assert engine.copy.answered > 0
    else:
        assert not isinstance(engine, RoutedEngine)

    health = run_app("data_health", USERS["admin"])  # operators see the copy's state
    state = " ".join(str(v) for v in health.table[0].value.iloc[:, 1])
    assert (translate("zh", "health.copy_off") in state) == (mode == "off")
    assert ("已载入" in state) == (mode == "on")
    engine_for.clear()


def test_the_app_builds_its_copy_in_a_child_process(tiny_sqlite_url) -> None:
    ro = make_readonly_engine(tiny_sqlite_url)
    copy = AnalyticalCopy(ro, url=tiny_sqlite_url, refresh_seconds=float("inf"), strict=True)
    copy.start()
    assert copy.wait(120), copy.last_error
    snapshot = copy.snapshot
    assert snapshot.path.exists() and snapshot.rows["issues"] == snapshot.watermark[1]
    assert _received(RoutedEngine(ro, copy)) == _received(ro)
    assert copy.answered > 0


def test_a_failed_child_build_is_reported_and_leaves_no_file(tiny_sqlite_url, tmp_path) -> None:
    ro = make_readonly_engine(tiny_sqlite_url)
    copy = AnalyticalCopy(ro, url=f"sqlite:///{tmp_path / 'gone.sqlite'}", refresh_seconds=float("inf"))
    copy.start()
    assert not copy.wait(120)
    assert "building the analytical copy failed" in (copy.last_error or "")
    assert "does not exist" in copy.last_error
    assert list(copy._folder.iterdir()) == []  # noqa: SLF001
    assert _received(RoutedEngine(ro, copy)) == _received(ro)


def test_a_reload_removes_the_old_copy_file(tiny_sqlite_url) -> None:
    copy = AnalyticalCopy(make_readonly_engine(tiny_sqlite_url), refresh_seconds=float("inf"))
    first = copy.load_now()
    second = copy.load_now()
    assert not first.path.exists() and second.path.exists()
    assert first.connection.execute("SELECT count(*) FROM issues").fetchone()[0] > 0  # still readable


def test_data_health_says_what_the_copy_is_doing(tiny_sqlite_url, monkeypatch) -> None:
    from app import data
    from app.i18n import translate

    ro = make_readonly_engine(tiny_sqlite_url)
    copy = AnalyticalCopy(ro, refresh_seconds=float("inf"))
    monkeypatch.setattr(data, "engine_for", lambda url: RoutedEngine(ro, copy))

    def state() -> str:
        return data.copy_state("any", lambda key, **params: translate("en", key, **params), "en")

    assert state() == translate("en", "health.copy_small")
    copy.last_error = "RuntimeError: disk full"
    assert state().startswith("Not loaded") and "disk full" in state()
    copy.load_now()
    assert "rows loaded" in state() and "still serves" in state() and "disk full" in state()
    copy.last_error = None
    assert "rows loaded" in state() and "still serves" not in state()
