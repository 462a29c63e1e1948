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


# --- 社区E家 (docs/metrics.md "车位共享", "在线对话") -------------------------------------------------


def parking(raw: dict[str, pd.DataFrame], since, until, grid_ids=None) -> dict:  # noqa: ANN001
    """Windows starting in [since, until), the bookings in them, the unmet requests asked in it."""
    shares = raw["parking_shares"]
    windows = shares[(shares["available_from"] >= since) & (shares["available_from"] < until)]
    unmet = raw["parking_unmet_requests"]
    unmet = unmet[(unmet["requested_at"] >= since) & (unmet["requested_at"] < until)]
    if grid_ids is not None:
        windows = windows[windows["grid_id"].isin(grid_ids)]
        unmet = unmet[unmet["grid_id"].isin(grid_ids)]
    bookings = raw["parking_bookings"][raw["parking_bookings"]["share_id"].isin(windows["share_id"])]
    held = bookings[bookings["status"] != "cancelled"]
    offered = ((windows["available_to"] - windows["available_from"]).dt.total_seconds() / 3600).sum()
    booked = ((held["ends_at"] - held["starts_at"]).dt.total_seconds() / 3600).sum()
    asked = len(bookings) + len(unmet)
    return {
        "spaces": windows["space_ref"].nunique(),
        "windows": len(windows),
        "offered_hours": float(offered),
        "bookings": len(bookings),
        "booked_hours": float(booked),
        "no_shows": int((bookings["status"] == "no_show").sum()),
        "disputes": int((bookings["status"] == "disputed").sum()),
        "cancelled": int((bookings["status"] == "cancelled").sum()),
        "unmet": len(unmet),
        "utilisation": booked / offered if offered else None,
        "unmet_share": len(unmet) / asked if asked else None,
    }


def hours_by_local_slot(starts: pd.Series, ends: pd.Series) -> pd.Series:
    """Hours of each [start, end) per local (weekday, hour), cut at the local hour marks."""
    totals: dict[tuple[int, int], float] = {}
    for start, end in zip(local(starts), local(ends)):
        mark = start.floor("h")
        while mark < end:
            part = (min(end, mark + pd.Timedelta(hours=1)) - max(start, mark)).total_seconds() / 3600
            key = (mark.weekday(), mark.hour)
            totals[key] = totals.get(key, 0.0) + part
            mark += pd.Timedelta(hours=1)
    return pd.Series(totals, dtype=float)


def consultation_figures(raw: dict[str, pd.DataFrame], since, until, complaints: bool = False) -> dict:  # noqa: ANN001
    topics = raw["consultation_topics"]
    complaint_codes = set(topics.loc[topics["staff_complaint"].astype(bool), "code"])
    rows = raw["consultations"]
    rows = rows[(rows["asked_at"] >= since) & (rows["asked_at"] < until)]
    rows = rows[rows["topic_code"].isin(complaint_codes) == complaints]
    hours = (rows["first_answered_at"] - rows["asked_at"]).dt.total_seconds() / 3600
    answered = rows["first_answered_at"].notna()
    target = rows["topic_code"].map(dict(zip(topics["code"], topics["target_hours"])))
    with_target = answered & target.notna()
    valid = answered & (hours >= 0)
    rated = rows["satisfaction"].between(1, 5)
    return {
        "asked": len(rows),
        "answered": int(answered.sum()),
        "within_target_share": (hours[with_target] <= target[with_target]).mean() if with_target.any() else None,
        "median_hours": hours[valid].quantile(0.5) if valid.any() else None,
        "p90_hours": hours[valid].quantile(0.9) if valid.any() else None,
        "satisfaction": rows.loc[rated, "satisfaction"].mean() if rated.any() else None,
        "became_issues": int(rows["issue_id"].notna().sum()),
    }


def consultation_backlog(raw: dict[str, pd.DataFrame], at) -> dict[str, int]:  # noqa: ANN001
    topics = raw["consultation_topics"]
    complaint_codes = set(topics.loc[topics["staff_complaint"].astype(bool), "code"])
    rows = raw["consultations"]
    rows = rows[~rows["topic_code"].isin(complaint_codes) & (rows["asked_at"] <= at)]
    rows = rows[rows["first_answered_at"].isna() | (rows["first_answered_at"] > at)]
    age = (pd.Timestamp(at) - rows["asked_at"]).dt.total_seconds() / 3600
    labels = ["lt_1d", "1_3d", "3_7d", "7_30d", "gt_30d"]
    buckets = pd.cut(age, [-np.inf, 24, 72, 168, 720, np.inf], right=False, labels=labels)
    return {str(k): int(v) for k, v in buckets.value_counts().items()}


def theme_texts(raw: dict[str, pd.DataFrame], since, until, chars: int = 400) -> pd.DataFrame:  # noqa: ANN001
    """The texts themed for "what residents ask for": issue title + description and consultation
    questions in [since, until), complaints about staff left out, each cut to `chars` characters."""
    issues = raw["issues"]
    issues = issues[(issues["reported_at"] >= since) & (issues["reported_at"] < until)
                    & (issues["category_code"].fillna("") != "staff_complaint")]
    topics = raw["consultation_topics"]
    complaints = set(topics.loc[topics["staff_complaint"].astype(bool), "code"])
    questions = raw["consultations"]
    questions = questions[(questions["asked_at"] >= since) & (questions["asked_at"] < until)
                          & ~questions["topic_code"].isin(complaints)]
    return pd.concat(
        [
            pd.DataFrame({"source": "issue", "at": issues["reported_at"], "community_id": issues["community_id"],
                          "group": issues["category_code"],
                          "text": (issues["title"].fillna("") + " " + issues["description"].fillna("")).str[:chars]}),
            pd.DataFrame({"source": "consultation", "at": questions["asked_at"],
                          "community_id": questions["community_id"], "group": questions["topic_code"],
                          "text": questions["question"].fillna("").str[:chars]}),
        ],
        ignore_index=True,
    )
