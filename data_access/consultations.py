"""在线对话: questions residents ask the street online, how fast they are answered, what is waiting.

A consultation is not an issue (it may become one: ``issue_id``). Response time is the hours from
``asked_at`` to ``first_answered_at``; "within target" compares it with the topic's
``target_hours`` (topics without a target are left out of that share). A period holds the
consultations asked in it. The backlog at an instant is every consultation asked by then and not yet
answered then, grouped by how long it has waited.

Complaints about staff (topics with ``staff_complaint``) are kept apart: every function here leaves
them out, and only ``staff_complaints``, for street officials, lists them. The resident's own words
(``question``) are shown to staff only, masked (data_access/feedback.py); no function here selects them.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
from sqlalchemy import DateTime, and_, bindparam, case, func, literal, or_, select, true
from sqlalchemy.engine import Engine
from sqlalchemy.sql.elements import ColumnElement

from data_access.access import declare
from data_access.filters import EVERYWHERE, IssueFilters
from data_access.frames import read_frame
from data_access.localtime import zone_of
from data_access.percentiles import MEDIAN, P90, percentile_select
from data_access.schema import consultation_topics, consultations
from data_access.scope import Scope
from data_access.sqlfuncs import hours_between, local_month

AGE_BUCKETS = ((0, 24, "lt_1d"), (24, 72, "1_3d"), (72, 168, "3_7d"), (168, 720, "7_30d"), (720, None, "gt_30d"))
_response_hours = hours_between(consultations.c.asked_at, consultations.c.first_answered_at)
_target = (
    select(consultation_topics.c.target_hours)
    .where(consultation_topics.c.code == consultations.c.topic_code)
    .scalar_subquery()
)
_complaint_topics = select(consultation_topics.c.code).where(consultation_topics.c.staff_complaint.is_(True))


def not_staff_complaint() -> ColumnElement:
    """Consultations that are not complaints about staff: the one rule every figure, theme and FAQ
    of consultations uses (only `staff_complaints` reads the others)."""
    return or_(consultations.c.topic_code.is_(None), consultations.c.topic_code.not_in(_complaint_topics))


def _where(
    scope: Scope, since: datetime | None, until: datetime | None, area: IssueFilters, complaints: bool = False
) -> ColumnElement:
    parts = [
        scope.on_grid(consultations.c.grid_id),
        area.on_grid(consultations.c.grid_id),
        consultations.c.topic_code.in_(_complaint_topics) if complaints else not_staff_complaint(),
    ]
    if since is not None:
        parts.append(consultations.c.asked_at >= since)
    if until is not None:
        parts.append(consultations.c.asked_at < until)
    return and_(true(), *parts)


def _figure_columns() -> list[ColumnElement]:
    answered = consultations.c.first_answered_at.is_not(None)
    with_target = and_(answered, _target.is_not(None))
    return [
        func.count().label("asked"),
        func.sum(case((answered, 1), else_=0)).label("answered"),
        func.sum(case((with_target, 1), else_=0)).label("with_target"),
        func.sum(case((and_(with_target, _response_hours <= _target), 1), else_=0)).label("within_target"),
        func.sum(case((consultations.c.satisfaction.between(1, 5), 1), else_=0)).label("rated"),
        func.avg(case((consultations.c.satisfaction.between(1, 5), consultations.c.satisfaction))).label(
            "satisfaction"
        ),
        func.sum(case((consultations.c.issue_id.is_not(None), 1), else_=0)).label("became_issues"),
    ]


def _percentiles(engine: Engine, where: ColumnElement, key: ColumnElement) -> pd.DataFrame:
    values = select(key.label("k"), _response_hours.label("hours")).where(
        where, consultations.c.first_answered_at.is_not(None), _response_hours >= 0
    )
    return read_frame(engine, percentile_select(values, "k", "hours", {"median_hours": MEDIAN, "p90_hours": P90}))


COUNTS = ("asked", "answered", "with_target", "within_target", "rated", "became_issues")


def _plain(row: dict) -> dict:
    """One row of figures as plain values: counts as int, the rest float, None where there is none."""
    return {k: (None if pd.isna(v) else int(v) if k in COUNTS else float(v)) for k, v in row.items()}


def _finish(frame: pd.DataFrame) -> pd.DataFrame:
    for column in COUNTS:
        frame[column] = pd.to_numeric(frame[column], errors="coerce").fillna(0).astype(int)
    frame["answered_share"] = (frame["answered"] / frame["asked"].where(frame["asked"] > 0)).astype(float)
    with_target = frame["with_target"].where(frame["with_target"] > 0)
    frame["within_target_share"] = (frame["within_target"] / with_target).astype(float)
    frame["satisfaction"] = pd.to_numeric(frame["satisfaction"], errors="coerce").astype(float)
    return frame


@declare("anyone")
def consultation_figures(
    engine: Engine, scope: Scope, since: datetime | None, until: datetime | None, area: IssueFilters = EVERYWHERE
) -> dict:
    """Asked, answered, median and P90 hours to the first answer, share answered within the topic's
    target, satisfaction, and how many became issues (complaints about staff left out)."""
    where = _where(scope, since, until, area)
    frame = _finish(read_frame(engine, select(*_figure_columns()).where(where)))
    pct = _percentiles(engine, where, literal(1))
    figures = _plain(frame.iloc[0].to_dict())
    for name in ("median_hours", "p90_hours"):
        figures[name] = float(pct[name].iat[0]) if len(pct) and pd.notna(pct[name].iat[0]) else None
    return figures


@declare("anyone", count="asked")
def response_by_topic(
    engine: Engine, scope: Scope, since: datetime | None, until: datetime | None, area: IssueFilters = EVERYWHERE
) -> pd.DataFrame:
    """Per topic (complaints about staff left out): the same figures, most asked first."""
    where = _where(scope, since, until, area)
    topic = consultations.c.topic_code
    frame = read_frame(
        engine, select(topic.label("topic_code"), *_figure_columns()).where(where).group_by(topic)
    )
    frame = _finish(frame)
    pct = _percentiles(engine, where, func.coalesce(topic, "")).rename(columns={"k": "topic_code"})
    pct["topic_code"] = pct["topic_code"].replace("", None)
    frame = frame.merge(pct, on="topic_code", how="left")
    return frame.sort_values(["asked", "topic_code"], ascending=[False, True], na_position="last").reset_index(
        drop=True
    )


@declare("anyone")
def topics_by_month(
    engine: Engine, scope: Scope, since: datetime | None, until: datetime | None, area: IssueFilters = EVERYWHERE
) -> pd.DataFrame:
    """Per local month and topic: consultations asked (complaints about staff left out)."""
    month = local_month(consultations.c.asked_at, zone_of(engine)).label("month")
    topic = consultations.c.topic_code.label("topic_code")
    query = (
        select(month, topic, func.count().label("asked"))
        .where(_where(scope, since, until, area))
        .group_by(month, consultations.c.topic_code)
        .order_by(month, consultations.c.topic_code)
    )
    return read_frame(engine, query)


def _waiting(scope: Scope, at: datetime, area: IssueFilters, complaints: bool = False) -> ColumnElement:
    at_param = bindparam("backlog_at", at, type_=DateTime)
    return and_(
        _where(scope, None, None, area, complaints),
        consultations.c.asked_at <= at_param,
        or_(consultations.c.first_answered_at.is_(None), consultations.c.first_answered_at > at_param),
    )


@declare("anyone")
def backlog_by_age(engine: Engine, scope: Scope, at: datetime, area: IssueFilters = EVERYWHERE) -> pd.DataFrame:
    """Consultations waiting for a first answer at `at`, per age bucket (AGE_BUCKETS, every bucket
    listed), with the oldest wait in hours."""
    at_param = bindparam("backlog_at", at, type_=DateTime)
    age = hours_between(consultations.c.asked_at, at_param)
    bucket = case(
        *((age < upper, name) for _, upper, name in AGE_BUCKETS if upper is not None), else_=AGE_BUCKETS[-1][2]
    ).label("bucket")
    query = (
        select(bucket, func.count().label("waiting"), func.max(age).label("oldest_hours"))
        .where(_waiting(scope, at, area))
        .group_by(bucket)
    )
    found = read_frame(engine, query).set_index("bucket")
    names = [name for _, _, name in AGE_BUCKETS]
    frame = pd.DataFrame({"bucket": names})
    frame["waiting"] = [int(found["waiting"].get(n, 0)) for n in names]
    frame["oldest_hours"] = [float(found["oldest_hours"].get(n, np.nan)) for n in names]
    return frame


@declare("staff")
def waiting_consultations(
    engine: Engine, scope: Scope, at: datetime, area: IssueFilters = EVERYWHERE, limit: int = 200
) -> pd.DataFrame:
    """The consultations waiting for a first answer at `at`, longest waiting first: id, topic, grid,
    channel, asked, hours waiting, answering office, and whether the topic's target has passed."""
    at_param = bindparam("backlog_at", at, type_=DateTime)
    age = hours_between(consultations.c.asked_at, at_param)
    query = (
        select(
            consultations.c.consultation_id,
            consultations.c.topic_code,
            consultations.c.grid_id,
            consultations.c.channel,
            consultations.c.asked_at,
            age.label("waiting_hours"),
            consultations.c.answering_office,
            _target.label("target_hours"),
        )
        .where(_waiting(scope, at, area))
        .order_by(consultations.c.asked_at, consultations.c.consultation_id)
        .limit(limit)
    )
    frame = read_frame(engine, query)
    frame["waiting_hours"] = pd.to_numeric(frame["waiting_hours"], errors="coerce").astype(float)
    target = pd.to_numeric(frame["target_hours"], errors="coerce").astype(float)
    frame["past_target"] = (frame["waiting_hours"] > target).fillna(False).astype(bool)
    return frame


