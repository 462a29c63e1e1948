"""Scope is enforced in SQL: narrow callers never receive rows outside their grids or community."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from data_access import devices, issue_map, issues, patrols, population, quality, reference, staff
from data_access.access import access_of
from data_access.errors import AccessDenied
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
    with pytest.raises(AccessDenied):  # data quality is for the whole street's staff only
        quality.issue_quality(engine, NOBODY)


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
    assert set(devices.device_health(engine, scope, AT)["grid_id"]) <= allowed
    assert set(patrols.grid_officers(engine, scope)["grid_id"]) == allowed


def test_person_detail_only_inside_scope(engine, raw) -> None:
    inside = _residents_of(raw, _grids_of(raw, OFFICER))
    outside = set(raw["residents"]["resident_id"]) - inside
    one_in, one_out = min(inside), min(outside)
    detail = population.person_detail(engine, OFFICER, one_in)
    assert detail is not None and "*" in detail["name"] and "****" in detail["phone"]
    assert population.person_detail(engine, OFFICER, one_out) is None
    assert population.person_detail(engine, NOBODY, one_in) is None
    full = population.person_detail(engine, Scope.street(may_reveal=True), one_out, reveal=True)
    row = raw["residents"].set_index("resident_id").loc[one_out]
    assert full["name"] == row["name"] and full["phone"] == row["phone"]


PUBLIC = Scope.public_visitor()
STAFF_ONLY = [
    (issue_map.issue_points, (IssueFilters(), AT)),
    (issue_map.issue_history, (1,)),
    (issue_map.issue_detail, (1,)),
    (issue_map.building_counts, (IssueFilters(),)),
    (population.visit_worklist, (AT,)),
    (population.open_alerts, (AT,)),
    (population.category_counts, (AT,)),
    (population.overdue_visit_count, (AT,)),
    (population.person_detail, (1,)),
    (patrols.last_patrols, (AT,)),
    (patrols.officer_summary, (datetime(2026, 1, 1), AT)),
    (devices.device_health, (AT,)),
    (staff.officer_performance, (IssueFilters(), date(2026, 11, 23))),
    (quality.care_quality, ()),
]


@pytest.mark.parametrize(("function", "args"), STAFF_ONLY, ids=[f.__name__ for f, _ in STAFF_ONLY])
def test_the_data_layer_refuses_person_level_data_to_the_public(engine, function, args) -> None:
    """Enforced where the data is, whoever calls: no SQL runs for a refused caller."""
    assert access_of(function).kind in ("staff", "street_staff")
    with pytest.raises(AccessDenied):
        function(engine, PUBLIC, *args)


def test_performance_needs_the_whole_street(engine) -> None:
    for scope in (OFFICER, COMMUNITY):
        with pytest.raises(AccessDenied):
            staff.officer_performance(engine, scope, IssueFilters(), date(2026, 11, 23))


def test_only_a_revealing_scope_gets_names(engine, raw) -> None:
    one = int(raw["special_population"]["resident_id"].iloc[0])
    with pytest.raises(AccessDenied):
        population.person_detail(engine, Scope.street(), one, reveal=True)  # an admin's scope
    with pytest.raises(AccessDenied):
        population.visit_worklist(engine, COMMUNITY, AT, reveal=True)
    assert population.person_detail(engine, Scope.street(may_reveal=True), one, reveal=True) is not None


def test_public_scope_gets_street_aggregates_and_anonymous_rows(engine, raw) -> None:
    street = issues.status_counts(engine, Scope.street(), IssueFilters())
    assert issues.status_counts(engine, PUBLIC, IssueFilters()).equals(street)
    rows = issue_map.issue_table(engine, PUBLIC, IssueFilters(), limit=50)
    assert not {"lat", "lon", "officer", "channel"} & set(rows.columns)


def test_every_function_a_page_asks_is_declared() -> None:
    """A page can only ask declared functions (PageContext.query checks); every module's public
    query functions carry a declaration, so none is reachable without one."""
    import inspect

    from data_access import volunteers

    for module in (issue_map, issues, patrols, population, quality, reference, staff, volunteers):
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if function.__module__ != module.__name__ or name.startswith("_"):
                continue
            parameters = list(inspect.signature(function).parameters)
            if parameters[:1] == ["engine"]:
                assert access_of(function).kind, f"{module.__name__}.{name}"
