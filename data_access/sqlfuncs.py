"""Portable SQL expressions compiled per dialect (SQLite, PostgreSQL, and DuckDB for the analytical copy).

Timestamps are naive UTC. "Local" is the clock of a Zone (data_access/localtime.py) given to each
expression: PostgreSQL converts with AT TIME ZONE; SQLite and DuckDB shift each timestamp by the
offset in force at that instant (one constant for Asia/Shanghai, a short CASE tree for a zone with
daylight saving).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, Integer, String, literal_column
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

from data_access.localtime import Zone, zone


class hours_between(FunctionElement):  # noqa: N801 - reads like SQL
    """(end - start) in hours, as a float."""

    type = Float()
    inherit_cache = True
    name = "hours_between"


@compiles(hours_between, "sqlite")
def _hours_sqlite(element: hours_between, compiler: Any, **kw: Any) -> str:
    start, end = list(element.clauses)
    # julianday() is a float of days; rounding to the millisecond removes its noise so that
    # a 30-minute interval compares equal to 30 minutes, as it does in PostgreSQL.
    days = f"(julianday({compiler.process(end, **kw)}) - julianday({compiler.process(start, **kw)}))"
    return f"(ROUND({days} * 86400000.0) / 3600000.0)"


@compiles(hours_between, "postgresql")
def _hours_pg(element: hours_between, compiler: Any, **kw: Any) -> str:
    start, end = list(element.clauses)
    return f"(EXTRACT(EPOCH FROM ({compiler.process(end, **kw)} - {compiler.process(start, **kw)})) / 3600.0)"


def _zone_argument(where: Zone) -> Any:
    # The zone's name becomes literal SQL text, so it is part of the statement's cache key (two zones
    # never share a compiled statement); zone() only accepts IANA-shaped names, so it is safe text.
    return literal_column(f"'{zone(where.name).name}'")


def _zone_of(element: FunctionElement) -> tuple[Any, Zone]:
    ts, name = list(element.clauses)
    return ts, zone(name.name.strip("'"))


def _by_instant(ts: str, where: Zone, value: Any) -> str:
    """SQL choosing value(offset seconds) by the segment `ts` falls in: a balanced CASE tree, so a
    zone with daylight saving costs a handful of comparisons per row, not one per transition."""

    def tree(segments: tuple[tuple[datetime, int], ...]) -> str:
        if len(segments) == 1:
            return value(segments[0][1])
        middle = len(segments) // 2
        boundary = segments[middle][0].strftime("%Y-%m-%d %H:%M:%S")
        return f"(CASE WHEN {ts} < '{boundary}' THEN {tree(segments[:middle])} ELSE {tree(segments[middle:])} END)"

    return tree(where.segments)


class _local_month(FunctionElement):  # noqa: N801
    type = String()
    inherit_cache = True
    name = "local_month"


def local_month(ts: Any, where: Zone) -> _local_month:
    """'YYYY-MM' of a UTC timestamp, on the local clock of `where`."""
    return _local_month(ts, _zone_argument(where))


class _local_date(FunctionElement):  # noqa: N801
    type = String()
    inherit_cache = True
    name = "local_date"


def local_date(ts: Any, where: Zone) -> _local_date:
    """'YYYY-MM-DD' of a UTC timestamp, on the local clock of `where`."""
    return _local_date(ts, _zone_argument(where))


def _sqlite_modifier(ts: str, where: Zone) -> str:
    return _by_instant(ts, where, lambda seconds: f"'{seconds:+d} seconds'")


def _pg_local(ts: str, where: Zone) -> str:
    return f"(({ts}) AT TIME ZONE 'UTC' AT TIME ZONE '{where.name}')"


@compiles(_local_month, "sqlite")
def _month_sqlite(element: _local_month, compiler: Any, **kw: Any) -> str:
    ts, where = _zone_of(element)
    sql = compiler.process(ts, **kw)
    return f"strftime('%Y-%m', {sql}, {_sqlite_modifier(sql, where)})"


@compiles(_local_month, "postgresql")
def _month_pg(element: _local_month, compiler: Any, **kw: Any) -> str:
    ts, where = _zone_of(element)
    return f"to_char({_pg_local(compiler.process(ts, **kw), where)}, 'YYYY-MM')"


@compiles(_local_date, "sqlite")
def _date_sqlite(element: _local_date, compiler: Any, **kw: Any) -> str:
    ts, where = _zone_of(element)
    sql = compiler.process(ts, **kw)
    return f"strftime('%Y-%m-%d', {sql}, {_sqlite_modifier(sql, where)})"


@compiles(_local_date, "postgresql")
def _date_pg(element: _local_date, compiler: Any, **kw: Any) -> str:
    ts, where = _zone_of(element)
    return f"to_char({_pg_local(compiler.process(ts, **kw), where)}, 'YYYY-MM-DD')"


class floor_(FunctionElement):  # noqa: N801
    """Largest integer <= x (SQLite's CAST truncates toward zero; PostgreSQL's rounds)."""

    inherit_cache = True
    name = "floor_"


@compiles(floor_, "sqlite")
def _floor_sqlite(element: floor_, compiler: Any, **kw: Any) -> str:
    (x,) = list(element.clauses)
    v = compiler.process(x, **kw)
    return f"(CAST({v} AS INTEGER) - (({v}) < CAST({v} AS INTEGER)))"


@compiles(floor_, "postgresql")
def _floor_pg(element: floor_, compiler: Any, **kw: Any) -> str:
    (x,) = list(element.clauses)
    return f"CAST(floor({compiler.process(x, **kw)}) AS BIGINT)"


class _local_week_start(FunctionElement):  # noqa: N801
    type = String()
    inherit_cache = True
    name = "local_week_start"


def local_week_start(ts: Any, where: Zone) -> _local_week_start:
    """'YYYY-MM-DD' of the local ISO week's Monday for a UTC timestamp."""
    return _local_week_start(ts, _zone_argument(where))


