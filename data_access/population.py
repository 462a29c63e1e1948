"""Special-population care: who needs a visit, which alerts are open. Staff only, always scoped.

Person-level rows come back masked (张*三, 100****1234) unless the caller
asks for a reveal; the app allows that to street officials only and audits it.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from sqlalchemy import (
    DateTime,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    case,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.engine import Engine

from data_access.access import declare
from data_access.filters import EVERYWHERE, IssueFilters
from data_access.frames import read_frame
from data_access.percentiles import MEDIAN, P90, percentile_select
from data_access.privacy import mask_name, mask_phone
from data_access.schema import (
    buildings,
    officers,
    residents,
    special_categories,
    special_population,
    welfare_alerts,
    welfare_visits,
)
from data_access.scope import Scope
from data_access.sqlfuncs import hours_between


def residents_in_scope(scope: Scope, area: IssueFilters = EVERYWHERE) -> Select:
    return (
        select(residents.c.resident_id)
        .join(buildings, buildings.c.building_id == residents.c.building_id)
        .where(scope.on_grid(buildings.c.grid_id), area.on_grid(buildings.c.grid_id))
    )


def _active_members(at_param) -> object:  # noqa: ANN001
    return and_(
        special_population.c.since <= at_param,
        or_(special_population.c.until.is_(None), special_population.c.until > at_param),
    )


@declare("staff")
def category_counts(engine: Engine, scope: Scope, at: datetime, area: IssueFilters = EVERYWHERE) -> pd.DataFrame:
    at_param = bindparam("at", at, type_=DateTime)
    query = (
        select(
            special_categories.c.code,
            special_categories.c.name_zh,
            special_categories.c.name_en,
            special_categories.c.visit_interval_days,
            func.count(special_population.c.resident_id).label("people"),
        )
        .select_from(
            special_categories.outerjoin(
                special_population,
                and_(
                    special_population.c.category_code == special_categories.c.code,
                    _active_members(at_param),
                    special_population.c.resident_id.in_(residents_in_scope(scope, area).scalar_subquery()),
                ),
            )
        )
        .group_by(
            special_categories.c.code,
            special_categories.c.name_zh,
            special_categories.c.name_en,
            special_categories.c.visit_interval_days,
        )
        .order_by(special_categories.c.code)
    )
    return read_frame(engine, query)


def _mask(frame: pd.DataFrame, reveal: bool) -> pd.DataFrame:
    if not reveal:
        frame["name"] = frame["name"].map(mask_name)
        frame["phone"] = frame["phone"].map(mask_phone)
    return frame


def _worklist_select(scope: Scope, at_param, area: IssueFilters = EVERYWHERE) -> Select:  # noqa: ANN001
    """Every active member in scope with their last visit and days overdue, without their name and
    phone: the analytical copy answers it (names stay in the read database; `_with_names` adds them
    to the rows shown)."""
    last_visit = (
        select(welfare_visits.c.resident_id, func.max(welfare_visits.c.visited_at).label("last_visit_at"))
        .where(welfare_visits.c.visited_at <= at_param)
        .group_by(welfare_visits.c.resident_id)
        .subquery("last_visit")
    )
    reference = func.coalesce(last_visit.c.last_visit_at, special_population.c.since)
    days_since = (hours_between(reference, at_param) / 24.0).label("days_since")
    overdue = (days_since - special_categories.c.visit_interval_days).label("days_overdue")
    return (
        select(
            residents.c.resident_id,
            buildings.c.grid_id,
            buildings.c.address,
            special_population.c.category_code,
            special_population.c.risk_level,
            special_categories.c.visit_interval_days,
            last_visit.c.last_visit_at,
            days_since,
            overdue,
        )
        .select_from(
            special_population.join(residents, residents.c.resident_id == special_population.c.resident_id)
            .join(buildings, buildings.c.building_id == residents.c.building_id)
            .join(special_categories, special_categories.c.code == special_population.c.category_code)
            .outerjoin(last_visit, last_visit.c.resident_id == special_population.c.resident_id)
        )
        .where(_active_members(at_param), scope.on_grid(buildings.c.grid_id), area.on_grid(buildings.c.grid_id))
    )


@declare("staff")
def visit_worklist(
    engine: Engine,
    scope: Scope,
    at: datetime,
    reveal: bool = False,
    limit: int = 500,
    overdue_only: bool = False,
    area: IssueFilters = EVERYWHERE,
) -> pd.DataFrame:
    """Members in scope (and `area`) with days since their last visit and days overdue, most overdue
    first; `overdue_only`: just the overdue ones, the rows `overdue_visit_count` counts."""
    base = _worklist_select(scope, bindparam("at", at, type_=DateTime), area)
    overdue = base.selected_columns.days_overdue
    if overdue_only:
        base = base.where(overdue > 0)
    query = base.order_by(
        overdue.desc().nulls_last(),
        special_population.c.risk_level.desc(),
        residents.c.resident_id,
        special_population.c.category_code,
    ).limit(limit)
    frame = _with_names(engine, read_frame(engine, query))
    return _mask(frame, reveal)


def _with_names(engine: Engine, frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with each resident's name and phone after their id, read by key from the read
    database: the list itself (a city's 1.2 M visits aggregated) comes from the analytical copy,
    which holds no names, and only the rows shown are looked up."""
    ids = [int(i) for i in frame["resident_id"].dropna().unique()]
    who = (
        read_frame(engine, select(residents.c.resident_id, residents.c.name, residents.c.phone)
                   .where(residents.c.resident_id.in_(ids)))
        if ids
        else pd.DataFrame(columns=["resident_id", "name", "phone"])
    )
    names = dict(zip(who["resident_id"], who["name"], strict=True))
    phones = dict(zip(who["resident_id"], who["phone"], strict=True))
    frame.insert(1, "name", [names.get(i) for i in frame["resident_id"]])
    frame.insert(2, "phone", [phones.get(i) for i in frame["resident_id"]])
    return frame


