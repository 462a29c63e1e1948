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
# --- 政务办理 (docs/metrics.md) -------------------------------------------------------------------


def applications_in(apps: pd.DataFrame, since, until, communities=None) -> pd.DataFrame:  # noqa: ANN001
    """Applications submitted in [since, until), in the given communities (None: all, even none)."""
    rows = apps[(apps["submitted_at"] >= pd.Timestamp(since)) & (apps["submitted_at"] < pd.Timestamp(until))]
    if communities is not None:
        rows = rows[rows["community_id"].isin(set(communities))]
    return rows


def service_figures(rows: pd.DataFrame, types: pd.DataFrame, at=None) -> dict:  # noqa: ANN001
    """The 政务办理 figures of some applications; decided by `at` (None: decided at all)."""
    target = rows["service_code"].map(dict(zip(types["code"], types["target_days"])))
    decided = rows["decided_at"].notna()
    if at is not None:
        decided &= rows["decided_at"] <= pd.Timestamp(at)
    days = (rows["decided_at"] - rows["submitted_at"]).dt.total_seconds() / 86400
    timed = decided & (days >= 0)
    with_target = timed & target.notna()
    n, n_decided = len(rows), int(decided.sum())

    def share(part: int, whole: int) -> float:
        return part / whole if whole else np.nan

    online = int((rows["channel"] == "online").sum())
    returned = int((rows["returned_count"] > 0).sum())
    refused = int((decided & (rows["outcome"] == "refused")).sum())
    on_target = int((with_target & (days <= target)).sum())
    return {
        "applications": n,
        "online": online,
        "online_share": share(online, n),
        "decided": n_decided,
        "pending": n - n_decided,
        "timed": int(timed.sum()),
        "invalid_durations": int((decided & ~timed).sum()),
        "median_days": days[timed].quantile(0.5) if timed.any() else np.nan,
        "p90_days": days[timed].quantile(0.9) if timed.any() else np.nan,
        "with_target": int(with_target.sum()),
        "on_target": on_target,
        "on_target_share": share(on_target, int(with_target.sum())),
        "returned": returned,
        "returned_share": share(returned, n),
        "refused": refused,
        "refused_share": share(refused, n_decided),
    }


def services_by_type(rows: pd.DataFrame, types: pd.DataFrame, at=None) -> dict[str, dict]:  # noqa: ANN001
    return {code: service_figures(group, types, at) for code, group in rows.groupby("service_code")}


def online_share_by_month(rows: pd.DataFrame) -> pd.DataFrame:
    """Per local month of submission: applications, online, online share, median days of the decided."""
    month = local(rows["submitted_at"]).dt.strftime("%Y-%m")
    days = (rows["decided_at"] - rows["submitted_at"]).dt.total_seconds() / 86400
    out = []
    for key, group in rows.groupby(month):
        d = days[group.index][group["decided_at"].notna() & (days[group.index] >= 0)]
        online = int((group["channel"] == "online").sum())
        out.append((key, len(group), online, online / len(group), d.quantile(0.5) if len(d) else np.nan))
    return pd.DataFrame(out, columns=["month", "applications", "online", "online_share", "median_days"])


def returned_or_refused(rows: pd.DataFrame) -> set[int]:
    return set(rows.loc[(rows["returned_count"] > 0) | (rows["outcome"] == "refused"), "application_id"])


# --- 门禁通行 -------------------------------------------------------------------------------------


def gate_rows(traffic: pd.DataFrame, devices: pd.DataFrame, since, until, grid_ids=None) -> pd.DataFrame:  # noqa: ANN001
    """Counts in [since, until) with their gate's grid; only gates in `grid_ids` (None: every count)."""
    rows = traffic[(traffic["hour_start"] >= pd.Timestamp(since)) & (traffic["hour_start"] < pd.Timestamp(until))]
    rows = rows.merge(devices[["device_id", "grid_id"]], on="device_id", how="left")
    if grid_ids is not None:
        rows = rows[rows["grid_id"].isin(set(grid_ids))]
    return rows


