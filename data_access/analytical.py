"""An in-process columnar copy of the read database, so city-scale figures come back in milliseconds.

A row store (SQLite, PostgreSQL) is slow at what dashboards ask most: group a
million issues by something and take medians. DuckDB does the same over a
columnar copy 20-100x faster (docs/performance.md has the figures). So the app
keeps, per process, a DuckDB copy of the columns the dashboards aggregate, and
runs the data layer's own queries on it:

- The read database stays the source of truth and is only read. A child
  process copies it in short keyset-paged SELECTs into a compressed DuckDB
  file in a private temporary folder (about 60 MB for a city's million
  issues); this process opens the file read-only. The build's CPU and memory
  are the child's, so pages keep their speed while it runs.
- Same queries, same scope rules: ``RoutedEngine`` hands every SQLAlchemy Core
  SELECT that the copy covers to DuckDB (compiled by ``duckdb_sql``), and
  everything else to the read database. A query is covered when every table
  and column it touches is in the copy. Text that only lists and detail panels
  show (issue titles and descriptions, residents' names and phones) and the
  per-issue event log are not copied: those queries go to the read database,
  through its indexes, where they are fast anyway.
- Refresh without blocking: a background thread compares the source's
  watermark (meta ``data_as_of``, issue count and highest issue id) every
  ``refresh_seconds``; when it moved, a new copy is built beside the old one
  and swapped in at once (the old file is then removed). Queries never wait
  for a build: until the first copy is ready they run on the read database.
- ``meta`` is copied too, so a page's "data as of" always matches its figures.
- Tables are read one after another, not in one transaction: a feed that
  writes during a load moves the watermark, and the next check reloads.
"""

from __future__ import annotations

import argparse
import atexit
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from sqlalchemy import Boolean, Column, Date, DateTime, Float, Integer, Select, Table, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import TextClause

from data_access import arrow_read
from data_access.contract import OPTIONAL_COLUMNS, has_column, lacks_ehome
from data_access.copy_store import COPY_DIR_ENV, DEFAULT_COPY_DIR, LAYOUT_VERSION, CopyStore, Manifest, folder_for
from data_access.duckdb_sql import as_result, compile_for_duckdb
from data_access.engine import PROJECT_ROOT, make_readonly_engine, resolve_database_url, source_url
from data_access.percentiles import COLUMNAR_FORM
from data_access.schema import issues, meta, metadata

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
SOURCE_ENV = "SYL_ANALYTICAL_SOURCE_URL"
MEMORY_LIMIT = "1GB"  # DuckDB's own cap (copy and query working memory); beyond it a query fails and
# the read database answers it instead
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


_COVERS_BY_SHAPE: dict[Any, bool] = {}
_COVERS_CACHE_SIZE = 4096


def covers(query: Any) -> bool:
    """True when every table and column the query touches is in the copy: decided once per
    statement shape (SQLAlchemy's cache key, which leaves out the values), as walking a statement
    costs milliseconds and a page asks the same few shapes again and again."""
    if not isinstance(query, Select):
        return False
    key = query._generate_cache_key()  # noqa: SLF001 - SQLAlchemy's public-by-convention cache key
    if key is None:
        return _covers(query)
    found = _COVERS_BY_SHAPE.get(key.key)
    if found is None:
        found = _covers(query)
        if len(_COVERS_BY_SHAPE) >= _COVERS_CACHE_SIZE:
            _COVERS_BY_SHAPE.clear()  # a bounded memo: shapes are few, this is a safety net
        _COVERS_BY_SHAPE[key.key] = found
    return found


def _covers(query: Select) -> bool:
    for element in visitors.iterate(query):
        if isinstance(element, TextClause):
            return False
        if isinstance(element, Table) and (
            element.name in NOT_COPIED_TABLES or metadata.tables.get(element.name) is not element
        ):
            return False
        columns = element.selected_columns if isinstance(element, Select) else (element,)  # select(table) too
        if any(_not_copied(column) for column in columns):
            return False
    return True


def _not_copied(element: Any) -> bool:
    """A column of a table (or of an alias or subquery of one) that the copy leaves out."""
    for base in getattr(element, "base_columns", ()):
        table = getattr(base, "table", None)
        left_out = NOT_COPIED_COLUMNS.get(table.name, ()) if isinstance(table, Table) else ()
        if isinstance(base, Column) and base.name in left_out:
            return True
    return False


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


