"""What the issue map draws: aggregated cells for everyone, points and details for staff in scope.

Public output never carries an exact point: reports are counted into cells of
about 100 m in SQL, and cells with fewer than k reports are dropped before
anything is sent (the audience's one suppression step, app/audience.py). Rows outside the street (more than
~1 km beyond every grid) are left off the map and counted by data_access.quality.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from sqlalchemy import DateTime, Float, and_, case, cast, func, literal, select, true
from sqlalchemy.engine import Engine

from data_access.access import declare
from data_access.filters import IssueFilters
from data_access.frames import read_frame, result_frame
from data_access.quality import area_bounds
from data_access.schema import (
    DONE_STATUSES,
    EXCLUDED_STATUSES,
    OPEN_STATUSES,
    buildings,
    issue_categories,
    issue_events,
    issues,
    officers,
    places,
)
from data_access.scope import Scope
from data_access.sqlfuncs import floor_, hours_between

METRES_PER_DEGREE_LAT = 111_320.0
OUTSIDE_MARGIN_DEG = 0.01


@dataclass(frozen=True)
class CellGrid:
    """A lattice of square-ish cells anchored at the street's south-west corner."""

    south: float
    west: float
    dlat: float
    dlon: float

    @classmethod
    def around(cls, bounds: tuple[float, float, float, float], metres: float = 100.0) -> CellGrid:
        south, west, north, _ = bounds
        mid = math.radians((south + north) / 2)
        return cls(
            south=south - OUTSIDE_MARGIN_DEG,
            west=west - OUTSIDE_MARGIN_DEG,
            dlat=metres / METRES_PER_DEGREE_LAT,
            dlon=metres / (METRES_PER_DEGREE_LAT * math.cos(mid)),
        )


def cell_metres_for(
    bounds: tuple[float, float, float, float] | None, max_cells: int = 4000, smallest: float = 100.0
) -> float:
    """Cells of ~100 m on a street; larger over a district or city, so a map never needs more than
    `max_cells` cells (what the browser receives stays well under 1 MB)."""
    if bounds is None:
        return smallest
    south, west, north, east = bounds
    height = (north - south + 2 * OUTSIDE_MARGIN_DEG) * METRES_PER_DEGREE_LAT
    width = (east - west + 2 * OUTSIDE_MARGIN_DEG) * METRES_PER_DEGREE_LAT * math.cos(math.radians((south + north) / 2))
    needed = math.sqrt(width * height / max_cells)
    return float(max(smallest, math.ceil(needed / 50) * 50))


def _inside(bounds: tuple[float, float, float, float]):  # noqa: ANN202
    south, west, north, east = bounds
    m = OUTSIDE_MARGIN_DEG
    return and_(
        issues.c.lat.between(south - m, north + m),
        issues.c.lon.between(west - m, east + m),
    )


def _status_clause(show: str):  # noqa: ANN202
    """Which issues `show` means; "overdue" is "open" here, its age test is IssueFilters.overdue_at."""
    if show in ("open", "overdue"):
        return issues.c.status.in_(OPEN_STATUSES)
    if show == "resolved":
        return issues.c.status.in_(DONE_STATUSES)
    return issues.c.status.not_in(EXCLUDED_STATUSES)


def _counts(at: datetime | None) -> list:
    """What a cell or an area holds: reports, open, resolved, and (given the instant `at`) the mean
    age in days of its open issues, the colour FixMyStreet gives its map."""
    is_open = issues.c.status.in_(OPEN_STATUSES)
    columns = [
        func.count().label("reports"),
        func.sum(case((is_open, 1), else_=0)).label("open"),
        func.sum(case((issues.c.status.in_(DONE_STATUSES), 1), else_=0)).label("resolved"),
    ]
    if at is not None:
        age = hours_between(issues.c.reported_at, literal(at, DateTime)) / 24.0
        columns.append(func.avg(case((is_open, age), else_=None)).label("open_days"))
    return columns


def _finish(frame: pd.DataFrame, at: datetime | None) -> pd.DataFrame:
    frame["share_resolved"] = (frame["resolved"] / frame["reports"]).round(3)
    if at is not None:
        frame["open_days"] = pd.to_numeric(frame["open_days"]).round(1)
    return frame


