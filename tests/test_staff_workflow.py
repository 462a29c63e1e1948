"""Staff workflow: from a count to the case behind it.

Data layer (SQLite, PostgreSQL and the analytical copy): the overdue filter, offline devices and the
daily patrol priority against independent pandas computations and a hand-built example. Pages
(AppTest, per role): every to-do card links to a list of the same count; a grid officer's edited URL
reaches nothing outside their grids; the issue map's side panel; the grid summary page.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

import pandas as pd
import pytest

from data_access import devices, issue_map, issues, population, priority
from data_access.errors import AccessDenied
from data_access.filters import IssueFilters
from data_access.schema import OPEN_STATUSES
from data_access.scope import Scope
from tests.apptest_helpers import USERS, open_page, payload, texts

AT = pd.Timestamp("2026-11-29").to_pydatetime()
STREET = Scope.street()


# --- data layer ----------------------------------------------------------------------------------


def overdue_by_hand(raw: dict[str, pd.DataFrame], at=AT) -> pd.DataFrame:  # noqa: ANN001
    """Open issues (by status) reported by `at` and older than their category's sla_hours."""
    frame = raw["issues"].merge(
        raw["issue_categories"][["code", "sla_hours"]], left_on="category_code", right_on="code", how="left"
    )
    age = (pd.Timestamp(at) - frame["reported_at"]).dt.total_seconds() / 3600
    return frame[frame["status"].isin(OPEN_STATUSES) & (frame["reported_at"] <= at) & (age > frame["sla_hours"])]


def test_the_overdue_filter_lists_what_the_card_counts(engine, raw) -> None:
    expected = overdue_by_hand(raw)
    assert len(expected) > 0
    assert issues.open_overdue_count(engine, STREET, AT) == len(expected)
    listed = issue_map.issue_table(engine, STREET, IssueFilters(overdue_at=AT), "overdue", limit=100_000)
    assert sorted(listed["issue_id"]) == sorted(expected["issue_id"])


def test_offline_devices_are_the_feeds_offline_devices(engine, raw) -> None:
    offline = raw["devices"][raw["devices"]["status"] == "offline"]
    found = devices.offline_devices(engine, STREET, AT)
    assert sorted(found["device_id"]) == sorted(offline["device_id"]) and len(offline) > 0
    totals = devices.device_totals(engine, STREET).set_index("kind")
    for kind, group in raw["devices"].groupby("kind"):
        assert totals.loc[kind, "devices"] == len(group)
        assert totals.loc[kind, "offline"] == int((group["status"] == "offline").sum())
    seen = found.dropna(subset=["last_seen_at"])
    assert list(seen["days_offline"]) == sorted(seen["days_offline"], reverse=True)  # longest silent first
    if found["last_seen_at"].isna().any():
        assert pd.isna(found["last_seen_at"].iloc[0])  # never seen: first of all


def test_grid_signals_add_up_to_the_to_do_cards(engine, raw) -> None:
    signals = priority.grid_signals(engine, STREET, AT)
    assert set(signals["grid_id"]) == set(raw["grids"]["grid_id"])
    assert signals["overdue_issues"].sum() == issues.open_overdue_count(engine, STREET, AT)
    assert signals["open_alerts"].sum() == population.open_alert_count(engine, STREET, AT)
    assert signals["overdue_visits"].sum() == population.overdue_visit_count(engine, STREET, AT)
    assert signals["offline_devices"].sum() == int((raw["devices"]["status"] == "offline").sum())
    per_grid = overdue_by_hand(raw).groupby("grid_id").size()
    for row in signals.itertuples():
        assert row.overdue_issues == per_grid.get(row.grid_id, 0)


def test_a_grid_officer_gets_only_their_grids_signals(engine) -> None:
    officer = Scope.grids("C01-G1")
    assert list(priority.grid_signals(engine, officer, AT)["grid_id"]) == ["C01-G1"]
    with pytest.raises(AccessDenied):
        priority.grid_signals(engine, Scope.public_visitor(), AT)
    with pytest.raises(AccessDenied):
        devices.offline_devices(engine, Scope.public_visitor(), AT)


