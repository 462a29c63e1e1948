"""Portable SQL expressions compiled per dialect (SQLite, PostgreSQL, and DuckDB for the analytical copy).

Timestamps are naive UTC; "local" means Asia/Shanghai, which has had no
daylight saving since 1991, so a fixed +8 hours shift is exact.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

from data_access.localtime import LOCAL_UTC_OFFSET_HOURS


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


class local_month(FunctionElement):  # noqa: N801
    """'YYYY-MM' of a UTC timestamp, in local time."""

    type = String()
    inherit_cache = True
    name = "local_month"


@compiles(local_month, "sqlite")
def _month_sqlite(element: local_month, compiler: Any, **kw: Any) -> str:
    (ts,) = list(element.clauses)
    return f"strftime('%Y-%m', {compiler.process(ts, **kw)}, '+{LOCAL_UTC_OFFSET_HOURS} hours')"


@compiles(local_month, "postgresql")
def _month_pg(element: local_month, compiler: Any, **kw: Any) -> str:
    (ts,) = list(element.clauses)
    return f"to_char({compiler.process(ts, **kw)} + interval '{LOCAL_UTC_OFFSET_HOURS} hours', 'YYYY-MM')"


class local_date(FunctionElement):  # noqa: N801
    """'YYYY-MM-DD' of a UTC timestamp, in local time."""

    type = String()
    inherit_cache = True
    name = "local_date"


@compiles(local_date, "sqlite")
def _date_sqlite(element: local_date, compiler: Any, **kw: Any) -> str:
    (ts,) = list(element.clauses)
    return f"strftime('%Y-%m-%d', {compiler.process(ts, **kw)}, '+{LOCAL_UTC_OFFSET_HOURS} hours')"


@compiles(local_date, "postgresql")
def _date_pg(element: local_date, compiler: Any, **kw: Any) -> str:
    (ts,) = list(element.clauses)
    return f"to_char({compiler.process(ts, **kw)} + interval '{LOCAL_UTC_OFFSET_HOURS} hours', 'YYYY-MM-DD')"


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


class local_week_start(FunctionElement):  # noqa: N801
    """'YYYY-MM-DD' of the local ISO week's Monday for a UTC timestamp."""

    type = String()
    inherit_cache = True
    name = "local_week_start"


@compiles(local_week_start, "sqlite")
def _week_sqlite(element: local_week_start, compiler: Any, **kw: Any) -> str:
    (ts,) = list(element.clauses)
    # 'weekday 0' moves forward to Sunday (or stays), so -6 days is that week's Monday.
    return f"date({compiler.process(ts, **kw)}, '+{LOCAL_UTC_OFFSET_HOURS} hours', 'weekday 0', '-6 days')"


@compiles(local_week_start, "postgresql")
def _week_pg(element: local_week_start, compiler: Any, **kw: Any) -> str:
    (ts,) = list(element.clauses)
    shifted = f"{compiler.process(ts, **kw)} + interval '{LOCAL_UTC_OFFSET_HOURS} hours'"
    return f"to_char(date_trunc('week', {shifted}), 'YYYY-MM-DD')"


# DuckDB runs the same queries on the analytical copy (data_access/analytical.py).
# Its timestamps subtract to intervals and it formats with strftime.


@compiles(hours_between, "duckdb")
def _hours_duckdb(element: hours_between, compiler: Any, **kw: Any) -> str:
    start, end = list(element.clauses)
    return f"((epoch_ms({compiler.process(end, **kw)}) - epoch_ms({compiler.process(start, **kw)})) / 3600000.0)"


def _duckdb_local(ts: str) -> str:
    return f"({ts} + INTERVAL {LOCAL_UTC_OFFSET_HOURS} HOUR)"


@compiles(local_month, "duckdb")
def _month_duckdb(element: local_month, compiler: Any, **kw: Any) -> str:
    (ts,) = list(element.clauses)
    return f"strftime({_duckdb_local(compiler.process(ts, **kw))}, '%Y-%m')"


@compiles(local_date, "duckdb")
def _date_duckdb(element: local_date, compiler: Any, **kw: Any) -> str:
    (ts,) = list(element.clauses)
    return f"strftime({_duckdb_local(compiler.process(ts, **kw))}, '%Y-%m-%d')"


@compiles(floor_, "duckdb")
def _floor_duckdb(element: floor_, compiler: Any, **kw: Any) -> str:
    (x,) = list(element.clauses)
    return f"CAST(floor({compiler.process(x, **kw)}) AS BIGINT)"


@compiles(local_week_start, "duckdb")
def _week_duckdb(element: local_week_start, compiler: Any, **kw: Any) -> str:
    (ts,) = list(element.clauses)
    return f"strftime(date_trunc('week', {_duckdb_local(compiler.process(ts, **kw))}), '%Y-%m-%d')"
