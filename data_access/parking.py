"""车位共享: spaces residents offer, the hours booked in them, and the requests that found no space.

One row of ``parking_shares`` is a window in which an owner offers a space (``space_ref``). A period
holds the windows that start in it and the bookings made in those windows, so utilisation (booked
hours ÷ offered hours) never mixes a booking with another period's offer. Booked time is what
bookings held: every status but ``cancelled`` (a no-show held the space too). Demand the supply
missed is ``parking_unmet_requests``, counted by when it was asked. Hour of day and day of week are
the street's local clock; a window or booking counts in each local hour it overlaps, for the part
of the hour it overlaps (the first SLOT_HOURS hours of a longer one).

The public sees aggregates (by community, by grid, by hour); staff see each space and each owner,
masked. Plates never leave the database: no query here selects them.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from sqlalchemy import Float, Integer, and_, case, func, literal, literal_column, select, true, union_all
from sqlalchemy.engine import Engine
from sqlalchemy.sql.elements import ColumnElement

from data_access.access import declare
from data_access.filters import EVERYWHERE, IssueFilters
from data_access.frames import read_frame
from data_access.localtime import zone_of
from data_access.privacy import mask_name
from data_access.schema import grids, parking_bookings, parking_shares, parking_unmet_requests, residents
from data_access.scope import Scope
from data_access.sqlfuncs import floor_, hour_fraction, hours_between, local_hour, local_month, local_weekday

SLOT_HOURS = 48  # a window longer than two days counts in the hours of its first two
HELD = parking_bookings.c.status != "cancelled"
_offered_hours = hours_between(parking_shares.c.available_from, parking_shares.c.available_to)
_booked_hours = hours_between(parking_bookings.c.starts_at, parking_bookings.c.ends_at)


def _in_scope_and_period(
    grid: ColumnElement, at: ColumnElement, scope: Scope, since: datetime | None, until: datetime | None,
    area: IssueFilters,
) -> ColumnElement:
    """Rows whose grid lies in scope and area and whose `at` lies in [since, until) (open ends: None)."""
    parts = [scope.on_grid(grid), area.on_grid(grid)]
    if since is not None:
        parts.append(at >= since)
    if until is not None:
        parts.append(at < until)
    return and_(true(), *parts)


def _windows(scope: Scope, since: datetime | None, until: datetime | None, area: IssueFilters) -> ColumnElement:
    """Windows that start in the period."""
    return _in_scope_and_period(parking_shares.c.grid_id, parking_shares.c.available_from, scope, since, until, area)


def _unmet(scope: Scope, since: datetime | None, until: datetime | None, area: IssueFilters) -> ColumnElement:
    """Requests that found no space, asked in the period."""
    requests = parking_unmet_requests.c
    return _in_scope_and_period(requests.grid_id, requests.requested_at, scope, since, until, area)


def _booking_counts(*group: ColumnElement) -> list[ColumnElement]:
    """Per group: bookings, held hours, and the bookings that went wrong."""
    return [
        func.count(parking_bookings.c.booking_id).label("bookings"),
        func.coalesce(func.sum(case((HELD, _booked_hours), else_=0.0)), 0.0).label("booked_hours"),
        func.sum(case((parking_bookings.c.status == "no_show", 1), else_=0)).label("no_shows"),
        func.sum(case((parking_bookings.c.status == "disputed", 1), else_=0)).label("disputes"),
        func.sum(case((parking_bookings.c.status == "cancelled", 1), else_=0)).label("cancelled"),
    ]


_booked_in_window = parking_shares.join(parking_bookings, parking_bookings.c.share_id == parking_shares.c.share_id)


def _share(part: pd.Series, whole: pd.Series) -> pd.Series:
    whole = pd.to_numeric(whole, errors="coerce").astype(float)
    return (pd.to_numeric(part, errors="coerce").astype(float) / whole.where(whole > 0)).astype(float)


@declare("anyone")
def parking_figures(
    engine: Engine, scope: Scope, since: datetime | None, until: datetime | None, area: IssueFilters = EVERYWHERE
) -> dict:
    """Spaces, windows, offered and booked hours, utilisation, bookings and what went wrong, and the
    requests that found no space (with their share of all requests)."""
    where = _windows(scope, since, until, area)
    offered = select(
        func.count(func.distinct(parking_shares.c.space_ref)).label("spaces"),
        func.count().label("windows"),
        func.coalesce(func.sum(_offered_hours), 0.0).label("offered_hours"),
    ).where(where)
    booked = select(*_booking_counts()).select_from(_booked_in_window).where(where)
    unmet = select(func.count().label("unmet")).where(_unmet(scope, since, until, area))
    row = read_frame(engine, offered).iloc[0].to_dict()
    row |= read_frame(engine, booked).fillna(0).iloc[0].to_dict()
    row |= read_frame(engine, unmet).iloc[0].to_dict()
    figures = {k: (float(v) if k.endswith("hours") else int(v)) for k, v in row.items()}
    figures["utilisation"] = figures["booked_hours"] / figures["offered_hours"] if figures["offered_hours"] else None
    asked = figures["bookings"] + figures["unmet"]
    figures["unmet_share"] = figures["unmet"] / asked if asked else None
    return figures


@declare("anyone", count="spaces")
def parking_by_community(
    engine: Engine, scope: Scope, since: datetime | None, until: datetime | None, area: IssueFilters = EVERYWHERE
) -> pd.DataFrame:
    """Per community: spaces, offered and booked hours, utilisation, bookings, unmet requests and
    their share of all requests. A community with spaces but no request, or requests but no space,
    is listed too."""
    where = _windows(scope, since, until, area)
    community = grids.c.community_id
    offered = read_frame(
        engine,
        select(
            community.label("community_id"),
            func.count(func.distinct(parking_shares.c.space_ref)).label("spaces"),
            func.sum(_offered_hours).label("offered_hours"),
        )
        .select_from(parking_shares.join(grids, grids.c.grid_id == parking_shares.c.grid_id))
        .where(where)
        .group_by(community),
    )
    booked = read_frame(
        engine,
        select(community.label("community_id"), *_booking_counts()[:2])
        .select_from(_booked_in_window.join(grids, grids.c.grid_id == parking_shares.c.grid_id))
        .where(where)
        .group_by(community),
    )
    unmet = read_frame(
        engine,
        select(community.label("community_id"), func.count().label("unmet"))
        .select_from(parking_unmet_requests.join(grids, grids.c.grid_id == parking_unmet_requests.c.grid_id))
        .where(_unmet(scope, since, until, area))
        .group_by(community),
    )
    return _joined(offered, booked, unmet, "community_id")


@declare("anyone", count="requests")
def demand_by_grid(
    engine: Engine, scope: Scope, since: datetime | None, until: datetime | None, area: IssueFilters = EVERYWHERE
) -> pd.DataFrame:
    """Per grid: requests (bookings plus unmet), unmet requests and their share, and spaces offered;
    where demand exceeds supply first (most unmet, then highest share)."""
    where = _windows(scope, since, until, area)
    grid = parking_shares.c.grid_id
    offered = read_frame(
        engine,
        select(grid.label("grid_id"), func.count(func.distinct(parking_shares.c.space_ref)).label("spaces"))
        .where(where)
        .group_by(grid),
    )
    booked = read_frame(
        engine,
        select(grid.label("grid_id"), func.count(parking_bookings.c.booking_id).label("bookings"))
        .select_from(_booked_in_window)
        .where(where)
        .group_by(grid),
    )
    unmet = read_frame(
        engine,
        select(parking_unmet_requests.c.grid_id.label("grid_id"), func.count().label("unmet"))
        .where(_unmet(scope, since, until, area), parking_unmet_requests.c.grid_id.is_not(None))
        .group_by(parking_unmet_requests.c.grid_id),
    )
    frame = offered.merge(booked, on="grid_id", how="outer").merge(unmet, on="grid_id", how="outer")
    for column in ("spaces", "bookings", "unmet"):
        frame[column] = pd.to_numeric(frame.get(column, 0), errors="coerce").fillna(0).astype(int)
    frame["requests"] = frame["bookings"] + frame["unmet"]
    frame["unmet_share"] = _share(frame["unmet"], frame["requests"])
    frame = frame[frame["requests"] > 0]
    columns = ["grid_id", "requests", "unmet", "unmet_share", "spaces"]
    return frame.sort_values(["unmet", "unmet_share", "grid_id"], ascending=[False, False, True])[columns].reset_index(
        drop=True
    )


def _slot_numbers():  # noqa: ANN202 - the numbers 0 .. SLOT_HOURS - 1 as a derived table (materialised
    # once by SQLite, where a recursive CTE would be run again for every interval)
    return union_all(*(select(literal_column(str(i), Integer).label("n")) for i in range(SLOT_HOURS))).subquery(
        "slot_numbers"
    )


def _by_local_slot(start: ColumnElement, end: ColumnElement, weight: ColumnElement, where: ColumnElement,
                   source, engine: Engine, name: str) -> pd.DataFrame:  # noqa: ANN001
    """Hours of [start, end) per local (weekday, hour), each interval cut at the hour marks."""
    zone = zone_of(engine)
    intervals = (
        select(
            hour_fraction(start).label("into"),  # the interval, in hours from its first hour mark
            hours_between(start, end).label("length"),
            local_hour(start, zone).label("first_hour"),
            local_weekday(start, zone).label("first_weekday"),
            weight.label("weight"),
        )
        .select_from(source)
        .where(where)
        .cte("intervals")
        .prefix_with("MATERIALIZED")  # one row of arithmetic per interval, not one per interval and hour
    )
    slots = _slot_numbers()
    into, length, n = intervals.c.into, intervals.c.length, slots.c.n
    lo = case((n > into, n), else_=into)
    hi = case((n + 1 < into + length, n + 1), else_=into + length)
    hour = ((intervals.c.first_hour + n) % 24).label("hour")
    weekday = ((intervals.c.first_weekday + floor_((intervals.c.first_hour + n) / 24.0)) % 7).label("weekday")
    query = (
        select(weekday, hour, func.sum((hi - lo) * intervals.c.weight).label(name))
        .select_from(intervals.join(slots, and_(n < into + length, length > 0)))
        .group_by(weekday, hour)
    )
    return read_frame(engine, query)


@declare("anyone")
def parking_by_hour(
    engine: Engine, scope: Scope, since: datetime | None, until: datetime | None, area: IssueFilters = EVERYWHERE
) -> pd.DataFrame:
    """All 7 × 24 local (weekday, hour) cells: offered hours, booked hours, utilisation, and the
    unmet requests whose wanted time starts in that hour."""
    where = _windows(scope, since, until, area)
    offered = _by_local_slot(
        parking_shares.c.available_from, parking_shares.c.available_to, literal(1.0, Float), where,
        parking_shares, engine, "offered_hours",
    )
    booked = _by_local_slot(
        parking_bookings.c.starts_at, parking_bookings.c.ends_at, case((HELD, 1.0), else_=0.0), where,
        _booked_in_window, engine, "booked_hours",
    )
    zone = zone_of(engine)
    weekday = local_weekday(parking_unmet_requests.c.wanted_from, zone).label("weekday")
    hour = local_hour(parking_unmet_requests.c.wanted_from, zone).label("hour")
    unmet = read_frame(
        engine,
        select(weekday, hour, func.count().label("unmet"))
        .where(_unmet(scope, since, until, area))
        .group_by(weekday, hour),
    )
    cells = pd.MultiIndex.from_product([range(7), range(24)], names=["weekday", "hour"])
    frame = pd.DataFrame(index=cells)
    for part, column in ((offered, "offered_hours"), (booked, "booked_hours"), (unmet, "unmet")):
        values = part.astype({"weekday": int, "hour": int}).set_index(["weekday", "hour"])[column]
        frame[column] = pd.to_numeric(values, errors="coerce").reindex(cells).fillna(0)
    frame["unmet"] = frame["unmet"].astype(int)
    frame["utilisation"] = _share(frame["booked_hours"], frame["offered_hours"])
    return frame.reset_index()


@declare("anyone")
def new_spaces_by_month(
    engine: Engine, scope: Scope, since: datetime | None, until: datetime | None, area: IssueFilters = EVERYWHERE
) -> pd.DataFrame:
    """Per local month: spaces offered for the first time (their first window starts in it)."""
    zone = zone_of(engine)
    first = (
        select(parking_shares.c.space_ref, func.min(parking_shares.c.available_from).label("first_from"))
        .where(scope.on_grid(parking_shares.c.grid_id), area.on_grid(parking_shares.c.grid_id))
        .group_by(parking_shares.c.space_ref)
        .subquery("first_windows")
    )
    month = local_month(first.c.first_from, zone).label("month")
    parts = [true()]
    if since is not None:
        parts.append(first.c.first_from >= since)
    if until is not None:
        parts.append(first.c.first_from < until)
    query = select(month, func.count().label("new_spaces")).where(*parts).group_by(month).order_by(month)
    return read_frame(engine, query)


def _per_space_or_owner(
    engine: Engine, scope: Scope, since: datetime | None, until: datetime | None, area: IssueFilters, key: str
) -> pd.DataFrame:
    where = _windows(scope, since, until, area)
    column = parking_shares.c[key]
    extra = [parking_shares.c.grid_id] if key == "space_ref" else []
    owner = [func.max(parking_shares.c.owner_resident_id).label("owner_resident_id")] if key == "space_ref" else []
    offered = read_frame(
        engine,
        select(
            column.label(key),
            *(c.label(c.name) for c in extra),
            func.count(func.distinct(parking_shares.c.space_ref)).label("spaces"),
            func.count().label("windows"),
            func.sum(_offered_hours).label("offered_hours"),
            *owner,
        )
        .where(where, column.is_not(None))
        .group_by(column, *extra),
    )
    booked = read_frame(
        engine,
        select(column.label(key), *_booking_counts())
        .select_from(_booked_in_window)
        .where(where, column.is_not(None))
        .group_by(column),
    )
    frame = offered.merge(booked, on=key, how="left")
    for name in ("bookings", "no_shows", "disputes", "cancelled"):
        frame[name] = pd.to_numeric(frame[name], errors="coerce").fillna(0).astype(int)
    frame["booked_hours"] = pd.to_numeric(frame["booked_hours"], errors="coerce").fillna(0.0).astype(float)
    frame["offered_hours"] = pd.to_numeric(frame["offered_hours"], errors="coerce").astype(float)
    frame["utilisation"] = _share(frame["booked_hours"], frame["offered_hours"])
    owners = pd.to_numeric(frame["owner_resident_id"], errors="coerce").dropna().astype(int).unique().tolist()
    names = _owner_names(engine, owners)
    frame["owner"] = [mask_name(names.get(int(o))) if pd.notna(o) else "" for o in frame["owner_resident_id"]]
    return frame.drop(columns="owner_resident_id") if key == "space_ref" else frame


def _owner_names(engine: Engine, resident_ids: list[int]) -> dict[int, str]:
    if not resident_ids:
        return {}
    found = read_frame(
        engine, select(residents.c.resident_id, residents.c.name).where(residents.c.resident_id.in_(resident_ids))
    )
    return dict(zip(found["resident_id"].astype(int), found["name"]))


@declare("staff")
def parking_spaces(
    engine: Engine, scope: Scope, since: datetime | None, until: datetime | None, area: IssueFilters = EVERYWHERE
) -> pd.DataFrame:
    """Each space in scope with a window in the period: grid, owner (masked), windows, offered and
    booked hours, utilisation, bookings, no-shows, disputes and cancellations; trouble first."""
    frame = _per_space_or_owner(engine, scope, since, until, area, "space_ref")
    trouble = frame["disputes"] + frame["no_shows"]
    order = frame.assign(_trouble=trouble).sort_values(
        ["_trouble", "utilisation", "space_ref"], ascending=[False, False, True], na_position="last"
    )
    columns = ["space_ref", "grid_id", "owner", "windows", "offered_hours", "booked_hours", "utilisation",
               "bookings", "no_shows", "disputes", "cancelled"]
    return order[columns].reset_index(drop=True)


@declare("staff")
def parking_owners(
    engine: Engine, scope: Scope, since: datetime | None, until: datetime | None, area: IssueFilters = EVERYWHERE
) -> pd.DataFrame:
    """Each owner who offered in the period (masked): spaces, windows, offered and booked hours,
    utilisation, no-shows and disputes in their spaces; most hours offered first."""
    frame = _per_space_or_owner(engine, scope, since, until, area, "owner_resident_id")
    columns = ["owner", "spaces", "windows", "offered_hours", "booked_hours", "utilisation", "bookings",
               "no_shows", "disputes"]
    order = frame.sort_values(["offered_hours", "owner"], ascending=[False, True])
    return order[columns].reset_index(drop=True)


def _joined(offered: pd.DataFrame, booked: pd.DataFrame, unmet: pd.DataFrame, key: str) -> pd.DataFrame:
    frame = offered.merge(booked, on=key, how="outer").merge(unmet, on=key, how="outer")
    for column in ("spaces", "bookings", "unmet"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").fillna(0).astype(int)
    for column in ("offered_hours", "booked_hours"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").fillna(0.0).astype(float)
    frame["utilisation"] = _share(frame["booked_hours"], frame["offered_hours"])
    frame["unmet_share"] = _share(frame["unmet"], frame["bookings"] + frame["unmet"])
    columns = [key, "spaces", "offered_hours", "booked_hours", "utilisation", "bookings", "unmet", "unmet_share"]
    return frame.sort_values(key)[columns].reset_index(drop=True)