def test_the_priority_score_of_a_hand_built_example() -> None:
    signals = pd.DataFrame(
        {
            "grid_id": ["A", "B", "C", "D"],
            "overdue_issues": [2, 0, 1, 1],
            "open_alerts": [0, 1, 0, 0],
            "overdue_visits": [4, 0, 0, 0],
            "offline_devices": [0, 0, 1, 1],
        }
    )
    weights = priority.Weights(overdue_issues=1.5, open_alerts=4, overdue_visits=0.25, offline_devices=2)
    ranked = priority.score(signals, weights)
    # By hand: A = 2x1.5 + 4x0.25 = 4.0; B = 1x4 = 4.0; C = D = 1x1.5 + 1x2 = 3.5.
    # A and B tie at 4.0: A has more overdue issues (the first tie-break). C and D tie in every
    # signal: by grid id.
    assert list(ranked["grid_id"]) == ["A", "B", "C", "D"]
    assert list(ranked["score"]) == [4.0, 4.0, 3.5, 3.5]
    assert list(ranked["rank"]) == [1, 2, 3, 4]
    assert priority.reasons(ranked.iloc[0]) == [("overdue_issues", 2, 3.0), ("overdue_visits", 4, 1.0)]
    assert priority.reasons(ranked.iloc[1]) == [("open_alerts", 1, 4.0)]


@pytest.mark.parametrize(
    "raw_weights",
    ['{"overdue_issue": 2}', '{"open_alerts": -1}', '{"open_alerts": true}', "[1, 2]", "{not json", '{"open_alerts": 1e9}'],
)
def test_bad_priority_weights_are_refused(raw_weights: str) -> None:
    from app.settings import parse_weights

    with pytest.raises(ValueError):
        parse_weights(raw_weights)


def test_priority_weights_from_settings(monkeypatch) -> None:
    from app.settings import load_settings

    monkeypatch.setenv("SYL_PATROL_PRIORITY", '{"open_alerts": 10, "offline_devices": 0}')
    weights = load_settings().patrol_priority
    assert (weights.open_alerts, weights.offline_devices, weights.overdue_issues) == (10.0, 0.0, 1.0)
    monkeypatch.setenv("SYL_PATROL_PRIORITY", '{"typo": 1}')
    settings = load_settings()
    assert settings.patrol_priority == priority.Weights()
    assert any(p.params.get("name") == "patrol_priority" for p in settings.problems)


def test_buildings_of_the_chosen_grid_only(engine, raw) -> None:
    grid = "C01-G1"
    found = issue_map.building_counts(engine, STREET, IssueFilters(grid_ids=(grid,)))
    expected = raw["buildings"][raw["buildings"]["grid_id"] == grid]
    assert sorted(found["building_id"]) == sorted(expected["building_id"]) and len(expected) > 0


def test_an_issues_timeline_from_events_and_from_its_own_times() -> None:
    detail = {
        "reported_at": pd.Timestamp("2026-01-01 08:00"),
        "accepted_at": pd.Timestamp("2026-01-01 09:00"),
        "resolved_at": pd.Timestamp("2026-01-02 10:00"),
        "closed_at": None,
        "satisfaction": 4,
    }
    events = pd.DataFrame(
        {
            "at": pd.to_datetime(["2026-01-01 08:00", "2026-01-01 09:00", "2026-01-01 12:00", "2026-01-02 10:00"]),
            "from_status": [None, "submitted", "accepted", "assigned"],
            "to_status": ["submitted", "accepted", "assigned", "resolved"],
            "officer": [None, "王*", "王*", "李*"],
            "note": [None, None, "派给李", None],
        }
    )
    steps = issue_map.timeline(detail, events)
    assert list(steps["step"]) == ["reported", "accepted", "assigned", "resolved", "rated"]
    assert steps["note"].iloc[-1] == "4" and pd.isna(steps["at"].iloc[-1])
    # An imported issue without events: its own timestamps make the timeline.
    bare = issue_map.timeline(detail, events.iloc[0:0])
    assert list(bare["step"]) == ["reported", "accepted", "resolved", "rated"]
    assert list(bare["at"].iloc[:3]) == [detail["reported_at"], detail["accepted_at"], detail["resolved_at"]]


# --- pages ---------------------------------------------------------------------------------------


