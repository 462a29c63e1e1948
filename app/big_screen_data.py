"""The big screen's data: one snapshot per scope, refreshed every few minutes, kept when the database is away.

A meeting-room TV runs for hours unattended. The snapshot is shared by every
screen showing the same scope (a process-wide store, one entry per community),
refreshed when older than the refresh interval; when a refresh fails the last
snapshot stays on screen marked stale, and the next attempt comes soon after.
Public data only: the same aggregates, with the same k, as the public pages.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from app.audience import Audience
from app.data import engine_for
from data_access import (
    consultations,
    devices,
    feedback,
    issue_map,
    issues,
    parking,
    patrols,
    periods,
    services,
    volunteers,
)
from data_access.contract import ensure_usable, lacks_ehome
from data_access.errors import DataAccessError
from data_access.filters import IssueFilters
from data_access.localtime import SHANGHAI, Zone, zone_of
from data_access.privacy import SUPPRESSED
from data_access.quality import area_bounds
from data_access.reference import community_list, data_as_of, grid_list

log = logging.getLogger("app.big_screen")
RETRY_WHEN_STALE_S = 30
MAX_SCREENS = 64  # snapshots kept: one per scope shown (the street, each community), oldest dropped


@dataclass
class Snapshot:
    as_of: datetime
    fetched_at: float
    figures: pd.Series  # resolution figures of the screen's area, last 30 days
    street_figures: pd.Series  # the same for the whole street: a community screen's reference
    backlog: int
    cells: pd.DataFrame
    grids: pd.DataFrame
    communities: pd.DataFrame
    by_area: pd.DataFrame  # per community, or per grid on a community's screen; groups under k withheld
    flow: pd.DataFrame  # received and resolved per month, the last 12 months
    by_month: pd.DataFrame  # resolution figures per month, the last 12 months (withheld months flagged)
    volunteer_totals: dict  # this month's, for the wall: the same figures as the pages' 本月
    top_volunteers: pd.DataFrame  # the volunteer panel's month (periods["volunteers"]): its top 10
    star_totals: dict  # and its totals
    volunteer_months: pd.DataFrame  # volunteers, hours and points per month
    patrol_weeks: pd.DataFrame  # each grid's last 12 complete weeks and the week in progress
    device_totals: pd.DataFrame  # gates and cameras per kind, the whole street's (never per place)
    ehome: dict | None  # 社区E家 figures of the last 30 days and the top themes; None without version 3 tables
    week_progress: periods.WeekProgress
    periods: dict[str, periods.Period]  # the days each panel covers
    cell_size: tuple[float, float]  # (dlat, dlon) of the map's cells
    zone: Zone = SHANGHAI  # the street's clock, for every time on the screen

    @property
    def last_week(self) -> pd.DataFrame:
        """Each grid's last complete week."""
        return self.patrol_weeks[self.patrol_weeks["week"] == self.periods["last_week"].first_day.isoformat()]

    @property
    def this_week(self) -> pd.DataFrame:
        """Each grid's week in progress, with its state (done / on_pace / behind; never missed)."""
        week = self.patrol_weeks[self.patrol_weeks["week"] == self.week_progress.monday.isoformat()]
        return week.assign(state=patrols.states(week, self.week_progress))

    @property
    def weekly_compliance(self) -> pd.DataFrame:
        """Share of grids that met their patrols, per complete week (`week`, `value`)."""
        ended = patrols.ended(self.patrol_weeks, self.week_progress)
        return ended.groupby("week", as_index=False)["met"].mean().rename(columns={"met": "value"})


