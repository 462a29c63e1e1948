"""Scope is enforced in SQL: narrow callers never receive rows outside their grids or community."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from data_access import issues, patrols, population, quality, reference
from data_access.filters import IssueFilters
from data_access.scope import Scope

AT = datetime(2026, 11, 29)
OFFICER = Scope.grids("C02-G1", "C02-G3")
COMMUNITY = Scope.community("C05")
NOBODY = Scope.grids()


def _grids_of(raw, scope: Scope) -> set[str]:
    grids = raw["grids"]
    if scope.kind == "grids":
        return set(scope.grid_ids or ())
    if scope.kind == "community":
        return set(grids.loc[grids["community_id"] == scope.community_id, "grid_id"])
    return set(grids["grid_id"])


def _residents_of(raw, grid_ids: set[str]) -> set[int]:
    buildings = raw["buildings"][raw["buildings"]["grid_id"].isin(grid_ids)]
    return set(raw["residents"].loc[raw["residents"]["building_id"].isin(buildings["building_id"]), "resident_id"])


@pytest.mark.parametrize("scope", [OFFICER, COMMUNITY], ids=["grid_officer", "community"])
def test_issue_figures_stay_in_scope(engine, raw, scope) -> None:
    frame = issues.resolution_figures(engine, scope, IssueFilters(), by="grid")
    assert set(frame["key"]) <= _grids_of(raw, scope)
    rows = raw["issues"]
    if scope.kind == "grids":
        rows = rows[rows["grid_id"].isin(scope.grid_ids)]
    else:
        rows = rows[rows["community_id"] == scope.community_id]
    assert frame["received"].sum() == (~rows["status"].isin(["rejected", "duplicate"])).sum() > 0
    statuses = issues.status_counts(engine, scope, IssueFilters())
    assert statuses["count"].sum() == len(rows)


@pytest.mark.parametrize("scope", [OFFICER, COMMUNITY], ids=["grid_officer", "community"])
def test_people_stay_in_scope(engine, raw, scope) -> None:
    allowed = _residents_of(raw, _grids_of(raw, scope))
    worklist = population.visit_worklist(engine, scope, AT, limit=10_000)
    assert len(worklist) > 0 and set(worklist["resident_id"]) <= allowed
    assert set(worklist["grid_id"]) <= _grids_of(raw, scope)
    alerts = population.open_alerts(engine, scope, AT, limit=10_000)
    assert set(alerts["resident_id"]) <= allowed
    counts = population.category_counts(engine, scope, AT)
    members = raw["special_population"]
    assert counts["people"].sum() == members["resident_id"].isin(allowed).sum()
    stats = population.alert_response(engine, scope, datetime(2025, 1, 1), AT)
    assert stats["alerts"] == raw["welfare_alerts"]["resident_id"].isin(allowed).sum()


@pytest.mark.parametrize("scope", [OFFICER, COMMUNITY], ids=["grid_officer", "community"])
def test_patrols_and_grids_stay_in_scope(engine, raw, scope) -> None:
    allowed = _grids_of(raw, scope)
    assert set(patrols.grid_weeks(engine, scope, date(2026, 11, 23))["grid_id"]) == allowed
    assert set(patrols.last_patrols(engine, scope, AT)["grid_id"]) == allowed
    summary = patrols.officer_summary(engine, scope, datetime(2025, 1, 1), AT)
    in_scope = raw["patrols"][raw["patrols"]["grid_id"].isin(allowed) & (raw["patrols"]["started_at"] >= datetime(2025, 1, 1))]
    assert summary["patrols"].sum() == len(in_scope)
    assert set(reference.grid_list(engine, scope)["grid_id"]) == allowed


def test_empty_grid_scope_sees_nothing(engine) -> None:
    assert issues.status_counts(engine, NOBODY, IssueFilters()).empty
    assert population.visit_worklist(engine, NOBODY, AT).empty
    assert population.open_alerts(engine, NOBODY, AT).empty
    assert patrols.grid_weeks(engine, NOBODY, date(2026, 11, 23)).empty
    assert quality.issue_quality(engine, NOBODY)["count"].sum() == 0


def test_street_scope_sees_everything(engine, raw) -> None:
    assert issues.status_counts(engine, Scope.street(), IssueFilters())["count"].sum() == len(raw["issues"])


@pytest.mark.parametrize("scope", [OFFICER, COMMUNITY], ids=["grid_officer", "community"])
def test_staff_page_functions_stay_in_scope(engine, raw, scope) -> None:
    allowed = _grids_of(raw, scope)
    hazards = patrols.hazard_outcomes(engine, scope, datetime(2024, 1, 1), AT, limit=100_000)
    patrol_grid = dict(zip(raw["patrols"]["patrol_id"], raw["patrols"]["grid_id"], strict=True))
    linked = raw["issues"].dropna(subset=["source_patrol_id"])
    expected = linked[[patrol_grid[int(p)] in allowed for p in linked["source_patrol_id"]]]
    assert sorted(hazards["issue_id"]) == sorted(expected["issue_id"]) and len(expected) > 0
    assert set(patrols.device_health(engine, scope, AT)["grid_id"]) <= allowed
    assert set(patrols.grid_officers(engine, scope)["grid_id"]) == allowed


def test_person_detail_only_inside_scope(engine, raw) -> None:
    inside = _residents_of(raw, _grids_of(raw, OFFICER))
    outside = set(raw["residents"]["resident_id"]) - inside
    one_in, one_out = min(inside), min(outside)
    detail = population.person_detail(engine, OFFICER, one_in)
    assert detail is not None and "*" in detail["name"] and "****" in detail["phone"]
    assert population.person_detail(engine, OFFICER, one_out) is None
    assert population.person_detail(engine, NOBODY, one_in) is None
    full = population.person_detail(engine, Scope.street(), one_out, reveal=True)
    row = raw["residents"].set_index("resident_id").loc[one_out]
    assert full["name"] == row["name"] and full["phone"] == row["phone"]
