"""Daily patrol priority: which grid most needs an officer today, and why.

A grid's score is a weighted sum of four signals counted at one instant, each in the grid:

    score = w_issues  x overdue open issues (open, older than their category's time limit)
          + w_alerts  x open welfare alerts (raised, not yet resolved)
          + w_visits  x overdue care visits (last visit older than the category's interval)
          + w_devices x offline devices (face gates and cameras the feed reports offline)

The weights are a setting (`patrol_priority`, read by app/settings.parse_weights; defaults below). Every signal is the
same count the to-do cards show (data_access.issues.open_overdue_count, population's counts,
devices.offline_devices), split by grid, so the reasons listed beside a grid add up to the cards.
Grids are ranked by score, then by the most urgent single signal in the order above, then by id.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from data_access.access import declare
from data_access.filters import EVERYWHERE, IssueFilters
from data_access.frames import read_frame
from data_access.population import open_work_by_grid
from data_access.reference import grid_list
from data_access.schema import devices, issues
from data_access.scope import Scope

SIGNALS = ("overdue_issues", "open_alerts", "overdue_visits", "offline_devices")  # also the tie-break order


@dataclass(frozen=True)
class Weights:
    overdue_issues: float = 1.0
    open_alerts: float = 3.0
    overdue_visits: float = 0.5
    offline_devices: float = 2.0

    def of(self, signal: str) -> float:
        return float(getattr(self, signal))


def score(signals: pd.DataFrame, weights: Weights) -> pd.DataFrame:
    """`signals` (grid_id and the SIGNALS counts) with `score` and `points_<signal>` added, ranked
    (highest first; see the module's docstring for ties), `rank` from 1."""
    frame = signals.copy()
    for signal in SIGNALS:
        frame[signal] = frame[signal].fillna(0).astype(int)
        frame["points_" + signal] = frame[signal] * weights.of(signal)
    frame["score"] = frame[["points_" + s for s in SIGNALS]].sum(axis=1).round(2)
    frame = frame.sort_values(["score", *SIGNALS, "grid_id"], ascending=[False] * (1 + len(SIGNALS)) + [True])
    frame = frame.reset_index(drop=True)
    frame["rank"] = range(1, len(frame) + 1)
    return frame


def reasons(row: Mapping[str, object]) -> list[tuple[str, int, float]]:
    """A scored row's reasons: (signal, count, points) for each signal present, most points first."""
    found = [(s, int(row[s]), float(row["points_" + s])) for s in SIGNALS if int(row[s]) > 0]  # type: ignore[call-overload]
    return sorted(found, key=lambda r: -r[2])


@declare("staff")
def grid_signals(engine: Engine, scope: Scope, at: datetime, area: IssueFilters = EVERYWHERE) -> pd.DataFrame:
    """Every grid in scope (and area) with its four signals at `at` (zeros where none)."""
    overdue = (
        select(issues.c.grid_id, func.count().label("overdue_issues"))
        .where(scope.on_issue(issues), IssueFilters(overdue_at=at).clause(issues), area.on_grid(issues.c.grid_id))
        .group_by(issues.c.grid_id)
    )
    offline = (
        select(devices.c.grid_id, func.count().label("offline_devices"))
        .where(devices.c.status == "offline", scope.on_grid(devices.c.grid_id), area.on_grid(devices.c.grid_id))
        .group_by(devices.c.grid_id)
    )
    frame = grid_list(engine, scope, area=area)[["grid_id", "community_id"]]
    for part in (read_frame(engine, overdue), open_work_by_grid(engine, scope, at, area), read_frame(engine, offline)):
        frame = frame.merge(part, on="grid_id", how="left")
    for signal in SIGNALS:
        frame[signal] = frame[signal].fillna(0).astype(int)
    return frame
