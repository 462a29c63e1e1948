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

from data_access import analytical, arrow_read, copy_build, issue_map, issues, population
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
    assert list(table["issue_id"]) == list(issue_map.issue_table(ro, Scope.street(), YEAR, limit=5)["issue_id"])
    assert copy.answered == after_figures

    # Counting overdue visits needs no one's name: the copy answers it. The worklist comes from
    # the copy too, and only the names of the rows shown from the read database.
    at = datetime(2026, 11, 29)
    assert population.overdue_visit_count(routed, Scope.street(), at) == population.overdue_visit_count(
        ro, Scope.street(), at
    )
    assert copy.answered == after_figures + 1
    street = Scope.street(may_reveal=True)
    shown = population.visit_worklist(routed, street, at, reveal=True, limit=50)
    assert copy.answered == after_figures + 2
    expected = population.visit_worklist(ro, street, at, reveal=True, limit=50)
    assert shown["name"].notna().all() and len(shown) == 50
    pd.testing.assert_frame_equal(shown, expected, check_dtype=False)


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
    columns = {
        (t, c)
        for t, c in snapshot.connection.execute(
            "SELECT table_name, column_name FROM information_schema.columns"
        ).fetchall()
    }
    assert ("parking_bookings", "booking_id") in columns and ("consultations", "asked_at") in columns
    for table, column in (
        ("parking_bookings", "plate"),
        ("parking_unmet_requests", "plate"),
        ("consultations", "question"),
        ("residents", "name"),
    ):
        assert (table, column) not in columns


def as_version_2(path: Path) -> None:
    """Turn a writable copy of the demo into a database of contract version 2 (no 社区E家 tables)."""
    from data_access.contract import V3_TABLES

    with sqlite3.connect(path) as conn:
        for table in V3_TABLES:
            conn.execute(f"DROP TABLE {table}")
        conn.execute("ALTER TABLE parking_shares DROP COLUMN owner_resident_id")
        conn.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")


def test_a_version_2_database_gets_a_copy_without_the_ehome_tables(sqlite_copy) -> None:
    from data_access.contract import V3_TABLES

    as_version_2(sqlite_copy)
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


def test_a_refreshed_copy_reaches_the_pages_before_the_cache_expires(app_env, sqlite_copy, monkeypatch) -> None:
    """The query cache is keyed by the copy's watermark: figures cached from the older copy are not
    served once a refresh brought the copy up to the feed, however long cache_ttl_seconds is."""
    from app import data

    url = f"sqlite:///{sqlite_copy}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("SYL_ANALYTICAL_COPY", "on")
    monkeypatch.setenv("SYL_ANALYTICAL_COPY_DIR", str(app_env / "copies"))
    data.engine_for.clear()
    data._run.clear()  # noqa: SLF001 - a clean query cache for this database
    try:
        engine = data.engine_for(url)
        assert isinstance(engine, RoutedEngine) and engine.copy.wait(60)

        def received() -> int:
            figures = data.query(issues.resolution_figures, url, Scope.street(), IssueFilters())
            return int(figures["received"].iloc[0])

        before = received()
        first = data.copy_generation(url)
        _writable_change(sqlite_copy)
        assert received() == before  # cached, and the copy has not been refreshed yet
        engine.copy.load_now()  # what the background check does when the watermark moved
        assert data.copy_generation(url) != first
        assert received() == before + 1
    finally:
        data.engine_for.clear()
        data._run.clear()  # noqa: SLF001


def test_without_a_copy_the_cache_key_has_no_generation(app_env, tiny_sqlite_url, monkeypatch) -> None:
    from app import data

    monkeypatch.setenv("SYL_ANALYTICAL_COPY", "off")
    data.engine_for.clear()
    try:
        assert data.copy_generation(tiny_sqlite_url) is None
        figures = data.query(issues.resolution_figures, tiny_sqlite_url, Scope.street(), IssueFilters())
        assert int(figures["received"].iloc[0]) > 0
    finally:
        data.engine_for.clear()


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


# --- the Arrow reader (ADBC) ---------------------------------------------------------------------


