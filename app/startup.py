"""Checks that must pass before anyone can log in: users file, cookie key, cookie life.

Outside demo mode a missing, short or well-known cookie key stops the app
with a page that says why (a guessable key lets anyone forge a staff login).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.settings import is_demo
from app.users import UsersFile, UsersFileError, load_users
from data_access.engine import PROJECT_ROOT

MIN_KEY_LENGTH = 32
MAX_COOKIE_HOURS = 10.0  # one working day
WELL_KNOWN_KEYS = {
    "some_key",
    "some_signature_key",
    "random_signature_key",
    "abcdef",
    "secret",
    "changeme",
    "change-me",
    "key",
    "password",
    "streamlit",
}
DEMO_KEY_PATH = PROJECT_ROOT / "data" / ".cookie_key"


class StartupError(UsersFileError):
    """Configuration that must be fixed before the app may serve staff."""


@dataclass(frozen=True)
class AuthConfig:
    users_file: UsersFile
    cookie_name: str
    cookie_key: str
    cookie_hours: float
    demo: bool


def _demo_key(path: Path = DEMO_KEY_PATH) -> str:
    """A random key kept on this machine, so demo logins survive a restart but nobody else knows it."""
    if path.exists():
        key = path.read_text(encoding="utf-8").strip()
        if len(key) >= MIN_KEY_LENGTH:
            return key
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key, encoding="utf-8")
    path.chmod(0o600)
    return key


def check_cookie_key(key: str | None, demo: bool) -> str:
    if not key:
        if demo:
            return _demo_key()
        raise StartupError("startup.cookie_key_missing", min=MIN_KEY_LENGTH)
    if key.strip().lower() in WELL_KNOWN_KEYS:
        raise StartupError("startup.cookie_key_default")
    if len(key) < MIN_KEY_LENGTH:
        raise StartupError("startup.cookie_key_short", length=len(key), min=MIN_KEY_LENGTH)
    if len(set(key)) < 8:  # long but not random: "aaaa...", "abababab..."
        raise StartupError("startup.cookie_key_default")
    return key


def check_configuration(values: dict[str, Any]) -> AuthConfig:
    demo = is_demo(values)
    users = load_users(values["users_file"])
    key = check_cookie_key(values.get("cookie_key"), demo)
    hours = float(values["cookie_expiry_hours"])
    if not 0 < hours <= MAX_COOKIE_HOURS:
        raise StartupError("startup.cookie_hours", hours=hours, max=MAX_COOKIE_HOURS)
    return AuthConfig(users, values["cookie_name"], key, hours, demo)
