"""Every setting of the app in one declarative list, with defaults and help.

A setting is read from, in order: its environment variable, the ``[app]``
table of ``.streamlit/secrets.toml``, its default. docs/settings.md documents
each one and a test fails when one is missing there.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from data_access.engine import PROJECT_ROOT, SECRETS_PATH, resolve_database_url

DEMO_USERS_FILE = PROJECT_ROOT / "app" / "demo_users.yaml"


def copy_mode(value: object) -> str:
    """auto, on or off (see data_access/analytical.py)."""
    text = str(value).strip().lower()
    if text not in ("auto", "on", "off"):
        raise ValueError(f"not auto, on or off: {value!r}")
    return text


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str
    env: str
    kind: Any = str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "database_url",
        None,
        "Read database URL (sqlite:///path or postgresql://...); "
        "default: DATABASE_URL, then the demo file data/demo.sqlite.",
        "DATABASE_URL",
    ),
    Setting(
        "users_file",
        str(DEMO_USERS_FILE),
        "YAML file of staff users (bcrypt hashes, role, scope). The app only reads it.",
        "SYL_USERS_FILE",
    ),
    Setting("cookie_name", "syl_auth", "Name of the staff login cookie.", "SYL_COOKIE_NAME"),
    Setting(
        "cookie_key",
        None,
        "Secret that signs staff cookies: at least 32 random characters. Required "
        "outside demo mode; in demo mode a random key is kept in data/.cookie_key.",
        "SYL_COOKIE_KEY",
    ),
    Setting(
        "cookie_expiry_hours",
        8.0,
        "Hours a staff login lasts (at most one working day: 10).",
        "SYL_COOKIE_EXPIRY_HOURS",
        float,
    ),
    Setting(
        "cache_ttl_seconds",
        300,
        "Seconds a query result is reused before the database is asked again.",
        "SYL_CACHE_TTL_SECONDS",
        int,
    ),
    Setting("small_cell_k", 5, "Public breakdowns hide any count below k (DESIGN section 7).", "SYL_SMALL_CELL_K", int),
    Setting(
        "map_style",
        "",
        "Basemap style URL for pydeck; empty draws boundaries on a plain background (no tiles needed).",
        "SYL_MAP_STYLE",
    ),
    Setting(
        "public_url",
        "http://localhost:8501",
        "Public address of the app, used in QR codes on the big screen.",
        "SYL_PUBLIC_URL",
    ),
    Setting(
        "audit_log_path",
        str(PROJECT_ROOT / "data" / "audit.jsonl"),
        "Append-only audit log (JSON lines), kept outside the read database.",
        "SYL_AUDIT_LOG_PATH",
    ),
    Setting(
        "login_free_attempts",
        3,
        "Failed logins for a user before each further try must wait.",
        "SYL_LOGIN_FREE_ATTEMPTS",
        int,
    ),
    Setting(
        "login_max_wait_seconds",
        300,
        "Longest wait imposed between failed logins (never a permanent lock).",
        "SYL_LOGIN_MAX_WAIT_SECONDS",
        int,
    ),
    Setting(
        "big_screen_rotate_seconds",
        15,
        "Seconds each big-screen panel stays up (?rotate= overrides).",
        "SYL_BIG_SCREEN_ROTATE_SECONDS",
        int,
    ),
    Setting(
        "big_screen_refresh_minutes",
        5.0,
        "Minutes between big-screen data refreshes (?refresh= overrides).",
        "SYL_BIG_SCREEN_REFRESH_MINUTES",
        float,
    ),
    Setting(
        "analytical_copy",
        "auto",
        "In-process DuckDB copy that answers the dashboards' aggregate queries: auto (when the issues "
        "table holds at least analytical_copy_min_issues rows), on, or off.",
        "SYL_ANALYTICAL_COPY",
        copy_mode,
    ),
    Setting(
        "analytical_copy_min_issues",
        100_000,
        "In auto mode, the issue count from which the analytical copy is kept.",
        "SYL_ANALYTICAL_COPY_MIN_ISSUES",
        int,
    ),
    Setting(
        "analytical_refresh_seconds",
        300,
        "Seconds between checks of the read database's watermark; a moved watermark reloads the copy "
        "in the background.",
        "SYL_ANALYTICAL_REFRESH_SECONDS",
        int,
    ),
    Setting("default_language", "zh", "Language when the URL does not ask for one: zh or en.", "SYL_DEFAULT_LANGUAGE"),
)


def _secrets() -> dict[str, Any]:
    if not SECRETS_PATH.exists():
        return {}
    with SECRETS_PATH.open("rb") as handle:
        return tomllib.load(handle).get("app", {})


class SettingError(ValueError):
    """A setting holds a value of the wrong kind; `key` names the catalogue message."""

    key = "startup.setting_invalid"

    def __init__(self, name: str, env: str, value: object) -> None:
        super().__init__(f"setting {name} ({env}) has an invalid value: {value!r}")
        self.params = {"name": name, "env": env, "value": value}


def load_settings() -> dict[str, Any]:
    secrets = _secrets()
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = os.environ.get(setting.env, secrets.get(setting.name, setting.default))
        try:
            values[setting.name] = setting.kind(raw) if raw is not None and setting.kind is not str else raw
        except (TypeError, ValueError) as exc:
            raise SettingError(setting.name, setting.env, raw) from exc
    values["database_url"] = resolve_database_url(values["database_url"])
    return values


def default_of(name: str) -> Any:
    return next(setting.default for setting in SETTINGS if setting.name == name)


def is_demo(values: dict[str, Any]) -> bool:
    """Demo mode: the shipped demo users file is in use (so its published passwords are known)."""
    return Path(values["users_file"]).resolve() == DEMO_USERS_FILE.resolve()
