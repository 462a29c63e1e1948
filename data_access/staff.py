"""Staff performance (street officials only): per officer and per department.

Issues handled = cohort issues assigned to the officer; time and on-time
figures as in data_access.issues; reopen rate = cohort issues reopened at
least once / cohort issues; patrol compliance from data_access.patrols for
the grid the officer is responsible for.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import String, cast, select
from sqlalchemy.engine import Engine

from data_access.access import declare
from data_access.filters import IssueFilters
from data_access.frames import read_frame
from data_access.issues import reopen_counts, resolution_figures
from data_access.patrols import grid_weeks
from data_access.schema import officers
from data_access.scope import Scope


def _with_reopen_rate(engine: Engine, scope: Scope, filters: IssueFilters, by: str) -> pd.DataFrame:
    figures = resolution_figures(engine, scope, filters, by=by)
    figures = figures.merge(reopen_counts(engine, scope, filters, by), on="key", how="left")
    figures["reopen_rate"] = figures["reopened"] / figures["received"].where(figures["received"] > 0)
    return figures


@declare("street_staff")
def officer_performance(
    engine: Engine, scope: Scope, filters: IssueFilters, last_monday: date, weeks: int = 12
) -> pd.DataFrame:
    figures = _with_reopen_rate(engine, scope, filters, "officer")
    query = select(
        cast(officers.c.officer_id, String).label("key"),
        officers.c.officer_id,
        officers.c.name,
        officers.c.role,
        officers.c.community_id,
        officers.c.grid_id,
    )
    people = read_frame(engine, query)
    weeks_met = grid_weeks(engine, scope, last_monday, weeks)
    patrol = weeks_met.groupby("grid_id")["met"].mean().rename("patrol_compliance")
    frame = people.merge(figures, on="key", how="left").merge(patrol, left_on="grid_id", right_index=True, how="left")
    return frame.drop(columns=["key"])


@declare("street_staff")
def department_performance(engine: Engine, scope: Scope, filters: IssueFilters) -> pd.DataFrame:
    return _with_reopen_rate(engine, scope, filters, "department").rename(columns={"key": "department"})