def _tables(snapshot_path: Path) -> dict[str, list[tuple]]:
    import duckdb

    con = duckdb.connect(str(snapshot_path), read_only=True)
    try:
        names = [row[0] for row in con.execute("SELECT table_name FROM information_schema.tables").fetchall()]
        return {name: con.execute(f'SELECT * FROM "{name}" ORDER BY ALL').fetchall() for name in names}
    finally:
        con.close()


def _both_readers(url: str, folder: Path) -> tuple[dict, dict]:
    engine = make_readonly_engine(url)
    rows_path, arrow_path = folder / "rows.duckdb", folder / "arrow.duckdb"
    counted = copy_build.build_copy(engine, rows_path, reader="rows")
    assert copy_build.build_copy(engine, arrow_path, reader="arrow") == counted
    engine.dispose()
    return _tables(rows_path), _tables(arrow_path)


def test_the_arrow_reader_builds_the_same_copy_as_the_row_reader(backend_url, tmp_path) -> None:
    by_rows, by_arrow = _both_readers(backend_url, tmp_path)
    assert by_rows["issues"] and by_rows["gate_traffic"]
    assert by_arrow == by_rows


def test_the_arrow_reader_takes_a_column_of_mixed_types_as_the_row_reader_does(
    sqlite_copy, tmp_path, monkeypatch
) -> None:
    """SQLite keeps what a feed wrote: text in a number column, a number in a time column, a column
    empty for pages and then text. Such a column is read as text and cast by the copy: both readers
    give the same copy, with NULL where a value is impossible, and the good coordinates beside a
    damaged one keep every digit (ADBC alone would write them with 7)."""
    monkeypatch.setattr(arrow_read, "PAGE_ROWS", 40)  # the damage lies pages after the start
    with sqlite3.connect(sqlite_copy) as conn:
        conn.execute("UPDATE issues SET lat = 'north-ish', satisfaction = 'five' WHERE issue_id = 90")
        conn.execute("UPDATE issues SET building_id = 'B-7', accepted_at = 20260101 WHERE issue_id = 130")
        conn.execute("UPDATE issues SET source_patrol_id = NULL")
        conn.execute("UPDATE issues SET source_patrol_id = 'patrol' WHERE issue_id = 170")
        conn.execute("UPDATE issues SET closed_at = NULL WHERE issue_id < 150")  # empty for pages, then times
    by_rows, by_arrow = _both_readers(f"sqlite:///{sqlite_copy}", tmp_path)
    assert by_arrow == by_rows
    damaged = duckdb_rows(
        tmp_path / "arrow.duckdb",
        "SELECT issue_id, lat, building_id, source_patrol_id FROM issues WHERE issue_id IN (90, 130, 170) ORDER BY 1",
    )
    (_, lat_90, _, _), (_, lat_130, building_130, _), (_, _, _, patrol_170) = damaged
    assert lat_90 is None and building_130 is None and patrol_170 is None
    assert lat_130 is not None  # the rest of a damaged row stays


def duckdb_rows(path: Path, sql: str) -> list[tuple]:
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_the_arrow_reader_cannot_write(backend_url) -> None:
    source = arrow_read.connect(backend_url)
    assert source is not None
    try:
        with pytest.raises(Exception, match="(?i)read.only|readonly|query_only|attempt to write"):
            source.execute("UPDATE meta SET value = 'x' WHERE key = 'data_as_of'")
    finally:
        source.close()


def test_a_table_the_arrow_reader_fails_on_is_read_as_rows(tiny_sqlite_url, tmp_path, monkeypatch) -> None:
    real_streams = arrow_read.streams
    failed: list[str] = []

    def fails_on_issues(source, table, columns):  # noqa: ANN001, ANN202
        if table.name == "issues":
            yield from real_streams(source, table, columns)  # a page in, then the driver gives up
            failed.append(table.name)
            raise OSError("[SQLite] something unexpected")
        yield from real_streams(source, table, columns)

    monkeypatch.setattr(arrow_read, "streams", fails_on_issues)
    engine = make_readonly_engine(tiny_sqlite_url)
    rows = copy_build.build_copy(engine, tmp_path / "mixed.duckdb", reader="arrow")
    monkeypatch.setattr(arrow_read, "streams", real_streams)
    assert failed == ["issues"]
    assert rows == copy_build.build_copy(engine, tmp_path / "rows.duckdb", reader="rows")
    assert _tables(tmp_path / "mixed.duckdb") == _tables(tmp_path / "rows.duckdb")


