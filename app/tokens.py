"""Check a staff login cookie strictly, and remember logged-out tokens.

streamlit-authenticator 0.4.2 writes the cookie (an HS256 JWT holding
``username`` and ``exp_date``) but its own reader lets some bad tokens raise
(another algorithm, a missing claim). We read it here instead: any token that
is not exactly what we issue, for a user who still exists, within our expiry,
and not logged out, means "not logged in".
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import jwt

_lock = threading.Lock()


def verify_token(
    raw: str | None, key: str, now: float, known_users: set[str], max_age_s: float, revoked: set[tuple[str, float]]
) -> tuple[str, float] | None:
    """(username, exp_date) of a valid token, else None. Never raises."""
    if not raw or not isinstance(raw, str):
        return None
    try:
        payload = jwt.decode(raw, key, algorithms=["HS256"])
    except jwt.PyJWTError:
        return None
    if not isinstance(payload, dict):
        return None
    username, expires = payload.get("username"), payload.get("exp_date")
    if not isinstance(username, str) or isinstance(expires, bool) or not isinstance(expires, int | float):
        return None
    if expires <= now or expires - now > max_age_s + 60:
        return None
    if username not in known_users or (username, float(expires)) in revoked:
        return None
    return username, float(expires)


class RevokedTokens:
    """Logged-out tokens, appended to a small file so every app process honours a logout."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def add(self, username: str, expires: float) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with _lock, self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps({"username": username, "exp_date": expires}) + "\n")

    def load(self, now: float) -> set[tuple[str, float]]:
        if not self.path.exists():
            return set()
        revoked = set()
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                entry = json.loads(line)
                if float(entry["exp_date"]) > now:
                    revoked.add((str(entry["username"]), float(entry["exp_date"])))
            except (ValueError, KeyError, TypeError):
                continue
        return revoked
