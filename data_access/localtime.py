"""Local time of the street: the one place that converts between stored UTC and the local clock.

Stored instants are naive UTC. The street's time zone is an IANA name: the database says which in
``meta.timezone`` (an imported 311 export records its city's), the app's ``timezone`` setting may
override it, and Asia/Shanghai is the default. ``zone_of(engine)`` is what every query uses, so
"this month" and "today" mean the same instants on every page, in the summary command and on the
big screen. Daylight saving is exact: SQL shifts each timestamp by the offset in force at that
instant (see data_access/sqlfuncs.py), from the zone's transitions since 2000.

A local day starts at local midnight; a local week starts on Monday (ISO weeks).
"""

from __future__ import annotations

import re
import weakref
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_ZONE = "Asia/Shanghai"
FIRST_YEAR, LAST_YEAR = 2000, 2070  # the span whose daylight-saving transitions SQL follows
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+)*$")


@dataclass(frozen=True)
class Zone:
    """A time zone with its UTC offsets: (first UTC instant, offset in seconds) in time order."""

    name: str
    segments: tuple[tuple[datetime, int], ...]

    @property
    def fixed_offset(self) -> int | None:
        """The offset in seconds when it never changes (Asia/Shanghai since 1991), else None."""
        return self.segments[0][1] if len(self.segments) == 1 else None

    def offset_at(self, instant: datetime) -> int:
        offset = self.segments[0][1]
        for start, seconds in self.segments:
            if instant < start:
                break
            offset = seconds
        return offset

    def local(self, instant: datetime) -> datetime:
        """A naive UTC instant on the local clock."""
        return instant + timedelta(seconds=self.offset_at(instant))

    def utc(self, local: datetime) -> datetime:
        """A naive local time as a naive UTC instant (a time skipped by a spring-forward counts as
        the instant after the gap; a repeated autumn hour as its first occurrence)."""
        aware = local.replace(tzinfo=ZoneInfo(self.name), fold=0)
        back = aware.astimezone(UTC).replace(tzinfo=None)
        if self.local(back) != local:  # in a gap: the clock jumped over this time, to the transition
            back = max(start for start, _ in self.segments if start <= back)
        return back


@lru_cache(maxsize=32)
def zone(name: str) -> Zone:
    """The zone called `name`; ValueError for a name that is not an IANA time zone."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(f"not a time zone name: {name!r}")
    try:
        info = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r} (an IANA name such as Asia/Shanghai)") from exc

    def offset(instant: datetime) -> int:
        return int(instant.replace(tzinfo=UTC).astimezone(info).utcoffset().total_seconds())

    start = datetime(FIRST_YEAR, 1, 1)
    segments = [(start, offset(start))]
    step = timedelta(days=1)  # since 2000, no zone changes its offset twice within a day
    at = start
    while at.year < LAST_YEAR:
        after = at + step
        if offset(after) != segments[-1][1]:
            low, high = at, after  # the change lies in (low, high]: find its second
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                if offset(middle) == segments[-1][1]:
                    low = middle
                else:
                    high = middle
            high = high.replace(microsecond=0)
            segments.append((high, offset(high)))
        at = after
    return Zone(name, tuple(segments))


SHANGHAI = zone(DEFAULT_ZONE)
_override: str | None = None
_engines: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def set_override(name: str | None) -> None:
    """The app's `timezone` setting: every database is read in this zone (None: each its own)."""
    global _override
    if name is not None:
        zone(name)  # refuse an unknown name here, not at the first query
    _override = name or None


def zone_of(engine: Any) -> Zone:
    """The zone a database's figures are read in: the setting, else its meta.timezone, else the
    default. Read once per engine."""
    if _override:
        return zone(_override)
    engine = getattr(engine, "row_engine", engine)  # behind the analytical copy: the read database
    if engine in _engines:
        return _engines[engine]
    from data_access.reference import meta_values  # here: reference imports this module

    try:
        found = zone(meta_values(engine).get("timezone") or DEFAULT_ZONE)
    except ValueError:
        found = SHANGHAI  # a damaged meta entry: the default, and data health names it
    _engines[engine] = found
    return found


def local_day_start(day: date, where: Zone) -> datetime:
    """The naive-UTC instant at which the local `day` begins."""
    return where.utc(datetime.combine(day, datetime.min.time()))


def local_date(instant: datetime, where: Zone) -> date:
    """The local calendar day of a naive-UTC instant."""
    return where.local(instant).date()


def week_start(day: date) -> date:
    """The Monday of the ISO week holding `day`."""
    return day - timedelta(days=day.weekday())
