"""Slow down repeated failed logins without ever locking an account for good.

After `free_attempts` failures in a row for a username, each further attempt
must wait 2, 4, 8 ... seconds (capped at `max_wait_s`) after the last
failure; attempts during the wait are refused before any password check.
Failures are forgotten `forget_after_s` after the last one, and a success
resets the count. Shared by all sessions of one server process.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass


@dataclass
class _Record:
    failures: int
    last_failure: float


class LoginThrottle:
    def __init__(self, free_attempts: int = 3, max_wait_s: float = 300, forget_after_s: float = 900) -> None:
        self.free_attempts = free_attempts
        self.max_wait_s = max_wait_s
        self.forget_after_s = forget_after_s
        self._records: dict[str, _Record] = {}
        self._lock = threading.Lock()

    def wait_seconds(self, username: str, now: float) -> float:
        """Seconds before `username` may try again (0: may try now)."""
        with self._lock:
            record = self._records.get(username)
            if record is None:
                return 0.0
            if now - record.last_failure > self.forget_after_s:
                del self._records[username]
                return 0.0
            extra = record.failures - self.free_attempts
            if extra < 0:
                return 0.0
            wait = min(self.max_wait_s, 2.0 ** (extra + 1))
            return max(0.0, record.last_failure + wait - now)

    def failed(self, username: str, now: float) -> None:
        with self._lock:
            record = self._records.get(username)
            if record is None or now - record.last_failure > self.forget_after_s:
                record = _Record(0, now)
            self._records[username] = _Record(record.failures + 1, now)

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._records.pop(username, None)
