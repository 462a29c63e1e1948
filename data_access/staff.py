"""Staff performance (street officials only): per officer and per department.

Issues handled = cohort issues assigned to the officer; time and on-time
figures as in data_access.issues; reopen rate = cohort issues reopened at
least once / cohort issues; patrol compliance from data_access.patrols for
the grid the officer is responsible for, over the weeks asked for (none: no
figure).

What the per-officer and per-department tables cannot hold is counted too, so a
page can say so: cohort issues assigned to nobody or to an officer id the
officers table does not have (``officer_gaps``), and issues whose category has no
department on record (``issues_without_department``: the department table's
unnamed row).
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
from data_access.patrols import compliance, grid_weeks
from data_access.reference import category_list
from data_access.schema import officers
from data_access.scope import Scope


def _with_reopen_rate(engine: Engine, scope: Scope, filters: IssueFilters, by: str) -> pd.DataFrame:
    figures = resolution_figures(engine, scope, filters, by=by)
    figures = figures.merge(reopen_counts(engine, scope, filters, by), on="key", how="left")
    figures["reopen_rate"] = figures["reopened"] / figures["received"].where(figures["received"] > 0)
    return figures


def _officer_keys(engine: Engine) -> pd.DataFrame:
    query = select(
        cast(officers.c.officer_id, String).label("key"),
        officers.c.officer_id,
        officers.c.name,
        officers.c.role,
        officers.c.community_id,
        officers.c.grid_id,
    )
    return read_frame(engine, query)


@declare("street_staff")
def officer_performance(
    engine: Engine, scope: Scope, filters: IssueFilters, last_monday: date, weeks: int = 12
) -> pd.DataFrame:
    """One row per officer on record: the issue figures of the issues assigned to them, and the
    patrol compliance of their grid over the `weeks` ISO weeks up to `last_monday` (none when
    `weeks` is 0: a month whose first week has not ended yet)."""
    figures = _with_reopen_rate(engine, scope, filters, "officer")
    people = _officer_keys(engine)
    frame = people.merge(figures, on="key", how="left")
    if weeks > 0:
        weeks_met = grid_weeks(engine, scope, last_monday, weeks)
        patrol = weeks_met.groupby("grid_id")["met"].mean().rename("patrol_compliance")
        frame = frame.merge(patrol, left_on="grid_id", right_index=True, how="left")
    else:
        frame["patrol_compliance"] = float("nan")
    frame["patrol_compliance"] = frame["patrol_compliance"].astype(float)
    return frame.drop(columns=["key"])


@declare("street_staff")
def officer_gaps(engine: Engine, scope: Scope, filters: IssueFilters) -> pd.DataFrame:
    """Cohort issues no officer row holds: `officer_id` missing for issues assigned to nobody, else
    an id the officers table does not have; with how many issues each."""
    figures = resolution_figures(engine, scope, filters, by="officer", percentiles=False)[["key", "received"]]
    known = set(_officer_keys(engine)["key"])
    gaps = figures[figures["key"].isna() | ~figures["key"].isin(known)]
    ids = [None if pd.isna(key) else int(key) for key in gaps["key"]]
    return pd.DataFrame(
        {"officer_id": pd.array(ids, dtype="Int64"), "received": gaps["received"].astype(int).to_numpy()}
    )


@declare("anyone")
def street_patrol_compliance(engine: Engine, scope: Scope, last_monday: date, weeks: int) -> float | None:
    """Grid-weeks that met their requirement / grid-weeks, over every grid in scope and the same weeks
    as officer_performance (the street's baseline for an officer's figure); None for no weeks."""
    if weeks <= 0:
        return None
    return compliance(grid_weeks(engine, scope, last_monday, weeks))


@declare("street_staff")
def department_performance(engine: Engine, scope: Scope, filters: IssueFilters) -> pd.DataFrame:
    """Per department of the issues' categories; one row with a missing department holds the issues
    whose category has none on record (see issues_without_department)."""
    return _with_reopen_rate(engine, scope, filters, "department").rename(columns={"key": "department"})


@declare("anyone", count="received")
def issues_without_department(engine: Engine, scope: Scope, filters: IssueFilters) -> pd.DataFrame:
    """Cohort issues per category code whose department is not on record, and why: `reason`
    ``no_department`` (the category is in the category table with an empty department),
    ``unknown_category`` (the code is not in the table) or ``no_category`` (the issue has none)."""
    per_category = resolution_figures(engine, scope, filters, by="category", percentiles=False)[["key", "received"]]
    categories = category_list(engine)
    named = categories["department"].map(lambda d: isinstance(d, str) and bool(d.strip()))
    with_department = set(categories.loc[named, "code"])
    on_record = set(categories["code"])
    rows = []
    for code, received in zip(per_category["key"], per_category["received"], strict=True):
        if isinstance(code, str) and code in with_department:
            continue
        if not isinstance(code, str):
            reason = "no_category"
        else:
            reason = "no_department" if code in on_record else "unknown_category"
        rows.append((code if isinstance(code, str) else None, reason, int(received)))
    return pd.DataFrame(rows, columns=["category_code", "reason", "received"])
