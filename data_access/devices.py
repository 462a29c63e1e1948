"""Face gates and cameras: which are offline, for how long, and where.

A device is offline when the feed says so (``devices.status = 'offline'``); how long it has been
offline is counted from its last sign of life (``last_seen_at``) to the page's instant, and a device
never seen at all is offline since an unknown time (listed first: nobody knows it ever worked).
Staff see each device of their scope; the public only the street's totals per kind.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from sqlalchemy import DateTime, bindparam, case, func, select
from sqlalchemy.engine import Engine

from data_access.access import declare
from data_access.filters import EVERYWHERE, IssueFilters
from data_access.frames import read_frame
from data_access.schema import devices
from data_access.scope import Scope
from data_access.sqlfuncs import hours_between

KINDS = ("camera", "face_gate")
_offline = devices.c.status == "offline"


@declare("anyone")
def device_totals(engine: Engine, scope: Scope, area: IssueFilters = EVERYWHERE) -> pd.DataFrame:
    """Per kind: devices and how many are offline (every kind in KINDS, zero where there are none)."""
    query = (
        select(
            devices.c.kind,
            func.count().label("devices"),
            func.sum(case((_offline, 1), else_=0)).label("offline"),
        )
        .where(scope.on_grid(devices.c.grid_id), area.on_grid(devices.c.grid_id))
        .group_by(devices.c.kind)
    )
    found = read_frame(engine, query).set_index("kind")
    kinds = list(dict.fromkeys([*KINDS, *found.index]))
    frame = found.reindex(kinds).fillna(0).astype(int).rename_axis("kind").reset_index()
    return frame


@declare("staff")
def offline_devices(engine: Engine, scope: Scope, at: datetime, area: IssueFilters = EVERYWHERE) -> pd.DataFrame:
    """Each offline device in scope: kind, grid, place, last seen and days offline; never-seen first,
    then the longest offline."""
    at_param = bindparam("at", at, type_=DateTime)
    days = (hours_between(devices.c.last_seen_at, at_param) / 24.0).label("days_offline")
    query = (
        select(
            devices.c.device_id,
            devices.c.kind,
            devices.c.grid_id,
            devices.c.lat,
            devices.c.lon,
            devices.c.last_seen_at,
            days,
        )
        .where(_offline, scope.on_grid(devices.c.grid_id), area.on_grid(devices.c.grid_id))
        .order_by(devices.c.last_seen_at.is_not(None), devices.c.last_seen_at, devices.c.device_id)
    )
    frame = read_frame(engine, query)
    frame["days_offline"] = pd.to_numeric(frame["days_offline"]).clip(lower=0)  # a clock ahead of ours: 0, not -1
    return frame


@declare("staff")
def device_health(engine: Engine, scope: Scope, at: datetime, area: IssueFilters = EVERYWHERE) -> pd.DataFrame:
    """Per grid in scope: gates and cameras online and offline, the oldest last-seen, devices never seen."""
    at_param = bindparam("at", at, type_=DateTime)
    query = (
        select(
            devices.c.grid_id,
            devices.c.kind,
            func.count().label("devices"),
            func.sum(case((devices.c.status == "online", 1), else_=0)).label("online"),
            func.sum(case((devices.c.last_seen_at.is_(None), 1), else_=0)).label("never_seen"),
            func.max(hours_between(devices.c.last_seen_at, at_param) / 24.0).label("longest_silence_days"),
        )
        .where(scope.on_grid(devices.c.grid_id), area.on_grid(devices.c.grid_id))
        .group_by(devices.c.grid_id, devices.c.kind)
        .order_by(devices.c.grid_id, devices.c.kind)
    )
    return read_frame(engine, query)
