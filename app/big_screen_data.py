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
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import pandas as pd
import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from app.data import engine_for
from data_access import issue_map, issues, patrols, volunteers
from data_access.contract import ensure_usable
from data_access.errors import DataAccessError
from data_access.filters import IssueFilters
from data_access.quality import area_bounds
from data_access.reference import community_list, data_as_of, grid_list
from data_access.scope import Scope
from data_access.sqlfuncs import LOCAL_UTC_OFFSET_HOURS

log = logging.getLogger("app.big_screen")
RETRY_WHEN_STALE_S = 30


@dataclass
class Snapshot:
    as_of: datetime
    fetched_at: float
    figures: pd.Series  # resolution figures, last 30 days
    backlog: int
    cells: pd.DataFrame
    grids: pd.DataFrame
    communities: pd.DataFrame
    by_community: pd.DataFrame
    top_volunteers: pd.DataFrame
    volunteer_totals: dict
    patrol_week: pd.DataFrame
    cell_size: tuple[float, float]  # (dlat, dlon) of the map's cells


@dataclass
class _Entry:
    snapshot: Snapshot | None = None
    last_attempt: float = 0.0
    failed_since: float | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


@st.cache_resource(show_spinner=False)
def _store() -> dict[tuple[str, str | None], _Entry]:
    return {}


def build_snapshot(url: str, community: str | None, k: int) -> Snapshot:
    engine = engine_for(url)
    ensure_usable(engine)
    as_of = data_as_of(engine) or datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    area = IssueFilters(community_ids=(community,) if community else ())
    last_30 = IssueFilters(since=as_of - timedelta(days=30), until=as_of, community_ids=area.community_ids)
    scope = Scope.community(community) if community else Scope.street()
    figures = issues.resolution_figures(engine, Scope.street(), last_30)
    local_today = (as_of + timedelta(hours=LOCAL_UTC_OFFSET_HOURS)).date()
    month_start = datetime.combine(local_today.replace(day=1), datetime.min.time()) - timedelta(
        hours=LOCAL_UTC_OFFSET_HOURS
    )
    last_90 = replace(last_30, since=as_of - timedelta(days=90))
    bounds = area_bounds(engine)
    metres = issue_map.cell_metres_for(bounds)
    cells, _ = issue_map.issue_cells(engine, Scope.street(), last_90, "all", k, metres, bounds)
    grid = issue_map.CellGrid.around(bounds, metres) if bounds else None
    return Snapshot(
        as_of=as_of,
        fetched_at=time.time(),
        figures=figures.iloc[0] if len(figures) else pd.Series(dtype=object),
        backlog=int(issues.backlog_by_age(engine, Scope.street(), area, as_of)["count"].sum()),
        cells=cells,
        grids=grid_list(engine, scope, with_boundaries=True),
        communities=community_list(engine, with_boundaries=True),
        by_community=issues.resolution_figures(engine, Scope.street(), last_30, by="community"),
        top_volunteers=volunteers.leaderboard(engine, month_start, as_of + timedelta(days=1), community, 10),
        volunteer_totals=volunteers.totals(engine, month_start, as_of + timedelta(days=1), community),
        patrol_week=patrols.grid_weeks(engine, scope, patrols.week_start(local_today), 1),
        cell_size=(grid.dlat, grid.dlon) if grid else (0.0, 0.0),
    )


def current(url: str, community: str | None, refresh_s: float, k: int) -> tuple[Snapshot | None, float | None]:
    """(the snapshot to show, since when refreshing has failed or None). Never raises."""
    entry = _store().setdefault((url, community), _Entry())
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
