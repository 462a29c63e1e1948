"""Issue metrics from data_access.issues against the independent pandas reference, on both backends."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from data_access import issues as issue_metrics
from data_access.filters import IssueFilters
from data_access.scope import Scope
from tests import reference

STREET = Scope.street()
PERIODS = [(None, None), (datetime(2026, 1, 1), datetime(2026, 7, 1)), (datetime(2026, 10, 1), None)]


def _close(actual: object, expected: object) -> bool:
    if expected is None or (isinstance(expected, float) and np.isnan(expected)):
        return actual is None or pd.isna(actual)
    return actual == pytest.approx(expected, rel=1e-9, abs=1e-9)


@pytest.mark.parametrize(("since", "until"), PERIODS)
def test_street_figures_match_reference(engine, raw, since, until) -> None:
    frame = issue_metrics.resolution_figures(engine, STREET, IssueFilters(since=since, until=until))
    expected = reference.figures(reference.cohort(raw["issues"], since, until), raw["issue_categories"])
    row = frame.iloc[0]
    for name, value in expected.items():
        assert _close(row[name], value), name


@pytest.mark.parametrize(
    "by,column",
    [("category", "category_code"), ("community", "community_id"), ("channel", "channel"), ("grid", "grid_id")],
)
def test_grouped_figures_match_reference(engine, raw, by, column) -> None:
    frame = issue_metrics.resolution_figures(engine, STREET, IssueFilters(since=datetime(2025, 6, 1)), by=by)
    rows = reference.cohort(raw["issues"], datetime(2025, 6, 1))
    assert frame["received"].sum() == len(rows)
    for key, group in rows.groupby(column, dropna=False):
        got = frame[frame["key"].isna()] if pd.isna(key) else frame[frame["key"] == key]
        assert len(got) == 1, key
        for name, value in reference.figures(group, raw["issue_categories"]).items():
            assert _close(got.iloc[0][name], value), (key, name)


@pytest.mark.parametrize("by", [None, "month", "channel"])
def test_figures_without_percentiles_are_the_same_rates_and_rank_nothing(engine, raw, by) -> None:
    """A caller that shows no median (a trend of on-time shares, a channel mix) gets the same counts
    and rates, no hours, and the row store runs no window function for it."""
    from sqlalchemy import event

    filters = IssueFilters(since=datetime(2025, 6, 1))
    full = issue_metrics.resolution_figures(engine, STREET, filters, by=by)
    row_store = getattr(engine, "row_engine", engine)
    statements: list[str] = []

    def seen(conn, cursor, statement, *args):  # noqa: ANN001, ANN002, ANN202
        statements.append(statement)

    event.listen(row_store, "before_cursor_execute", seen)
    try:
        lean = issue_metrics.resolution_figures(engine, STREET, filters, by=by, percentiles=False)
    finally:
        event.remove(row_store, "before_cursor_execute", seen)
    assert not any(" OVER " in s.upper() or "PERCENTILE" in s.upper() for s in statements)
    columns = ["key", "received", "resolved", "resolution_rate", "on_time_share", "satisfaction"]
    pd.testing.assert_frame_equal(lean[columns], full[columns])
    assert lean["median_hours"].isna().all() and lean["p90_hours"].isna().all()


def test_monthly_grouping_uses_local_time(engine, raw) -> None:
    frame = issue_metrics.resolution_figures(engine, STREET, IssueFilters(), by="month")
    rows = reference.cohort(raw["issues"])
    expected = reference.local(rows["reported_at"]).dt.strftime("%Y-%m").value_counts()
    assert dict(zip(frame["key"], frame["received"])) == expected.to_dict()


def test_status_counts_cover_every_issue(engine, raw) -> None:
    frame = issue_metrics.status_counts(engine, STREET, IssueFilters())
    assert dict(zip(frame["status"], frame["count"])) == raw["issues"]["status"].value_counts().to_dict()


@pytest.mark.parametrize("at", [datetime(2026, 11, 29), datetime(2026, 3, 15, 12)])
def test_backlog_by_age_matches_reference(engine, raw, at) -> None:
    frame = issue_metrics.backlog_by_age(engine, STREET, IssueFilters(), at)
    assert dict(zip(frame["age"], frame["count"])) == reference.backlog(raw["issues"], pd.Timestamp(at))
    assert frame["count"].sum() > 0


def test_monthly_flow_matches_reference(engine, raw) -> None:
    frame = issue_metrics.monthly_flow(engine, STREET, IssueFilters(since=datetime(2026, 1, 1)))
    rows = reference.cohort(raw["issues"], datetime(2026, 1, 1))
    received = reference.local(rows["reported_at"]).dt.strftime("%Y-%m").value_counts()
    hours = (rows["resolved_at"] - rows["reported_at"]).dt.total_seconds()
    ok = rows["status"].isin(reference.DONE) & (hours >= 0)
    resolved = reference.local(rows.loc[ok, "resolved_at"]).dt.strftime("%Y-%m").value_counts()
    for month, r, s in zip(frame["month"], frame["received"], frame["resolved"]):
        assert r == received.get(month, 0)
        assert s == resolved.get(month, 0)


def test_filters_narrow_by_category_and_channel(engine, raw) -> None:
    filters = IssueFilters(categories=("garbage", "noise"), channels=("app",))
    frame = issue_metrics.resolution_figures(engine, STREET, filters)
    rows = reference.cohort(raw["issues"])
    rows = rows[rows["category_code"].isin(["garbage", "noise"]) & (rows["channel"] == "app")]
    assert frame.iloc[0]["received"] == len(rows) > 0


def test_unknown_grouping_is_refused(engine) -> None:
    with pytest.raises(ValueError, match="unknown grouping"):
        issue_metrics.resolution_figures(engine, STREET, IssueFilters(), by="reporter_name")


AT = datetime(2026, 11, 29, 16)


def _open_days(rows: pd.DataFrame) -> pd.Series:
    """Reference: per group, the mean age in days at AT of the open issues (NaN with none open)."""
    open_rows = rows[rows["status"].isin(reference.OPEN)]
    return ((AT - open_rows["reported_at"]).dt.total_seconds() / 86400).groupby(open_rows["key"]).mean()


@pytest.mark.parametrize("by", ["grid", "community"])
def test_area_counts_match_reference(engine, raw, by) -> None:
    """What the public map falls back to: reports, open, resolved and the open issues' mean age per
    grid or community, the same on SQLite, PostgreSQL and the analytical copy."""
    from data_access.issue_map import area_counts

    since = datetime(2026, 6, 1)
    found = area_counts(engine, STREET, IssueFilters(since=since), "all", by, AT).set_index("key")
    rows = reference.cohort(raw["issues"], since)
    rows = rows.assign(key=rows["grid_id" if by == "grid" else "community_id"]).dropna(subset=["key"])
    expected = rows.groupby("key").agg(
        reports=("status", "size"),
        open=("status", lambda s: int(s.isin(reference.OPEN).sum())),
        resolved=("status", lambda s: int(s.isin(reference.DONE).sum())),
    )
    assert found.index.tolist() == sorted(expected.index)
    for column in ("reports", "open", "resolved"):
        assert found[column].astype(int).tolist() == expected.loc[found.index, column].tolist(), column
    ages = _open_days(rows).reindex(found.index)
    assert np.allclose(found["open_days"].astype(float), ages.round(1), atol=0.051, equal_nan=True)
    assert found["open"].sum() > 0 and found["open_days"].notna().any()


def test_map_cells_carry_the_open_issues_age_when_asked(engine) -> None:
    from data_access.issue_map import issue_cells

    filters = IssueFilters(since=datetime(2026, 6, 1))
    plain = issue_cells(engine, STREET, filters, "all", 100.0)
    aged = issue_cells(engine, STREET, filters, "all", 100.0, at=AT)
    assert "open_days" not in plain and "open_days" in aged
    pd.testing.assert_frame_equal(plain, aged.drop(columns="open_days"))
    with_open = aged[aged["open"] > 0]
    assert with_open["open_days"].notna().all() and (with_open["open_days"] >= 0).all()
    assert aged.loc[aged["open"] == 0, "open_days"].isna().all()


@pytest.mark.parametrize("k", [1, 5, 10**6])
def test_map_cells_and_hidden_count_match_reference(engine, raw, k) -> None:
    from data_access.issue_map import OUTSIDE_MARGIN_DEG, CellGrid, issue_cells
    from data_access.privacy import HIDDEN, suppress_groups
    from data_access.quality import area_bounds

    bounds = area_bounds(engine)
    found = issue_cells(engine, STREET, IssueFilters(since=datetime(2026, 1, 1)), "all", 100.0)
    cells = suppress_groups(found, "reports", k, drop=True)  # what the audience does for the public
    hidden = cells.attrs[HIDDEN]

    grid = CellGrid.around(bounds, 100.0)
    south, west, north, east = bounds
    rows = reference.cohort(raw["issues"], datetime(2026, 1, 1))
    m = OUTSIDE_MARGIN_DEG
    rows = rows[rows["lat"].between(south - m, north + m) & rows["lon"].between(west - m, east + m)]
    keys = [np.floor((rows["lon"] - grid.west) / grid.dlon), np.floor((rows["lat"] - grid.south) / grid.dlat)]
    counts = rows.groupby(keys).size()
    kept = counts[counts >= k]
    assert sorted(cells["reports"]) == sorted(kept)
    assert hidden == len(rows) - int(kept.sum())
    assert k < 10**6 or (cells.empty and hidden == len(rows))
