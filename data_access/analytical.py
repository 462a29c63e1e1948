"""A columnar copy of the read database, so city-scale figures come back in milliseconds.

A row store (SQLite, PostgreSQL) is slow at what dashboards ask most: group a
million issues by something and take medians. DuckDB does the same over a
columnar copy 20-100x faster (docs/performance.md has the figures). So the app
keeps a DuckDB copy of the columns the dashboards aggregate, and runs the data
layer's own queries on it:

- The read database stays the source of truth and is only read. The copy is
  built by copy_build.py (pages read through ADBC straight into Arrow) into a
  compressed DuckDB file (about 60 MB for a city's million issues) that every
  app process on the machine opens read-only (copy_store.py): the server opens
  it at start, so a restart answers from it at once; one process builds or
  refreshes it under a file lock while the others wait and then open its
  result. Full builds run in a child process, so the build's CPU and memory are
  not the pages'.
- Same queries, same scope rules: ``RoutedEngine`` hands every SQLAlchemy Core
  SELECT that the copy covers to DuckDB (compiled by ``duckdb_sql``), and
  everything else to the read database. A query is covered when every table
  and column it touches is in the copy (decided once per statement shape).
  Text that only lists and detail panels show (issue titles and descriptions,
  residents' names and phones) and the per-issue event log are not copied:
  those queries go to the read database, through its indexes, where they are
  fast anyway.
- Refresh without blocking: a background thread compares the source's
  watermark (meta ``data_as_of``, issue count, highest issue id and latest
  ``updated_at``) every ``refresh_seconds``; when it moved, the next copy is
  the current one with what changed merged in (or, daily and when that cannot
  be done, a fresh build), written beside it and swapped in at once. Queries
  never wait for a build: until a copy is open they run on the read database.
- ``meta`` is copied too, so a page's "data as of" always matches its figures.
- Tables are read one after another, not in one transaction: a feed that
  writes during a load moves the watermark, and the next check reloads.

Without a store (tests, benchmarks) a copy is private to its process, in a
temporary folder removed at exit, and always built afresh.
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
from sqlalchemy import Column, Select, Table, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import TextClause

from data_access import theme_fill
from data_access.copy_build import (
    NOT_COPIED_COLUMNS,
    NOT_COPIED_TABLES,
    build_copy,
    can_refresh,
    layout,
    refresh_copy,
    table_marks,
)
from data_access.copy_store import COPY_DIR_ENV, DEFAULT_COPY_DIR, CopyStore, Manifest, folder_for, new_copy_path
from data_access.duckdb_sql import as_result, compile_for_duckdb
from data_access.engine import PROJECT_ROOT, make_readonly_engine, resolve_database_url
from data_access.percentiles import COLUMNAR_FORM
from data_access.schema import issues, meta, metadata

log = logging.getLogger(__name__)

SOURCE_ENV = "SYL_ANALYTICAL_SOURCE_URL"
REFRESH_ENV = "SYL_ANALYTICAL_REFRESH"  # the child's instructions to refresh a copy in place
FULL_BUILD_HOURS = 24.0  # a shared copy is built afresh at least this often; refreshed in place between
MEMORY_LIMIT = "1GB"  # DuckDB's own cap (copy and query working memory); beyond it a query fails and
# the read database answers it instead
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


def is_damage(exc: duckdb.Error, path: Path) -> bool:
    """An error that says the copy's file at `path`, or DuckDB's connection to it, can no longer be
    trusted (the file overwritten or cut short under the process; an internal error, after which
    DuckDB refuses the connection), rather than a query DuckDB cannot run or a file beside the copy
    (record_themes.py) that is missing."""
    if isinstance(exc, duckdb.InternalException | duckdb.FatalException) or "Corrupt database file" in str(exc):
        return True
    return isinstance(exc, duckdb.IOException) and str(path) in str(exc)


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
    refreshed: bool = False  # made by merging what changed into the previous copy, not built afresh
    marks: dict[str, list] = field(default_factory=dict)

    def discard(self) -> None:
        """Remove the file; queries still running on it finish (an open file outlives its name)."""
        if self.shared:
            return
        for leftover in (self.path, self.path.with_name(self.path.name + ".wal")):
            leftover.unlink(missing_ok=True)


def open_snapshot(
    path: Path, mark: tuple, rows: dict[str, int], seconds: float, threads: int = 2, shared: bool = False
) -> Snapshot:
    connection = duckdb.connect(str(path), read_only=True, config={"threads": threads, "memory_limit": MEMORY_LIMIT})
    return Snapshot(connection, path, mark, rows, seconds, shared=shared)


def load_snapshot(engine: Engine, folder: Path, mark: tuple | None = None, path: Path | None = None) -> Snapshot:
    """Build a copy in this process and open it (tests, benchmarks, start-up scripts)."""
    started = time.perf_counter()
    mark = mark or watermark(engine)
    path = path or new_copy_path(folder)
    rows = build_copy(engine, path)
    return open_snapshot(path, mark, rows, time.perf_counter() - started)


def load_snapshot_in_child(
    url: str,
    folder: Path,
    mark: tuple,
    timeout_s: float = 1800,
    path: Path | None = None,
    refresh_from: Manifest | None = None,
    store: CopyStore | None = None,
) -> Snapshot:
    """Build a copy in a child process and open it here; with `refresh_from` (a manifest of
    `store`), refresh that copy in place instead. The app does this: the build's work then never
    competes with pages for this process's GIL, and its transient memory is the child's. The URL
    travels in the environment, not on the command line."""
    started = time.perf_counter()
    path = path or new_copy_path(folder)
    env = os.environ | {SOURCE_ENV: url, "PYTHONPATH": str(PROJECT_ROOT)}
    if refresh_from is not None and store is not None:
        env[REFRESH_ENV] = json.dumps(
            {"old": str(store.path_of(refresh_from)), "watermark": refresh_from.watermark, "marks": refresh_from.marks}
        )
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
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    snapshot = open_snapshot(path, mark, answer["rows"], time.perf_counter() - started)
    snapshot.marks = answer.get("marks", {})
    snapshot.refreshed = refresh_from is not None
    return snapshot


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
        self._broken: set[str] = set()  # copy files found damaged: never served again
        self.answered = 0  # queries the copy answered, for tests and the data-health page

    @property
    def folder(self) -> Path:
        """Where this database's copies live: the store's shared folder, or a private one."""
        return self._folder

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
            if self._url is not None:  # themes a copy built before them, or a lost themes file, lacks
                theme_fill.start(self._url, self._folder)
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
            if manifest.file in self._broken:
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
        """The store's copy at `mark`: the one another process built, or made here under the lock.
        Waiting on the lock is waiting for the build running elsewhere, not starting a second one.
        Made here: the current copy refreshed in place with what changed, when it can be; else
        built afresh (in a child process when `in_child`)."""
        assert self._store is not None
        wanted = layout(self._engine)
        with self._store.build_lock():
            found = self._open_current(wanted, mark)
            if found is not None:
                return found
            path = self._store.new_path()
            published = self._store.current()
            snapshot = self._refreshed(published, wanted, mark, path, in_child)
            if snapshot is None:
                marks = table_marks(self._engine)
                if in_child and self._url is not None:
                    snapshot = load_snapshot_in_child(self._url, self._folder, mark, path=path)
                else:
                    snapshot = load_snapshot(self._engine, self._folder, mark=mark, path=path)
                snapshot.marks = marks
            snapshot.shared = True
            full_build_at = published.full_build_at if snapshot.refreshed and published else time.time()
            manifest = Manifest(
                path.name,
                mark,
                snapshot.rows,
                wanted,
                snapshot.load_seconds,
                marks=snapshot.marks,
                full_build_at=full_build_at,
            )
            self._store.publish(manifest)
            self._store.remove_unused()
        if self._url is not None:  # the app's copy (the --build command themes them itself)
            theme_fill.start(self._url, self._folder)  # the newest texts' themes, before anyone asks
        return snapshot

    def _refreshed(
        self, published: Manifest | None, wanted: tuple[str, ...], mark: tuple, path: Path, in_child: bool
    ) -> Snapshot | None:
        """The published copy with what changed since its watermark merged in, written to `path`;
        None when it must be built afresh: no copy, another layout, no last-change times, no marks,
        older than FULL_BUILD_HOURS (a change in place in a large table other than issues reaches
        the copy then), or the refresh failed."""
        if (
            published is None
            or published.file in self._broken
            or published.layout != wanted
            or not published.marks
            or not can_refresh(published.watermark)
            or time.time() - published.full_build_at > FULL_BUILD_HOURS * 3600
        ):
            return None
        started = time.perf_counter()
        try:
            if in_child and self._url is not None:
                return load_snapshot_in_child(
                    self._url, self._folder, mark, path=path, refresh_from=published, store=self._store
                )
            rows, marks = refresh_copy(
                self._engine, self._store.path_of(published), path, published.watermark, published.marks
            )
        except Exception:  # noqa: BLE001 - a full build follows
            log.warning("refreshing the analytical copy in place failed; building it afresh", exc_info=True)
            return None
        snapshot = open_snapshot(path, mark, rows, time.perf_counter() - started, shared=True)
        snapshot.marks = marks
        snapshot.refreshed = True
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

    def _give_up(self, snapshot: Snapshot, exc: duckdb.Error) -> None:
        """The copy's file was damaged under this process (or DuckDB gave up on its connection):
        stop serving it, never open that file again, and build a new copy in the background (not
        refreshed from the damaged one). The read database answers meanwhile. Another process
        that had the same file open finds the new copy published when it gives up in turn."""
        with self._lock:
            if self._current is not snapshot:
                return  # another query saw it first
            self._broken.add(snapshot.path.name)
            self._current = None
        self.last_error = f"damaged copy {snapshot.path.name}: {type(exc).__name__}: {str(exc)[:200]}"
        log.error("the analytical copy is damaged; building a new one: %s", self.last_error)
        self.start()

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
        try:
            return self._run(snapshot, query)
        except duckdb.Error:
            if self._strict:
                raise
            log.exception("DuckDB could not run a query; the read database answers it")
            return None

    def answer(self, query: Any) -> Any | None:
        """A query only the copy can answer (it reads a file beside the copy, record_themes.py):
        its Result, or None without a copy. A DuckDB error is raised: nothing else can answer."""
        snapshot = self._current
        return None if snapshot is None else self._run(snapshot, query)

    def _run(self, snapshot: Snapshot, query: Any) -> Any:
        cursor = snapshot.connection.cursor()
        try:
            cursor.execute(compile_for_duckdb(query))
        except duckdb.Error as exc:
            cursor.close()
            if is_damage(exc, snapshot.path):
                self._give_up(snapshot, exc)
            raise
        except BaseException:
            cursor.close()
            raise
        self.answered += 1
        return as_result(list(query.selected_columns.keys()), cursor)


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
    store = CopyStore(folder_for(root, url))
    copy = AnalyticalCopy(engine, refresh_seconds=float("inf"), store=store)
    snapshot = copy.load_now()
    theme_fill.fill(url, store.folder)
    return snapshot


def main() -> None:
    """Child process (one argument, the file to write): build the copy of the database named in the
    environment. With --build: bring the shared copy up to date, beside the app or before it starts:

        python -m data_access.analytical --build [--db URL] [--dir data/analytical]
    """
    logging.basicConfig(level=logging.WARNING)
    if len(sys.argv) == 2 and not sys.argv[1].startswith("-"):
        engine = make_readonly_engine(os.environ[SOURCE_ENV], statement_timeout_s=600)
        refresh = json.loads(os.environ.get(REFRESH_ENV, "null"))
        if refresh is None:
            print(json.dumps({"rows": build_copy(engine, Path(sys.argv[1]))}))
        else:
            rows, marks = refresh_copy(
                engine, Path(refresh["old"]), Path(sys.argv[1]), tuple(refresh["watermark"]), refresh["marks"]
            )
            print(json.dumps({"rows": rows, "marks": marks}))
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