@declare("staff")
def overdue_visit_count(engine: Engine, scope: Scope, at: datetime, area: IssueFilters = EVERYWHERE) -> int:
    """Memberships in scope (and `area`) whose last visit is older than the category's interval."""
    worklist = _worklist_select(scope, bindparam("at", at, type_=DateTime), area).subquery("worklist")
    query = select(func.count()).select_from(worklist).where(worklist.c.days_overdue > 0)
    with engine.connect() as conn:
        return int(conn.execute(query).scalar() or 0)


@declare("staff")
def open_alerts(
    engine: Engine,
    scope: Scope,
    at: datetime,
    reveal: bool = False,
    limit: int = 500,
    area: IssueFilters = EVERYWHERE,
) -> pd.DataFrame:
    """Alerts raised by `at` and not resolved by then, the most pressing first: highest severity, then
    those nobody has been dispatched to (by `at`), then the longest waiting. `area` narrows to a
    community or grid (the grid summary page)."""
    at_param = bindparam("at", at, type_=DateTime)
    a = welfare_alerts
    dispatched = and_(a.c.dispatched_at.is_not(None), a.c.dispatched_at <= at_param)
    query = (
        select(
            a.c.alert_id,
            a.c.kind,
            a.c.severity,
            a.c.raised_at,
            a.c.dispatched_at,
            officers.c.name.label("dispatched_officer"),
            residents.c.resident_id,
            residents.c.name,
            residents.c.phone,
            buildings.c.grid_id,
            buildings.c.address,
            buildings.c.lat,
            buildings.c.lon,
            (hours_between(a.c.raised_at, at_param)).label("hours_open"),
        )
        .select_from(
            a.join(residents, residents.c.resident_id == a.c.resident_id)
            .join(buildings, buildings.c.building_id == residents.c.building_id)
            .outerjoin(officers, officers.c.officer_id == a.c.dispatched_officer_id)
        )
        .where(
            a.c.raised_at <= at_param,
            or_(a.c.resolved_at.is_(None), a.c.resolved_at > at_param),
            scope.on_grid(buildings.c.grid_id),
            area.on_grid(buildings.c.grid_id),
        )
        .order_by(a.c.severity.desc(), case((dispatched, 1), else_=0), a.c.raised_at, a.c.alert_id)
        .limit(limit)
    )
    frame = read_frame(engine, query)
    later = frame["dispatched_at"].notna() & (frame["dispatched_at"] > at)
    frame.loc[later, "dispatched_at"] = pd.NaT
    frame.loc[later, "dispatched_officer"] = None
    return _mask(frame, reveal)


# How an open alert stands against the dispatch target (docs/metrics.md, "Open alert").
DISPATCH_STATES = ("waiting_late", "waiting", "dispatched_late", "dispatched_in_time")


def dispatch_states(alerts: pd.DataFrame, target_minutes: float) -> list[str]:
    """One of DISPATCH_STATES per row of `open_alerts`: nobody dispatched and waiting longer than the
    target / nobody dispatched yet, still within it / dispatched, but after the target / dispatched
    within it."""
    states = []
    for raised, dispatched, hours_open in zip(
        alerts["raised_at"], alerts["dispatched_at"], alerts["hours_open"], strict=True
    ):
        if pd.isna(dispatched):
            states.append("waiting_late" if float(hours_open) * 60 > target_minutes else "waiting")
        else:
            minutes = (pd.Timestamp(dispatched) - pd.Timestamp(raised)).total_seconds() / 60
            states.append("dispatched_late" if minutes > target_minutes else "dispatched_in_time")
    return states


