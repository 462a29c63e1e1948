"""Signed tokens of a staff login, and the record of sign-outs.

- Session token (the login cookie, HttpOnly, set by app/auth_routes.py): HS256 with the cookie key,
  claims ``sub`` (username), ``iat``, ``exp``, ``jti``. Anything else, another algorithm, a
  missing claim, a lifetime longer than we issue: not logged in. Never raises.
- Ticket: what a signed-in Streamlit session hands to the browser so the cookie route can set the
  HttpOnly cookie (Streamlit's websocket cannot set cookies). Valid for 60 seconds, once, and only
  from the client address it was made for.
- Device token (a second HttpOnly cookie, 90 days): "this browser has signed in as this user
  before"; the login throttle trusts it (app/throttle.py). It grants no access by itself.
- Sign-outs: a user's sign-out ends every session and token of that user issued before it, in
  every app process (a small JSON-lines file beside the audit log, re-read when it changes).
"""

from __future__ import annotations

import json
import os
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import jwt

TICKET_SECONDS = 60
DEVICE_DAYS = 90
_ALGORITHMS = ["HS256"]


@dataclass(frozen=True)
class Claims:
    username: str
    issued_at: float
    expires_at: float


def issue(username: str, key: str, now: float, hours: float) -> tuple[str, Claims]:
    claims = Claims(username, now, now + hours * 3600)
    payload = {"sub": username, "iat": now, "exp": claims.expires_at, "jti": secrets.token_urlsafe(12)}
    return jwt.encode(payload, key, algorithm="HS256"), claims


def verify(raw: object, key: str, now: float, known_users: set[str] | dict, max_age_s: float) -> Claims | None:
    """The claims of a valid session token for a user who still exists, else None."""
    payload = _decode(raw, key, ("sub", "iat", "exp", "jti"))
    if payload is None or "purpose" in payload:
        return None
    username, issued, expires = payload["sub"], payload["iat"], payload["exp"]
    if not isinstance(username, str) or not _number(issued) or not _number(expires):
        return None
    if not issued - 60 <= now < expires or expires - issued > max_age_s + 60:
        return None
    if username not in known_users:
        return None
    return Claims(username, float(issued), float(expires))


def ticket(session_token: str, key: str, now: float, client: str) -> str:
    payload = {
        "purpose": "cookie",
        "tok": session_token,
        "client": client,
        "exp": now + TICKET_SECONDS,
        "jti": secrets.token_urlsafe(12),
    }
    return jwt.encode(payload, key, algorithm="HS256")


class UsedTickets:
    """Ticket ids already redeemed in this process (each kept until the ticket would expire)."""

    def __init__(self) -> None:
        self._used: dict[str, float] = {}
        self._lock = threading.Lock()

    def first_use(self, jti: str, expires: float, now: float) -> bool:
        with self._lock:
            self._used = {k: v for k, v in self._used.items() if v > now}
            if jti in self._used:
                return False
            self._used[jti] = expires
            return True


def redeem(raw: object, key: str, now: float, client: str, used: UsedTickets) -> str | None:
    """The session token a ticket carries, if the ticket is valid, fresh, unused and for this client."""
    payload = _decode(raw, key, ("purpose", "tok", "client", "exp", "jti"))
    if payload is None or payload["purpose"] != "cookie" or payload["client"] != client:
        return None
    if not _number(payload["exp"]) or payload["exp"] <= now:
        return None
    if not isinstance(payload["tok"], str) or not used.first_use(str(payload["jti"]), float(payload["exp"]), now):
        return None
    return payload["tok"]


def device(username: str, key: str, now: float) -> str:
    payload = {"purpose": "device", "sub": username, "exp": now + DEVICE_DAYS * 86400, "jti": secrets.token_urlsafe(9)}
    return jwt.encode(payload, key, algorithm="HS256")


def device_id(raw: object, key: str, username: str, now: float) -> str | None:
    """The id of a valid, unexpired device token of `username`, else None."""
    payload = _decode(raw, key, ("purpose", "sub", "exp", "jti"))
    if payload is None or payload["purpose"] != "device" or payload["sub"] != username:
        return None
    if not _number(payload["exp"]) or payload["exp"] <= now:
        return None
    return str(payload["jti"])


def _decode(raw: object, key: str, required: tuple[str, ...]) -> dict | None:
    if not isinstance(raw, str) or not raw or len(raw) > 4096:
        return None
    try:
        # Times are checked by the callers against their own `now` (one clock, testable).
        options = {"require": list(required), "verify_exp": False, "verify_iat": False, "verify_nbf": False}
        payload = jwt.decode(raw, key, algorithms=_ALGORITHMS, options=options)
    except (jwt.PyJWTError, ValueError, TypeError):
        return None
    return payload if isinstance(payload, dict) else None


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class SignOuts:
    """When each user last signed out (or was signed out by an administrator), shared through a file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._seen: tuple[int, int] | None = None
        self._latest: dict[str, float] = {}

    def add(self, username: str, at: float | None = None) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps({"username": username, "before": time.time() if at is None else at}) + "\n"
        descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with self._lock, os.fdopen(descriptor, "a", encoding="utf-8") as handle:
            handle.write(line)

    def signed_out_at(self, username: str) -> float:
        """The last sign-out of `username` (0: never); tokens issued before it are void."""
        with self._lock:
            self._reload()
            return self._latest.get(username, 0.0)

    def _reload(self) -> None:
        try:
            stat = self.path.stat()
        except OSError:
            self._seen, self._latest = None, {}
            return
        if self._seen == (stat.st_mtime_ns, stat.st_size):
            return
        latest: dict[str, float] = {}
        for line in self.path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                entry = json.loads(line)
                name, before = str(entry["username"]), float(entry["before"])
            except (ValueError, KeyError, TypeError):
                continue
            latest[name] = max(before, latest.get(name, 0.0))
        self._seen, self._latest = (stat.st_mtime_ns, stat.st_size), latest