def test_a_column_empty_for_thousands_of_rows_then_filled_reads_whole(tmp_path) -> None:
    """ADBC's SQLite driver takes a column empty in its first 1,024 rows for a number and refused
    the times that follow (a real feed: issues accepted only since a date)."""
    from sqlalchemy import Column, DateTime, Float, Integer, MetaData, Table

    path = tmp_path / "late.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE late (id INTEGER PRIMARY KEY, at TIMESTAMP, x REAL, n INTEGER)")
        conn.executemany(
            "INSERT INTO late VALUES (?, ?, ?, ?)",
            [(i, None, None, None) for i in range(1, 3001)] + [(3001, "2026-01-01 08:00:00", 29.536264, 7)],
        )
    late = Table(
        "late",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("at", DateTime),
        Column("x", Float),
        Column("n", Integer),
    )
    source = arrow_read.connect(f"sqlite:///{path}")
    try:
        page = pa_concat(list(arrow_read.pages(source, late, list(late.columns))))
    finally:
        source.close()
    assert page.num_rows == 3001
    assert page.slice(3000).to_pylist() == [{"id": 3001, "at": "2026-01-01 08:00:00", "x": 29.536264, "n": 7}]


def pa_concat(pages):  # noqa: ANN001, ANN201
    import pyarrow as pa

    return pa.concat_tables(pages)


def test_the_arrow_readers_address_keeps_the_read_only_settings_and_quotes_the_password() -> None:
    from urllib.parse import parse_qs, unquote, urlsplit

    driver, uri = arrow_read.adbc_uri(
        "postgresql+psycopg://reader:p%40ss%3Aw%2Frd@db.example:6432/street?options=-csearch_path%3Dcity&sslmode=require",
        statement_timeout_s=30,
    )
    parts = urlsplit(uri)
    assert driver == "postgresql" and parts.scheme == "postgresql"
    assert unquote(parts.password) == "p@ss:w/rd" and parts.hostname == "db.example" and parts.port == 6432
    query = parse_qs(parts.query)
    assert query["sslmode"] == ["require"]
    options = query["options"][0]
    assert "-csearch_path=city" in options
    assert "default_transaction_read_only=on" in options and "statement_timeout=30000" in options

    driver, uri = arrow_read.adbc_uri("sqlite:///data/a b#c.sqlite", statement_timeout_s=30)
    assert driver == "sqlite" and uri.endswith("?mode=ro") and "a%20b%23c.sqlite" in uri
    assert arrow_read.adbc_uri("sqlite://", 30) is None


def test_the_copys_sql_is_compiled_once_per_shape_and_values() -> None:
    """The same statement built again (another visitor, another rerun) reuses its compiled SQL; other
    values or other percentiles never do."""
    from data_access import duckdb_sql
    from data_access.percentiles import quantiles_cont

    def statement(since: datetime, fractions: tuple[float, ...]):  # noqa: ANN202
        return (
            select(issues_table.c.status, quantiles_cont(issues_table.c.satisfaction, fractions))
            .where(issues_table.c.reported_at >= since, issues_table.c.category_code.in_(["garbage", "road"]))
            .group_by(issues_table.c.status)
        )

    duckdb_sql._SQL_BY_SHAPE_AND_VALUES.clear()  # noqa: SLF001
    first = duckdb_sql.compile_for_duckdb(statement(datetime(2026, 1, 1), (0.5, 0.9)))
    assert duckdb_sql.compile_for_duckdb(statement(datetime(2026, 1, 1), (0.5, 0.9))) == first
    assert len(duckdb_sql._SQL_BY_SHAPE_AND_VALUES) == 1  # noqa: SLF001
    later = duckdb_sql.compile_for_duckdb(statement(datetime(2026, 2, 1), (0.5, 0.9)))
    other = duckdb_sql.compile_for_duckdb(statement(datetime(2026, 1, 1), (0.5, 0.75)))
    assert "2026-02-01" in later and "2026-01-01" in first and "[0.5, 0.75]" in other
    assert len({first, later, other}) == 3
