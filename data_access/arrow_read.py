"""Read tables straight into Arrow, for the analytical copy's build.

The build used to fetch rows as Python tuples through SQLAlchemy and turn them
into Arrow column by column: most of its time and memory went there. ADBC
drivers (adbc-driver-sqlite, adbc-driver-postgresql) hand the driver's rows to
Arrow in C, in record batches, so a million issues travel without a Python
object per value.

- Read-only like every other connection: SQLite opens with ``mode=ro``;
  PostgreSQL sessions default to read-only transactions, with a statement
  timeout.
- Keyset-paged on an integer primary key, as before: short statements that a
  replica's statement timeout never cuts, and at most one page in memory.
- SQLite lets a column hold text in an integer column (a feed's damaged row),
  and ADBC's SQLite driver guesses a column's type from the first rows it
  reads. So a column holding a value of the wrong type anywhere is read as
  text (one scan finds them), a typed first row that is then dropped fixes
  every column's type, and the copy's TRY_CAST makes a bad value NULL, exactly
  as the tuple path does.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Boolean, Column, Float, Integer, Table
from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

PAGE_ROWS = 100_000


def adbc_uri(url: str, statement_timeout_s: float) -> tuple[str, str] | None:
    """(driver, URI) for an ADBC connection to the read database, or None when no driver serves it.
    The URI carries the read-only settings; it holds the password, so it is never logged."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            return None
        database = parsed.database.removeprefix("file:").split("?", 1)[0]
        path = Path(database).resolve()
        return "sqlite", f"file:{quote(str(path))}?mode=ro"
    if backend == "postgresql":
        options = parsed.query.get("options", "")
        if isinstance(options, tuple):
            options = " ".join(options)
        ours = f"-c default_transaction_read_only=on -c statement_timeout={int(statement_timeout_s * 1000)}"
        base = parsed.set(drivername="postgresql").difference_update_query(["options"])
        uri = base.render_as_string(hide_password=False)
        joiner = "&" if "?" in uri else "?"
        return "postgresql", f"{uri}{joiner}options={quote(f'{options} {ours}'.strip())}&connect_timeout=5"
    return None


def connect(url: str, statement_timeout_s: float = 600.0) -> ArrowConnection | None:
    """An ADBC connection to the read database, or None (no driver installed, or none for this
    kind of URL): the caller then reads through SQLAlchemy.

    ADBC's low-level API, not its DB-API module: that one imports pandas and pyarrow's dataset
    and parquet modules, 40 MiB of the builder's memory for nothing it uses."""
    target = adbc_uri(url, statement_timeout_s)
    if target is None:
        return None
    driver, uri = target
    try:
        import adbc_driver_manager

        if driver == "sqlite":
            import adbc_driver_sqlite as adbc_driver
        else:
            import adbc_driver_postgresql as adbc_driver
    except ImportError:
        return None
    database = adbc_driver.connect(uri)
    try:
        source = ArrowConnection(database, adbc_driver_manager.AdbcConnection(database), driver)
    except BaseException:
        database.close()
        raise
    if driver == "sqlite":
        source.execute("PRAGMA query_only = 1")  # a second guard, as the row-store engine has
    return source


@dataclass
class ArrowConnection:
    """An ADBC connection and which driver it is (SQLite's values carry their own types)."""

    database: Any
    connection: Any
    driver: str

    @contextmanager
    def query(self, sql: str) -> Iterator[pa.RecordBatchReader]:
        """The rows of `sql` as a stream of record batches, valid inside the `with`."""
        from adbc_driver_manager import AdbcStatement

        statement = AdbcStatement(self.connection)
        try:
            statement.set_sql_query(sql)
            handle, _ = statement.execute_query()
            yield pa.RecordBatchReader.from_stream(handle)
        finally:
            statement.close()

    def execute(self, sql: str) -> None:
        """Run a statement that returns no rows."""
        from adbc_driver_manager import AdbcStatement

        statement = AdbcStatement(self.connection)
        try:
            statement.set_sql_query(sql)
            statement.execute_update()
        finally:
            statement.close()

    def close(self) -> None:
        self.connection.close()
        self.database.close()


def pages(source: ArrowConnection, table: Table, columns: list[Column], where: str = "") -> Iterator[pa.Table]:
    """The table's columns in Arrow pages, each a whole table in memory (see `streams`)."""
    for stream in streams(source, table, columns, where):
        page = stream.read_all()
        if page.num_rows:
            yield page