def todo_links(at) -> dict[tuple[str, str], dict[str, str]]:  # noqa: ANN001
    """The overview's to-do links: (page, list or show) -> the link's query parameters."""
    found = {}
    for link in at.get("page_link"):
        params = dict(parse_qsl(link.proto.query_string))
        if "list" in params or "show" in params:
            found[(link.proto.page, params.get("list") or params["show"])] = params
    return found


def metric_value(at, label: str) -> int:  # noqa: ANN001
    return int(str(next(m.value for m in at.metric if m.label == label)).replace(",", ""))


@pytest.mark.usefixtures("app_env")
@pytest.mark.parametrize("role", ["street_official", "community_staff", "grid_officer"])
def test_each_to_do_card_opens_a_list_of_its_count(role: str) -> None:
    user = USERS[role]
    overview = open_page("overview", user=user)
    links = todo_links(overview)
    assert set(links) == {
        ("watchlist", "overdue"),
        ("watchlist", "alerts"),
        ("patrols", "missed"),
        ("issue_map", "overdue"),
        ("patrols", "devices"),
    }, links
    # Overdue issues: the map's list over all time, showing overdue issues only.
    card = metric_value(overview, "超时未办结问题")
    page = open_page("issue_map", links[("issue_map", "overdue")], user)
    assert metric_value(page, "问题数") == card
    assert len(page.dataframe[-1].value) == min(card, 500)
    # Grids that missed last week: the patrol page's Monday list.
    card = metric_value(overview, "上周巡查未达标网格")
    page = open_page("patrols", links[("patrols", "missed")], user)
    monday = [f for f in page.dataframe if list(f.value.columns) == ["网格", "人员", "完成/要求"]]
    assert (len(monday[0].value) if monday else 0) == card
    # Offline devices: the patrol page opens on them, one row per device.
    card = metric_value(overview, "离线设备")
    page = open_page("patrols", links[("patrols", "devices")], user)
    offline = [f for f in page.dataframe if "离线天数" in f.value.columns]
    assert (len(offline[0].value) if offline else 0) == card
    assert page.get("subheader")[0].value == "离线设备"  # the list the link was for comes first


@pytest.mark.usefixtures("app_env")
def test_a_grid_officer_cannot_reach_another_grids_list_by_editing_the_url(raw) -> None:
    user = USERS["grid_officer"]
    own = set(user.grid_ids)
    other = next(g for g in raw["grids"]["grid_id"] if g not in own)
    community = raw["grids"].set_index("grid_id").loc[other, "community_id"]
    page = open_page("issue_map", {"grid": other, "community": community, "show": "all", "period": "all"}, user)
    grids_named = set(page.dataframe[-1].value["网格"])
    names = raw["grids"].set_index("grid_id")["name"]
    assert names[other] not in grids_named
    assert page.query_params.get("grid") in (None, [], [""], "")  # the refused value is not kept in the URL
    # The grid page opens on the officer's own grid instead, and says the link was refused.
    page = open_page("grid", {"grid": other}, user)
    assert page.selectbox[0].value != other
    assert names[other] not in texts(page)
    # An issue of another grid, asked for by id: nothing of it is shown.
    foreign = raw["issues"][raw["issues"]["grid_id"] == other].iloc[0]
    page = open_page("issue_map", {"issue": str(int(foreign["issue_id"])), "period": "all"}, user)
    shown = texts(page)
    assert f"#{int(foreign['issue_id'])}" in shown and "不在您负责的范围内" in shown
    if isinstance(foreign["description"], str):
        assert foreign["description"] not in shown