@declare("anyone", count="reports", drop_small=True)
def issue_cells(
    engine: Engine,
    scope: Scope,
    filters: IssueFilters,
    show: str = "all",
    metres: float | None = None,
    bounds: tuple[float, float, float, float] | None = None,
    at: datetime | None = None,
) -> pd.DataFrame:
    """Every cell holding reports (lon/lat of the cell's south-west corner, reports, open, resolved,
    share_resolved, and open_days when `at` is given). Cells under the audience's k are dropped after
    the query (app/audience.py); their total stays in ``attrs["hidden"]``. At most a few thousand
    cells: the cell size grows with the area (`cell_metres_for`). `bounds` (the lattice's anchor)
    defaults to `area_bounds`; pages that already hold it pass it (1,120 polygons parse in 20 ms)."""
    columns = ["lon", "lat", "reports", "open", "resolved", "share_resolved"] + (["open_days"] if at else [])
    bounds = bounds or area_bounds(engine)
    if bounds is None:
        return pd.DataFrame(columns=columns)
    grid = CellGrid.around(bounds, metres or cell_metres_for(bounds))
    cx = floor_((issues.c.lon - grid.west) / grid.dlon).label("cx")
    cy = floor_((issues.c.lat - grid.south) / grid.dlat).label("cy")
    query = (
        select(cx, cy, *_counts(at))
        .where(scope.on_issue(issues), filters.clause(issues), _status_clause(show), _inside(bounds))
        .group_by(cx, cy)
    )
    with engine.connect() as conn:
        cells = result_frame(conn.execute(query), list(query.selected_columns.keys()))
    cells["lon"] = (grid.west + cells["cx"] * grid.dlon).round(5)
    cells["lat"] = (grid.south + cells["cy"] * grid.dlat).round(5)
    return _finish(cells, at)[columns]


@declare("anyone", count="reports", drop_small=True)
def area_counts(
    engine: Engine, scope: Scope, filters: IssueFilters, show: str = "all", by: str = "grid", at: datetime | None = None
) -> pd.DataFrame:
    """The same counts per grid or community (`key`): what the public map falls back to when most
    of a selection's cells are under k. Areas under k are dropped, their total in ``attrs["hidden"]``;
    reports with no area are not counted here."""
    if by not in ("grid", "community"):
        raise ValueError(f"unknown area {by!r}")
    key = (issues.c.grid_id if by == "grid" else issues.c.community_id).label("key")
    query = (
        select(key, *_counts(at))
        .where(scope.on_issue(issues), filters.clause(issues), _status_clause(show), key.is_not(None))
        .group_by(key)
        .order_by(key)
    )
    with engine.connect() as conn:
        frame = result_frame(conn.execute(query), list(query.selected_columns.keys()))
    return _finish(frame, at)


@declare("staff")
def issue_points(engine: Engine, scope: Scope, filters: IssueFilters, at, show: str = "all", limit: int = 5000):  # noqa: ANN001, ANN201
    """Staff only: individual issues in scope with category, status, age and assigned officer."""
    query = (
        select(
            issues.c.issue_id,
            issues.c.lat,
            issues.c.lon,
            issues.c.category_code,
            issues.c.status,
            issues.c.grid_id,
            issues.c.building_id,
            issues.c.reported_at,
            (hours_between(issues.c.reported_at, literal(at, DateTime)) / 24.0).label("age_days"),
            officers.c.name.label("officer"),
        )
        .select_from(issues.outerjoin(officers, officers.c.officer_id == issues.c.assigned_officer_id))
        .where(
            scope.on_issue(issues),
            filters.clause(issues),
            _status_clause(show),
            issues.c.lat.is_not(None),
            issues.c.lon.is_not(None),
        )
        .order_by(issues.c.reported_at.desc())
        .limit(limit)
    )
    return read_frame(engine, query)


@declare("anyone", staff_rows=True)
def issue_table(
    engine: Engine, scope: Scope, filters: IssueFilters, show: str = "all", limit: int = 500
) -> pd.DataFrame:
    """The table under the map. For the public scope, rows carry no coordinates, no reporter, no
    officer, and a description only where the issue was marked public."""
    staff = not scope.public
    description = issues.c.description if staff else case((issues.c.is_public.is_(True), issues.c.description))
    columns = [
        issues.c.issue_id,
        issues.c.reported_at,
        issues.c.category_code,
        issues.c.status,
        issues.c.community_id,
        issues.c.grid_id,
        issues.c.resolved_at,
        description.label("description"),
    ]
    source = issues
    if staff:
        columns += [issues.c.channel, officers.c.name.label("officer"), issues.c.lat, issues.c.lon]
        source = issues.outerjoin(officers, officers.c.officer_id == issues.c.assigned_officer_id)
    query = (
        select(*columns)
        .select_from(source)
        .where(scope.on_issue(issues), filters.clause(issues), _status_clause(show))
        .order_by(issues.c.reported_at.desc(), issues.c.issue_id.desc())
        .limit(limit)
    )
    return read_frame(engine, query)


@declare("staff")
def issue_history(engine: Engine, scope: Scope, issue_id: int) -> pd.DataFrame:
    """One issue's status history, empty unless the issue lies in the caller's scope."""
    in_scope = select(issues.c.issue_id).where(issues.c.issue_id == issue_id, scope.on_issue(issues))
    query = (
        select(
            issue_events.c.at,
            issue_events.c.from_status,
            issue_events.c.to_status,
            officers.c.name.label("officer"),
            issue_events.c.note,
        )
        .select_from(issue_events.outerjoin(officers, officers.c.officer_id == issue_events.c.actor_officer_id))
        .where(issue_events.c.issue_id.in_(in_scope.scalar_subquery()))
        .order_by(issue_events.c.at, issue_events.c.event_id)
    )
    return read_frame(engine, query)


