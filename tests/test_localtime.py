"""The street's clock: one zone per database, daylight saving exact in Python and in every SQL engine."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import duckdb
import pytest
from sqlalchemy import DateTime, create_engine, literal, select

from data_access import localtime
from data_access.duckdb_sql import compile_for_duckdb
from data_access.sqlfuncs import local_date, local_month, local_week_start

LA = localtime.zone("America/Los_Angeles")
# Around the spring-forward and fall-back of 2025 and 2026, month ends and week ends included.
INSTANTS = [
    datetime(2025, 3, 9, 9, 59, 59), datetime(2025, 3, 9, 10, 0, 0), datetime(2025, 11, 2, 8, 59, 59),
    datetime(2025, 11, 2, 9, 0, 0), datetime(2025, 11, 1, 6, 30), datetime(2025, 11, 1, 7, 30),
    datetime(2026, 1, 1, 7, 59), datetime(2026, 1, 1, 8, 0), datetime(2026, 3, 1, 7, 59),
    datetime(2026, 3, 8, 9, 59), datetime(2026, 3, 8, 10, 1), datetime(2026, 11, 30, 7, 59),
    datetime(2026, 12, 1, 8, 1), datetime(2026, 11, 29, 7, 30), datetime(2026, 11, 30, 8, 30),
]


def _expected(instant: datetime, where: str) -> tuple[str, str, str]:
    local = instant.replace(tzinfo=UTC).astimezone(ZoneInfo(where)).replace(tzinfo=None)
    monday = local.date() - timedelta(days=local.weekday())
    return local.strftime("%Y-%m-%d"), local.strftime("%Y-%m"), monday.isoformat()


def _query(instant: datetime, where: localtime.Zone):  # noqa: ANN202
    value = literal(instant, DateTime)
    return select(local_date(value, where), local_month(value, where), local_week_start(value, where))


@pytest.mark.parametrize("name", ["America/Los_Angeles", "Asia/Shanghai", "Europe/London"])
def test_sql_local_days_months_and_weeks_match_zoneinfo(backend_url, name) -> None:
    where = localtime.zone(name)
    engine = create_engine(backend_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        for instant in INSTANTS:
            assert tuple(conn.execute(_query(instant, where)).one()) == _expected(instant, name), instant
    engine.dispose()


@pytest.mark.parametrize("name", ["America/Los_Angeles", "Asia/Shanghai"])
def test_the_analytical_copy_reads_the_same_clock(name) -> None:
    where = localtime.zone(name)
    con = duckdb.connect()
    for instant in INSTANTS:
        assert con.execute(compile_for_duckdb(_query(instant, where))).fetchone() == _expected(instant, name)


def test_shanghai_is_one_fixed_offset_and_los_angeles_follows_its_transitions() -> None:
    assert localtime.SHANGHAI.fixed_offset == 8 * 3600
    assert LA.fixed_offset is None and len(LA.segments) > 100
    assert datetime(2026, 3, 8, 10, 0) in [start for start, _ in LA.segments]  # 02:00 PST -> 03:00 PDT


def test_local_midnight_in_a_zone_with_daylight_saving() -> None:
    assert localtime.local_day_start(date(2026, 3, 8), LA) == datetime(2026, 3, 8, 8, 0)  # still PST
    assert localtime.local_day_start(date(2026, 3, 9), LA) == datetime(2026, 3, 9, 7, 0)  # PDT since 03:00
    assert localtime.local_day_start(date(2026, 11, 30), localtime.SHANGHAI) == datetime(2026, 11, 29, 16, 0)
    assert localtime.local_date(datetime(2026, 11, 29, 16, 0), localtime.SHANGHAI) == date(2026, 11, 30)
    assert LA.utc(datetime(2026, 3, 8, 2, 30)) == datetime(2026, 3, 8, 10, 0)  # a skipped time: after the gap


@pytest.mark.parametrize("name", ["", "Mars/Olympus", "../etc/passwd", "UTC'; DROP TABLE issues; --", 5])
def test_unknown_zone_names_are_refused(name) -> None:
    with pytest.raises(ValueError):
        localtime.zone(name)  # type: ignore[arg-type]


def test_a_database_states_its_zone_and_the_setting_overrides_it(sqlite_copy) -> None:
    import sqlite3

    from data_access.engine import make_readonly_engine

    with sqlite3.connect(sqlite_copy) as conn:
        conn.execute("UPDATE meta SET value = 'America/Los_Angeles' WHERE key = 'timezone'")
    engine = make_readonly_engine(f"sqlite:///{sqlite_copy}")
    assert localtime.zone_of(engine).name == "America/Los_Angeles"
    try:
        localtime.set_override("Europe/London")
        assert localtime.zone_of(engine).name == "Europe/London"
    finally:
        localtime.set_override(None)
    engine.dispose()
