"""Issue metrics (defined in docs/metrics.md), aggregated in SQL.

Cohort: issues reported in the period, excluding rejected and duplicate.
Resolution rate: cohort rows now resolved or closed / cohort size.
Time to resolve: hours from reported_at to resolved_at over resolved cohort
rows; rows resolved "before" they were reported are impossible and are left
out of time figures (counted in ``invalid_durations``), never clamped.
On time: resolved within the category's sla_hours (rows whose category has no
SLA are outside the on-time denominator).
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from sqlalchemy import (
    DateTime,
    Float,
    String,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
)
from sqlalchemy.engine import Engine
from sqlalchemy.sql.elements import ColumnElement

from data_access.access import declare
from data_access.filters import IssueFilters
from data_access.frames import read_frame, result_frame
from data_access.localtime import Zone, zone_of
from data_access.percentiles import COLUMNAR_FORM, MEDIAN, P90, percentile_select, quantiles_cont
from data_access.schema import DONE_STATUSES, EXCLUDED_STATUSES, issue_categories, issues
from data_access.scope import Scope
from data_access.sqlfuncs import hours_between, local_month

GROUPINGS = ("category", "community", "grid", "channel", "month", "officer", "department")
AGE_BUCKETS = ("<1d", "1-3d", "3-7d", ">7d")

_hours = hours_between(issues.c.reported_at, issues.c.resolved_at)
_done = issues.c.status.in_(DONE_STATUSES)
_valid_resolved = and_(_done, issues.c.resolved_at.is_not(None), issues.c.resolved_at >= issues.c.reported_at)
_rated = issues.c.satisfaction.between(1, 5)


def _group_column(by: str | None, where: Zone) -> ColumnElement:
    columns = {
        None: literal("all", String),
        "category": issues.c.category_code,
        "community": issues.c.community_id,
        "grid": issues.c.grid_id,
        "channel": issues.c.channel,
        "month": local_month(issues.c.reported_at, where),
        "officer": cast(issues.c.assigned_officer_id, String),
        "department": issue_categories.c.department,
    }
    if by not in columns:
        raise ValueError(f"unknown grouping {by!r}; choose from {GROUPINGS}")
    return columns[by].label("key")


def _cohort_where(scope: Scope, filters: IssueFilters) -> ColumnElement[bool]:
    return and_(scope.on_issue(issues), filters.clause(issues), issues.c.status.not_in(EXCLUDED_STATUSES))


def _with_categories():  # noqa: ANN202 - a Join
    return issues.outerjoin(issue_categories, issue_categories.c.code == issues.c.category_code)


@declare("anyone", count="received")
def resolution_figures(
    engine: Engine, scope: Scope, filters: IssueFilters, by: str | None = None, percentiles: bool = True
) -> pd.DataFrame:
    """Per group: received, resolved, resolution_rate, median/p90 hours, on_time_share, satisfaction.
    `percentiles=False` for a caller that shows no median or P90: the hours are then missing, and the
    row store is spared the ranking (window functions) the percentiles need."""
    key = _group_column(by, zone_of(engine))
    where = _cohort_where(scope, filters)
    on_time = and_(_valid_resolved, issue_categories.c.sla_hours.is_not(None), _hours <= issue_categories.c.sla_hours)
    counts = (
        select(
            key,
            func.count().label("received"),
            func.sum(case((_done, 1), else_=0)).label("resolved"),
            func.sum(case((_valid_resolved, 1), else_=0)).label("timed"),
            func.sum(case((and_(_done, ~_valid_resolved), 1), else_=0)).label("invalid_durations"),
            func.sum(case((and_(_valid_resolved, issue_categories.c.sla_hours.is_not(None)), 1), else_=0)).label(
                "with_sla"
            ),
            func.sum(case((on_time, 1), else_=0)).label("on_time"),
            func.sum(case((_rated, 1), else_=0)).label("rated"),
            func.avg(case((_rated, issues.c.satisfaction))).label("satisfaction"),
        )
        .select_from(_with_categories())
        .where(where)
        .group_by(key)
    )
    if not percentiles:
        no_hours = cast(null(), Float)
        query = counts.add_columns(no_hours.label("median_hours"), no_hours.label("p90_hours"))
        return _finish_figures(read_frame(engine, query))
    durations = select(key, _hours.label("hours")).select_from(_with_categories()).where(where, _valid_resolved)
    pct = percentile_select(durations, "key", "hours", {"median_hours": MEDIAN, "p90_hours": P90}).subquery("pct")
    per_group = counts.subquery("per_group")
    portable = select(per_group, pct.c.median_hours, pct.c.p90_hours).select_from(
        per_group.outerjoin(pct, per_group.c.key.is_not_distinct_from(pct.c.key))  # a NULL key is a group too
    )
    # On the analytical copy: one pass, the counts and both percentiles of the timed issues together.
    one_pass = counts.add_columns(
        quantiles_cont(case((_valid_resolved, _hours)), (MEDIAN[0] / MEDIAN[1], P90[0] / P90[1])).label("q")
    ).subquery("one_pass")
    native = select(
        *(column for column in one_pass.c if column.name != "q"),
        literal_column("one_pass.q[1]", Float).label("median_hours"),
        literal_column("one_pass.q[2]", Float).label("p90_hours"),
    )
    query = portable.execution_options(**{COLUMNAR_FORM: native})
    return _finish_figures(read_frame(engine, query))


def _finish_figures(frame: pd.DataFrame) -> pd.DataFrame:
    for column in ("median_hours", "p90_hours"):
        frame[column] = frame[column].astype(float)
    for column in ("received", "resolved", "timed", "invalid_durations", "with_sla", "on_time", "rated"):
        frame[column] = frame[column].fillna(0).astype(int)
    frame["resolution_rate"] = _ratio(frame["resolved"], frame["received"])
    frame["on_time_share"] = _ratio(frame["on_time"], frame["with_sla"])
    frame["satisfaction"] = frame["satisfaction"].astype(float)
    return frame.sort_values("key", na_position="last", kind="stable").reset_index(drop=True)


@declare("anyone")
def reopen_counts(engine: Engine, scope: Scope, filters: IssueFilters, by: str | None = None) -> pd.DataFrame:
    """Per group (as in resolution_figures): cohort issues reopened at least once."""
    key = _group_column(by, zone_of(engine))
    query = (
        select(key, func.sum(case((issues.c.reopened_count > 0, 1), else_=0)).label("reopened"))
        .select_from(_with_categories())
        .where(_cohort_where(scope, filters))
        .group_by(key)
    )
    with engine.connect() as conn:
        return result_frame(conn.execute(query), ["key", "reopened"])


def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    return (numerator / denominator.where(denominator > 0)).astype(float)


@declare("anyone")
def status_counts(engine: Engine, scope: Scope, filters: IssueFilters) -> pd.DataFrame:
    """Issues by current status, every status included (rejected and duplicate too)."""
    query = (
        select(issues.c.status, func.count().label("count"))
        .where(scope.on_issue(issues), filters.clause(issues))
        .group_by(issues.c.status)
        .order_by(issues.c.status)
    )
    return read_frame(engine, query)


@declare("anyone")
def backlog_by_age(engine: Engine, scope: Scope, filters: IssueFilters, at: datetime) -> pd.DataFrame:
    """Issues open at `at`, by age: reported before it and not resolved or closed by it."""
    at_param = bindparam("at", at, type_=DateTime)
    finished = func.coalesce(issues.c.resolved_at, issues.c.closed_at)
    age = hours_between(issues.c.reported_at, at_param)
    bucket = case((age < 24, "<1d"), (age < 72, "1-3d"), (age < 168, "3-7d"), else_=">7d").label("age")
    query = (
        select(bucket, func.count().label("count"))
        .where(
            scope.on_issue(issues),
            filters.clause(issues),
            issues.c.status.not_in(EXCLUDED_STATUSES),
            issues.c.reported_at < at_param,
            or_(finished.is_(None), finished > at_param),
        )
        .group_by(bucket)
    )
    with engine.connect() as conn:
        found = dict(conn.execute(query).all())
    return pd.DataFrame({"age": list(AGE_BUCKETS), "count": [int(found.get(b, 0)) for b in AGE_BUCKETS]})


@declare("anyone")
def monthly_flow(engine: Engine, scope: Scope, filters: IssueFilters) -> pd.DataFrame:
    """Per local month: issues received, and issues of the cohort resolved in that month."""
    where = _cohort_where(scope, filters)
    local = zone_of(engine)
    received_month = local_month(issues.c.reported_at, local).label("month")
    resolved_month = local_month(issues.c.resolved_at, local).label("month")
    received = select(received_month, func.count().label("received")).where(where).group_by(received_month)
    resolved = (
        select(resolved_month, func.count().label("resolved")).where(where, _valid_resolved).group_by(resolved_month)
    )
    with engine.connect() as conn:
        a = result_frame(conn.execute(received), ["month", "received"])
        b = result_frame(conn.execute(resolved), ["month", "resolved"])
    frame = a.merge(b, on="month", how="outer").fillna(0)
    frame[["received", "resolved"]] = frame[["received", "resolved"]].astype(int)
    return frame.sort_values("month").reset_index(drop=True)


@declare("staff")
def open_overdue_count(engine: Engine, scope: Scope, at: datetime) -> int:
    """Issues open now (by status) and older than their category's time limit (IssueFilters.overdue_at,
    the same rows the issue map lists with show=overdue)."""
    query = select(func.count()).where(scope.on_issue(issues), IssueFilters(overdue_at=at).clause(issues))
    with engine.connect() as conn:
        return int(conn.execute(query).scalar() or 0)