@declare("staff")
def issue_detail(engine: Engine, scope: Scope, issue_id: int) -> dict | None:
    """One issue with its category's name and SLA, or None outside the caller's scope."""
    query = (
        select(issues, issue_categories.c.name_zh, issue_categories.c.name_en, issue_categories.c.sla_hours)
        .select_from(issues.outerjoin(issue_categories, issue_categories.c.code == issues.c.category_code))
        .where(issues.c.issue_id == issue_id, scope.on_issue(issues))
    )
    with engine.connect() as conn:
        row = conn.execute(query).mappings().first()
    return dict(row) if row else None


@declare("staff")
def building_counts(engine: Engine, scope: Scope, filters: IssueFilters, show: str = "all") -> pd.DataFrame:
    """Staff only: buildings in scope with how many of the filtered issues are about each."""
    counts = (
        select(
            issues.c.building_id,
            func.count().label("reports"),
            func.sum(case((issues.c.status.in_(OPEN_STATUSES), 1), else_=0)).label("open"),
        )
        .where(issues.c.building_id.is_not(None), scope.on_issue(issues), filters.clause(issues), _status_clause(show))
        .group_by(issues.c.building_id)
        .subquery("counts")
    )
    query = (
        select(
            buildings.c.building_id,
            buildings.c.address,
            buildings.c.grid_id,
            buildings.c.lat,
            buildings.c.lon,
            buildings.c.households,
            func.coalesce(counts.c.reports, 0).label("reports"),
            func.coalesce(counts.c.open, 0).label("open"),
        )
        .select_from(buildings.outerjoin(counts, counts.c.building_id == buildings.c.building_id))
        .where(
            scope.on_grid(buildings.c.grid_id) if scope.kind != "street" else true(),
            filters.on_grid(buildings.c.grid_id),  # the chosen community or grid's buildings only
        )
        .order_by(buildings.c.building_id)
    )
    return read_frame(engine, query)


@declare("staff")
def place_points(engine: Engine, scope: Scope, kinds: tuple[str, ...]) -> pd.DataFrame:
    query = (
        select(places.c.place_id, places.c.kind, places.c.name, places.c.grid_id, places.c.lat, places.c.lon)
        .where(places.c.kind.in_(kinds), scope.on_grid(places.c.grid_id), places.c.lat.is_not(None))
        .order_by(places.c.place_id)
    )
    return read_frame(engine, query)


@declare("anyone")
def category_counts(engine: Engine, scope: Scope, filters: IssueFilters, show: str = "all") -> pd.DataFrame:
    """Reports by category for the current filters (cohort rules as in data_access.issues)."""
    query = (
        select(
            issues.c.category_code,
            func.count().label("reports"),
            cast(func.avg(case((issues.c.status.in_(DONE_STATUSES), 1.0), else_=0.0)), Float).label("share_resolved"),
        )
        .where(scope.on_issue(issues), filters.clause(issues), _status_clause(show))
        .group_by(issues.c.category_code)
        .order_by(func.count().desc())
    )
    with engine.connect() as conn:
        return result_frame(conn.execute(query), ["category_code", "reports", "share_resolved"])


TIMELINE_STEPS = (
    "reported",
    "accepted",
    "assigned",
    "in_progress",
    "resolved",
    "closed",
    "reopened",
    "rejected",
    "duplicate",
    "rated",
)


def timeline(detail: dict, history: pd.DataFrame) -> pd.DataFrame:
    """One issue's life in time order: reported, each status change (dispatch is the change to
    ``assigned``), resolved, closed, and the resident's rating last. Rows: at (NaT for the rating,
    which the feed does not date), step, from_status, officer, note.

    The feed's events are the record; where it has none for a step the issue's own timestamps
    stand in (an imported export carries reported/accepted/resolved/closed times but no events)."""
    rows = [
        {
            "at": h.at,
            "step": "reported" if h.to_status == "submitted" and _blank(h.from_status) else h.to_status,
            "from_status": None if _blank(h.from_status) else h.from_status,
            "officer": None if _blank(h.officer) else h.officer,
            "note": None if _blank(h.note) else h.note,
        }
        for h in history.itertuples(index=False)
    ]
    if not rows or rows[0]["step"] != "reported":  # no events, or they start after the report
        rows.insert(0, {"at": detail.get("reported_at"), "step": "reported"})
    seen = {r["step"] for r in rows}
    for step, column in (("accepted", "accepted_at"), ("resolved", "resolved_at"), ("closed", "closed_at")):
        if step not in seen and not _blank(detail.get(column)):
            rows.append({"at": detail[column], "step": step})
    frame = pd.DataFrame(rows, columns=["at", "step", "from_status", "officer", "note"])
    frame["at"] = pd.to_datetime(frame["at"])
    frame = frame.sort_values("at", kind="stable").reset_index(drop=True).astype({"note": object})
    rating = detail.get("satisfaction")
    if not _blank(rating) and 1 <= int(rating) <= 5:
        frame.loc[len(frame)] = {
            "at": pd.NaT,
            "step": "rated",
            "from_status": None,
            "officer": None,
            "note": str(int(rating)),
        }
    return frame


def _blank(value: object) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))
