"""Patrol coverage: did each grid get its required patrols each ISO week (local time)?

Patrol compliance = grid-weeks with patrols >= required / grid-weeks. Weeks
start on Monday 00:00 Asia/Shanghai. A grid with no patrol in a week still
counts as a grid-week (with zero), so misses are never invisible.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd
from sqlalchemy import DateTime, String, and_, bindparam, case, func, literal, select, true, union_all
from sqlalchemy.engine import Engine

from data_access.access import declare
from data_access.filters import EVERYWHERE, IssueFilters
from data_access.frames import read_frame, result_frame
from data_access.localtime import Zone, local_day_start, zone_of
from data_access.periods import WeekProgress
from data_access.reference import grid_list
from data_access.schema import DONE_STATUSES, grids, issue_categories, issues, officers, patrols
from data_access.scope import Scope
from data_access.sqlfuncs import hours_between, local_week_start


def utc_bounds(first_monday: date, weeks: int, where: Zone) -> tuple[datetime, datetime]:
    """UTC instants bounding `weeks` local ISO weeks from `first_monday` (a week with a daylight-saving
    change is an hour shorter or longer in UTC)."""
    return local_day_start(first_monday, where), local_day_start(first_monday + timedelta(weeks=weeks), where)


@declare("anyone")
def grid_weeks(
    engine: Engine, scope: Scope, last_monday: date, weeks: int = 12, area: IssueFilters = EVERYWHERE
) -> pd.DataFrame:
    """One row per grid in scope and week: patrols done, required, met."""
    first = last_monday - timedelta(weeks=weeks - 1)
    local = zone_of(engine)
    since, until = utc_bounds(first, weeks, local)
    week = local_week_start(patrols.c.started_at, local).label("week")
    done = (
        select(patrols.c.grid_id, week, func.count().label("patrols"))
        .where(
            patrols.c.started_at >= since,
            patrols.c.started_at < until,
            scope.on_grid(patrols.c.grid_id),
            area.on_grid(patrols.c.grid_id),
        )
        .group_by(patrols.c.grid_id, week)
        .subquery("done")
    )
    # Every grid in scope times every week, in SQL: a city's 1,120 x 12 matrix built in pandas cost
    # more than counting the patrols.
    all_weeks = union_all(
        *(select(literal((first + timedelta(weeks=i)).isoformat(), String).label("week")) for i in range(weeks))
    ).subquery("all_weeks")
    query = (
        select(
            grids.c.grid_id,
            grids.c.community_id,
            grids.c.name,
            grids.c.required_patrols_per_week.label("required"),
            all_weeks.c.week,
            func.coalesce(done.c.patrols, 0).label("patrols"),
        )
        .select_from(
            grids.join(all_weeks, true()).outerjoin(
                done, and_(done.c.grid_id == grids.c.grid_id, done.c.week == all_weeks.c.week)
            )
        )
        .where(scope.on_grid(grids.c.grid_id), area.on_grid(grids.c.grid_id))
        .order_by(grids.c.grid_id, all_weeks.c.week)
    )
    columns = ["grid_id", "community_id", "name", "required", "week", "patrols"]
    with engine.connect() as conn:
        frame = result_frame(conn.execute(query), columns)
    frame["patrols"] = frame["patrols"].astype(int)
    frame["met"] = frame["patrols"] >= frame["required"]
    return frame


def compliance(frame: pd.DataFrame, progress: WeekProgress | None = None) -> float | None:
    """Share of grid-weeks that met their requirement, over weeks that have ended: the week in
    `progress` is not a week anyone has failed yet."""
    frame = ended(frame, progress)
    return float(frame["met"].mean()) if len(frame) else None


def ended(frame: pd.DataFrame, progress: WeekProgress | None) -> pd.DataFrame:
    """The grid-weeks of weeks that are over."""
    if progress is None:
        return frame
    return frame[frame["week"] != progress.monday.isoformat()]


def states(frame: pd.DataFrame, progress: WeekProgress | None) -> pd.Series:
    """Each grid-week's state: ``done`` or ``missed`` once its week is over; in the week in progress
    ``done``, ``on_pace`` (at least the whole patrols due by now: required x days gone / 7, rounded
    down) or ``behind``. A grid is never ``missed`` in a week that has not ended."""
    current = progress.monday.isoformat() if progress is not None else None
    due_now = frame["required"] * (progress.days_gone if current else 7) // 7
    in_progress = frame["week"] == current
    result = pd.Series("missed", index=frame.index, dtype=object)
    result[in_progress] = "behind"
    result[in_progress & (frame["patrols"] >= due_now)] = "on_pace"
    result[frame["met"]] = "done"
    return result


@declare("staff")
def last_patrols(engine: Engine, scope: Scope, at: datetime, area: IssueFilters = EVERYWHERE) -> pd.DataFrame:
    """Per grid in scope: when it was last patrolled and how many days ago (NaN: never)."""
    at_param = bindparam("at", at, type_=DateTime)
    query = (
        select(patrols.c.grid_id, func.max(patrols.c.started_at).label("last_patrol_at"))
        .where(patrols.c.started_at <= at_param, scope.on_grid(patrols.c.grid_id), area.on_grid(patrols.c.grid_id))
        .group_by(patrols.c.grid_id)
    )
    with engine.connect() as conn:
        last = result_frame(conn.execute(query), ["grid_id", "last_patrol_at"])
    frame = grid_list(engine, scope, area=area).merge(last, on="grid_id", how="left")
    frame["days_since"] = (pd.Timestamp(at) - pd.to_datetime(frame["last_patrol_at"])).dt.total_seconds() / 86400
    return frame


@declare("staff")
def officer_summary(
    engine: Engine, scope: Scope, since: datetime, until: datetime, area: IssueFilters = EVERYWHERE
) -> pd.DataFrame:
    """Per officer with patrols in scope and period: patrols, km, hazards, patrols never ended."""
    query = (
        select(
            patrols.c.officer_id,
            officers.c.name,
            officers.c.role,
            func.count().label("patrols"),
            (func.coalesce(func.sum(patrols.c.distance_m), 0) / 1000.0).label("km"),
            func.sum(patrols.c.hazards_found).label("hazards_found"),
            func.sum(case((patrols.c.ended_at.is_(None), 1), else_=0)).label("not_ended"),
            func.avg(hours_between(patrols.c.started_at, patrols.c.ended_at) * 60.0).label("avg_minutes"),
        )
        .select_from(patrols.outerjoin(officers, officers.c.officer_id == patrols.c.officer_id))
        .where(
            patrols.c.started_at >= since,
            patrols.c.started_at < until,
            scope.on_grid(patrols.c.grid_id),
            area.on_grid(patrols.c.grid_id),
        )
        .group_by(patrols.c.officer_id, officers.c.name, officers.c.role)
        .order_by(patrols.c.officer_id)
    )
    return read_frame(engine, query)


@declare("staff")
def grid_officers(engine: Engine, scope: Scope, area: IssueFilters = EVERYWHERE) -> pd.DataFrame:
    """Each grid in scope with its active grid officer (NULL where the grid has none: flagged on pages)."""
    officer = (
        select(officers.c.grid_id, func.min(officers.c.officer_id).label("officer_id"))
        .where(officers.c.role == "grid_officer", officers.c.active.is_(True))
        .group_by(officers.c.grid_id)
        .subquery("grid_officer")
    )
    query = (
        select(grids.c.grid_id, grids.c.name.label("grid_name"), officer.c.officer_id, officers.c.name.label("officer"))
        .select_from(
            grids.outerjoin(officer, officer.c.grid_id == grids.c.grid_id).outerjoin(
                officers, officers.c.officer_id == officer.c.officer_id
            )
        )
        .where(scope.on_grid(grids.c.grid_id), area.on_grid(grids.c.grid_id))
        .order_by(grids.c.grid_id)
    )
    return read_frame(engine, query)


@declare("staff")
def hazard_outcomes(
    engine: Engine,
    scope: Scope,
    since: datetime,
    until: datetime,
    limit: int = 200,
    area: IssueFilters = EVERYWHERE,
) -> pd.DataFrame:
    """Issues raised from patrols in the period (linked by source_patrol_id) and what became of them."""
    query = (
        select(
            issues.c.issue_id,
            issues.c.reported_at,
            issues.c.grid_id,
            issues.c.category_code,
            issue_categories.c.name_zh,
            issue_categories.c.name_en,
            issues.c.status,
            issues.c.resolved_at,
            (issues.c.status.in_(DONE_STATUSES)).label("done"),
            officers.c.name.label("found_by"),
        )
        .select_from(
            issues.join(patrols, patrols.c.patrol_id == issues.c.source_patrol_id)
            .outerjoin(officers, officers.c.officer_id == patrols.c.officer_id)
            .outerjoin(issue_categories, issue_categories.c.code == issues.c.category_code)
        )
        .where(
            patrols.c.started_at >= since,
            patrols.c.started_at < until,
            scope.on_grid(patrols.c.grid_id),
            area.on_grid(patrols.c.grid_id),
        )
        .order_by(issues.c.reported_at.desc())
        .limit(limit)
    )
    return read_frame(engine, query)