def streams(
    source: ArrowConnection, table: Table, columns: list[Column], where: str = ""
) -> Iterator[pa.RecordBatchReader]:
    """The table's columns in pages, each a stream of record batches named as the columns: the
    caller consumes one before asking for the next (the build hands each to DuckDB, so no page is
    ever whole in memory). Keyset-paged on an integer primary key, else (the small tables) one
    page; only the rows `where` holds, if given (SQL written by the caller from the contract and
    typed values, never from input). Table and column names in the SQL come from the contract
    (schema.py)."""
    keys = list(table.primary_key.columns)
    key = keys[0] if len(keys) == 1 and isinstance(keys[0].type, Integer) and keys[0] in columns else None
    sqlite = source.driver == "sqlite"
    as_text = _foreign_typed(source, table, columns, where) if sqlite else set()
    last = None
    while True:
        conditions = [f"({where})"] if where else []
        if key is not None and last is not None:
            conditions.append(f'"{key.name}" > {int(last)}')
        filtered = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        order = "" if key is None else f' ORDER BY "{key.name}" LIMIT {PAGE_ROWS}'
        sql = f'SELECT {_select_list(columns, as_text)} FROM "{table.name}"{filtered}{order}'  # noqa: S608
        if sqlite:
            sql = _typed_first(sql, columns, as_text)
        seen = _Seen(key.name if key is not None else None)
        with source.query(sql) as reader:
            yield _named(reader, columns, seen, flagged=sqlite)
        if key is None or seen.rows < PAGE_ROWS:
            return
        last = seen.top


@dataclass
class _Seen:
    """What went through a page's stream: its rows and its highest key (where the next page starts)."""

    key: str | None
    rows: int = 0
    top: Any = None

    def add(self, batch: pa.RecordBatch) -> None:
        self.rows += batch.num_rows
        if self.key is not None and batch.num_rows:
            highest = pc.max(batch.column(self.key)).as_py()
            self.top = highest if self.top is None or highest > self.top else self.top


def _named(
    reader: pa.RecordBatchReader, columns: list[Column], seen: _Seen, flagged: bool
) -> pa.RecordBatchReader:
    """The driver's batches with the columns' names, the typed first row dropped, counted in `seen`."""
    names = [c.name for c in columns]
    fields = [field for field in reader.schema if field.name != _FLAG] if flagged else list(reader.schema)
    schema = pa.schema([field.with_name(name) for field, name in zip(fields, names, strict=True)])

    def batches() -> Iterator[pa.RecordBatch]:
        for batch in reader:
            if flagged:
                batch = batch.filter(pc.equal(batch.column(_FLAG), 1)).drop_columns([_FLAG])
            batch = batch.rename_columns(names)
            seen.add(batch)
            yield batch

    return pa.RecordBatchReader.from_batches(schema, batches())


def _typed_first(sql: str, columns: list[Column], as_text: set[str]) -> str:
    """ADBC's SQLite driver decides each column's type from the first rows it reads, and a column
    empty there becomes a number that refuses the text that follows ("type mismatch"). A first row
    of typed values, flagged and dropped (`_named`), tells it every column's type."""
    typed = ", ".join(f'{_typed_value(c, as_text)} AS "{c.name}"' for c in columns)
    names = ", ".join(f'"{c.name}"' for c in columns)
    return f"SELECT 0 AS {_FLAG}, {typed} UNION ALL SELECT 1, {names} FROM ({sql})"  # noqa: S608


_FLAG = "syl_row"


def _typed_value(column: Column, as_text: set[str]) -> str:
    kind = "text" if column.name in as_text else _sqlite_type(column)
    return {"integer": "0", "real": "0.5", "text": "''"}[kind]


def _foreign_typed(source: ArrowConnection, table: Table, columns: list[Column], where: str = "") -> set[str]:
    """SQLite columns holding a value of another type than the contract's anywhere (one scan).

    They are read as text from the first page: ADBC's SQLite driver decides a column's type from
    the rows of a page, and where a page mixes text and reals it writes the reals as text with 7
    digits, which would blur every good coordinate beside a damaged one."""
    checks = ", ".join(f"""max(typeof("{c.name}") NOT IN ('{_sqlite_type(c)}', 'null'))""" for c in columns)
    filtered = f" WHERE {where}" if where else ""
    with source.query(f'SELECT {checks} FROM "{table.name}"{filtered}') as reader:  # noqa: S608
        found = reader.read_all()
    flags = [found.column(i)[0].as_py() for i in range(found.num_columns)] if found.num_rows else []
    return {c.name for c, flag in zip(columns, flags, strict=False) if flag}


def _sqlite_type(column: Column) -> str:
    if isinstance(column.type, Integer | Boolean):
        return "integer"
    if isinstance(column.type, Float):
        return "real"
    return "text"


def _select_list(columns: list[Column], as_text: set[str]) -> str:
    return ", ".join(_as_text(c) if c.name in as_text else f'"{c.name}"' for c in columns)


def _as_text(column: Column) -> str:
    """SQLite's own CAST of a real to text keeps 15 digits; printf's %.17g keeps all of them, so a
    good coordinate in a damaged column comes back exactly."""
    name = column.name
    if isinstance(column.type, Float):
        real = f"printf('%.17g', \"{name}\")"
        return f'CASE WHEN typeof("{name}") = \'real\' THEN {real} ELSE CAST("{name}" AS TEXT) END AS "{name}"'
    return f'CAST("{name}" AS TEXT) AS "{name}"'
