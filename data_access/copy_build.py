"""Build the analytical copy: which tables and columns it holds, and how they are read into it.

The copy holds every table of the contract but the per-issue event log, and every
column but the free text and names no figure needs (NOT_COPIED_*). Pages of rows
come from the read database through ADBC straight into Arrow (arrow_read.py), or
through SQLAlchemy as tuples where no ADBC driver serves the URL, and are appended
to a DuckDB file with TRY_CAST into the contract's types: an impossible value
becomes NULL instead of failing the build.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa
from sqlalchemy import Boolean, Column, Date, DateTime, Float, Integer, Table
from sqlalchemy.engine import Engine

from data_access import arrow_read
from data_access.contract import OPTIONAL_COLUMNS, has_column, lacks_ehome
from data_access.copy_store import LAYOUT_VERSION
from data_access.engine import source_url
from data_access.schema import metadata

log = logging.getLogger(__name__)

NOT_COPIED_TABLES = frozenset({"issue_events"})
NOT_COPIED_COLUMNS = {
    "issues": frozenset({"title", "description"}),
    "residents": frozenset({"name", "phone"}),
    "parking_bookings": frozenset({"plate"}),  # a plate is never needed for a figure: it stays in the database
    "parking_unmet_requests": frozenset({"plate"}),
    "consultations": frozenset({"question"}),  # residents' own words
}
PAGE_ROWS = 100_000
BUILD_MEMORY_LIMIT = "256MB"  # the builder's: it only appends pages and compresses them


def copied_columns(table: Table, engine: Engine | None = None) -> list[Column]:
    """The columns of `table` the copy holds: all but the free text and names it never needs, and
    without an optional column the read database (`engine`) lacks."""
    skip = NOT_COPIED_COLUMNS.get(table.name, frozenset())
    columns = [c for c in table.columns if c.name not in skip]
    if engine is not None:
        absent = {c for c in OPTIONAL_COLUMNS if c.startswith(f"{table.name}.") and not has_column(engine, c)}
        absent |= {c for c in lacks_ehome(engine) if c.startswith(f"{table.name}.")}
        columns = [c for c in columns if f"{table.name}.{c.name}" not in absent]
    return columns


def copied_tables(engine: Engine | None = None) -> list[Table]:
    """The tables the copy holds: all but NOT_COPIED_TABLES, and without the 社区E家 tables a version 2
    read database (`engine`) lacks."""
    absent = set(lacks_ehome(engine)) if engine is not None else set()
    return [t for t in metadata.sorted_tables if t.name not in NOT_COPIED_TABLES and t.name not in absent]


def _duckdb_type(column: Column) -> str:
    kind = column.type
    if isinstance(kind, Boolean):
        return "BOOLEAN"
    if isinstance(kind, Integer):
        return "BIGINT"
    if isinstance(kind, Float):
        return "DOUBLE"
    if isinstance(kind, DateTime):
        return "TIMESTAMP"
    if isinstance(kind, Date):
        return "DATE"
    return "VARCHAR"


def _arrow_column(values: tuple) -> pa.Array:
    """Arrow infers the type; a column of mixed types (SQLite allows it) travels as text and is cast in DuckDB."""
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        return pa.array([None if v is None else str(v) for v in values], type=pa.string())


def _pages(engine: Engine, table: Table, columns: list[Column]) -> Iterator[list[tuple]]:
    """The table's rows in pages: keyset-paged on an integer primary key (short statements that a
    replica's statement timeout never cuts), otherwise in one statement (the small tables).
    Table and column names in the SQL come from the contract (schema.py), never from input.
    Driver SQL, not Core: raw values (SQLite's timestamp text) are cast once, by DuckDB."""
    names = ", ".join(f'"{c.name}"' for c in columns)
    keys = list(table.primary_key.columns)
    with engine.connect() as conn:
        if len(keys) == 1 and isinstance(keys[0].type, Integer):
            key = keys[0].name
            position = columns.index(keys[0])
            last = None
            while True:
                where = "" if last is None else f' WHERE "{key}" > {int(last)}'
                rows = conn.exec_driver_sql(
                    f'SELECT {names} FROM "{table.name}"{where} ORDER BY "{key}" LIMIT {PAGE_ROWS}'  # noqa: S608
                ).fetchall()
                if not rows:
                    return
                yield rows
                last = rows[-1][position]
        else:
            result = conn.exec_driver_sql(f'SELECT {names} FROM "{table.name}"')  # noqa: S608
            while rows := result.fetchmany(PAGE_ROWS):
                yield rows


def build_copy(engine: Engine, path: Path, threads: int = 2, reader: str = "auto") -> dict[str, int]:
    """Write the covered tables and columns of the read database into a new DuckDB file (compressed:
    about 60 MB for a city's million issues). Returns the rows copied per table.

    `reader`: "arrow" reads through ADBC straight into Arrow (data_access/arrow_read.py), "rows"
    through SQLAlchemy as tuples; "auto" takes Arrow when its driver is installed."""
    arrow_conn = None
    if reader in ("auto", "arrow"):
        url = source_url(engine)
        arrow_conn = arrow_read.connect(url) if url else None
        if arrow_conn is None and reader == "arrow":
            raise RuntimeError("no ADBC driver for this database")
    con = duckdb.connect(
        str(path), config={"threads": threads, "preserve_insertion_order": False, "memory_limit": BUILD_MEMORY_LIMIT}
    )
    rows: dict[str, int] = {}
    try:
        for table in copied_tables(engine):
            columns = copied_columns(table, engine)
            typed = ", ".join(f'"{c.name}" {_duckdb_type(c)}' for c in columns)
            con.execute(f'CREATE TABLE "{table.name}" ({typed})')
            casts = ", ".join(f'TRY_CAST("{c.name}" AS {_duckdb_type(c)})' for c in columns)
            insert = f'INSERT INTO "{table.name}" SELECT {casts} FROM page_rows'  # noqa: S608
            try:
                rows[table.name] = _append(con, insert, _arrow_pages(arrow_conn, engine, table, columns))
            except Exception:  # noqa: BLE001 - a driver's surprise costs speed, never the copy
                if arrow_conn is None:
                    raise
                log.warning("%s: the Arrow reader failed, reading it as rows", table.name, exc_info=True)
                con.execute(f'DELETE FROM "{table.name}"')  # noqa: S608
                rows[table.name] = _append(con, insert, _arrow_pages(None, engine, table, columns))
        con.execute("CHECKPOINT")
    finally:
        con.close()
        if arrow_conn is not None:
            arrow_conn.close()
    return rows


def _arrow_pages(
    arrow_conn: arrow_read.ArrowConnection | None, engine: Engine, table: Table, columns: list[Column]
) -> Iterator[pa.Table]:
    """The table's pages as Arrow: from ADBC when connected, else built from SQLAlchemy's tuples."""
    if arrow_conn is not None:
        yield from arrow_read.pages(arrow_conn, table, columns)
        return
    for page in _pages(engine, table, columns):
        yield pa.Table.from_arrays(
            [_arrow_column(values) for values in zip(*page, strict=True)], names=[c.name for c in columns]
        )


def _append(con: duckdb.DuckDBPyConnection, insert: str, pages: Iterator[pa.Table]) -> int:
    count = 0
    for page in pages:
        con.register("page_rows", page)
        con.execute(insert)
        con.unregister("page_rows")
        count += page.num_rows
    return count


def layout(engine: Engine) -> tuple[str, ...]:
    """What a copy of this read database holds, as "table.column", with the layout's version."""
    return (f"layout.{LAYOUT_VERSION}",) + tuple(
        f"{table.name}.{column.name}" for table in copied_tables(engine) for column in copied_columns(table, engine)
    )
