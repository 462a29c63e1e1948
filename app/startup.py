"""Checks that must pass before anyone can sign in: users file, cookie key, cookie life.

Outside demo mode a missing, short or well-known cookie key disables staff sign-in
(a guessable key lets anyone forge a staff login); the public pages keep working,
and the problem is named on the login page and in the server log.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import bcrypt

from app.settings import Settings
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
    # A hash of a random password at the users' bcrypt cost: checked for unknown usernames, so the
    # answer takes as long as for a real one and does not tell which names exist.
    decoy_hash: bytes = b""

    @property
    def device_cookie(self) -> str:
        return self.cookie_name + "_device"


def _demo_key(path: Path = DEMO_KEY_PATH) -> str:
    """A random key kept on this machine, so demo logins survive a restart but nobody else knows it."""
    if path.exists():
        key = path.read_text(encoding="utf-8").strip()
        if len(key) >= MIN_KEY_LENGTH:
            return key
    path.parent.mkdir(parents=True, exist_ok=True)
    # Several processes may start at once: each writes a key of its own beside the file, and the
    # first to link it in place wins; the others read the winner's, so every process signs alike.
    draft = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    draft.write_text(secrets.token_urlsafe(48), encoding="utf-8")
    draft.chmod(0o600)
    try:
        os.link(draft, path)
    except FileExistsError:  # another process was first, or a short key of an older run is there
        if len(path.read_text(encoding="utf-8").strip()) < MIN_KEY_LENGTH:
            os.replace(draft, path)
    finally:
        draft.unlink(missing_ok=True)
    return path.read_text(encoding="utf-8").strip()


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


def _decoy(users: UsersFile) -> bytes:
    first = next(iter(users.hashes.values()), "$2b$12$")
    cost = int(first[4:6]) if first[4:6].isdigit() else 12
    return bcrypt.hashpw(secrets.token_bytes(16), bcrypt.gensalt(rounds=min(max(cost, 4), 16)))


def check_configuration(settings: Settings) -> AuthConfig:
    users = load_users(settings.users_file)
    key = check_cookie_key(settings.cookie_key, settings.demo)
    hours = settings.cookie_expiry_hours
    if not 0 < hours <= MAX_COOKIE_HOURS:
        raise StartupError("startup.cookie_hours", hours=hours, max=MAX_COOKIE_HOURS)
    return AuthConfig(users, settings.cookie_name, key, hours, settings.demo, _decoy(users))


def auth_config(settings: Settings) -> AuthConfig:
    """The checked configuration, remade only when the users file or a setting changes (the decoy
    hash costs a bcrypt round). Raises UsersFileError (StartupError) naming what is wrong."""
    path = Path(settings.users_file)
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        mtime = 0
    return _cached(replace(settings, problems=()), mtime)


@lru_cache(maxsize=8)
def _cached(settings: Settings, users_mtime: int) -> AuthConfig:
    return check_configuration(settings)