def _observed(days: set, hour: int, since, until) -> int:  # noqa: ANN001
    """Of these local days, those whose local `hour` began in [since, until) (Shanghai, UTC+8)."""
    starts = (pd.Timestamp(day) + pd.Timedelta(hours=hour - 8) for day in days)
    return sum(pd.Timestamp(since) <= start < pd.Timestamp(until) for start in starts)


def street_gate_totals(rows: pd.DataFrame, since, until) -> tuple[pd.DataFrame, int]:  # noqa: ANN001
    """Per local hour 0-23: entries and exits summed, and the days with any count on which that hour
    began in the period; and the local days with any count."""
    at = local(rows["hour_start"])
    sums = rows.groupby(at.dt.hour)[["entries", "exits"]].sum().reindex(range(24), fill_value=0)
    days = set(at.dt.date)
    sums["days"] = [_observed(days, hour, since, until) for hour in range(24)]
    return sums, len(days)


def gate_hourly(rows: pd.DataFrame, since, until) -> pd.DataFrame:  # noqa: ANN001
    """Per gate and local hour: entries per day over the local days the gate sent any count on which
    that hour began in the period."""
    at = local(rows["hour_start"])
    frame = rows.assign(hour=at.dt.hour, day=at.dt.date)
    days = frame.groupby("device_id")["day"].agg(set)
    sums = frame.groupby(["device_id", "hour"])["entries"].sum().reset_index()
    sums["days"] = [_observed(days[d], h, since, until) for d, h in zip(sums["device_id"], sums["hour"], strict=True)]
    sums["entries_per_day"] = sums["entries"] / sums["days"]
    return sums


def gate_anomalies(traffic: pd.DataFrame, devices: pd.DataFrame, at, grid_ids=None) -> pd.DataFrame:  # noqa: ANN001
    """Per face gate: the last day, the 28-day baseline per day, nightly (local 0-5 h) averages over
    the last 7 days and the 28 days before them (per hour counted), and the silent and night flags."""
    at = pd.Timestamp(at)
    gates = devices[devices["kind"] == "face_gate"]
    if grid_ids is not None:
        gates = gates[gates["grid_id"].isin(set(grid_ids))]
    day, week = at - pd.Timedelta(hours=24), at - pd.Timedelta(days=7)
    out = []
    for gate in gates.itertuples():
        mine = traffic[traffic["device_id"] == gate.device_id]
        night = local(mine["hour_start"]).dt.hour < 5

        last = _window(mine, day, at)
        base = _window(mine, day - pd.Timedelta(days=28), day)
        night_7 = _window(mine, week, at, night)
        night_base = _window(mine, week - pd.Timedelta(days=28), week, night)
        baseline = base.sum() / len(base) * 24 if len(base) else np.nan
        n7 = night_7.sum() / len(night_7) * 5 if len(night_7) else np.nan
        nb = night_base.sum() / len(night_base) * 5 if len(night_base) else np.nan
        silent = (len(last) > 0 and last.sum() == 0 and baseline >= 20) or (len(last) == 0 and gate.status == "online")
        peak = bool(n7 >= 3 * nb and n7 >= 10)
        out.append((gate.device_id, int(last.sum()), len(last), baseline, n7, nb, bool(silent), peak))
    columns = ["device_id", "entries_24h", "hours_24h", "baseline_per_day", "night_7d", "night_baseline", "silent",
               "night_peak"]
    return pd.DataFrame(out, columns=columns).set_index("device_id")


def _window(rows: pd.DataFrame, start, end, only=None) -> pd.Series:  # noqa: ANN001
    """Entries of the hours in [start, end) (and where `only`)."""
    sel = (rows["hour_start"] >= start) & (rows["hour_start"] < end)
    if only is not None:
        sel &= only
    return rows.loc[sel, "entries"]
