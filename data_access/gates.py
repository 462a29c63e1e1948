"""门禁通行: entries and exits per face gate and hour, as the gate system exports them.

The table holds counts only (``gate_traffic``: a gate, a UTC hour, entries, exits): no person, face or
plate, and nothing here could name one. Hours are stored in UTC and grouped by the street's local
clock (the `zone` each function is given, ``data_access.localtime.zone_of`` for the database's own).
A gate lies in the grid of its ``devices`` row; a count whose gate is not on the device list counts
for the whole street only.

The public sees the street's totals by hour of day; staff each gate of their scope and its anomalies
(docs/metrics.md "门禁通行", thresholds below).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import pandas as pd
from sqlalchemy import DateTime, and_, bindparam, case, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.sql.elements import ColumnElement

from data_access.access import declare
from data_access.filters import EVERYWHERE, IssueFilters
from data_access.frames import read_frame
from data_access.localtime import Zone
from data_access.localtime import local_date as local_date_of
from data_access.schema import devices, gate_traffic
from data_access.scope import Scope
from data_access.sqlfuncs import local_date, local_hour

g = gate_traffic
HOURS = tuple(range(24))

# Anomalies (gate_anomalies), at an instant T:
RECENT_HOURS = 24  # "the last day": [T - 24 h, T)
BASELINE_DAYS = 28  # the baseline: the 28 days before the last day, and before the last week for nights
NIGHT_DAYS = 7  # night entries are compared over the last 7 days
NIGHT_HOURS = (0, 1, 2, 3, 4)  # local 00:00-05:00
SILENT_MIN_BASELINE = 20  # silent: no entry in the last day although the baseline is at least this per day
NIGHT_PEAK_RATIO = 3.0  # night peak: the last week's nightly average at least this times the baseline ...
NIGHT_PEAK_MIN = 10  # ... and at least this many entries a night


def _place(scope: Scope, area: IssueFilters) -> ColumnElement[bool]:
    return and_(scope.on_grid(devices.c.grid_id), area.on_grid(devices.c.grid_id))


def _with_devices():  # noqa: ANN202 - a Join
    return g.outerjoin(devices, devices.c.device_id == g.c.device_id)


def _period(since: datetime, until: datetime) -> ColumnElement[bool]:
    return and_(g.c.hour_start >= since, g.c.hour_start < until)


def _day_of(value: object) -> date:
    """A local day as SQL's local_date gives it ('YYYY-MM-DD' text on every backend)."""
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


@dataclass(frozen=True)
class _PartDays:
    """The part days at the ends of a period [since, until): the hours of its first local day that
    began before `since`, and those of its last local day that had not begun by `until`.

    A period rarely ends at a local midnight (it ends at the data's now): on its last day, today as
    a rule, the hours still to come are no day of nothing, and on its first day the hours before it
    began were never counted. So an hour's average is over the days it was observed, never lowered
    by a part day."""

    first_day: date
    before: frozenset[int]
    last_day: date
    not_begun: frozenset[int]

    @classmethod
    def of(cls, since: datetime, until: datetime, zone: Zone) -> _PartDays:
        first_day = local_date_of(since, zone)
        last_day = local_date_of(until - timedelta(microseconds=1), zone)
        starts = lambda day: {hour: zone.utc(datetime.combine(day, time(hour))) for hour in HOURS}  # noqa: E731
        before = frozenset(hour for hour, at in starts(first_day).items() if at < since)
        not_begun = frozenset(hour for hour, at in starts(last_day).items() if at >= until)
        return cls(first_day, before, last_day, not_begun)

    def days_by_hour(self, days: int, first: object, last: object) -> list[int]:
        """Per local hour 0-23: of `days` local days with counts (`first` and `last` the earliest and
        latest, as SQL's local_date gives them), those on which the hour began inside the period."""
        late = self.not_begun if _day_of(last) == self.last_day else frozenset()
        early = self.before if _day_of(first) == self.first_day else frozenset()
        return [max(days - (hour in late) - (hour in early), 0) for hour in HOURS]


