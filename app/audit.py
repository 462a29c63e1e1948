"""Append-only audit log, kept outside the read database (JSON lines, one event a line).

Recorded: every staff view of person-level data, every export, every reveal,
every login success and failure, every logout. Fields: at (UTC ISO-8601),
user, role, event, page, filters, rows, success.

Entries are bounded (a user name of 64 characters, values of 200, at most 30 details), so a
hostile visitor cannot grow the log by more than a short line per try. The file is created
readable by its owner only (0600): it names staff and what they looked at.
"""

from __future__ import annotations

import dataclasses
import fcntl
import inspect
import json
import os
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from data_access.localtime import Zone

EVENTS = ("login_success", "login_failure", "login_throttled", "logout", "view", "export", "reveal")
COLUMNS = ["at", "user", "role", "event", "page", "filters", "rows", "success"]
MAX_NAME = 64
MAX_VALUE = 200
MAX_DETAILS = 30


def clip(value: object, limit: int = MAX_VALUE) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _plain(value: object) -> Any:
    """A value as JSON-friendly text or number, bounded."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, tuple | list | set | frozenset):
        return clip(",".join(str(_plain(v)) for v in value))
    return clip(value)


def describe(function: Callable[..., Any], args: tuple, kwargs: dict[str, Any]) -> dict[str, Any]:
    """A data-layer call for the log: its name and arguments by parameter name (the engine and the
    caller's scope left out; filter fields by name, empty ones left out)."""
    try:
        bound = inspect.signature(function).bind_partial(None, *args, **kwargs).arguments
    except TypeError:
        bound = {f"arg{i}": value for i, value in enumerate(args, 1)} | kwargs
    details: dict[str, Any] = {"query": function.__name__}
    for name, value in bound.items():
        if name in ("engine", "scope") or value is None:
            continue
        if isinstance(value, Zone):  # the street's clock: its name, not its table of offsets
            details[name] = value.name
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            for item in dataclasses.fields(value):
                field_value = getattr(value, item.name)
                if field_value not in (None, (), ""):
                    details[item.name] = _plain(field_value)
        else:
            details[name] = _plain(value)
    return details


def fingerprint(details: dict[str, Any] | None) -> str:
    return json.dumps(details or {}, sort_keys=True, ensure_ascii=False, default=str)


def _bounded(details: dict[str, Any] | None) -> dict[str, Any]:
    items = list((details or {}).items())[:MAX_DETAILS]
    return {clip(key, MAX_NAME): _plain(value) for key, value in items}


def record(
    path: str | Path,
    *,
    user: str | None,
    role: str,
    event: str,
    page: str,
    filters: dict[str, Any] | None = None,
    rows: int | None = None,
    success: bool = True,
) -> None:
    if event not in EVENTS:
        raise ValueError(f"unknown audit event {event!r}")
    entry = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "user": clip(user, MAX_NAME) if user is not None else None,
        "role": role,
        "event": event,
        "page": page,
        "filters": _bounded(filters),
        "rows": rows,
        "success": success,
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(descriptor, "a", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        handle.write(json.dumps(entry, ensure_ascii=False, default=str) + "\n")
        handle.flush()


def read(
    path: str | Path,
    *,
    user: str | None = None,
    event: str | None = None,
    since: datetime | None = None,
    limit: int = 1000,
) -> pd.DataFrame:
    """The newest `limit` entries matching the filters, newest first; unreadable lines are skipped.
    Each entry's details stay as recorded (a dict), for the reader to put in words."""
    path = Path(path)
    if not path.exists():
        return pd.DataFrame(columns=COLUMNS)
    rows = []
    for line in reversed(path.read_text(encoding="utf-8", errors="replace").splitlines()):
        try:
            entry = json.loads(line)
            at = datetime.fromisoformat(entry["at"])
        except (ValueError, KeyError, TypeError):
            continue
        if not isinstance(entry, dict):
            continue
        if user and entry.get("user") != user:
            continue
        if event and entry.get("event") != event:
            continue
        if since and at < since:
            continue
        rows.append(entry)  # its details ("filters") as recorded: a dict (app/audit_view.py words them)
        if len(rows) >= limit:
            break
    return pd.DataFrame(rows, columns=COLUMNS)
