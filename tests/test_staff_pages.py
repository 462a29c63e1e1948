"""Staff pages under AppTest: masking, reveal rights, audit entries, flags for incomplete data."""

from __future__ import annotations

import json
import re

import pytest

from app.i18n import translate
from tests.apptest_helpers import USERS, payload, run_app, texts

pytestmark = pytest.mark.usefixtures("app_env")


def _audit(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


@pytest.mark.parametrize("role", ["grid_officer", "community_staff", "street_official", "admin"])
@pytest.mark.parametrize("page", ["patrols", "watchlist"])
def test_staff_pages_render_for_each_staff_role(page, role) -> None:
    at = run_app(page, USERS[role])
    assert not at.exception
    assert translate("zh", "error.unexpected") not in texts(at)
    assert translate("zh", "access.denied") not in texts(at)


def test_watchlist_is_masked_and_its_view_audited(app_env, raw) -> None:
    at = run_app("watchlist", USERS["community_staff"])
    sent = payload(at)
    long_names = {n for n in raw["residents"]["name"] if len(n) >= 3}
    assert not {n for n in long_names if n in sent}
    assert not set(re.findall(r"\d{11}", sent)) & set(raw["residents"]["phone"])
    views = [e for e in _audit(app_env / "audit.jsonl") if e["event"] == "view" and e["page"] == "watchlist"]
    assert views and views[-1]["user"] == "c01staff" and views[-1]["rows"] > 0


def test_only_street_officials_may_reveal_and_each_reveal_is_audited(app_env, raw) -> None:
    at = run_app("watchlist", USERS["street_official"])
    resident = at.selectbox(key="watch_person").options[1]
    at.selectbox(key="watch_person").set_value(int(resident)).run()
    at.toggle(key=f"reveal_{resident}").set_value(True).run()
    assert not at.exception
    person = raw["residents"].set_index("resident_id").loc[int(resident)]
    assert person["name"] in texts(at) and person["phone"] in texts(at)
    reveals = [e for e in _audit(app_env / "audit.jsonl") if e["event"] == "reveal"]
    assert reveals and reveals[-1]["filters"]["resident_id"] == int(resident) and reveals[-1]["user"] == "street"
    at.run()  # the same reveal still on screen after reruns is one reveal, written once
    at.run()
    assert len([e for e in _audit(app_env / "audit.jsonl") if e["event"] == "reveal"]) == len(reveals) == 1

    staff = run_app("watchlist", USERS["community_staff"])
    option = staff.selectbox(key="watch_person").options[1]
    staff.selectbox(key="watch_person").set_value(int(option)).run()
    assert not [t for t in staff.toggle if t.key == f"reveal_{option}"], "community staff cannot reveal"
    assert translate("zh", "watchlist.reveal_not_allowed") in texts(staff)


def test_incomplete_data_is_flagged_not_hidden() -> None:
    at = run_app("watchlist", USERS["street_official"])
    shown = texts(at)
    assert translate("zh", "watchlist.no_interval_warning").split("{")[0] in shown  # a category with no interval
    patrol = run_app("patrols", USERS["street_official"])
    shown = texts(patrol)
    assert translate("zh", "patrols.no_officer") in shown  # a grid with no officer
    assert translate("zh", "patrols.never_seen_warning").split("{")[0][:4] in shown  # a device never seen


def test_performance_lists_officers_for_street_officials() -> None:
    at = run_app("performance", USERS["street_official"])
    assert not at.exception and at.dataframe and len(at.dataframe[0].value) > 5
    assert at.get("plotly_chart"), "the officer trend chart"


def _layer(at, layer_id: str) -> list[dict]:  # noqa: ANN001
    deck = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    return next(layer for layer in deck["layers"] if layer["id"] == layer_id)["data"]


def test_patrols_over_many_grids_colours_communities_and_a_community_can_be_chosen(monkeypatch, raw) -> None:
    from app import maps

    monkeypatch.setattr(maps, "MAX_GRID_OUTLINES", 4)  # the tiny street's 7 communities stand for a city
    at = run_app("patrols", USERS["street_official"])
    assert not at.exception, texts(at)
    areas = _layer(at, "grid-state")
    assert sorted(a["name"] for a in areas) == sorted(raw["communities"]["name_zh"])
    assert "grid-labels" not in [layer["id"] for layer in json.loads(at.get("deck_gl_json_chart")[0].proto.json)["layers"]]
    assert "地图按社区着色" in texts(at)

    at.selectbox(key="patrol_community").select("C02").run()
    assert not at.exception, texts(at)
    c02 = raw["grids"][raw["grids"]["community_id"] == "C02"]
    others = raw["grids"][raw["grids"]["community_id"] != "C02"]
    assert sorted(g["grid"] for g in _layer(at, "grid-state")) == sorted(c02["name"])
    shown = payload(at)
    assert not any(name in shown for name in others["name"])
    assert "地图按社区着色" not in texts(at)


@pytest.mark.parametrize("role", ["grid_officer", "community_staff", "street_official"])
def test_a_patrol_map_names_grids_without_their_communitys_name_in_front(role: str, raw) -> None:  # noqa: ANN001
    at = run_app("patrols", USERS[role])
    assert not at.exception, texts(at)
    community_of = dict(zip(raw["grids"]["name"], raw["grids"]["community_id"], strict=True))
    community_name = dict(zip(raw["communities"]["community_id"], raw["communities"]["name_zh"], strict=True))
    mine = [area["grid"] for area in _layer(at, "grid-state")]
    short = {name.removeprefix(community_name[community_of[name]]) for name in mine}
    assert all(name.startswith(community_name[community_of[name]]) for name in mine)  # as the demo names grids
    named = [label["text"] for label in _layer(at, "grid-labels")]
    assert named and set(named) <= short
    community_names = [label["text"] for label in _layer(at, "community-labels")]
    assert not set(named) & set(community_names)
    order = [layer["id"] for layer in json.loads(at.get("deck_gl_json_chart")[0].proto.json)["layers"]]
    one_community = len({community_of[name] for name in mine}) == 1
    # One community's map names its grids first (the page says which community); else the communities first.
    assert (order.index("grid-labels") < order.index("community-labels")) == one_community


def test_community_staff_get_no_community_choice_on_patrols() -> None:
    at = run_app("patrols", USERS["community_staff"])
    assert not at.exception
    assert all(box.key != "patrol_community" for box in at.selectbox)