def watermark(engine: Engine) -> tuple:
    """What changes when the feed writes: its data_as_of, the issues' count and highest id, and the
    latest updated_at (a sync that changes rows in place moves it)."""
    with engine.connect() as conn:
        as_of = conn.execute(select(meta.c.value).where(meta.c.key == "data_as_of")).scalar()
        count, top, changed = conn.execute(
            select(func.count(), func.max(issues.c.issue_id), func.max(issues.c.updated_at))
        ).one()
    return (as_of, int(count or 0), int(top or 0), str(changed or ""))


@dataclass
class Snapshot:
    connection: duckdb.DuckDBPyConnection  # read-only, on the snapshot's file
    path: Path
    watermark: tuple
    rows: dict[str, int]
    load_seconds: float
    loaded_at: float = field(default_factory=time.time)
    shared: bool = False  # in a CopyStore: other processes may read it; its next builder removes it

    def discard(self) -> None:
        """Remove the file; queries still running on it finish (an open file outlives its name)."""
        if self.shared:
            return
        for leftover in (self.path, self.path.with_name(self.path.name + ".wal")):
            leftover.unlink(missing_ok=True)


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


def open_snapshot(
    path: Path, mark: tuple, rows: dict[str, int], seconds: float, threads: int = 2, shared: bool = False
) -> Snapshot:
    connection = duckdb.connect(str(path), read_only=True, config={"threads": threads, "memory_limit": MEMORY_LIMIT})
    return Snapshot(connection, path, mark, rows, seconds, shared=shared)


def layout(engine: Engine) -> tuple[str, ...]:
    """What a copy of this read database holds, as "table.column", with the layout's version."""
    return (f"layout.{LAYOUT_VERSION}",) + tuple(
        f"{table.name}.{column.name}" for table in copied_tables(engine) for column in copied_columns(table, engine)
    )


def _new_path(folder: Path) -> Path:
    return folder / f"copy-{uuid.uuid4().hex}.duckdb"


def load_snapshot(engine: Engine, folder: Path, mark: tuple | None = None, path: Path | None = None) -> Snapshot:
    """Build a copy in this process and open it (tests, benchmarks, start-up scripts)."""
    started = time.perf_counter()
    mark = mark or watermark(engine)
    path = path or _new_path(folder)
    rows = build_copy(engine, path)
    return open_snapshot(path, mark, rows, time.perf_counter() - started)


def load_snapshot_in_child(
    url: str, folder: Path, mark: tuple, timeout_s: float = 1800, path: Path | None = None
) -> Snapshot:
    """Build a copy in a child process and open it here. The app does this: the build's Python work
    (a million rows turned into Arrow) then never competes with pages for this process's GIL, and
    its transient memory is the child's. The URL travels in the environment, not on the command line."""
    started = time.perf_counter()
    path = path or _new_path(folder)
    env = os.environ | {SOURCE_ENV: url, "PYTHONPATH": str(PROJECT_ROOT)}
    done = subprocess.run(  # noqa: S603 - our own module, fixed arguments
        [sys.executable, "-m", "data_access.analytical", str(path)],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )
    if done.returncode != 0:
        path.unlink(missing_ok=True)
        lines = (done.stderr or "").strip().splitlines() or [f"exit status {done.returncode}"]
        raise RuntimeError(f"building the analytical copy failed: {lines[-1]}")
    rows = json.loads(done.stdout.strip().splitlines()[-1])
    return open_snapshot(path, mark, rows, time.perf_counter() - started)


