"""Staff performance (street officials only): per officer and per department.

Issues handled = cohort issues assigned to the officer; time and on-time
figures as in data_access.issues; reopen rate = cohort issues reopened at
least once / cohort issues; patrol compliance from data_access.patrols for
the grid the officer is responsible for.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import String, case, cast, func, select
from sqlalchemy.engine import Engine

from data_access.filters import IssueFilters
from data_access.frames import read_frame, result_frame
from data_access.issues import _cohort_where, _group_column, _with_categories, resolution_figures
from data_access.patrols import grid_weeks
from data_access.schema import issues as issue_table
from data_access.schema import officers
from data_access.scope import Scope

STREET = Scope.street()


def _reopen_rates(engine: Engine, filters: IssueFilters, by: str) -> pd.DataFrame:
    key = _group_column(by)
    query = (
        select(key, func.sum(case((issue_table.c.reopened_count > 0, 1), else_=0)).label("reopened"))
        .select_from(_with_categories())
        .where(_cohort_where(STREET, filters))
        .group_by(key)
    )
    with engine.connect() as conn:
        return result_frame(conn.execute(query), ["key", "reopened"])


def officer_performance(engine: Engine, filters: IssueFilters, last_monday: date, weeks: int = 12) -> pd.DataFrame:
    figures = resolution_figures(engine, STREET, filters, by="officer")
    figures = figures.merge(_reopen_rates(engine, filters, "officer"), on="key", how="left")
    figures["reopen_rate"] = figures["reopened"] / figures["received"].where(figures["received"] > 0)
    query = select(
        cast(officers.c.officer_id, String).label("key"),
        officers.c.officer_id,
        officers.c.name,
        officers.c.role,
        officers.c.community_id,
        officers.c.grid_id,
    )
    people = read_frame(engine, query)
    patrol = grid_weeks(engine, STREET, last_monday, weeks).groupby("grid_id")["met"].mean().rename("patrol_compliance")
    frame = people.merge(figures, on="key", how="left").merge(patrol, left_on="grid_id", right_index=True, how="left")
    return frame.drop(columns=["key"])


def department_performance(engine: Engine, filters: IssueFilters) -> pd.DataFrame:
    figures = resolution_figures(engine, STREET, filters, by="department")
    figures = figures.merge(_reopen_rates(engine, filters, "department"), on="key", how="left")
    figures["reopen_rate"] = figures["reopened"] / figures["received"].where(figures["received"] > 0)
    return figures.rename(columns={"key": "department"})
