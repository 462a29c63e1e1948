"""Every setting of the app in one typed declaration, with its default, variable and help.

A setting is read from, in order: its environment variable, the ``[app]`` table of
``.streamlit/secrets.toml`` (the read database also from ``[database] url``), its default.
This module is the only reader of secrets.toml. docs/settings.md documents each setting and a
test fails when one is missing there.

Bad configuration never takes the public pages down: a secrets.toml that cannot be read, or a
value of the wrong kind, falls back to the defaults and is kept as a `Problem`, which the login
page (in general terms) and the admin's pages (in full) show in the user's language.
"""

from __future__ import annotations

import logging
import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from app.setting_tables import table_of
from app.targets import Targets, parse_targets
from data_access import localtime
from data_access.copy_store import COPY_DIR_ENV, DEFAULT_COPY_DIR
from data_access.engine import PROJECT_ROOT, demo_database_url
from data_access.priority import SIGNALS, Weights

log = logging.getLogger("app.settings")
SECRETS_PATH = PROJECT_ROOT / ".streamlit" / "secrets.toml"
DEMO_USERS_FILE = PROJECT_ROOT / "app" / "demo_users.yaml"


def copy_mode(value: object) -> str:
    """auto, on or off (see data_access/analytical.py)."""
    text = str(value).strip().lower()
    if text not in ("auto", "on", "off"):
        raise ValueError(f"not auto, on or off: {value!r}")
    return text