@declare("street_staff")
def staff_complaints(
    engine: Engine, scope: Scope, since: datetime | None, until: datetime | None, at: datetime
) -> dict:
    """Complaints about staff, for street officials only: the figures and each complaint (id,
    community, grid, asked, first answered, closed, answering office, satisfaction, issue)."""
    where = _where(scope, since, until, EVERYWHERE, complaints=True)
    figures = _plain(_finish(read_frame(engine, select(*_figure_columns()).where(where))).iloc[0].to_dict())
    pct = _percentiles(engine, where, literal(1))
    for name in ("median_hours", "p90_hours"):
        figures[name] = float(pct[name].iat[0]) if len(pct) and pd.notna(pct[name].iat[0]) else None
    figures["waiting"] = int(
        read_frame(engine, select(func.count().label("n")).where(_waiting(scope, at, EVERYWHERE, True)))["n"].iat[0]
    )
    rows = read_frame(
        engine,
        select(
            consultations.c.consultation_id,
            consultations.c.community_id,
            consultations.c.grid_id,
            consultations.c.asked_at,
            consultations.c.first_answered_at,
            consultations.c.closed_at,
            consultations.c.answering_office,
            consultations.c.satisfaction,
            consultations.c.issue_id,
        )
        .where(where)
        .order_by(consultations.c.asked_at.desc(), consultations.c.consultation_id),
    )
    return {"figures": _plain(figures), "rows": rows}
