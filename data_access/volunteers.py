"""Volunteer points: public leaderboards by display name, totals that include everyone.

Volunteers who opted out (on_leaderboard false) never appear by name; they
count in totals. Ties share a rank (1, 2, 2, 4) and are ordered by display
name so the listing is stable.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from sqlalchemy import String, and_, func, literal, select, true
from sqlalchemy.engine import Engine

from data_access.access import declare
from data_access.contract import has_column
from data_access.frames import read_frame
from data_access.localtime import zone_of
from data_access.schema import activities, buildings, grids, participations, residents, volunteers
from data_access.sqlfuncs import local_month


def _period(since: datetime | None, until: datetime | None):  # noqa: ANN202
    parts = []
    if since is not None:
        parts.append(participations.c.checked_in_at >= since)
    if until is not None:
        parts.append(participations.c.checked_in_at < until)
    return and_(true(), *parts)


def _community(community_id: str | None):  # noqa: ANN202
    return volunteers.c.community_id == community_id if community_id else true()


@declare("public")
def leaderboard(
    engine: Engine, since: datetime | None, until: datetime | None, community_id: str | None = None, limit: int = 20
) -> pd.DataFrame:
    points = func.sum(participations.c.points_awarded)
    per_volunteer = (
        select(
            volunteers.c.display_name,
            volunteers.c.community_id,
            points.label("points"),
            func.sum(participations.c.hours).label("hours"),
            func.count().label("activities"),
        )
        .select_from(participations.join(volunteers, volunteers.c.volunteer_id == participations.c.volunteer_id))
        .where(_period(since, until), _community(community_id), volunteers.c.on_leaderboard.is_(True))
        .group_by(volunteers.c.volunteer_id, volunteers.c.display_name, volunteers.c.community_id)
        .subquery("per_volunteer")
    )
    rank = func.rank().over(order_by=per_volunteer.c.points.desc()).label("rank")
    query = (
        select(rank, *per_volunteer.c)
        .order_by(per_volunteer.c.points.desc(), per_volunteer.c.display_name)
        .limit(limit)
    )
    return read_frame(engine, query)


@declare("public")
def totals(engine: Engine, since: datetime | None, until: datetime | None, community_id: str | None = None) -> dict:
    """Everyone counts here, opted out or not: points, hours, volunteers taking part, check-ins."""
    query = (
        select(
            func.coalesce(func.sum(participations.c.points_awarded), 0).label("points"),
            func.coalesce(func.sum(participations.c.hours), 0).label("hours"),
            func.count(func.distinct(participations.c.volunteer_id)).label("volunteers"),
            func.count().label("check_ins"),
        )
        .select_from(participations.join(volunteers, volunteers.c.volunteer_id == participations.c.volunteer_id))
        .where(_period(since, until), _community(community_id))
    )
    with engine.connect() as conn:
        return dict(conn.execute(query).mappings().one())


@declare("public")
def monthly_participation(
    engine: Engine, since: datetime | None, until: datetime | None, community_id: str | None = None
) -> pd.DataFrame:
    month = local_month(participations.c.checked_in_at, zone_of(engine)).label("month")
    query = (
        select(
            month,
            func.count(func.distinct(participations.c.volunteer_id)).label("volunteers"),
            func.sum(participations.c.hours).label("hours"),
            func.sum(participations.c.points_awarded).label("points"),
        )
        .select_from(participations.join(volunteers, volunteers.c.volunteer_id == participations.c.volunteer_id))
        .where(_period(since, until), _community(community_id))
        .group_by(month)
        .order_by(month)
    )
    return read_frame(engine, query)


@declare("public")
def points_per_thousand_residents(engine: Engine, since: datetime | None, until: datetime | None) -> pd.DataFrame:
    """Communities ranked by volunteer points per 1,000 residents."""
    points = (
        select(volunteers.c.community_id, func.sum(participations.c.points_awarded).label("points"))
        .select_from(participations.join(volunteers, volunteers.c.volunteer_id == participations.c.volunteer_id))
        .where(_period(since, until))
        .group_by(volunteers.c.community_id)
    )
    population = (
        select(grids.c.community_id, func.count().label("residents"))
        .select_from(
            residents.join(buildings, buildings.c.building_id == residents.c.building_id).join(
                grids, grids.c.grid_id == buildings.c.grid_id
            )
        )
        .group_by(grids.c.community_id)
    )
    frame = read_frame(engine, population).merge(read_frame(engine, points), on="community_id", how="left")
    frame["points"] = frame["points"].fillna(0).astype(int)
    frame["points_per_1000"] = frame["points"] / frame["residents"] * 1000
    return frame.sort_values("points_per_1000", ascending=False).reset_index(drop=True)


@declare("public")
def activities_between(
    engine: Engine, since: datetime, until: datetime, community_id: str | None = None, limit: int = 50
) -> pd.DataFrame:
    """Activities starting in [since, until), with how many volunteers checked in; `title_en` is
    NULL where the database has no English title (an optional column)."""
    joined = func.count(participations.c.volunteer_id).label("participants")
    has_english = has_column(engine, "activities.title_en")
    english = activities.c.title_en if has_english else literal(None, String).label("title_en")
    columns = [
        activities.c.activity_id,
        activities.c.title,
        activities.c.kind,
        activities.c.community_id,
        activities.c.starts_at,
        activities.c.ends_at,
        activities.c.points,
    ]
    query = (
        select(*columns, english, joined)
        .select_from(activities.outerjoin(participations, participations.c.activity_id == activities.c.activity_id))
        .where(
            activities.c.starts_at >= since,
            activities.c.starts_at < until,
            activities.c.community_id == community_id if community_id else true(),
        )
        .group_by(*columns, *([activities.c.title_en] if has_english else []))
        .order_by(activities.c.starts_at)
        .limit(limit)
    )
    return read_frame(engine, query)


@declare("public")
def activities_by_kind(
    engine: Engine, since: datetime | None, until: datetime | None, community_id: str | None = None
) -> pd.DataFrame:
    """Per kind of activity: activities held, check-ins and hours in the period."""
    window = and_(
        activities.c.starts_at >= since if since is not None else true(),
        activities.c.starts_at < until if until is not None else true(),
        activities.c.community_id == community_id if community_id else true(),
    )
    query = (
        select(
            activities.c.kind,
            func.count(func.distinct(activities.c.activity_id)).label("activities"),
            func.count(participations.c.volunteer_id).label("check_ins"),
            func.coalesce(func.sum(participations.c.hours), 0).label("hours"),
        )
        .select_from(activities.outerjoin(participations, participations.c.activity_id == activities.c.activity_id))
        .where(window)
        .group_by(activities.c.kind)
        .order_by(activities.c.kind)
    )
    return read_frame(engine, query)