@declare("staff")
def open_alert_count(engine: Engine, scope: Scope, at: datetime, area: IssueFilters = EVERYWHERE) -> int:
    """Alerts in scope (and `area`) raised by `at` and not resolved by then (open_alerts' rows)."""
    at_param = bindparam("at", at, type_=DateTime)
    a = welfare_alerts
    query = select(func.count()).where(
        a.c.raised_at <= at_param,
        or_(a.c.resolved_at.is_(None), a.c.resolved_at > at_param),
        a.c.resident_id.in_(residents_in_scope(scope, area).scalar_subquery()),
    )
    with engine.connect() as conn:
        return int(conn.execute(query).scalar() or 0)


@declare("staff")
def open_work_by_grid(engine: Engine, scope: Scope, at: datetime, area: IssueFilters = EVERYWHERE) -> pd.DataFrame:
    """Per grid in scope that has any: overdue visits and open alerts (overdue_visit_count and
    open_alert_count, by the grid of the person's building)."""
    at_param = bindparam("at", at, type_=DateTime)
    worklist = _worklist_select(scope, at_param, area).subquery("worklist")
    visits = (
        select(worklist.c.grid_id, func.count().label("overdue_visits"))
        .where(worklist.c.days_overdue > 0)
        .group_by(worklist.c.grid_id)
    )
    a = welfare_alerts
    alerts = (
        select(buildings.c.grid_id, func.count().label("open_alerts"))
        .select_from(
            a.join(residents, residents.c.resident_id == a.c.resident_id).join(
                buildings, buildings.c.building_id == residents.c.building_id
            )
        )
        .where(
            a.c.raised_at <= at_param,
            or_(a.c.resolved_at.is_(None), a.c.resolved_at > at_param),
            scope.on_grid(buildings.c.grid_id),
            area.on_grid(buildings.c.grid_id),
        )
        .group_by(buildings.c.grid_id)
    )
    frame = read_frame(engine, visits).merge(read_frame(engine, alerts), on="grid_id", how="outer")
    return frame.fillna(0).astype({"overdue_visits": int, "open_alerts": int})


@declare("staff")
def alert_response(
    engine: Engine, scope: Scope, since: datetime, until: datetime, target_minutes: int = 30
) -> dict[str, float | int | None]:
    """Alerts raised in [since, until): counts, dispatch and resolution times, share dispatched in target."""
    a = welfare_alerts
    where = and_(
        a.c.raised_at >= since, a.c.raised_at < until, a.c.resident_id.in_(residents_in_scope(scope).scalar_subquery())
    )
    dispatch_min = hours_between(a.c.raised_at, a.c.dispatched_at) * 60.0
    resolve_h = hours_between(a.c.raised_at, a.c.resolved_at)
    valid_dispatch = and_(a.c.dispatched_at.is_not(None), a.c.dispatched_at >= a.c.raised_at)
    counts = select(
        func.count().label("alerts"),
        func.count(a.c.dispatched_at).label("dispatched"),
        func.count(a.c.resolved_at).label("resolved"),
    ).where(where)
    in_target = select(func.count()).where(where, valid_dispatch, dispatch_min <= target_minutes)
    dispatch = percentile_select(
        select(literal(0).label("k"), dispatch_min.label("v")).where(where, valid_dispatch),
        "k",
        "v",
        {"median": MEDIAN, "p90": P90},
    )
    resolve = percentile_select(
        select(literal(0).label("k"), resolve_h.label("v")).where(
            where, a.c.resolved_at.is_not(None), a.c.resolved_at >= a.c.raised_at
        ),
        "k",
        "v",
        {"median": MEDIAN},
    )
    with engine.connect() as conn:
        row = dict(conn.execute(counts).mappings().one())
        row["dispatched_in_target"] = int(conn.execute(in_target).scalar() or 0)
        d = conn.execute(dispatch).mappings().first()
        r = conn.execute(resolve).mappings().first()
    row["median_minutes_to_dispatch"] = float(d["median"]) if d else None
    row["p90_minutes_to_dispatch"] = float(d["p90"]) if d else None
    row["median_hours_to_resolve"] = float(r["median"]) if r else None
    row["target_minutes"] = target_minutes
    row["share_dispatched_in_target"] = row["dispatched_in_target"] / row["alerts"] if row["alerts"] else None
    return row


TIMELINE_EVENTS = ("visit", "alert_raised", "alert_dispatched", "alert_resolved")
TIMELINE_COLUMNS = ["at", "event", "kind", "severity", "outcome", "officer", "alert_id"]


