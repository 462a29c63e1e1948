"""Append-only audit log, kept outside the read database (JSON lines, one event a line).

Recorded: every staff view of person-level data, every export, every reveal,
every login success and failure, every logout. Fields: at (UTC ISO-8601),
user, role, event, page, filters, rows, success.
"""

from __future__ import annotations

import fcntl
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

EVENTS = ("login_success", "login_failure", "login_throttled", "logout", "view", "export", "reveal")
COLUMNS = ["at", "user", "role", "event", "page", "filters", "rows", "success"]


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
        "user": user,
        "role": role,
        "event": event,
        "page": page,
        "filters": filters or {},
        "rows": rows,
        "success": success,
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
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
    """The newest `limit` entries matching the filters, newest first; unreadable lines are skipped."""
    path = Path(path)
    if not path.exists():
        return pd.DataFrame(columns=COLUMNS)
    rows = []
    for line in reversed(path.read_text(encoding="utf-8").splitlines()):
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if user and entry.get("user") != user:
            continue
        if event and entry.get("event") != event:
            continue
        if since and datetime.fromisoformat(entry["at"]) < since:
            continue
        entry["filters"] = json.dumps(entry.get("filters") or {}, ensure_ascii=False)
        rows.append(entry)
        if len(rows) >= limit:
            break
    return pd.DataFrame(rows, columns=COLUMNS)
