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
import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa
from sqlalchemy import Boolean, Column, Date, DateTime, Float, Integer, Table, func, literal, select
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
BUILD_MEMORY_LIMIT = "64MB"  # the builder's DuckDB: it appends batches and compresses them (spills past it)


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
            insert = _insert(table, columns)
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
) -> Iterator[pa.Table | pa.RecordBatchReader]:
    """The table's pages as Arrow: streamed from ADBC when connected (DuckDB reads each batch as it
    comes, so no page is whole in memory), else built from SQLAlchemy's tuples."""
    if arrow_conn is not None:
        yield from arrow_read.streams(arrow_conn, table, columns)
        return
    for page in _pages(engine, table, columns):
        yield pa.Table.from_arrays(
            [_arrow_column(values) for values in zip(*page, strict=True)], names=[c.name for c in columns]
        )


def _append(con: duckdb.DuckDBPyConnection, insert: str, pages: Iterator[pa.Table | pa.RecordBatchReader]) -> int:
    count = 0
    for page in pages:
        con.register("page_rows", page)
        count += con.execute(insert).fetchall()[0][0]
        con.unregister("page_rows")
    return count


def layout(engine: Engine) -> tuple[str, ...]:
    """What a copy of this read database holds, as "table.column", with the layout's version."""
    return (f"layout.{LAYOUT_VERSION}",) + tuple(
        f"{table.name}.{column.name}" for table in copied_tables(engine) for column in copied_columns(table, engine)
    )


# --- refresh in place ----------------------------------------------------------------------------

SMALL_TABLE_ROWS = 50_000  # tables this small are reloaded whole on every refresh (milliseconds)


def table_marks(engine: Engine) -> dict[str, list]:
    """Per copied table: [rows, highest integer key or None]. A refresh reloads a large table
    other than issues when its mark moved (rows added or deleted)."""
    marks: dict[str, list] = {}
    with engine.connect() as conn:
        for table in copied_tables(engine):
            keys = list(table.primary_key.columns)
            top = func.max(keys[0]) if len(keys) == 1 and isinstance(keys[0].type, Integer) else literal(None)
            count, highest = conn.execute(select(func.count(), top).select_from(table)).one()
            marks[table.name] = [int(count or 0), None if highest is None else int(highest)]
    return marks


def can_refresh(old_watermark: tuple) -> bool:
    """A copy can take only what changed when its issues carried a last-change time: without one a
    change in place cannot be found, and the copy is built afresh."""
    return len(old_watermark) == 4 and bool(old_watermark[3]) and _as_timestamp(old_watermark[3]) is not None


def refresh_copy(
    engine: Engine, old: Path, new: Path, old_watermark: tuple, old_marks: dict[str, list], threads: int = 2
) -> tuple[dict[str, int], dict[str, list]]:
    """Write `new` as `old` brought up to the read database: the issues changed or added since
    `old_watermark` replace their old rows, issues deleted at the source leave, the small tables
    are reloaded, and a large table whose mark moved is reloaded. Returns rows per table and the
    new marks. Needs an ADBC driver (the rows reader builds afresh instead)."""
    url = source_url(engine)
    source = arrow_read.connect(url) if url else None
    if source is None:
        raise RuntimeError("refreshing in place needs an ADBC driver")
    marks = table_marks(engine)  # before reading: a write meanwhile moves them again for next time
    rows: dict[str, int] = {}
    try:
        shutil.copyfile(old, new)
        con = duckdb.connect(
            str(new), config={"threads": threads, "preserve_insertion_order": False, "memory_limit": BUILD_MEMORY_LIMIT}
        )
        try:
            for table in copied_tables(engine):
                columns = copied_columns(table, engine)
                if table.name == "issues":
                    _merge_issues(con, source, table, columns, old_watermark, marks["issues"][0])
                elif _reload(marks[table.name], old_marks.get(table.name)):
                    con.execute(f'DELETE FROM "{table.name}"')  # noqa: S608
                    _append(con, _insert(table, columns), arrow_read.streams(source, table, columns))
                rows[table.name] = con.execute(f'SELECT count(*) FROM "{table.name}"').fetchall()[0][0]  # noqa: S608
            con.execute("CHECKPOINT")
        finally:
            con.close()
    except BaseException:
        new.unlink(missing_ok=True)
        new.with_name(new.name + ".wal").unlink(missing_ok=True)
        raise
    finally:
        source.close()
    return rows, marks


def _reload(mark: list, old_mark: list | None) -> bool:
    """Reload a table other than issues: a small one always; one without an integer key always (its
    mark cannot tell); a large one when rows came or went."""
    rows, highest = mark
    return rows < SMALL_TABLE_ROWS or highest is None or mark != old_mark


def _merge_issues(
    con: duckdb.DuckDBPyConnection,
    source: arrow_read.ArrowConnection,
    table: Table,
    columns: list[Column],
    old_watermark: tuple,
    source_rows: int,
) -> None:
    """Replace the issues changed since the old watermark (a later updated_at, or a higher id: a
    feed that leaves updated_at empty on new rows), then drop the ones the source no longer has."""
    changed_since = _as_timestamp(old_watermark[3])
    top = int(old_watermark[2])
    where = f'"updated_at" > \'{changed_since}\' OR "issue_id" > {top}'
    for page in arrow_read.pages(source, table, columns, where=where):
        con.register("page_rows", page)
        con.execute('DELETE FROM issues WHERE issue_id IN (SELECT TRY_CAST("issue_id" AS BIGINT) FROM page_rows)')
        con.execute(_insert(table, columns))
        con.unregister("page_rows")
    if con.execute("SELECT count(*) FROM issues").fetchall()[0][0] != source_rows:
        keys = table.primary_key.columns.values()
        kept = pa.concat_tables(list(arrow_read.pages(source, table, keys)))
        con.register("kept_ids", kept)
        con.execute("DELETE FROM issues WHERE issue_id NOT IN (SELECT TRY_CAST(issue_id AS BIGINT) FROM kept_ids)")
        con.unregister("kept_ids")


def _insert(table: Table, columns: list[Column]) -> str:
    casts = ", ".join(f'TRY_CAST("{c.name}" AS {_duckdb_type(c)})' for c in columns)
    return f'INSERT INTO "{table.name}" SELECT {casts} FROM page_rows'  # noqa: S608


def _as_timestamp(value: object) -> str | None:
    """A watermark's time as SQL literal text, or None: parsed and written back, so only a time
    can reach the SQL."""
    try:
        return datetime.fromisoformat(str(value)).isoformat(sep=" ")
    except ValueError:
        return None
