"""Slow down password guessing without ever locking the owner of an account out.

Failures are counted per username *and client*: a client is a browser that signed in as this user
before (its device cookie, app/tokens.py), else the visitor's address. After `free_attempts`
failures in a row, each further try from that client must wait 2, 4, 8 ... seconds (at most
`max_wait_s`) after the last failure; a try made during the wait is refused before any password
check and counts as a failure too, so hammering only lengthens the hammerer's own wait.

An attacker guessing `street`'s password therefore slows down only themselves: the owner, on
another client, is never refused. Against guessing from many addresses at once, a username that
collected `user_limit` failures from unknown clients within the last `window_s` makes every
*unknown* client wait (at most `max_wait_s`) until that rate drops; browsers that signed in as that
user before are exempt, so the owner still gets in at once. One address trying at the pace its
waits allow stays far below that rate. Every wait is bounded; records are forgotten `forget_after_s`
after the last failure and on success; at most `max_records` clients and usernames are kept (the
longest quiet dropped first).

The counts live in a small SQLite file of their own (beside the audit log, never the read database),
so every app process behind the load balancer counts the same failures: an attacker spread over N
processes gets no more tries than one on a single process. `path=None` keeps them in this process's
memory (tests, or a folder that cannot be written). If the file fails mid-run (disk full, locked
for longer than `busy_timeout_s`) the throttle lets the try through and says so in the log: bcrypt
still checks the password, and nobody is locked out by a broken file.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS client_failures (username TEXT NOT NULL, client TEXT NOT NULL,"
    " failures INTEGER NOT NULL, last_failure REAL NOT NULL, PRIMARY KEY (username, client))",
    "CREATE INDEX IF NOT EXISTS client_failures_by_time ON client_failures (last_failure)",
    "CREATE TABLE IF NOT EXISTS unknown_failures (username TEXT NOT NULL, at REAL NOT NULL)",
    "CREATE INDEX IF NOT EXISTS unknown_failures_by_user ON unknown_failures (username, at)",
    "CREATE INDEX IF NOT EXISTS unknown_failures_by_time ON unknown_failures (at)",
)

# (how many are kept, drop the `excess` longest quiet): clients, then usernames of unknown clients' failures
_BOUNDS = (
    ("SELECT COUNT(*) FROM client_failures",
     "DELETE FROM client_failures WHERE rowid IN (SELECT rowid FROM client_failures ORDER BY last_failure LIMIT ?)"),
    ("SELECT COUNT(DISTINCT username) FROM unknown_failures",
     "DELETE FROM unknown_failures WHERE username IN"
     " (SELECT username FROM unknown_failures GROUP BY username ORDER BY MAX(at) LIMIT ?)"),
)


class LoginThrottle:
    def __init__(
        self,
        free_attempts: int = 3,
        max_wait_s: float = 300,
        forget_after_s: float = 900,
        user_limit: int = 30,
        window_s: float = 900,
        max_records: int = 20_000,
        path: Path | None = None,
        busy_timeout_s: float = 2.0,
    ) -> None:
        self.free_attempts = free_attempts
        self.max_wait_s = max_wait_s
        self.forget_after_s = forget_after_s
        self.user_limit = user_limit
        self.window_s = window_s
        self.max_records = max_records
        self.path = path
        self._lock = threading.Lock()  # one connection per process, used by one thread at a time
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: transactions are begun here, BEGIN IMMEDIATE, so a read-then-write
        # holds the file's write lock from its first read (two processes never count from the same old value).
        self._db = sqlite3.connect(
            ":memory:" if path is None else str(path), timeout=busy_timeout_s,
            isolation_level=None, check_same_thread=False,
        )
        if path is not None:
            self._db.execute("PRAGMA journal_mode=WAL")
            path.chmod(0o600)
        for statement in _SCHEMA:
            self._db.execute(statement)

    def wait_seconds(self, username: str, client: str, known_client: bool, now: float) -> float:
        """Seconds before `client` may try `username` again (0: may try now)."""

        def read(db: sqlite3.Connection) -> float:
            wait = self._client_wait(db, username, client, now)
            if not known_client:
                recent = self._recent(db, username, now)
                if len(recent) >= self.user_limit:  # the oldest leaves the window: the rate drops
                    wait = max(wait, min(recent[0] + self.window_s - now, self.max_wait_s))
            return max(0.0, wait)

        return self._transaction(read, 0.0)

    def failed(self, username: str, client: str, known_client: bool, now: float) -> None:
        """A wrong password, or a try refused because it came during the wait."""

        def count(db: sqlite3.Connection) -> None:
            self._forget_stale(db, now)
            row = db.execute(
                "SELECT failures FROM client_failures WHERE username = ? AND client = ?", (username, client)
            ).fetchone()
            db.execute(
                "INSERT OR REPLACE INTO client_failures VALUES (?, ?, ?, ?)",
                (username, client, (row[0] if row else 0) + 1, now),
            )
            if not known_client:
                db.execute("INSERT INTO unknown_failures VALUES (?, ?)", (username, now))
                db.execute(  # a username keeps only its user_limit newest failures
                    "DELETE FROM unknown_failures WHERE username = ? AND rowid NOT IN (SELECT rowid FROM"
                    " unknown_failures WHERE username = ? ORDER BY at DESC LIMIT ?)",
                    (username, username, self.user_limit),
                )
            self._keep_newest(db)

        self._transaction(count, None)

    def succeeded(self, username: str, client: str) -> None:
        self._transaction(
            lambda db: db.execute("DELETE FROM client_failures WHERE username = ? AND client = ?", (username, client)),
            None,
        )

    def record_counts(self) -> tuple[int, int]:
        """(clients with failures on record, usernames with failures from unknown clients)."""
        return self._transaction(
            lambda db: (
                db.execute("SELECT COUNT(*) FROM client_failures").fetchone()[0],
                db.execute("SELECT COUNT(DISTINCT username) FROM unknown_failures").fetchone()[0],
            ),
            (0, 0),
        )

    def _client_wait(self, db: sqlite3.Connection, username: str, client: str, now: float) -> float:
        row = db.execute(
            "SELECT failures, last_failure FROM client_failures"
            " WHERE username = ? AND client = ? AND last_failure >= ?",
            (username, client, now - self.forget_after_s),
        ).fetchone()
        if row is None:
            return 0.0
        failures, last_failure = row
        extra = failures - self.free_attempts
        if extra < 0:
            return 0.0
        return last_failure + min(self.max_wait_s, 2.0 ** min(extra + 1, 30)) - now

    def _recent(self, db: sqlite3.Connection, username: str, now: float) -> list[float]:
        """The username's failures from unknown clients within the window, oldest first (at most user_limit)."""
        rows = db.execute(
            "SELECT at FROM unknown_failures WHERE username = ? AND at >= ? ORDER BY at DESC LIMIT ?",
            (username, now - self.window_s, self.user_limit),
        ).fetchall()
        return sorted(at for (at,) in rows)

    def _forget_stale(self, db: sqlite3.Connection, now: float) -> None:
        db.execute("DELETE FROM client_failures WHERE last_failure < ?", (now - self.forget_after_s,))
        db.execute("DELETE FROM unknown_failures WHERE at < ?", (now - self.window_s,))

    def _keep_newest(self, db: sqlite3.Connection) -> None:
        """At most max_records clients and usernames: the longest quiet go first."""
        for count, drop in _BOUNDS:
            excess = db.execute(count).fetchone()[0] - self.max_records
            if excess > 0:
                db.execute(drop, (excess,))

    def _transaction(self, work: Callable[[sqlite3.Connection], T], if_broken: T) -> T:
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    result = work(self._db)
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
                self._db.execute("COMMIT")
                return result
            except sqlite3.Error as exc:
                log.warning("login throttle: its file %s failed (%s); this try is let through", self.path, exc)
                return if_broken

