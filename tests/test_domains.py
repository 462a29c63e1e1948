"""Patrols, volunteers, population and staff figures against pandas, on both backends."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest

from data_access import patrols, periods, population, quality, staff, volunteers
from data_access.filters import IssueFilters
from data_access.scope import Scope

AT = datetime(2026, 11, 29)
STREET = Scope.street()


def test_grid_weeks_count_every_grid_and_week(engine, raw) -> None:
    frame = patrols.grid_weeks(engine, STREET, date(2026, 11, 23), weeks=8)
    assert len(frame) == 28 * 8
    p = raw["patrols"]
    local = p["started_at"] + pd.Timedelta(hours=8)
    monday = (local - pd.to_timedelta(local.dt.day_of_week, unit="D")).dt.strftime("%Y-%m-%d")
    expected = p.assign(week=monday).groupby(["grid_id", "week"]).size()
    for row in frame.itertuples():
        assert row.patrols == expected.get((row.grid_id, row.week), 0)
    assert frame["met"].tolist() == (frame["patrols"] >= frame["required"]).tolist()
    assert 0 < patrols.compliance(frame) < 1


def test_a_week_in_progress_is_judged_on_pace_never_missed() -> None:
    frame = pd.DataFrame(
        {
            "week": ["2026-11-23"] * 2 + ["2026-11-30"] * 4,
            "required": [2, 2, 3, 3, 3, 1],
            "patrols": [2, 1, 3, 1, 0, 0],
        }
    ).assign(met=lambda f: f["patrols"] >= f["required"])
    thursday = periods.WeekProgress(date(2026, 11, 30), 4)  # 3 x 4/7 = 1.7: one patrol due by now
    assert patrols.states(frame, thursday).tolist() == ["done", "missed", "done", "on_pace", "behind", "on_pace"]
    monday = periods.WeekProgress(date(2026, 11, 30), 1)  # nothing due yet: nobody behind
    assert patrols.states(frame, monday).tolist() == ["done", "missed", "done", "on_pace", "on_pace", "on_pace"]
    assert patrols.states(frame, None).tolist() == ["done", "missed", "done", "missed", "missed", "missed"]
    assert patrols.compliance(frame, monday) == 0.5  # the week in progress is left out
    assert patrols.compliance(frame) == pytest.approx(2 / 6)


def test_last_patrols_days_since(engine, raw) -> None:
    frame = patrols.last_patrols(engine, STREET, AT)
    last = raw["patrols"][raw["patrols"]["started_at"] <= AT].groupby("grid_id")["started_at"].max()
    for row in frame.itertuples():
        assert row.days_since == pytest.approx((pd.Timestamp(AT) - last[row.grid_id]).total_seconds() / 86400)


def test_leaderboard_excludes_opt_outs_and_ranks_ties(engine, raw) -> None:
    since = datetime(2026, 1, 1)
    board = volunteers.leaderboard(engine, since, AT, limit=1000)
    part = raw["participations"][
        (raw["participations"]["checked_in_at"] >= since) & (raw["participations"]["checked_in_at"] < AT)
    ]
    v = raw["volunteers"].set_index("volunteer_id")
    totals = part.groupby("volunteer_id")["points_awarded"].sum()
    shown = totals[v.loc[totals.index, "on_leaderboard"].astype(bool)]
    opted_out = set(v.loc[~v["on_leaderboard"].astype(bool), "display_name"])
    assert opted_out and not (set(board["display_name"]) & opted_out)
    assert sorted(board["points"], reverse=True) == sorted(shown.tolist(), reverse=True)
    expected_rank = board["points"].rank(method="min", ascending=False).astype(int)
    assert board["rank"].tolist() == expected_rank.tolist()
    everyone = volunteers.totals(engine, since, AT)
    assert everyone["points"] == part["points_awarded"].sum() > shown.sum()


def test_points_per_thousand_residents(engine, raw) -> None:
    frame = volunteers.points_per_thousand_residents(engine, None, None)
    b = raw["buildings"].merge(raw["grids"], on="grid_id")
    residents = raw["residents"].merge(b, on="building_id").groupby("community_id").size()
    points = (
        raw["participations"]
        .merge(raw["volunteers"], on="volunteer_id")
        .groupby("community_id")["points_awarded"]
        .sum()
    )
    for row in frame.itertuples():
        assert row.points_per_1000 == pytest.approx(
            points.get(row.community_id, 0) / residents[row.community_id] * 1000
        )
    assert frame["points_per_1000"].is_monotonic_decreasing


def test_visit_worklist_days_overdue(engine, raw) -> None:
    frame = population.visit_worklist(engine, STREET, AT, limit=10_000)
    members = raw["special_population"]
    assert len(frame) == len(members)
    visits = raw["welfare_visits"].groupby("resident_id")["visited_at"].max()
    interval = dict(zip(raw["special_categories"]["code"], raw["special_categories"]["visit_interval_days"]))
    for row in frame.head(40).itertuples():
        since = members[(members.resident_id == row.resident_id)]["since"].min()
        last = visits.get(row.resident_id, since)
        days = (pd.Timestamp(AT) - last).total_seconds() / 86400
        assert row.days_since == pytest.approx(days)
        if pd.notna(interval[row.category_code]):
            assert row.days_overdue == pytest.approx(days - interval[row.category_code])
    overdue = frame["days_overdue"].dropna()
    assert overdue.is_monotonic_decreasing and (overdue > 0).any()


def test_worklist_is_masked_unless_revealed(engine, raw) -> None:
    masked = population.visit_worklist(engine, STREET, AT, limit=50)
    revealed = population.visit_worklist(engine, Scope.street(may_reveal=True), AT, reveal=True, limit=50)
    names = set(raw["residents"]["name"])
    phones = set(raw["residents"]["phone"])
    assert not (set(masked["name"]) & names) and not (set(masked["phone"]) & phones)
    assert set(revealed["name"]) <= names and set(revealed["phone"]) <= phones
    assert all("*" in p for p in masked["phone"])


def test_open_alerts_and_response_times(engine, raw) -> None:
    alerts = raw["welfare_alerts"]
    frame = population.open_alerts(engine, STREET, AT, limit=10_000)
    expected = alerts[(alerts["raised_at"] <= AT) & (alerts["resolved_at"].isna() | (alerts["resolved_at"] > AT))]
    assert sorted(frame["alert_id"]) == sorted(expected["alert_id"])
    since = datetime(2026, 1, 1)
    stats = population.alert_response(engine, STREET, since, AT)
    window = alerts[(alerts["raised_at"] >= since) & (alerts["raised_at"] < AT)]
    minutes = (window["dispatched_at"] - window["raised_at"]).dt.total_seconds() / 60
    assert stats["alerts"] == len(window)
    assert stats["dispatched"] == window["dispatched_at"].notna().sum()
    assert stats["median_minutes_to_dispatch"] == pytest.approx(minutes.dropna().quantile(0.5), rel=1e-6)
    assert stats["dispatched_in_target"] == int((minutes <= 30).sum())


def test_category_counts_include_categories_without_interval(engine, raw) -> None:
    frame = population.category_counts(engine, STREET, AT)
    assert len(frame) == len(raw["special_categories"])
    expected = raw["special_population"]["category_code"].value_counts()
    assert dict(zip(frame["code"], frame["people"])) == {c: int(expected.get(c, 0)) for c in frame["code"]}
    assert frame["visit_interval_days"].isna().sum() == 1


def test_officer_performance_covers_every_officer(engine, raw) -> None:
    frame = staff.officer_performance(engine, STREET, IssueFilters(), date(2026, 11, 23))
    assert len(frame) == len(raw["officers"])
    issues = raw["issues"][~raw["issues"]["status"].isin(["rejected", "duplicate"])]
    handled = issues.groupby("assigned_officer_id").size()
    for row in frame.dropna(subset=["received"]).itertuples():
        assert row.received == handled[row.officer_id]
    reopen = issues.groupby("assigned_officer_id")["reopened_count"].apply(lambda s: (s > 0).mean())
    for row in frame.dropna(subset=["received"]).itertuples():
        assert row.reopen_rate == pytest.approx(reopen[row.officer_id])


def test_department_performance_sums_to_street(engine) -> None:
    frame = staff.department_performance(engine, STREET, IssueFilters())
    assert frame["received"].sum() == staff.resolution_figures(engine, STREET, IssueFilters())["received"].iloc[0]


def test_quality_counts_the_damaged_rows(engine) -> None:
    frame = quality.issue_quality(engine, STREET).set_index("check")["count"]
    for check in (
        "resolved_before_reported",
        "outside_area",
        "unknown_category",
        "missing_location",
        "satisfaction_out_of_range",
    ):
        assert frame[check] == 3, check
    assert frame["unknown_status"] == 0
    care = quality.care_quality(engine, STREET).set_index("check")["count"]
    assert care["category_without_interval"] == 1 and care["device_never_seen"] == 1


def test_counts_behind_the_staff_to_do_list(engine, raw) -> None:
    worklist = population.visit_worklist(engine, STREET, AT, limit=100_000)
    assert population.overdue_visit_count(engine, STREET, AT) == (worklist["days_overdue"] > 0).sum() > 0
    assert population.open_alert_count(engine, STREET, AT) == len(population.open_alerts(engine, STREET, AT, limit=100_000))
    issues = raw["issues"]
    sla = issues["category_code"].map(dict(zip(raw["issue_categories"]["code"], raw["issue_categories"]["sla_hours"])))
    age = (pd.Timestamp(AT) - issues["reported_at"]).dt.total_seconds() / 3600
    expected = (issues["status"].isin(["submitted", "accepted", "assigned", "in_progress"]) & (age > sla)).sum()
    from data_access.issues import open_overdue_count

    assert open_overdue_count(engine, STREET, AT) == expected
