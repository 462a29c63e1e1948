"""Independent pandas computations of the metrics in docs/metrics.md.

Written straight from the definitions over raw rows, sharing no code with
data_access, so a wrong SQL query cannot agree with its own reference.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

EXCLUDED = {"rejected", "duplicate"}
DONE = {"resolved", "closed"}
OPEN = {"submitted", "accepted", "assigned", "in_progress"}  # neither done nor excluded


def cohort(issues: pd.DataFrame, since=None, until=None) -> pd.DataFrame:  # noqa: ANN001
    rows = issues[~issues["status"].isin(EXCLUDED)]
    if since is not None:
        rows = rows[rows["reported_at"] >= pd.Timestamp(since)]
    if until is not None:
        rows = rows[rows["reported_at"] < pd.Timestamp(until)]
    return rows


def figures(rows: pd.DataFrame, categories: pd.DataFrame) -> dict:
    sla = rows["category_code"].map(dict(zip(categories["code"], categories["sla_hours"])))
    done = rows["status"].isin(DONE)
    hours = (rows["resolved_at"] - rows["reported_at"]).dt.total_seconds() / 3600
    valid = done & rows["resolved_at"].notna() & (hours >= 0)
    with_sla = valid & sla.notna()
    rated = rows["satisfaction"].between(1, 5)
    return {
        "received": len(rows),
        "resolved": int(done.sum()),
        "resolution_rate": done.sum() / len(rows) if len(rows) else np.nan,
        "median_hours": hours[valid].quantile(0.5) if valid.any() else np.nan,
        "p90_hours": hours[valid].quantile(0.9) if valid.any() else np.nan,
        "on_time_share": (hours[with_sla] <= sla[with_sla]).mean() if with_sla.any() else np.nan,
        "satisfaction": rows.loc[rated, "satisfaction"].mean() if rated.any() else np.nan,
        "invalid_durations": int((done & ~valid).sum()),
    }


def local(ts: pd.Series) -> pd.Series:
    return ts + pd.Timedelta(hours=8)


def backlog(issues: pd.DataFrame, at: pd.Timestamp) -> dict[str, int]:
    rows = issues[~issues["status"].isin(EXCLUDED) & (issues["reported_at"] < at)]
    finished = rows["resolved_at"].fillna(rows["closed_at"])
    rows = rows[finished.isna() | (finished > at)]
    age = (at - rows["reported_at"]).dt.total_seconds() / 3600
    buckets = pd.cut(age, [-np.inf, 24, 72, 168, np.inf], right=False, labels=["<1d", "1-3d", "3-7d", ">7d"])
    return {str(k): int(v) for k, v in buckets.value_counts().items()}
