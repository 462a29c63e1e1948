"""One factory for read-only engines, and where the database URL comes from.

SQLite opens with ``mode=ro`` (a write raises) plus ``PRAGMA query_only`` and a
per-statement time limit; PostgreSQL sessions default to read-only
transactions with a statement timeout. Nothing in the app may assume SQLite.
"""

from __future__ import annotations

import os
import sqlite3
import time
import weakref
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, DisconnectionError
from sqlalchemy.pool import QueuePool

from data_access.errors import DatabaseCorrupt, DatabaseMissing, DatabaseUnreachable, UnsupportedDatabase

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEMO_DB_PATH = PROJECT_ROOT / "data" / "demo.sqlite"
DEFAULT_STATEMENT_TIMEOUT_S = 15.0
# Connections kept open, and how many more may be opened under a burst of concurrent page runs.
# A connection is handed to one thread at a time and never closed while it is checked out.
POOL_SIZE = 5
POOL_OVERFLOW = 15
POOL_WAIT_S = 30
BUILD_DEMO_COMMAND = "python -m fixtures.generate --db sqlite:///data/demo.sqlite --scale street --seed 42"


def demo_database_url() -> str:
    return f"sqlite:///{DEMO_DB_PATH}"


def resolve_database_url(explicit: str | None = None) -> str:
    """For scripts: the URL given, else DATABASE_URL, else the demo file. (The app reads its URL
    through app.settings, which also looks in secrets.toml.)"""
    return explicit or os.environ.get("DATABASE_URL") or demo_database_url()


def redact(url: str) -> str:
    """The URL without its password, safe to show and log."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable URL>"


def _parse(url: str) -> URL:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise UnsupportedDatabase(f"Not a database URL: {url!r}", url=url) from exc
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise UnsupportedDatabase(
            f"Unsupported database {parsed.get_backend_name()!r}: use sqlite:/// or postgresql://",
            url=redact(url),
        )
    return parsed


def sqlite_path(url: str) -> Path | None:
    parsed = _parse(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    database = parsed.database
    if database.startswith("file:"):
        database = database[len("file:") :]
    return Path(database)


_SOURCE_URLS: weakref.WeakKeyDictionary[Engine, str] = weakref.WeakKeyDictionary()


def make_readonly_engine(url: str, statement_timeout_s: float = DEFAULT_STATEMENT_TIMEOUT_S) -> Engine:
    """An engine that cannot write, for any supported URL."""
    parsed = _parse(url)
    if parsed.get_backend_name() == "sqlite":
        engine = _sqlite_readonly(parsed, statement_timeout_s)
    else:
        engine = _postgres_readonly(parsed, statement_timeout_s)
    _SOURCE_URLS[engine] = url
    return engine


def source_url(engine: Engine) -> str | None:
    """The URL an engine of make_readonly_engine was made from (a SQLite engine's own says only
    "sqlite://"), for readers that open their own connections; it may hold a password."""
    return _SOURCE_URLS.get(engine)


def _file_id(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_dev, stat.st_ino


class _TimedConnection(sqlite3.Connection):
    """A SQLite connection that aborts any statement running past its deadline."""

    deadline = float("inf")
    file_id: tuple[int, int] | None = None

    def arm(self, timeout_s: float) -> None:
        self.deadline = time.monotonic() + timeout_s
        self.set_progress_handler(self._past_deadline, 10_000)

    def _past_deadline(self) -> int:
        return 1 if time.monotonic() > self.deadline else 0


def _sqlite_readonly(parsed: URL, timeout_s: float) -> Engine:
    if not parsed.database or parsed.database == ":memory:":
        raise UnsupportedDatabase("An in-memory SQLite database holds no data to read", url=str(parsed))
    path = Path(parsed.database).resolve()
    if not path.exists():
        raise DatabaseMissing(
            f"Database file {path} does not exist. Create the demo database with: {BUILD_DEMO_COMMAND}",
            path=str(path),
            command=BUILD_DEMO_COMMAND,
        )

    def connect() -> sqlite3.Connection:
        conn = sqlite3.connect(
            f"file:{quote(str(path))}?mode=ro", uri=True, check_same_thread=False, factory=_TimedConnection
        )
        conn.execute("PRAGMA query_only = ON")
        conn.file_id = _file_id(path)
        return conn

    # "sqlite://" with a creator would get SQLAlchemy's SingletonThreadPool (one connection per
    # thread, at most 5): a sixth thread makes it close another thread's connection mid-query, which
    # crashed the server in libsqlite3 under four visitors. A QueuePool hands each connection to one
    # thread at a time (check_same_thread=False allows the hand-over) and never closes one in use.
    engine = create_engine(
        "sqlite://",
        creator=connect,
        poolclass=QueuePool,
        pool_size=POOL_SIZE,
        max_overflow=POOL_OVERFLOW,
        pool_timeout=POOL_WAIT_S,
        pool_pre_ping=True,
    )

    @event.listens_for(engine, "checkout")
    def _same_file(dbapi_connection, connection_record, connection_proxy):  # noqa: ANN001
        # A connection keeps reading the file it opened, even after the file was deleted or replaced
        # (a new export copied over it): hand out only connections to the file now at the path, so a
        # vanished database is noticed and a replaced one is read afresh, without a restart.
        if dbapi_connection.file_id != _file_id(path):
            raise DisconnectionError("the database file changed since this connection opened it")

    @event.listens_for(engine, "before_cursor_execute")
    def _arm_deadline(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        conn.connection.dbapi_connection.arm(timeout_s)

    return engine


def _postgres_readonly(parsed: URL, timeout_s: float) -> Engine:
    parsed = parsed.set(drivername="postgresql+psycopg")
    options = parsed.query.get("options", "")
    if isinstance(options, tuple):
        options = " ".join(options)
    ours = f"-c default_transaction_read_only=on -c statement_timeout={int(timeout_s * 1000)}"
    parsed = parsed.difference_update_query(["options"])
    engine = create_engine(
        parsed,
        pool_size=POOL_SIZE,
        max_overflow=POOL_OVERFLOW,
        pool_timeout=POOL_WAIT_S,
        pool_pre_ping=True,
        connect_args={"options": f"{options} {ours}".strip(), "connect_timeout": 5},
    )
    return engine


CORRUPTION_SIGNS = ("file is not a database", "malformed", "disk image", "file is encrypted")


def check_reachable(engine: Engine) -> None:
    """Open one connection and read the catalogue, turning driver errors into typed ones."""
    probe = "SELECT count(*) FROM sqlite_master" if engine.dialect.name == "sqlite" else "SELECT 1"
    try:
        with engine.connect() as conn:
            conn.execute(text(probe))
    except DBAPIError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else ""
        url = redact(str(engine.url))
        if engine.dialect.name == "sqlite" and any(sign in reason.lower() for sign in CORRUPTION_SIGNS):
            raise DatabaseCorrupt(f"The database file is damaged: {reason}", url=url, reason=reason) from exc
        raise DatabaseUnreachable(f"Cannot reach the database {url}: {reason}", url=url, reason=reason) from exc