@dataclass
class _Entry:
    snapshot: Snapshot | None = None
    last_attempt: float = 0.0
    failed_since: float | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Store:
    """The snapshots, at most MAX_SCREENS of them (least recently shown dropped first)."""

    def __init__(self) -> None:
        self._entries: OrderedDict[tuple, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def entry(self, key: tuple) -> _Entry:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                found = self._entries[key] = _Entry()
            self._entries.move_to_end(key)
            while len(self._entries) > MAX_SCREENS:
                self._entries.popitem(last=False)
            return found

    def __len__(self) -> int:
        return len(self._entries)

    def shows(self, community: str) -> bool:
        """Whether a screen of this community is already kept (its id was validated then)."""
        with self._lock:
            return any(key[1] == community for key in self._entries)


@st.cache_resource(show_spinner=False)
def store() -> _Store:
    return _Store()


def build_snapshot(url: str, community: str | None, k: int) -> Snapshot:
    """Everything the screen shows, as the published figures: what any visitor sees, small groups
    withheld by the same audience rule as the public pages."""
    engine = engine_for(url)
    ensure_usable(engine)
    public = Audience(None, k)

    def published(function: Any, *args: Any, **kwargs: Any) -> Any:
        return public.ask(function, "published", args, kwargs, lambda f, *a, **kw: f(engine, *a, **kw))

    as_of = data_as_of(engine) or datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    local = zone_of(engine)
    area = IssueFilters(community_ids=(community,) if community else ())
    days_30, days_90 = periods.period("30d", as_of, local), periods.period("90d", as_of, local)
    month = periods.period("month", as_of, local)
    this_month = volunteers.totals(engine, month.since, month.until, community)
    stars = month if this_month.get("check_ins") else periods.last_whole_month(as_of, local)
    last_30 = replace(area, since=days_30.since, until=days_30.until)
    last_90 = replace(area, since=days_90.since, until=days_90.until)
    bounds = area_bounds(engine)
    metres = issue_map.cell_metres_for(bounds)
    grid = issue_map.CellGrid.around(bounds, metres) if bounds else None
    progress = periods.week_progress(as_of, local)
    last_week = periods.period("last_week", as_of, local)
    year = periods.months(periods.today(as_of, local), local)
    last_year = replace(area, since=year.since, until=year.until)
    figures = first(published(issues.resolution_figures, last_30))
    whole_street = replace(last_30, community_ids=())
    month_figures = published(issues.resolution_figures, last_year, "month", percentiles=False)
    return Snapshot(
        as_of=as_of,
        fetched_at=time.time(),
        figures=figures,
        street_figures=first(published(issues.resolution_figures, whole_street)) if community else figures,
        backlog=int(published(issues.backlog_by_age, area, as_of)["count"].sum()),
        cells=published(issue_map.issue_cells, last_90, "all", metres, bounds),
        grids=published(grid_list, True, area),
        communities=community_list(engine, with_boundaries=True),
        by_area=published(issues.resolution_figures, last_30, "grid" if community else "community"),
        flow=published(issues.monthly_flow, last_year),
        by_month=month_figures,
        volunteer_totals=this_month,
        top_volunteers=volunteers.leaderboard(engine, stars.since, stars.until, community, 10),
        star_totals=this_month if stars is month else volunteers.totals(engine, stars.since, stars.until, community),
        volunteer_months=volunteers.monthly_participation(engine, year.since, year.until, community),
        patrol_weeks=published(patrols.grid_weeks, progress.monday, 13, area),
        device_totals=published(devices.device_totals),
        ehome=None if lacks_ehome(engine) else _ehome(published, days_30, days_90, area, as_of),
        week_progress=progress,
        periods={
            "30d": days_30, "90d": days_90, "month": month, "volunteers": stars, "last_week": last_week, "months": year
        },
        cell_size=(grid.dlat, grid.dlon) if grid else (0.0, 0.0),
        zone=local,
    )


def shows_last_month(snap: Snapshot) -> bool:
    """Whether the volunteer panel shows the last whole month: it does while this month has no
    service recorded yet (its first day or days), so a meeting on the 1st sees last month's stars
    instead of an empty board; the wall's 本月 figures stay this month's."""
    return snap.periods["volunteers"].first_day != snap.periods["month"].first_day


def _ehome(published: Any, days_30: periods.Period, days_90: periods.Period, area: IssueFilters,
           as_of: datetime) -> dict:
    """The 社区E家 panel: parking, dialogue and services of the last 30 days, and the three themes
    residents raised most in the last 90 (themes under k withheld, like every published figure)."""
    since, until = days_30.since, min(days_30.until, as_of)
    themes = published(feedback.theme_table, days_90.since, min(days_90.until, as_of), area)
    if SUPPRESSED in themes:
        themes = themes[~themes[SUPPRESSED]]
    return {
        "parking": published(parking.parking_figures, since, until, area),
        "dialogue": published(consultations.consultation_figures, since, until, area),
        "services": published(services.service_figures, since, until, as_of, area),
        "themes": themes.head(3).reset_index(drop=True),
    }


def first(frame: pd.DataFrame) -> pd.Series:
    return frame.iloc[0] if len(frame) else pd.Series(dtype=object)


def known_communities(url: str) -> dict[str, dict[str, str]] | None:
    """Community id -> {"zh": name, "en": name}, or None while the database cannot say."""
    try:
        engine: Engine = engine_for(url)
        frame = community_list(engine)
    except (DataAccessError, SQLAlchemyError, OSError):
        return None
    return {row.community_id: {"zh": row.name_zh, "en": row.name_en} for row in frame.itertuples()}


def current(url: str, community: str | None, refresh_s: float, k: int) -> tuple[Snapshot | None, float | None]:
    """(the snapshot to show, since when refreshing has failed or None). Never raises."""
    entry = store().entry((url, community, k))
    now = time.time()
    due = entry.snapshot is None or now - entry.snapshot.fetched_at >= refresh_s
    retry = entry.failed_since is None or now - entry.last_attempt >= min(refresh_s, RETRY_WHEN_STALE_S)
    if due and retry and entry.lock.acquire(blocking=False):
        try:
            entry.last_attempt = now
            entry.snapshot = build_snapshot(url, community, k)
            entry.failed_since = None
        except (DataAccessError, SQLAlchemyError, OSError) as exc:
            log.warning("big screen refresh failed, keeping the last data: %s", exc)
            entry.failed_since = entry.failed_since or now
        finally:
            entry.lock.release()
    return entry.snapshot, entry.failed_since


def shown_areas(snapshot: Snapshot) -> pd.DataFrame:
    """The areas panel's rows: named communities (or grids) whose group is not withheld."""
    rows = snapshot.by_area
    return rows[~rows[SUPPRESSED] & rows["key"].notna()]