@compiles(_local_week_start, "sqlite")
def _week_sqlite(element: _local_week_start, compiler: Any, **kw: Any) -> str:
    ts, where = _zone_of(element)
    sql = compiler.process(ts, **kw)
    # 'weekday 0' moves forward to Sunday (or stays), so -6 days is that week's Monday.
    return f"date({sql}, {_sqlite_modifier(sql, where)}, 'weekday 0', '-6 days')"


@compiles(_local_week_start, "postgresql")
def _week_pg(element: _local_week_start, compiler: Any, **kw: Any) -> str:
    ts, where = _zone_of(element)
    return f"to_char(date_trunc('week', {_pg_local(compiler.process(ts, **kw), where)}), 'YYYY-MM-DD')"


# DuckDB runs the same queries on the analytical copy (data_access/analytical.py).
# Its timestamps subtract to intervals and it formats with strftime.


@compiles(hours_between, "duckdb")
def _hours_duckdb(element: hours_between, compiler: Any, **kw: Any) -> str:
    start, end = list(element.clauses)
    return f"((epoch_ms({compiler.process(end, **kw)}) - epoch_ms({compiler.process(start, **kw)})) / 3600000.0)"


def _duckdb_local(ts: str, where: Zone) -> str:
    return f"({ts} + to_seconds({_by_instant(ts, where, str)}))"


@compiles(_local_month, "duckdb")
def _month_duckdb(element: _local_month, compiler: Any, **kw: Any) -> str:
    ts, where = _zone_of(element)
    return f"strftime({_duckdb_local(compiler.process(ts, **kw), where)}, '%Y-%m')"


@compiles(_local_date, "duckdb")
def _date_duckdb(element: _local_date, compiler: Any, **kw: Any) -> str:
    ts, where = _zone_of(element)
    return f"strftime({_duckdb_local(compiler.process(ts, **kw), where)}, '%Y-%m-%d')"


@compiles(floor_, "duckdb")
def _floor_duckdb(element: floor_, compiler: Any, **kw: Any) -> str:
    (x,) = list(element.clauses)
    return f"CAST(floor({compiler.process(x, **kw)}) AS BIGINT)"


@compiles(_local_week_start, "duckdb")
def _week_duckdb(element: _local_week_start, compiler: Any, **kw: Any) -> str:
    ts, where = _zone_of(element)
    return f"strftime(date_trunc('week', {_duckdb_local(compiler.process(ts, **kw), where)}), '%Y-%m-%d')"