@declare("anyone")
def street_gate_totals(engine: Engine, scope: Scope, since: datetime, until: datetime, zone: Zone) -> dict[str, object]:
    """Counts of [since, until) summed over every gate in scope (the public: the whole street) and
    every day: ``by_hour`` (hour 0-23 on the local clock, entries, exits, days (of ``days``, those on
    which the hour had begun in the period: see _PartDays), entries_per_day, exits_per_day; every
    hour, zero where nothing was counted), ``days`` (local days with any count), ``entries`` and
    ``exits`` in total."""
    hour = local_hour(g.c.hour_start, zone).label("hour")
    where = and_(_period(since, until), scope.on_grid(devices.c.grid_id))
    per_hour = read_frame(
        engine,
        select(hour, func.sum(g.c.entries).label("entries"), func.sum(g.c.exits).label("exits"))
        .select_from(_with_devices())
        .where(where)
        .group_by(hour),
    )
    day = local_date(g.c.hour_start, zone)
    days_query = select(func.count(func.distinct(day)), func.min(day), func.max(day)).select_from(_with_devices())
    with engine.connect() as conn:
        days, first, last = conn.execute(days_query.where(where)).one()
    days = int(days or 0)
    frame = (
        per_hour.astype({"hour": int})
        .set_index("hour")
        .reindex(HOURS)
        .fillna(0)
        .astype(int)
        .rename_axis("hour")
        .reset_index()
    )
    frame["days"] = _PartDays.of(since, until, zone).days_by_hour(days, first, last) if days else 0
    observed = frame["days"].where(frame["days"] > 0)
    frame["entries_per_day"] = frame["entries"] / observed
    frame["exits_per_day"] = frame["exits"] / observed
    return {"by_hour": frame, "days": days, "entries": int(frame["entries"].sum()), "exits": int(frame["exits"].sum())}


@declare("staff")
def gate_hourly(
    engine: Engine, scope: Scope, since: datetime, until: datetime, zone: Zone, area: IssueFilters = EVERYWHERE
) -> pd.DataFrame:
    """Per gate in scope (device_id, grid_id) and local hour of day with counts in [since, until):
    entries and exits, days (the local days the gate sent any count, less those on which the hour had
    not begun in the period: see _PartDays), entries_per_day and exits_per_day (the hour's
    average over those days)."""
    hour = local_hour(g.c.hour_start, zone).label("hour")
    where = and_(_period(since, until), _place(scope, area))
    joined = g.join(devices, devices.c.device_id == g.c.device_id)
    per_hour = (
        select(
            g.c.device_id,
            devices.c.grid_id,
            hour,
            func.sum(g.c.entries).label("entries"),
            func.sum(g.c.exits).label("exits"),
        )
        .select_from(joined)
        .where(where)
        .group_by(g.c.device_id, devices.c.grid_id, hour)
        .subquery("per_hour")
    )
    day = local_date(g.c.hour_start, zone)
    days = (
        select(
            g.c.device_id,
            func.count(func.distinct(day)).label("days"),
            func.min(day).label("first_day"),
            func.max(day).label("last_day"),
        )
        .select_from(joined)
        .where(where)
        .group_by(g.c.device_id)
        .subquery("gate_days")
    )
    query = (
        select(per_hour, days.c.days, days.c.first_day, days.c.last_day)
        .select_from(per_hour.join(days, days.c.device_id == per_hour.c.device_id))
        .order_by(per_hour.c.device_id, per_hour.c.hour)
    )
    frame = read_frame(engine, query)
    for column in ("hour", "entries", "exits", "days"):
        frame[column] = pd.to_numeric(frame[column]).astype(int)
    ends = _PartDays.of(since, until, zone)
    by_gate = frame.drop_duplicates("device_id")
    seen = {
        gate: ends.days_by_hour(days, first, last)
        for gate, days, first, last in zip(
            by_gate["device_id"], by_gate["days"], by_gate["first_day"], by_gate["last_day"], strict=True
        )
    }
    frame["days"] = [seen[gate][hour] for gate, hour in zip(frame["device_id"], frame["hour"], strict=True)]
    frame["entries_per_day"] = frame["entries"] / frame["days"]
    frame["exits_per_day"] = frame["exits"] / frame["days"]
    return frame.drop(columns=["first_day", "last_day"])