@pytest.mark.usefixtures("app_env")
def test_choosing_an_issue_opens_its_timeline_beside_the_map(raw) -> None:
    user = USERS["street_official"]
    page = open_page("issue_map", {"period": "all"}, user)
    first = int(page.dataframe[-1].value["编号"].iloc[0])
    page.session_state["issue_table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    page.session_state["map_picked_issue"] = first  # what the table's selection callback leaves
    page.run()
    assert not page.exception
    shown = payload(page)
    assert f"问题 #{first} 的办理经过" in shown and "居民上报" in shown
    assert page.query_params["issue"] == [str(first)] or page.query_params["issue"] == str(first)
    deck = page.get("deck_gl_json_chart")[0].proto.json
    assert '"id": "picked"' in deck or '"picked"' in deck  # the chosen issue is ringed on the map
    # A shared link opens the same issue for a colleague with the same rights.
    again = open_page("issue_map", {"period": "all", "issue": str(first)}, user)
    assert f"问题 #{first} 的办理经过" in texts(again)


@pytest.mark.usefixtures("app_env")
def test_a_building_lists_its_issues(raw) -> None:
    user = USERS["street_official"]
    counts = raw["issues"].dropna(subset=["building_id"]).groupby("building_id").size()
    building = int(counts.idxmax())
    page = open_page("issue_map", {"period": "all", "building": str(building)}, user)
    ids = set(page.dataframe[-1].value["编号"])
    expected = raw["issues"][(raw["issues"]["building_id"] == building) & ~raw["issues"]["status"].isin(("rejected", "duplicate"))]
    assert ids == set(expected["issue_id"]) and ids


@pytest.mark.usefixtures("app_env")
def test_the_grid_page_adds_up_to_the_priority(raw) -> None:
    user = USERS["street_official"]
    page = open_page("grid", {}, user)
    shown = texts(page)
    assert "今日巡查优先级" in shown and "（第 1/" in shown
    grid = page.selectbox[0].value
    assert page.query_params["grid"] in ([grid], grid)
    english = open_page("grid", {"grid": grid}, user, lang="en")
    assert "Today's patrol priority" in texts(english)


@pytest.mark.usefixtures("app_env")
def test_the_grid_pages_cards_open_that_grids_lists(raw) -> None:
    user = USERS["street_official"]
    page = open_page("grid", {}, user)
    grid = page.selectbox[0].value
    links = {(link.proto.page, dict(parse_qsl(link.proto.query_string)).get("list")
              or dict(parse_qsl(link.proto.query_string)).get("show")): dict(parse_qsl(link.proto.query_string))
             for link in page.get("page_link") if "grid=" in link.proto.query_string}
    assert set(links) == {("issue_map", "open"), ("issue_map", "overdue"), ("watchlist", "alerts"),
                          ("watchlist", "overdue")}
    assert all(params["grid"] == grid for params in links.values())
    cards = {
        ("issue_map", "open"): "未办结问题",
        ("issue_map", "overdue"): "超时未办结问题",
        ("watchlist", "alerts"): "未处置预警",
        ("watchlist", "overdue"): "逾期未走访",
    }
    for (target, kind), label in cards.items():
        card = metric_value(page, label)
        opened = open_page(target, links[(target, kind)], user)
        if target == "issue_map":
            assert metric_value(opened, "问题数") == card, kind
            assert set(opened.dataframe[-1].value["网格"]) <= {names_of(raw)[grid]}
        else:
            assert metric_value(opened, label) == card, kind
    # The hand count of this grid's overdue issues.
    assert metric_value(page, "超时未办结问题") == int((overdue_by_hand(raw)["grid_id"] == grid).sum())


@pytest.mark.usefixtures("app_env")
def test_a_grid_officer_cannot_narrow_the_watchlist_to_another_grid(raw) -> None:
    user = USERS["grid_officer"]
    other = next(g for g in raw["grids"]["grid_id"] if g not in user.grid_ids)
    whole = open_page("watchlist", {"list": "alerts"}, user)
    page = open_page("watchlist", {"list": "alerts", "grid": other}, user)
    assert metric_value(page, "未处置预警") == metric_value(whole, "未处置预警")  # refused: their own area
    assert names_of(raw)[other] not in texts(page)


def names_of(raw: dict[str, pd.DataFrame]) -> dict[str, str]:
    return dict(zip(raw["grids"]["grid_id"], raw["grids"]["name"], strict=True))


@pytest.mark.usefixtures("app_env")
def test_an_officers_count_on_the_performance_page_opens_their_issues() -> None:
    user = USERS["street_official"]
    page = open_page("performance", {}, user)
    table = next(f.value for f in page.dataframe if "问题清单" in getattr(f.value, "columns", []))
    handled = "办理件数"
    for _, row in table.head(3).iterrows():
        params = dict(parse_qsl(row["问题清单"].split("?", 1)[1]))
        assert params["officer"] and params["period"] == "custom"
        opened = open_page("issue_map", params, user)
        assert metric_value(opened, "问题数") == int(row[handled]), row[handled]
        assert set(opened.dataframe[-1].value["责任人"]) == {row["人员"]}