class AnalyticalCopy:
    """The current snapshot, and the background thread that replaces it when the source moves."""

    def __init__(
        self,
        engine: Engine,
        url: str | None = None,
        refresh_seconds: float = 300.0,
        min_issues: int = 0,
        strict: bool = False,
        store: CopyStore | None = None,
    ) -> None:
        self._engine = engine
        self._url = url  # given: reloads are built in a child process (see load_snapshot_in_child)
        self._store = store  # given: copies shared with other processes and kept across restarts
        if store is None:
            self._folder = Path(tempfile.mkdtemp(prefix="syl-analytical-"))
            atexit.register(shutil.rmtree, self._folder, ignore_errors=True)
        else:
            self._folder = store.folder
        self._refresh_seconds = refresh_seconds
        self._min_issues = min_issues  # below it the read database is fast enough; no copy is kept
        self._strict = strict  # tests: a query DuckDB cannot run is an error, not a quiet fallback
        self._current: Snapshot | None = None
        self._lock = threading.Lock()
        self._worker: threading.Thread | None = None
        self._checked_at = 0.0
        self.last_error: str | None = None
        self.answered = 0  # queries the copy answered, for tests and the data-health page

    @property
    def snapshot(self) -> Snapshot | None:
        return self._current

    @property
    def loading(self) -> bool:
        worker = self._worker
        return worker is not None and worker.is_alive()

    def load_now(self) -> Snapshot:
        """Load (or reload) in the calling thread; for start-up scripts, tests and benchmarks."""
        if self._store is not None:
            self._swap(self._shared_snapshot(watermark(self._engine), in_child=False))
        else:
            self._swap(load_snapshot(self._engine, self._folder))
        self._checked_at = time.monotonic()
        return self._current  # type: ignore[return-value]

    def open_published(self) -> Snapshot | None:
        """Serve the copy the store holds, if it has the layout this database needs: at once, without
        asking the read database for anything but the layout. Its watermark is checked next, in the
        background (start), and a moved one rebuilds it."""
        if self._store is None or self._current is not None:
            return self._current
        snapshot = self._open_current(layout(self._engine))
        if snapshot is not None:
            self._swap(snapshot)
            log.info("analytical copy opened from %s (built at watermark %s)", snapshot.path, snapshot.watermark)
        return snapshot

    def _open_current(self, wanted: tuple[str, ...], mark: tuple | None = None) -> Snapshot | None:
        """The store's current copy, opened, if its layout is `wanted` (and its watermark `mark`,
        when given); None otherwise. A file removed between reading the manifest and opening it (a
        builder elsewhere just replaced it) is looked up once more."""
        assert self._store is not None
        for _ in range(2):
            manifest = self._store.current()
            if manifest is None or manifest.layout != wanted or (mark is not None and manifest.watermark != mark):
                return None
            current = self._current
            if current is not None and current.path == self._store.path_of(manifest):
                return current
            try:
                return open_snapshot(
                    self._store.path_of(manifest), manifest.watermark, manifest.rows, manifest.load_seconds, shared=True
                )
            except duckdb.Error:
                log.info("the published copy went away while opening it; looking again")
        return None

    def _shared_snapshot(self, mark: tuple, in_child: bool) -> Snapshot:
        """The store's copy at `mark`: the one another process built, or built here under the lock.
        Waiting on the lock is waiting for the build running elsewhere, not starting a second one."""
        assert self._store is not None
        wanted = layout(self._engine)
        with self._store.build_lock():
            found = self._open_current(wanted, mark)
            if found is not None:
                return found
            path = self._store.new_path()
            if in_child and self._url is not None:
                snapshot = load_snapshot_in_child(self._url, self._folder, mark, path=path)
            else:
                snapshot = load_snapshot(self._engine, self._folder, mark=mark, path=path)
            snapshot.shared = True
            self._store.publish(Manifest(path.name, mark, snapshot.rows, wanted, snapshot.load_seconds))
            self._store.remove_unused()
            return snapshot

    def _swap(self, snapshot: Snapshot | None) -> None:
        old, self._current = self._current, snapshot  # one reference swap: queries in flight keep the old one
        if old is not None:
            old.discard()

    def start(self) -> None:
        """Serve the copy on disk, if any, and begin checking and loading in the background, if no
        load is running."""
        try:
            self.open_published()
        except Exception as exc:  # noqa: BLE001 - the background load below tries again and reports
            log.warning("the published analytical copy could not be opened: %s", exc)
        with self._lock:
            if self._worker is not None and self._worker.is_alive():
                return
            self._checked_at = time.monotonic()
            self._worker = threading.Thread(target=self._refresh, name="analytical-copy", daemon=True)
            self._worker.start()

    def wait(self, timeout: float | None = None) -> bool:
        worker = self._worker
        if worker is not None:
            worker.join(timeout)
        return self._current is not None

    def _refresh(self) -> None:
        try:
            current = self._current
            mark = watermark(self._engine)
            if current is not None and mark == current.watermark:
                return
            if mark[1] < self._min_issues:
                self._swap(None)  # the source shrank below the threshold: answer from it directly
                return
            if self._store is not None:
                snapshot = self._shared_snapshot(mark, in_child=True)
            elif self._url is None:
                snapshot = load_snapshot(self._engine, self._folder, mark=mark)
            else:
                snapshot = load_snapshot_in_child(self._url, self._folder, mark)
            if snapshot is not self._current:
                self._swap(snapshot)
            self.last_error = None
            log.info("analytical copy loaded in %.1f s: %s", snapshot.load_seconds, snapshot.rows)
        except Exception as exc:  # noqa: BLE001 - the read database keeps answering; retried next interval
            self.last_error = f"{type(exc).__name__}: {exc}"
            log.warning("analytical copy not loaded, queries use the read database: %s", self.last_error)

    def _refresh_if_due(self) -> None:
        if time.monotonic() - self._checked_at >= self._refresh_seconds:
            self.start()

    def execute(self, query: Any) -> Any | None:
        """The query's Result from the copy, or None when the read database must answer it."""
        self._refresh_if_due()
        snapshot = self._current
        if snapshot is None or not covers(query):
            return None
        query = query.get_execution_options().get(COLUMNAR_FORM, query)
        sql = compile_for_duckdb(query)
        cursor = snapshot.connection.cursor()
        try:
            rows = cursor.execute(sql).fetchall()
        except duckdb.Error:
            if self._strict:
                raise
            log.exception("DuckDB could not run a query; the read database answers it")
            return None
        finally:
            cursor.close()
        self.answered += 1
        return as_result(list(query.selected_columns.keys()), rows)