@declare("staff")
def gate_anomalies(
    engine: Engine, scope: Scope, at: datetime, zone: Zone, area: IssueFilters = EVERYWHERE
) -> pd.DataFrame:
    """Per face gate in scope at the instant `at`: its status, entries_24h and hours_24h (hours it sent
    a count) in the last day; baseline_per_day, the average entries a day over the 28 days before
    that (per hour counted, times 24); night_7d, the average entries a night (local 00:00-05:00) over
    the last 7 days, and night_baseline over the 28 days before them (per night hour counted, times
    5). Flags: ``silent`` (the gate sent counts in the last day but no entry although its baseline is
    at least SILENT_MIN_BASELINE: ``silent_reason`` "no_entries"; or it sent no count at all in the
    last day although the feed says it is online: "no_counts"; an offline gate that sends nothing is
    on the offline-device list instead) and
    ``night_peak`` (night_7d at least NIGHT_PEAK_RATIO times night_baseline and at least
    NIGHT_PEAK_MIN). Flagged gates first, then by device id."""
    recent = at - timedelta(hours=RECENT_HOURS)
    base_from = recent - timedelta(days=BASELINE_DAYS)
    week = at - timedelta(days=NIGHT_DAYS)
    nights_from = week - timedelta(days=BASELINE_DAYS)
    ts = g.c.hour_start

    def within(start: datetime, end: datetime, name: str) -> ColumnElement[bool]:
        return and_(
            ts >= bindparam(f"{name}_from", start, type_=DateTime), ts < bindparam(f"{name}_to", end, type_=DateTime)
        )

    night = local_hour(ts, zone).in_(NIGHT_HOURS)
    in_recent, in_base = within(recent, at, "recent"), within(base_from, recent, "base")
    in_week, in_nights = and_(within(week, at, "week"), night), and_(within(nights_from, week, "nights"), night)

    def total(condition: ColumnElement[bool], value: ColumnElement) -> ColumnElement:
        return func.coalesce(func.sum(case((condition, value), else_=0)), 0)

    joined = devices.outerjoin(
        g, and_(g.c.device_id == devices.c.device_id, within(min(base_from, nights_from), at, "span"))
    )
    query = (
        select(
            devices.c.device_id,
            devices.c.grid_id,
            devices.c.status,
            total(in_recent, g.c.entries).label("entries_24h"),
            total(in_recent, 1).label("hours_24h"),
            total(in_base, g.c.entries).label("base_entries"),
            total(in_base, 1).label("base_hours"),
            total(in_week, g.c.entries).label("night_entries_7d"),
            total(in_week, 1).label("night_hours_7d"),
            total(in_nights, g.c.entries).label("night_base_entries"),
            total(in_nights, 1).label("night_base_hours"),
        )
        .select_from(joined)
        .where(devices.c.kind == "face_gate", _place(scope, area))
        .group_by(devices.c.device_id, devices.c.grid_id, devices.c.status)
    )
    frame = read_frame(engine, query)
    counts = [c for c in frame.columns if c not in ("device_id", "grid_id", "status")]
    for column in counts:
        frame[column] = pd.to_numeric(frame[column]).fillna(0).astype(int)
    per_hour = lambda entries, hours: frame[entries] / frame[hours].where(frame[hours] > 0)  # noqa: E731
    frame["baseline_per_day"] = per_hour("base_entries", "base_hours") * 24
    frame["night_7d"] = per_hour("night_entries_7d", "night_hours_7d") * len(NIGHT_HOURS)
    frame["night_baseline"] = per_hour("night_base_entries", "night_base_hours") * len(NIGHT_HOURS)
    counted_nothing = (frame["hours_24h"] > 0) & (frame["entries_24h"] == 0)
    no_entries = counted_nothing & (frame["baseline_per_day"] >= SILENT_MIN_BASELINE)
    no_counts = (frame["hours_24h"] == 0) & (frame["status"] == "online")
    frame["silent"] = no_entries | no_counts
    frame["silent_reason"] = [
        "no_counts" if b else "no_entries" if a else None for a, b in zip(no_entries, no_counts, strict=True)
    ]
    frame["night_peak"] = (frame["night_7d"] >= NIGHT_PEAK_RATIO * frame["night_baseline"]) & (
        frame["night_7d"] >= NIGHT_PEAK_MIN
    )
    frame["flagged"] = frame["silent"] | frame["night_peak"]
    columns = [
        "device_id",
        "grid_id",
        "status",
        "entries_24h",
        "hours_24h",
        "baseline_per_day",
        "night_7d",
        "night_baseline",
        "silent",
        "silent_reason",
        "night_peak",
        "flagged",
    ]
    return (
        frame[columns]
        .sort_values(["flagged", "device_id"], ascending=[False, True], kind="stable")
        .reset_index(drop=True)
    )