def _timeline_select(resident_id: int, limit: int) -> Select:
    """A resident's visits and the steps of their alerts (raised, dispatched, resolved) as one list
    of events, newest first: at, event (TIMELINE_EVENTS), alert kind and severity, outcome (the
    visit's or the alert's), officer (who visited or was dispatched), alert_id."""
    v, a = welfare_visits, welfare_alerts
    text, number = String(64), Integer()

    def alert_step(event: str, at, outcome, officer) -> Select:  # noqa: ANN001
        return (
            select(
                at.label("at"),
                literal(event, text).label("event"),
                a.c.kind.label("kind"),
                a.c.severity.label("severity"),
                outcome.label("outcome"),
                officer.label("officer"),
                a.c.alert_id.label("alert_id"),
            )
            .select_from(a.outerjoin(officers, officers.c.officer_id == a.c.dispatched_officer_id))
            .where(a.c.resident_id == resident_id, at.is_not(None))
        )

    visits = (
        select(
            v.c.visited_at.label("at"),
            literal("visit", text).label("event"),
            null().cast(text).label("kind"),
            null().cast(number).label("severity"),
            v.c.outcome.label("outcome"),
            officers.c.name.label("officer"),
            null().cast(number).label("alert_id"),
        )
        .select_from(v.outerjoin(officers, officers.c.officer_id == v.c.officer_id))
        .where(v.c.resident_id == resident_id)
    )
    none_text = null().cast(text)
    events = union_all(
        visits,
        alert_step("alert_raised", a.c.raised_at, none_text, none_text),
        alert_step("alert_dispatched", a.c.dispatched_at, none_text, officers.c.name),
        alert_step("alert_resolved", a.c.resolved_at, a.c.outcome, none_text),
    ).subquery("events")
    # Steps of one alert at the same instant: resolved above dispatched above raised (newest first).
    step = case((events.c.event == "alert_resolved", 0), (events.c.event == "alert_dispatched", 1), else_=2)
    return (
        select(*(events.c[name] for name in TIMELINE_COLUMNS))
        .order_by(events.c.at.desc(), step, events.c.alert_id.desc())
        .limit(limit)
    )


@declare("staff")
def person_detail(
    engine: Engine, scope: Scope, resident_id: int, reveal: bool = False, timeline_limit: int = 40
) -> dict | None:
    """One resident in the caller's scope: contact, categories, last visits, alerts, and a timeline
    of both (the newest `timeline_limit` events, see _timeline_select). Masked unless revealed;
    None outside the scope (the caller cannot tell "not found" from "not yours")."""
    person = (
        select(
            residents.c.resident_id,
            residents.c.name,
            residents.c.phone,
            residents.c.gender,
            residents.c.birth_year,
            buildings.c.address,
            buildings.c.grid_id,
        )
        .select_from(residents.join(buildings, buildings.c.building_id == residents.c.building_id))
        .where(residents.c.resident_id == resident_id, scope.on_grid(buildings.c.grid_id))
    )
    with engine.connect() as conn:
        row = conn.execute(person).mappings().first()
        if row is None:
            return None
        categories = (
            conn.execute(
                select(
                    special_population.c.category_code, special_population.c.since, special_population.c.risk_level
                ).where(special_population.c.resident_id == resident_id)
            )
            .mappings()
            .all()
        )
        visits = (
            conn.execute(
                select(welfare_visits.c.visited_at, welfare_visits.c.outcome, officers.c.name.label("officer"))
                .select_from(welfare_visits.outerjoin(officers, officers.c.officer_id == welfare_visits.c.officer_id))
                .where(welfare_visits.c.resident_id == resident_id)
                .order_by(welfare_visits.c.visited_at.desc())
                .limit(10)
            )
            .mappings()
            .all()
        )
        alerts = (
            conn.execute(
                select(
                    welfare_alerts.c.raised_at,
                    welfare_alerts.c.kind,
                    welfare_alerts.c.severity,
                    welfare_alerts.c.dispatched_at,
                    welfare_alerts.c.resolved_at,
                    welfare_alerts.c.outcome,
                )
                .where(welfare_alerts.c.resident_id == resident_id)
                .order_by(welfare_alerts.c.raised_at.desc())
                .limit(10)
            )
            .mappings()
            .all()
        )
        timeline = conn.execute(_timeline_select(resident_id, timeline_limit)).all()
    detail = dict(row)
    if not reveal:
        detail["name"], detail["phone"] = mask_name(detail["name"]), mask_phone(detail["phone"])
    detail["categories"] = pd.DataFrame(categories, columns=["category_code", "since", "risk_level"])
    detail["visits"] = pd.DataFrame(visits, columns=["visited_at", "outcome", "officer"])
    detail["alerts"] = pd.DataFrame(
        alerts, columns=["raised_at", "kind", "severity", "dispatched_at", "resolved_at", "outcome"]
    )
    detail["timeline"] = pd.DataFrame([tuple(r) for r in timeline], columns=TIMELINE_COLUMNS)
    detail["timeline"] = detail["timeline"].astype({"severity": "Int64", "alert_id": "Int64"})
    detail["timeline"]["at"] = pd.to_datetime(detail["timeline"]["at"])
    return detail
