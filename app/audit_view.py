"""The audit log in words, for the 审计日志 page: page names instead of page ids, an entry's details as
"期间：近 30 天 · 社区：解放碑社区" instead of JSON, and a dash wherever a value is missing (never
"None" or "nan").

Known detail names get a catalogue label (`audit.filter_keys`); known codes get their name
(periods, queries, tables, events, channels, statuses, and the areas and categories the page
context can name); anything else is shown as the text it is. The log itself is never changed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pandas as pd
from sqlalchemy.exc import SQLAlchemyError

from app import formatting, registry
from app.context import PageContext
from data_access.errors import DataAccessError

MISSING = formatting.MISSING
_EMPTY_TEXT = ("", "none", "nan", "nat", "null")


def is_missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if isinstance(value, str) and value.strip().lower() in _EMPTY_TEXT:
        return True
    return isinstance(value, list | tuple | set | dict) and not value


class Words:
    """Turns one log's entries into text for `ctx`'s language."""

    def __init__(self, ctx: PageContext) -> None:
        self.ctx = ctx
        self.t = ctx.t
        self._names: dict[str, dict] = {}

    # Lookups that may fail: the audit log works without the read database, and then shows codes.

    def _lookup(self, kind: str, load: Callable[[], dict]) -> dict:
        if kind not in self._names:
            try:
                self._names[kind] = dict(load())
            except (DataAccessError, SQLAlchemyError):
                self._names[kind] = {}
        return self._names[kind]

    def _known(self, key: str, fallback: object) -> str:
        """The catalogue text for `key`, or `fallback` as text when the catalogue has none."""
        found = self.t(key)
        return found if found != key else str(fallback)

    # One value. -----------------------------------------------------------------------------------

    def _items(self, value: object) -> list[str]:
        if isinstance(value, list | tuple | set):
            return [str(v) for v in value if not is_missing(v)]
        return [part.strip() for part in str(value).split(",") if part.strip()]

    def _joined(self, value: object, name: Callable[[str], str]) -> str:
        return self.t("audit.list_separator").join(name(item) for item in self._items(value))

    def _day(self, value: object) -> str:
        try:
            return formatting.calendar_day(date.fromisoformat(str(value)[:10]), self.ctx.lang)
        except ValueError:
            return str(value)

    def _instant(self, value: object) -> str:
        try:
            instant = datetime.fromisoformat(str(value))
        except ValueError:
            return str(value)
        if instant.tzinfo is not None:  # stored instants are naive UTC; an aware one is converted
            instant = pd.Timestamp(instant).tz_convert("UTC").tz_localize(None).to_pydatetime()
        return formatting.local_datetime(instant, self.ctx.lang)

    def _month(self, value: object) -> str:
        try:
            first = date.fromisoformat(f"{str(value)[:7]}-01")
        except ValueError:
            return str(value)
        return f"{first.year}年{first.month}月" if self.ctx.lang == "zh" else first.strftime("%b %Y")

    def _community(self, code: str) -> str:
        return formatting.name_of(self._lookup("community", lambda: self.ctx.community_names), code)

    def _grid(self, code: str) -> str:
        return formatting.name_of(self._lookup("grid", lambda: self.ctx.grid_names), code)

    def _category(self, code: str) -> str:
        return formatting.name_of(self._lookup("category", lambda: self.ctx.category_names), code)

    def _department(self, value: object) -> str:
        if str(value) == "all":
            return self.t("performance.report.all_departments")
        try:
            return self.ctx.department_name(value)
        except (DataAccessError, SQLAlchemyError):
            return str(value)

    def value(self, key: str, value: object) -> str:
        """A detail's value in words (`value` is not missing)."""
        if isinstance(value, bool):
            return self.t("audit.yes") if value else self.t("audit.no")
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        known: dict[str, Callable[[Any], str]] = {
            "query": lambda v: self._known(f"audit.queries.{v}", v),
            "table": lambda v: self._known(f"audit.tables.{v}", v),
            "format": lambda v: str(v).upper(),
            "period": lambda v: self._known(f"audit.periods.{v}", v),
            "first_day": self._day,
            "last_day": self._day,
            "last_monday": self._day,
            "week": self._day,
            "since": self._instant,
            "until": self._instant,
            "at": self._instant,
            "month": self._month,
            "days": lambda v: self.t("audit.days", days=v),
            "target_minutes": lambda v: formatting.minutes(v, self.ctx.lang),
            "categories": lambda v: self._joined(v, self._category),
            "channels": lambda v: self._joined(v, lambda c: self._known(f"channel.{c}", c)),
            "statuses": lambda v: self._joined(v, lambda s: self._known(f"status.{s}", s)),
            "show": lambda v: self._known(f"filter.shows.{v}", v),
            "community": lambda v: self._joined(v, self._community),
            "community_ids": lambda v: self._joined(v, self._community),
            "grid": lambda v: self._joined(v, self._grid),
            "grid_ids": lambda v: self._joined(v, self._grid),
            "department": self._department,
            "event": lambda v: self._known(f"audit.events.{v}", v),
            "kinds": lambda v: self._joined(v, lambda k: self._known(f"map.layer.{k}", k)),
        }
        return known[key](value) if key in known else str(value)

    # An entry. ------------------------------------------------------------------------------------

    def details(self, details: object) -> str:
        """An entry's details ("filters") as "label：value · label：value"; a dash when it has none."""
        if not isinstance(details, dict):
            return MISSING if is_missing(details) else str(details)
        pairs = [
            self.t("audit.pair", label=self._known(f"audit.filter_keys.{key}", key), value=self.value(key, value))
            for key, value in details.items()
            if not is_missing(value)
        ]
        return " · ".join(pairs) if pairs else MISSING

    def page(self, page_id: object) -> str:
        if is_missing(page_id):
            return MISSING
        try:
            return self.t(registry.by_id(str(page_id)).title_key)
        except KeyError:
            return str(page_id)

    def role(self, role: object) -> str:
        return MISSING if is_missing(role) else self._known(f"role.{role}", role)

    def event(self, event: object) -> str:
        return MISSING if is_missing(event) else self._known(f"audit.events.{event}", event)

    def rows(self, rows: object) -> str:
        if is_missing(rows):
            return MISSING
        try:
            return formatting.number(int(float(rows)), self.ctx.lang)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return str(rows)

    def outcome(self, success: object) -> str:
        flag = str(success).strip().lower()  # a bool, numpy's bool, or whatever a damaged line holds
        if flag in ("true", "1"):
            return self.t("audit.outcomes.success")
        if flag in ("false", "0"):
            return self.t("audit.outcomes.failure")
        return self.text(success)

    def at(self, at: object) -> str:
        if is_missing(at):
            return MISSING
        return self._instant(at)

    def text(self, value: object) -> str:
        return MISSING if is_missing(value) else str(value)

    def table(self, entries: pd.DataFrame) -> pd.DataFrame:
        """The entries (app.audit.read) as the page shows them: every cell text, headers in words."""
        columns = {
            "at": [self.at(v) for v in entries["at"]],
            "user": [self.text(v) for v in entries["user"]],
            "role": [self.role(v) for v in entries["role"]],
            "event": [self.event(v) for v in entries["event"]],
            "page": [self.page(v) for v in entries["page"]],
            "rows": [self.rows(v) for v in entries["rows"]],
            "success": [self.outcome(v) for v in entries["success"]],
            "filters": [self.details(v) for v in entries["filters"]],  # last: the long one
        }
        return pd.DataFrame({self.t("audit.columns." + name): values for name, values in columns.items()})
