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
after the last failure and on success; at most `max_records` are kept (oldest dropped first).
Shared by all sessions of one server process.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from dataclasses import dataclass


@dataclass
class _Record:
    failures: int
    last_failure: float


class LoginThrottle:
    def __init__(
        self,
        free_attempts: int = 3,
        max_wait_s: float = 300,
        forget_after_s: float = 900,
        user_limit: int = 30,
        window_s: float = 900,
        max_records: int = 20_000,
    ) -> None:
        self.free_attempts = free_attempts
        self.max_wait_s = max_wait_s
        self.forget_after_s = forget_after_s
        self.user_limit = user_limit
        self.window_s = window_s
        self.max_records = max_records
        self._clients: OrderedDict[tuple[str, str], _Record] = OrderedDict()
        # Per username: when unknown clients failed, within the last window (at most user_limit kept).
        self._unknown: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def wait_seconds(self, username: str, client: str, known_client: bool, now: float) -> float:
        """Seconds before `client` may try `username` again (0: may try now)."""
        with self._lock:
            wait = self._wait(self._clients, (username, client), now)
            if not known_client:
                recent = self._recent(username, now)
                if len(recent) >= self.user_limit:  # the oldest leaves the window: the rate drops
                    wait = max(wait, min(recent[0] + self.window_s - now, self.max_wait_s))
            return max(0.0, wait)

    def failed(self, username: str, client: str, known_client: bool, now: float) -> None:
        """A wrong password, or a try refused because it came during the wait."""
        with self._lock:
            self._count(self._clients, (username, client), now)
            if not known_client:
                recent = self._recent(username, now)
                recent.append(now)
                self._unknown[username] = recent
                self._unknown.move_to_end(username)
                while len(self._unknown) > self.max_records:
                    self._unknown.popitem(last=False)

    def succeeded(self, username: str, client: str) -> None:
        with self._lock:
            self._clients.pop((username, client), None)

    def _wait(self, records: OrderedDict, key: object, now: float) -> float:
        record = self._fresh(records, key, now)
        if record is None:
            return 0.0
        extra = record.failures - self.free_attempts
        if extra < 0:
            return 0.0
        return record.last_failure + min(self.max_wait_s, 2.0 ** min(extra + 1, 30)) - now

    def _recent(self, username: str, now: float) -> deque[float]:
        recent = self._unknown.get(username) or deque(maxlen=self.user_limit)
        while recent and now - recent[0] > self.window_s:
            recent.popleft()
        return recent

    def _fresh(self, records: OrderedDict, key: object, now: float) -> _Record | None:
        record = records.get(key)
        if record is not None and now - record.last_failure > self.forget_after_s:
            del records[key]
            return None
        return record

    def _count(self, records: OrderedDict, key: object, now: float) -> None:
        record = self._fresh(records, key, now)
        records[key] = _Record((record.failures if record else 0) + 1, now)
        records.move_to_end(key)
        while len(records) > self.max_records:
            records.popitem(last=False)
