"""政务办理: government service applications made through 社区E家 or at the counter (docs/metrics.md).

The period is the applications *submitted* in [since, until) (naive UTC). An application is
**decided** at an instant T when its ``decided_at`` is on or before T (whatever the outcome:
approved, refused or withdrawn); it is **pending** at T otherwise. Processing days are
``decided_at - submitted_at`` in days over decided applications; one decided "before" it was
submitted is impossible and is left out of the day figures (``invalid_durations``), never clamped.

Applications carry a community, not a grid: a scope or an area narrows them by community (a grid
officer sees the communities of their grids, an area of grids the communities those grids lie in).
The resident behind an application is never selected: not even staff listings name one.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from sqlalchemy import DateTime, String, and_, bindparam, case, false, func, literal, select, true
from sqlalchemy.engine import Engine
from sqlalchemy.sql.elements import ColumnElement

from data_access.access import declare
from data_access.filters import EVERYWHERE, IssueFilters
from data_access.frames import read_frame
from data_access.localtime import Zone
from data_access.percentiles import MEDIAN, P90, percentile_select
from data_access.schema import grids, service_applications, service_types
from data_access.scope import Scope
from data_access.sqlfuncs import hours_between, local_month

a = service_applications
COUNTS = (
    "applications",
    "online",
    "decided",
    "pending",
    "timed",
    "invalid_durations",
    "with_target",
    "on_target",
    "returned",
    "refused",
)
FIGURES = (*COUNTS, "online_share", "median_days", "p90_days", "on_target_share", "returned_share", "refused_share")
LISTED_COLUMNS = [
    "application_id",
    "service_code",
    "name_zh",
    "name_en",
    "community_id",
    "channel",
    "submitted_at",
    "decided_at",
    "outcome",
    "returned_count",
]

_days = hours_between(a.c.submitted_at, a.c.decided_at) / 24.0


def in_scope(scope: Scope) -> ColumnElement[bool]:
    """Applications whose community the scope covers (a grid officer: the communities of their grids;
    the street and the public: all, even those with no community on record)."""
    if scope.kind == "grids":
        if not scope.grid_ids:
            return false()
        return a.c.community_id.in_(select(grids.c.community_id).where(grids.c.grid_id.in_(scope.grid_ids)))
    if scope.kind == "community":
        return a.c.community_id == scope.community_id
    return true()


def in_area(area: IssueFilters) -> ColumnElement[bool]:
    """The area chosen: its communities, and the communities of its grids (the finest an application
    can be placed)."""
    parts: list[ColumnElement[bool]] = []
    if area.community_ids:
        parts.append(a.c.community_id.in_(area.community_ids))
    if area.grid_ids:
        parts.append(a.c.community_id.in_(select(grids.c.community_id).where(grids.c.grid_id.in_(area.grid_ids))))
    return and_(true(), *parts)


def _where(scope: Scope, since: datetime, until: datetime, area: IssueFilters) -> ColumnElement[bool]:
    return and_(a.c.submitted_at >= since, a.c.submitted_at < until, in_scope(scope), in_area(area))


def _decided(at: datetime | None) -> ColumnElement[bool]:
    if at is None:
        return a.c.decided_at.is_not(None)
    return and_(a.c.decided_at.is_not(None), a.c.decided_at <= bindparam("decided_by", at, type_=DateTime))


def _count(condition: ColumnElement[bool]) -> ColumnElement:
    return func.sum(case((condition, 1), else_=0))


def _counts(key: ColumnElement, at: datetime | None) -> list[ColumnElement]:
    decided = _decided(at)
    timed = and_(decided, a.c.decided_at >= a.c.submitted_at)
    with_target = and_(timed, service_types.c.target_days.is_not(None))
    return [
        key,
        func.count().label("applications"),
        _count(a.c.channel == "online").label("online"),
        _count(decided).label("decided"),
        _count(timed).label("timed"),
        _count(and_(decided, a.c.decided_at < a.c.submitted_at)).label("invalid_durations"),
        _count(with_target).label("with_target"),
        _count(and_(with_target, _days <= service_types.c.target_days)).label("on_target"),
        _count(a.c.returned_count > 0).label("returned"),
        _count(and_(decided, a.c.outcome == "refused")).label("refused"),
    ]


def _with_types():  # noqa: ANN202 - a Join
    return a.outerjoin(service_types, service_types.c.code == a.c.service_code)


def _ratio(part: pd.Series, whole: pd.Series) -> pd.Series:
    return (part / whole.where(whole > 0)).astype(float)


def _grouped(engine: Engine, key: ColumnElement, where: ColumnElement[bool], at: datetime | None) -> pd.DataFrame:
    """Per value of `key`: the counts, shares and day percentiles (one query each)."""
    counts = read_frame(engine, select(*_counts(key, at)).select_from(_with_types()).where(where).group_by(key))
    timed = and_(_decided(at), a.c.decided_at >= a.c.submitted_at)
    values = select(key, _days.label("days")).select_from(a).where(where, timed)
    pct = read_frame(engine, percentile_select(values, "key", "days", {"median_days": MEDIAN, "p90_days": P90}))
    frame = counts.merge(pct, on="key", how="left")
    for column in COUNTS:
        if column != "pending":
            frame[column] = pd.to_numeric(frame[column]).fillna(0).astype(int)
    frame["pending"] = frame["applications"] - frame["decided"]
    frame["online_share"] = _ratio(frame["online"], frame["applications"])
    frame["on_target_share"] = _ratio(frame["on_target"], frame["with_target"])
    frame["returned_share"] = _ratio(frame["returned"], frame["applications"])
    frame["refused_share"] = _ratio(frame["refused"], frame["decided"])
    for column in ("median_days", "p90_days"):
        frame[column] = pd.to_numeric(frame[column]).astype(float)
    return frame


@declare("anyone")
def service_figures(
    engine: Engine, scope: Scope, since: datetime, until: datetime, at: datetime, area: IssueFilters = EVERYWHERE
) -> dict[str, float | int | None]:
    """Applications submitted in [since, until): applications, online and online_share (数据跑腿),
    decided and pending at `at`, median_days and p90_days of the decided ones, on_target_share
    (decided within the type's target_days, over decided applications of types with a target),
    returned_share (sent back at least once) and refused_share (refused among decided)."""
    frame = _grouped(engine, literal("all", String).label("key"), _where(scope, since, until, area), at)
    if frame.empty:
        empty: dict[str, float | int | None] = dict.fromkeys(COUNTS, 0)
        return empty | dict.fromkeys(
            ("online_share", "median_days", "p90_days", "on_target_share", "returned_share", "refused_share")
        )
    row = frame.iloc[0]
    return {
        name: (int(row[name]) if name in COUNTS else None if pd.isna(row[name]) else float(row[name]))
        for name in FIGURES
    }


@declare("anyone", count="applications")
def services_by_type(
    engine: Engine,
    scope: Scope,
    since: datetime,
    until: datetime,
    area: IssueFilters = EVERYWHERE,
    at: datetime | None = None,
) -> pd.DataFrame:
    """Per service type with applications in the period (code, name_zh, name_en, kind, target_days)
    the figures of service_figures, most applications first. Decided: by `at`, else as the data
    stands. A code the type table lacks is its own row, without names."""
    frame = _grouped(engine, a.c.service_code.label("key"), _where(scope, since, until, area), at)
    types = read_frame(
        engine,
        select(
            service_types.c.code,
            service_types.c.name_zh,
            service_types.c.name_en,
            service_types.c.kind,
            service_types.c.target_days,
        ).where(service_types.c.code.in_([str(code) for code in frame["key"].dropna()])),
    )
    frame = frame.rename(columns={"key": "code"}).merge(types, on="code", how="left")
    frame["target_days"] = pd.to_numeric(frame["target_days"]).astype(float)
    ordered = ["code", "name_zh", "name_en", "kind", "target_days", *FIGURES]
    return (
        frame[ordered]
        .sort_values(["applications", "code"], ascending=[False, True], kind="stable")
        .reset_index(drop=True)
    )


@declare("anyone")
def online_share_by_month(
    engine: Engine,
    scope: Scope,
    zone: Zone,
    months_since: datetime,
    until: datetime,
    area: IssueFilters = EVERYWHERE,
) -> pd.DataFrame:
    """Per local month of submission in [months_since, until): applications, online, online_share and
    median_days of those decided (as the data stands): the trend of residents running less."""
    month = local_month(a.c.submitted_at, zone).label("key")
    where = _where(scope, months_since, until, area)
    counts = read_frame(
        engine,
        select(month, func.count().label("applications"), _count(a.c.channel == "online").label("online"))
        .where(where)
        .group_by(month),
    )
    values = select(month, _days.label("days")).where(
        where, a.c.decided_at.is_not(None), a.c.decided_at >= a.c.submitted_at
    )
    pct = read_frame(engine, percentile_select(values, "key", "days", {"median_days": MEDIAN}))
    frame = counts.merge(pct, on="key", how="left").rename(columns={"key": "month"})
    for column in ("applications", "online"):
        frame[column] = pd.to_numeric(frame[column]).fillna(0).astype(int)
    frame["online_share"] = _ratio(frame["online"], frame["applications"])
    frame["median_days"] = pd.to_numeric(frame["median_days"]).astype(float)
    return (
        frame[["month", "applications", "online", "online_share", "median_days"]]
        .sort_values("month")
        .reset_index(drop=True)
    )


@declare("staff")
def returned_applications(
    engine: Engine,
    scope: Scope,
    since: datetime,
    until: datetime,
    area: IssueFilters = EVERYWHERE,
    limit: int = 1000,
) -> pd.DataFrame:
    """Each application submitted in the period that was sent back at least once or refused, newest
    first, at most `limit`: id, type (code and names), community, channel, submitted, decided,
    outcome, returned_count. No resident."""
    query = (
        select(
            a.c.application_id,
            a.c.service_code,
            service_types.c.name_zh,
            service_types.c.name_en,
            a.c.community_id,
            a.c.channel,
            a.c.submitted_at,
            a.c.decided_at,
            a.c.outcome,
            a.c.returned_count,
        )
        .select_from(_with_types())
        .where(_where(scope, since, until, area), (a.c.returned_count > 0) | (a.c.outcome == "refused"))
        .order_by(a.c.submitted_at.desc(), a.c.application_id.desc())
        .limit(max(0, int(limit)))
    )
    frame = read_frame(engine, query)
    frame["returned_count"] = pd.to_numeric(frame["returned_count"]).fillna(0).astype(int)
    return frame[LISTED_COLUMNS]
