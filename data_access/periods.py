"""What each period label means: one definition, used by every page, the big screen and the summary
command, so "近 30 天" is the same instants wherever it is written.

Every period is made of whole local days of the street's zone (data_access/localtime.py) and ends
with the data's own day (the local day of meta.data_as_of, "today"):

- rolling: ``7d``, ``30d``, ``90d``, ``180d``, ``12m`` (365 days) are that many days up to and
  including today; the previous period is the same number of days just before;
- calendar: ``week`` (this ISO week, Monday to today), ``last_week`` (the last complete one),
  ``month`` (the 1st to today), ``year`` (1 January to today); the previous period is the same
  span of the week, month or year before;
- ``all``: no bounds; ``custom``: the days given.

A period knows its first and last day, for the caption written under every figure.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from data_access.localtime import Zone, local_date, local_day_start, week_start

ROLLING_DAYS = {"7d": 7, "30d": 30, "90d": 90, "180d": 180, "12m": 365}
CALENDAR = ("week", "last_week", "month", "year")
KEYS = (*ROLLING_DAYS, *CALENDAR, "all", "custom")


@dataclass(frozen=True)
class Period:
    key: str
    first_day: date | None  # local, inclusive
    last_day: date | None  # local, inclusive
    zone: Zone

    @property
    def since(self) -> datetime | None:
        """The first instant (naive UTC), None for no lower bound."""
        return local_day_start(self.first_day, self.zone) if self.first_day else None

    @property
    def until(self) -> datetime | None:
        """The instant after the last day (naive UTC), None for no upper bound."""
        return local_day_start(self.last_day + timedelta(days=1), self.zone) if self.last_day else None

    @property
    def days(self) -> int | None:
        if self.first_day is None or self.last_day is None:
            return None
        return (self.last_day - self.first_day).days + 1

    def previous(self) -> Period:
        """The period a change is measured against (see the module's docstring)."""
        if self.first_day is None or self.last_day is None:
            return self
        if self.key in ("week", "last_week"):
            step = timedelta(weeks=1)
            return replace(self, first_day=self.first_day - step, last_day=self.last_day - step)
        if self.key == "month":
            first = (self.first_day - timedelta(days=1)).replace(day=1)
            last = min(first + (self.last_day - self.first_day), _last_of(first))
            return replace(self, first_day=first, last_day=last)
        if self.key == "year":
            first = self.first_day.replace(year=self.first_day.year - 1)
            return replace(self, first_day=first, last_day=_same_day(self.last_day, first.year))
        length = timedelta(days=self.days or 0)
        return replace(self, first_day=self.first_day - length, last_day=self.last_day - length)


def _last_of(month_start: date) -> date:
    return (month_start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def _same_day(day: date, year: int) -> date:
    try:
        return day.replace(year=year)
    except ValueError:  # 29 February
        return day.replace(year=year, day=28)


def today(as_of: datetime, zone: Zone) -> date:
    """The data's local day: the last day every period ends with."""
    return local_date(as_of, zone)


def period(key: str, as_of: datetime, zone: Zone, first: date | None = None, last: date | None = None) -> Period:
    """The period `key` as of the data's `as_of` instant; `first`/`last` for ``custom``."""
    day = today(as_of, zone)
    if key in ROLLING_DAYS:
        return Period(key, day - timedelta(days=ROLLING_DAYS[key] - 1), day, zone)
    if key == "week":
        return Period(key, week_start(day), day, zone)
    if key == "last_week":
        monday = week_start(day) - timedelta(weeks=1)
        return Period(key, monday, monday + timedelta(days=6), zone)
    if key == "month":
        return Period(key, day.replace(day=1), day, zone)
    if key == "year":
        return Period(key, day.replace(month=1, day=1), day, zone)
    if key == "all":
        return Period(key, None, None, zone)
    if key == "custom":
        if first is None or last is None:
            raise ValueError("a custom period needs its first and last day")
        first, last = min(first, last), max(first, last)
        return Period(key, min(first, day), min(last, day), zone)  # no day after the data's own
    raise ValueError(f"unknown period {key!r}; known: {', '.join(KEYS)}")


def months(last_day: date, zone: Zone, count: int = 12) -> Period:
    """The `count` calendar months up to `last_day`, its own month included (so far): what a monthly
    trend covers. Whole months from their 1st, so the first month of a trend is not a fragment."""
    first = last_day.replace(day=1)
    for _ in range(count - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    return Period("custom", first, last_day, zone)


def month_key(day: date) -> str:
    """The local month holding `day` as monthly figures name it ("2026-11", as SQL's local_month)."""
    return f"{day.year:04d}-{day.month:02d}"


def month_keys(span: Period) -> list[str]:
    """Every month `span` touches, oldest first: the places on a monthly trend's axis, so that a
    month with nothing in it still has its place (at zero) instead of vanishing."""
    if span.first_day is None or span.last_day is None:
        return []
    keys, first = [], span.first_day.replace(day=1)
    while first <= span.last_day:
        keys.append(month_key(first))
        first = _last_of(first) + timedelta(days=1)
    return keys


def open_month(span: Period, day: date) -> str | None:
    """The last month of a monthly trend over `span` when it is not a whole month: it holds the
    data's own `day` (which is never over), or `span` stops before the month does. A trend marks it
    "so far"; drawn as a month like the others, the 1st of a month would look like a collapse."""
    last = span.last_day
    if last is None or (last < day and last == _last_of(last.replace(day=1))):
        return None
    return month_key(last)


@dataclass(frozen=True)
class WeekProgress:
    """How far the street is into the ISO week that holds the data's day. That week is always in
    progress (even late on Sunday, patrols can still be made), so it is never judged as complete."""

    monday: date
    days_gone: int  # 1..7: days begun (Monday counts as one from its first minute)

    def expected(self, required: int) -> float:
        """Patrols a grid should have by now to be on pace for `required` in the week."""
        return required * self.days_gone / 7


def week_progress(as_of: datetime, zone: Zone) -> WeekProgress:
    day = today(as_of, zone)
    return WeekProgress(week_start(day), day.weekday() + 1)


def last_whole_month(as_of: datetime, zone: Zone) -> Period:
    """The last calendar month that has ended by the data's day (on 1 December: November)."""
    last = today(as_of, zone).replace(day=1) - timedelta(days=1)
    return Period("custom", last.replace(day=1), last, zone)


def last_complete_week(as_of: datetime, zone: Zone) -> date:
    """The Monday of the last ISO week that has ended by the data's day (Sunday counts as ended
    only once it is over)."""
    return week_start(today(as_of, zone)) - timedelta(weeks=1)