# Hour of day and day of week on the local clock; the minutes past the hour. Parking and gate traffic
# are grouped by these (a zone whose offset is whole hours, as China's is, keeps the minutes).


class _local_hour(FunctionElement):  # noqa: N801
    type = Integer()
    inherit_cache = True
    name = "local_hour"


def local_hour(ts: Any, where: Zone) -> _local_hour:
    """The local hour of day (0-23) of a UTC timestamp."""
    return _local_hour(ts, _zone_argument(where))


class _local_weekday(FunctionElement):  # noqa: N801
    type = Integer()
    inherit_cache = True
    name = "local_weekday"


def local_weekday(ts: Any, where: Zone) -> _local_weekday:
    """The local day of the week of a UTC timestamp, 0 = Monday .. 6 = Sunday."""
    return _local_weekday(ts, _zone_argument(where))


class hour_fraction(FunctionElement):  # noqa: N801
    """How far into its (UTC) hour a timestamp lies, in hours: 08:45 -> 0.75."""

    type = Float()
    inherit_cache = True
    name = "hour_fraction"


@compiles(_local_hour, "sqlite")
def _hour_sqlite(element: _local_hour, compiler: Any, **kw: Any) -> str:
    ts, where = _zone_of(element)
    sql = compiler.process(ts, **kw)
    return f"CAST(strftime('%H', {sql}, {_sqlite_modifier(sql, where)}) AS INTEGER)"


@compiles(_local_hour, "postgresql")
def _hour_pg(element: _local_hour, compiler: Any, **kw: Any) -> str:
    ts, where = _zone_of(element)
    return f"CAST(EXTRACT(HOUR FROM {_pg_local(compiler.process(ts, **kw), where)}) AS INTEGER)"


@compiles(_local_hour, "duckdb")
def _hour_duckdb(element: _local_hour, compiler: Any, **kw: Any) -> str:
    ts, where = _zone_of(element)
    return f"CAST(hour({_duckdb_local(compiler.process(ts, **kw), where)}) AS INTEGER)"


@compiles(_local_weekday, "sqlite")
def _weekday_sqlite(element: _local_weekday, compiler: Any, **kw: Any) -> str:
    ts, where = _zone_of(element)
    sql = compiler.process(ts, **kw)
    return f"((CAST(strftime('%w', {sql}, {_sqlite_modifier(sql, where)}) AS INTEGER) + 6) % 7)"


@compiles(_local_weekday, "postgresql")
def _weekday_pg(element: _local_weekday, compiler: Any, **kw: Any) -> str:
    ts, where = _zone_of(element)
    return f"(CAST(EXTRACT(ISODOW FROM {_pg_local(compiler.process(ts, **kw), where)}) AS INTEGER) - 1)"


@compiles(_local_weekday, "duckdb")
def _weekday_duckdb(element: _local_weekday, compiler: Any, **kw: Any) -> str:
    ts, where = _zone_of(element)
    return f"(CAST(isodow({_duckdb_local(compiler.process(ts, **kw), where)}) AS INTEGER) - 1)"


@compiles(hour_fraction, "sqlite")
def _fraction_sqlite(element: hour_fraction, compiler: Any, **kw: Any) -> str:
    (ts,) = list(element.clauses)
    sql = compiler.process(ts, **kw)
    return f"(CAST(strftime('%M', {sql}) AS REAL) / 60.0 + CAST(strftime('%S', {sql}) AS REAL) / 3600.0)"


@compiles(hour_fraction, "postgresql")
def _fraction_pg(element: hour_fraction, compiler: Any, **kw: Any) -> str:
    (ts,) = list(element.clauses)
    sql = compiler.process(ts, **kw)
    return f"(EXTRACT(EPOCH FROM ({sql} - date_trunc('hour', {sql}))) / 3600.0)"


@compiles(hour_fraction, "duckdb")
def _fraction_duckdb(element: hour_fraction, compiler: Any, **kw: Any) -> str:
    (ts,) = list(element.clauses)
    sql = compiler.process(ts, **kw)
    return f"((epoch_ms({sql}) - epoch_ms(date_trunc('hour', {sql}))) / 3600000.0)"