def on_off(value: object) -> bool:
    """on or off (true/false, yes/no, 1/0 too: what an operator may write in TOML or an environment)."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("on", "true", "yes", "1"):
        return True
    if text in ("off", "false", "no", "0"):
        return False
    raise ValueError(f"not on or off: {value!r}")


def language(value: object) -> str:
    text = str(value).strip().lower()
    if text not in ("zh", "en"):
        raise ValueError(f"not zh or en: {value!r}")
    return text


def positive_int(value: object) -> int:
    number = int(str(value).strip())
    if number <= 0:
        raise ValueError(f"not a positive whole number: {value!r}")
    return number


def positive_float(value: object) -> float:
    number = float(str(value).strip())
    if not 0 < number < float("inf"):
        raise ValueError(f"not a positive number: {value!r}")
    return number


def time_zone(value: object) -> str:
    """An IANA time zone name, or empty (each database's own)."""
    text_value = str(value).strip()
    if text_value:
        localtime.zone(text_value)  # ValueError for an unknown name
    return text_value


def text(value: object) -> str:
    if not isinstance(value, str | int | float):
        raise ValueError(f"not text: {value!r}")
    return str(value)


def public_address(value: object) -> str:
    """An http(s) address with a host, or empty (no QR code): a QR code must lead somewhere real."""
    address = text(value).strip()
    if not address:
        return ""
    parts = urlsplit(address)
    if parts.scheme not in ("http", "https") or not parts.hostname or any(ch.isspace() for ch in address):
        raise ValueError("not an http(s) address")
    return address


def tile_template(value: object) -> str:
    """An http(s) XYZ tile URL template holding {z}, {x} and {y} (or {-y}), or empty."""
    template = text(value).strip()
    if not template:
        return ""
    parts = urlsplit(template.replace("{", "").replace("}", ""))
    if parts.scheme not in ("http", "https") or not parts.hostname or any(ch.isspace() for ch in template):
        raise ValueError("not an http(s) address")
    if "{z}" not in template or "{x}" not in template or ("{y}" not in template and "{-y}" not in template):
        raise ValueError("a tile URL needs {z}, {x} and {y}")
    return template


def parse_weights(raw: object) -> Weights:
    """The patrol priority's weights: any of data_access.priority.SIGNALS = a number from 0 to 100."""
    values: dict[str, float] = {}
    for name, value in table_of(raw, "signals", SIGNALS).items():
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100:
            raise ValueError(f"{name}: not a weight from 0 to 100: {value!r}")
        values[str(name)] = float(value)
    return Weights(**values)


def setting(default: Any, env: str, help: str, parse: Any = text) -> Any:  # noqa: A002 - the field's help text
    return field(default=default, metadata={"env": env, "help": help, "parse": parse})


@dataclass(frozen=True)
class Problem:
    """Something wrong with the configuration: a catalogue key and its parameters."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Settings:
    database_url: str | None = setting(
        None,
        "DATABASE_URL",
        "Read database URL (sqlite:///path or postgresql://...); also [database] url in secrets.toml; "
        "default: the demo file data/demo.sqlite.",
    )
    users_file: str = setting(
        str(DEMO_USERS_FILE), "SYL_USERS_FILE", "YAML file of staff users (bcrypt hashes, role, scope). Only read."
    )
    cookie_name: str = setting("syl_auth", "SYL_COOKIE_NAME", "Name of the staff login cookie.")
    cookie_key: str | None = setting(
        None,
        "SYL_COOKIE_KEY",
        "Secret that signs staff cookies: at least 32 random characters. Required outside demo mode; "
        "in demo mode a random key is kept in data/.cookie_key.",
    )
    cookie_expiry_hours: float = setting(
        8.0, "SYL_COOKIE_EXPIRY_HOURS", "Hours a staff login lasts (at most one working day: 10).", positive_float
    )
    cache_ttl_seconds: int = setting(
        300,
        "SYL_CACHE_TTL_SECONDS",
        "Seconds a query result is reused before the database is asked again (a refreshed analytical copy "
        "is asked at once).",
        positive_int,
    )
    page_runs_at_once: int = setting(
        4,
        "SYL_PAGE_RUNS_AT_ONCE",
        "Page runs one app process builds at once; later ones wait their turn in arrival order "
        "(app/run_gate.py), so a busy process finishes the first first.",
        positive_int,
    )
    small_cell_k: int = setting(
        5, "SYL_SMALL_CELL_K", "Public breakdowns hide any count below k (docs/access.md).", positive_int
    )
    map_style: str = setting(
        "",
        "SYL_MAP_STYLE",
        "Basemap style URL for pydeck; empty draws boundaries on a plain background (no tiles needed).",
    )
    map_tiles: str = setting(
        "",
        "SYL_MAP_TILES",
        "Raster XYZ tile URL with {z}, {x} and {y} (Tianditu, a city's GIS, an offline tile server) for "
        "the basemap when map_style is empty; empty: no basemap, nothing fetched.",
        tile_template,
    )
    map_tiles_attribution: str = setting(
        "", "SYL_MAP_TILES_ATTRIBUTION", "The tiles' attribution, shown on every map that draws them (plain text)."
    )
    public_url: str = setting(
        "",
        "SYL_PUBLIC_URL",
        "The public pages' address as residents reach it (https://...), for the big screen's QR code; "
        "empty: no QR code.",
        public_address,
    )
    audit_log_path: str = setting(
        str(PROJECT_ROOT / "data" / "audit.jsonl"),
        "SYL_AUDIT_LOG_PATH",
        "Append-only audit log (JSON lines), kept outside the read database.",
    )
    login_free_attempts: int = setting(
        3,
        "SYL_LOGIN_FREE_ATTEMPTS",
        "Failed logins from one browser for a user before each further try must wait.",
        positive_int,
    )
    login_max_wait_seconds: int = setting(
        300,
        "SYL_LOGIN_MAX_WAIT_SECONDS",
        "Longest wait imposed between failed logins (never a permanent lock).",
        positive_int,
    )
    client_address_header: str = setting(
        "",
        "SYL_CLIENT_ADDRESS_HEADER",
        "Behind a reverse proxy: the request header holding the visitor's address (X-Forwarded-For). "
        "Empty: the connection's own address.",
    )
    big_screen_rotate_seconds: int = setting(
        15,
        "SYL_BIG_SCREEN_ROTATE_SECONDS",
        "Seconds each big-screen panel stays up (?rotate= overrides).",
        positive_int,
    )
    big_screen_refresh_minutes: float = setting(
        5.0,
        "SYL_BIG_SCREEN_REFRESH_MINUTES",
        "Minutes between big-screen data refreshes (?refresh= overrides).",
        positive_float,
    )
    analytical_copy: str = setting(
        "auto",
        "SYL_ANALYTICAL_COPY",
        "In-process DuckDB copy that answers the dashboards' aggregate queries: auto (when the issues "
        "table holds at least analytical_copy_min_issues rows), on, or off.",
        copy_mode,
    )
    warm_start: bool = setting(
        True,
        "SYL_WARM_START",
        "A fresh app process opens every public page once, in the background, before visitors pay for "
        "its first views (app/warm_start.py): on or off.",
        on_off,
    )
    analytical_copy_min_issues: int = setting(
        100_000,
        "SYL_ANALYTICAL_COPY_MIN_ISSUES",
        "In auto mode, the issue count from which the analytical copy is kept.",
        positive_int,
    )
    analytical_refresh_seconds: int = setting(
        300,
        "SYL_ANALYTICAL_REFRESH_SECONDS",
        "Seconds between checks of the read database's watermark; a moved watermark reloads the copy "
        "in the background.",
        positive_int,
    )
    analytical_copy_dir: str = setting(
        str(DEFAULT_COPY_DIR),
        COPY_DIR_ENV,
        "Folder of the analytical copies, one subfolder per read database: every app process on this "
        "machine opens the same copy, one of them builds it, and a restart serves it at once.",
    )
    timezone: str = setting(
        "",
        "SYL_TIMEZONE",
        "The street's time zone (IANA name, e.g. Asia/Shanghai) for every local day, week and month. "
        "Empty: each database's own (meta.timezone, which the importer records), else Asia/Shanghai.",
        time_zone,
    )
    targets: Targets = setting(
        Targets(),
        "SYL_TARGETS",
        "The street's targets (resolution rate, on-time share, patrol compliance, alert dispatch; "
        "on-time per category): an [app.targets] table, or JSON in SYL_TARGETS (app/targets.py).",
        parse_targets,
    )
    patrol_priority: Weights = setting(
        Weights(),
        "SYL_PATROL_PRIORITY",
        "Weights of the daily patrol priority per grid (overdue_issues, open_alerts, overdue_visits, "
        "offline_devices; 0-100 each): an [app.patrol_priority] table, or JSON (data_access/priority.py).",
        parse_weights,
    )
    default_language: str = setting(
        "zh", "SYL_DEFAULT_LANGUAGE", "Language when the URL does not ask for one: zh or en.", language
    )
    problems: tuple[Problem, ...] = field(default=(), compare=False)  # not a setting: what went wrong reading them

    @property
    def demo(self) -> bool:
        """Demo mode: the shipped demo users file is in use (so its published passwords are known)."""
        return Path(self.users_file).resolve() == DEMO_USERS_FILE.resolve()


SETTINGS = tuple(f for f in fields(Settings) if "env" in f.metadata)


_logged: set[tuple[str, str]] = set()
_last_problem: tuple | None = None  # (file state, problem): a broken file is logged once, not every run


def read_secrets(path: Path | None = None) -> tuple[dict[str, Any], Problem | None]:
    """The secrets file as a table, or an empty one and the problem when it cannot be read."""
    global _last_problem
    path = path or SECRETS_PATH
    try:
        stat = path.stat()
    except OSError:
        return {}, None
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle), None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        seen = (str(path), stat.st_mtime_ns, stat.st_size)
        if _last_problem is None or _last_problem[0] != seen:
            log.error("cannot read %s, using defaults: %s", path, exc)
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            _last_problem = (seen, Problem("startup.secrets_unreadable", {"path": str(path), "reason": reason}))
        return {}, _last_problem[1]


def load_settings() -> Settings:
    secrets, problem = read_secrets()
    problems = [problem] if problem else []
    app_table = secrets.get("app") if isinstance(secrets.get("app"), dict) else {}
    database = secrets.get("database") if isinstance(secrets.get("database"), dict) else {}
    values: dict[str, Any] = {}
    for spec in SETTINGS:
        env = spec.metadata["env"]
        raw = os.environ.get(env)
        if raw is None:
            raw = database.get("url") if spec.name == "database_url" else app_table.get(spec.name)
        if raw is None or (raw == "" and spec.default is None):
            continue
        try:
            values[spec.name] = spec.metadata["parse"](raw)
        except (TypeError, ValueError):
            shown = str(raw) if spec.name not in ("cookie_key", "database_url") else "…"
            problems.append(Problem("startup.setting_invalid", {"name": spec.name, "env": env, "value": shown[:80]}))
            if (spec.name, shown) not in _logged:  # once per process and value, not on every run
                _logged.add((spec.name, shown))
                log.error("setting %s (%s) has an invalid value; using its default", spec.name, env)
    settings = Settings(**values, problems=tuple(problems))
    if not settings.database_url:
        settings = replace(settings, database_url=demo_database_url())
    return settings


def default_of(name: str) -> Any:
    return next(spec.default for spec in SETTINGS if spec.name == name)