class RoutedConnection:
    """A connection-like object: covered SELECTs go to the copy, the rest to the read database."""

    def __init__(self, engine: Engine, copy: AnalyticalCopy) -> None:
        self._engine = engine
        self._copy = copy
        self._conn = None

    def __enter__(self) -> RoutedConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _row_store(self) -> Any:
        if self._conn is None:
            self._conn = self._engine.connect()
        return self._conn

    def execute(self, statement: Any, *args: Any, **kwargs: Any) -> Any:
        if not args and not kwargs:
            result = self._copy.execute(statement)
            if result is not None:
                return result
        return self._row_store().execute(statement, *args, **kwargs)

    def exec_driver_sql(self, statement: str, *args: Any, **kwargs: Any) -> Any:
        return self._row_store().exec_driver_sql(statement, *args, **kwargs)


class RoutedEngine:
    """Stands in for the read database's Engine in data_access functions (they call .connect())."""

    def __init__(self, engine: Engine, copy: AnalyticalCopy) -> None:
        self.row_engine = engine
        self.copy = copy

    def connect(self) -> RoutedConnection:
        return RoutedConnection(self.row_engine, self.copy)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.row_engine, name)


def build_published(url: str, root: Path) -> Snapshot:
    """Bring the store's copy of `url` up to the database's watermark: open the published one when
    it is current, else build it, under the store's lock. What the `--build` command runs."""
    engine = make_readonly_engine(url, statement_timeout_s=600)
    copy = AnalyticalCopy(engine, refresh_seconds=float("inf"), store=CopyStore(folder_for(root, url)))
    return copy.load_now()


def main() -> None:
    """Child process (one argument, the file to write): build the copy of the database named in the
    environment. With --build: bring the shared copy up to date, beside the app or before it starts:

        python -m data_access.analytical --build [--db URL] [--dir data/analytical]
    """
    logging.basicConfig(level=logging.WARNING)
    if len(sys.argv) == 2 and not sys.argv[1].startswith("-"):
        engine = make_readonly_engine(os.environ[SOURCE_ENV], statement_timeout_s=600)
        rows = build_copy(engine, Path(sys.argv[1]))
        print(json.dumps(rows))
        return
    parser = argparse.ArgumentParser(description="Build or refresh the analytical copy the app processes share.")
    parser.add_argument("--build", action="store_true", required=True)
    parser.add_argument("--db", help="database URL (default: DATABASE_URL, then the demo file)")
    parser.add_argument("--dir", default=os.environ.get(COPY_DIR_ENV, str(DEFAULT_COPY_DIR)))
    args = parser.parse_args()
    started = time.perf_counter()
    snapshot = build_published(resolve_database_url(args.db), Path(args.dir))
    total = sum(snapshot.rows.values())
    print(f"{snapshot.path}: {total:,} rows, ready in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
