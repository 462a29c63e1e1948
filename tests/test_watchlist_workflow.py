"""Watchlist workflow (issue 15): a click on a row opens the person (masked, audited as a view, never
a reveal), ?person= and ?list= links, alerts ordered and coloured against the dispatch target, and one
timeline of a person's visits and alerts."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta

import pandas as pd
import pytest

from app.audience import Audience
from app.i18n import translate
from app.widgets import TABLE_COLORS
from data_access import population
from data_access.engine import make_readonly_engine
from data_access.privacy import mask_name
from data_access.scope import Scope
from tests.apptest_helpers import USERS, cell_colours, payload, run_app, texts

AT = datetime(2026, 11, 29)  # the tiny street's data_as_of (tests/conftest.py)
ALERTS, PICKER = "watch_alert_rows", "watch_person"
pytestmark = pytest.mark.usefixtures("app_env")


def _audit(path) -> list[dict]:  # noqa: ANN001
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def _scope(role: str) -> Scope:
    return Audience(USERS[role], 5).scope


def _click(at, key: str, row: int):  # noqa: ANN001, ANN202
    """What a click on a row of a selectable table sends (Streamlit 1.67: a selection in session state)."""
    at.session_state[key] = {"selection": {"rows": [row], "columns": []}}
    return at.run()


def _shown_people(at, lang: str = "zh") -> list[str]:  # noqa: ANN001
    """The person panels on screen: their "Resident no. N" headings."""
    prefix = translate(lang, "watchlist.person_open").split("{")[0]
    return [m.value for m in at.markdown if prefix in m.value]


# Planted open alerts (the tiny street has none open at its as-of): what each one must look like.
#            id, severity, raised (before AT), dispatched (after raised), expected dispatch state
PLANTED = [
    (90001, 1, timedelta(hours=5), timedelta(hours=2), "dispatched_late"),
    (90002, 3, timedelta(hours=2), timedelta(minutes=10), "dispatched_in_time"),
    (90003, 2, timedelta(days=3), None, "waiting_late"),
    (90004, 3, timedelta(minutes=10), None, "waiting"),
    (90005, 3, timedelta(days=243), None, "waiting_late"),  # urgent, nobody sent for 243 days
    (90006, 3, timedelta(hours=1), timedelta(hours=2), "waiting_late"),  # dispatched only after AT
]
PLANTED_ORDER = [90005, 90006, 90004, 90002, 90003, 90001]  # severity, undispatched first, longest waiting


@pytest.fixture
def alerts_db(app_env, sqlite_copy, monkeypatch, raw):  # noqa: ANN001, ANN201
    """The tiny street with PLANTED open alerts, one per member resident; the app reads it."""
    members = sorted(raw["special_population"]["resident_id"].unique())
    with sqlite3.connect(sqlite_copy) as conn:
        for (alert_id, severity, ago, after, _), resident in zip(PLANTED, members[::7], strict=False):
            raised = AT - ago
            dispatched = raised + after if after is not None else None
            conn.execute(
                "INSERT INTO welfare_alerts (alert_id, resident_id, kind, severity, raised_at, dispatched_at,"
                " dispatched_officer_id, resolved_at, outcome) VALUES (?, ?, 'fall_alarm', ?, ?, ?, ?, NULL, NULL)",
                (
                    alert_id,
                    int(resident),
                    severity,
                    f"{raised:%Y-%m-%d %H:%M:%S}.000000",
                    f"{dispatched:%Y-%m-%d %H:%M:%S}.000000" if dispatched else None,
                    1 if dispatched else None,
                ),
            )
    url = f"sqlite:///{sqlite_copy}"
    monkeypatch.setenv("DATABASE_URL", url)
    return url


# The data layer. ----------------------------------------------------------------------------------


def test_open_alerts_put_the_most_pressing_first_and_judge_their_dispatch(alerts_db) -> None:
    engine = make_readonly_engine(alerts_db)
    frame = population.open_alerts(engine, Scope.street(), AT)
    assert list(frame["alert_id"]) == PLANTED_ORDER
    states = dict(zip(frame["alert_id"], population.dispatch_states(frame, 30), strict=True))
    assert states == {alert_id: state for alert_id, *_, state in PLANTED}
    assert population.dispatch_states(frame, 24 * 60)[frame["alert_id"].tolist().index(90006)] == "waiting"
    engine.dispose()


def test_open_alerts_order_on_every_backend(engine, raw) -> None:
    """At many past instants (some alerts open, some dispatched only later), the order is severity,
    then not yet dispatched, then longest waiting, as pandas computes it from the raw rows."""
    alerts = raw["welfare_alerts"]
    checked = 0
    for at in sorted(alerts["raised_at"])[::4]:
        at = (at + pd.Timedelta(minutes=20)).to_pydatetime()
        frame = population.open_alerts(engine, Scope.street(), at, limit=10_000)
        open_ = alerts[(alerts["raised_at"] <= at) & (alerts["resolved_at"].isna() | (alerts["resolved_at"] > at))]
        expected = open_.assign(
            dispatched=open_["dispatched_at"].notna() & (open_["dispatched_at"] <= at), minus=-open_["severity"]
        ).sort_values(["minus", "dispatched", "raised_at", "alert_id"])
        assert list(frame["alert_id"]) == list(expected["alert_id"])
        checked += len(expected) > 1
    assert checked >= 3, "the instants chose too few moments with several open alerts"


def _expected_timeline(raw, resident_id: int) -> list[tuple]:  # noqa: ANN001
    officers = raw["officers"].set_index("officer_id")["name"]
    visits = raw["welfare_visits"][raw["welfare_visits"]["resident_id"] == resident_id]
    alerts = raw["welfare_alerts"][raw["welfare_alerts"]["resident_id"] == resident_id]
    events = [(v.visited_at, "visit", officers.get(v.officer_id)) for v in visits.itertuples()]
    for a in alerts.itertuples():
        events.append((a.raised_at, "alert_raised", None))
        if pd.notna(a.dispatched_at):
            events.append((a.dispatched_at, "alert_dispatched", officers.get(a.dispatched_officer_id)))
        if pd.notna(a.resolved_at):
            events.append((a.resolved_at, "alert_resolved", None))
    return sorted(events, key=lambda e: e[0], reverse=True)


def test_timeline_merges_visits_and_alerts_newest_first(engine, raw) -> None:
    counts = raw["welfare_alerts"].groupby("resident_id").size()
    visited = set(raw["welfare_visits"]["resident_id"])
    resident = int(next(r for r in counts.sort_values(ascending=False).index if r in visited))
    expected = _expected_timeline(raw, resident)
    assert {e[1] for e in expected} == set(population.TIMELINE_EVENTS)

    detail = population.person_detail(engine, Scope.street(), resident, timeline_limit=1000)
    timeline = detail["timeline"]
    assert list(timeline.columns) == population.TIMELINE_COLUMNS
    got = [(pd.Timestamp(r.at), r.event, None if pd.isna(r.officer) else r.officer) for r in timeline.itertuples()]
    assert got == [(pd.Timestamp(at), event, officer) for at, event, officer in expected]
    resolved = timeline[timeline["event"] == "alert_resolved"]
    assert set(resolved["outcome"]) <= {"safe", "assisted", "hospital"} and resolved["severity"].notna().all()

    newest = population.person_detail(engine, Scope.street(), resident, timeline_limit=10)["timeline"]
    assert list(newest["at"]) == list(timeline["at"][:10])
    assert population.person_detail(engine, Scope.grids(), resident) is None  # outside the scope: nothing


# The page. --------------------------------------------------------------------------------------


def test_a_click_on_an_alert_opens_the_person_masked_and_writes_no_reveal(alerts_db, app_env, raw) -> None:
    at = run_app("watchlist", USERS["street_official"])
    assert not at.exception
    frame = population.open_alerts(make_readonly_engine(alerts_db), _scope("street_official"), AT)
    assert not _shown_people(at)

    _click(at, ALERTS, 0)
    assert not at.exception, at.exception
    resident = int(frame["resident_id"].iloc[0])
    person = raw["residents"].set_index("resident_id").loc[resident]
    assert _shown_people(at) == [f"**{translate('zh', 'watchlist.person_open', resident=resident)}**"]
    shown = texts(at)
    assert mask_name(person["name"]) in shown and person["name"] not in shown and person["phone"] not in shown
    assert at.query_params.get("person") == str(resident) and at.query_params.get("lang") == "zh"
    entries = _audit(app_env / "audit.jsonl")
    assert not [e for e in entries if e["event"] == "reveal"]
    views = [e for e in entries if e["filters"].get("query") == "person_detail"]
    assert [(e["event"], e["filters"]["resident_id"], e["rows"]) for e in views] == [("view", resident, 1)]

    # The reveal is the explicit toggle, and audited once.
    at.toggle(key=f"reveal_{resident}").set_value(True).run()
    assert person["name"] in texts(at) and person["phone"] in texts(at)
    reveals = [e for e in _audit(app_env / "audit.jsonl") if e["event"] == "reveal"]
    assert [(e["user"], e["filters"]["resident_id"]) for e in reveals] == [("street", resident)]


def test_alerts_are_ordered_and_coloured_against_the_dispatch_target(alerts_db) -> None:
    at = run_app("watchlist", USERS["street_official"])
    table = next(d for d in at.dataframe if d.key == ALERTS)
    shown = table.value
    waiting = list(shown.columns).index(translate("zh", "watchlist.col.waiting"))
    severity = list(shown.columns).index(translate("zh", "watchlist.col.severity"))
    assert list(shown.iloc[:, severity]) == [translate("zh", f"watchlist.severity.{s}") for s in (3, 3, 3, 3, 2, 1)]
    assert shown.iloc[0, waiting] == "243.0 天"  # the oldest urgent alert nobody went to: first ...
    judged = {"waiting_late": "below", "waiting": "met", "dispatched_in_time": "met", "dispatched_late": "near"}
    states = {alert_id: state for alert_id, *_, state in PLANTED}
    colours = cell_colours(table)
    for row, alert_id in enumerate(PLANTED_ORDER):  # ... and in red, like every late undispatched one
        assert colours.get((row, waiting)) == TABLE_COLORS[judged[states[alert_id]]], (row, alert_id)
    assert colours.get((0, severity)) == TABLE_COLORS["below"] and (4, severity) not in colours
    legend = "\n".join(block.proto.body for block in at.get("html"))
    for key in ("late", "slow", "on_time"):
        assert translate("zh", f"watchlist.legend.{key}") in legend
    assert translate("zh", "watchlist.legend.late_means", minutes=30) in legend


def test_list_alerts_comes_first_with_the_overview_count(alerts_db) -> None:
    at = run_app("watchlist", USERS["street_official"], params={"list": "alerts"})
    assert not at.exception
    count = population.open_alert_count(make_readonly_engine(alerts_db), _scope("street_official"), AT)
    assert count == len(PLANTED)
    assert at.subheader[0].value == translate("zh", "watchlist.alerts_count", count=count)
    assert len(next(d for d in at.dataframe if d.key == ALERTS).value) == count
    kpis = {m.label: m.value for m in at.metric}
    assert kpis[translate("zh", "todo.open_alerts")] == str(count)
    assert at.query_params.get("list") == "alerts"


@pytest.mark.parametrize("role", ["street_official", "grid_officer"])
def test_list_overdue_shows_exactly_the_overdue_visits_first(role, tiny_sqlite_url) -> None:
    at = run_app("watchlist", USERS[role], params={"list": "overdue"})
    assert not at.exception
    engine = make_readonly_engine(tiny_sqlite_url)
    count = population.overdue_visit_count(engine, _scope(role), AT)
    members = len(population.visit_worklist(engine, _scope(role), AT, limit=100_000))
    assert 0 < count < members  # the full list would be longer: the filter is what is tested
    assert at.subheader[0].value == translate("zh", "watchlist.overdue_list", count=count)
    table = next(d for d in at.dataframe if d.key == "watch_visit_rows_overdue").value
    assert len(table) == count
    overdue = table[translate("zh", "watchlist.col.overdue")]
    assert overdue.str.fullmatch(r"\d+ 天").all() and not overdue.str.fullmatch("0 天").any()
    kpis = {m.label: m.value for m in at.metric}
    assert kpis[translate("zh", "todo.overdue_visits")] == str(count)
    assert not [d for d in at.dataframe if d.key == "watch_visit_rows"], "only the overdue list"

    plain = run_app("watchlist", USERS[role])  # without ?list= the page keeps its order, and the same KPI
    assert plain.subheader[0].value.startswith(translate("zh", "watchlist.alerts_count").split("{")[0])
    assert {m.label: m.value for m in plain.metric}[translate("zh", "todo.overdue_visits")] == str(count)


def test_a_grid_officer_opens_a_visit_row_masked_and_cannot_reveal(app_env, raw, tiny_sqlite_url) -> None:
    at = run_app("watchlist", USERS["grid_officer"], lang="en")
    worklist = population.visit_worklist(make_readonly_engine(tiny_sqlite_url), _scope("grid_officer"), AT)
    _click(at, "watch_visit_rows", 2)
    assert not at.exception, at.exception
    resident = int(worklist["resident_id"].iloc[2])
    person = raw["residents"].set_index("resident_id").loc[resident]
    assert _shown_people(at, "en") == [f"**{translate('en', 'watchlist.person_open', resident=resident)}**"]
    assert mask_name(person["name"]) in texts(at) and person["name"] not in payload(at)
    assert not [t for t in at.toggle if t.key.startswith("reveal_")]
    assert translate("en", "watchlist.reveal_not_allowed") in texts(at)
    assert at.query_params.get("person") == str(resident) and at.query_params.get("lang") == "en"
    assert not [e for e in _audit(app_env / "audit.jsonl") if e["event"] == "reveal"]

    # The picker opens another person instead: one open at a time, the row's selection cleared.
    other = next(int(o) for o in at.selectbox(key=PICKER).options[1:] if int(o) != resident)
    at.selectbox(key=PICKER).set_value(other).run()
    assert _shown_people(at, "en") == [f"**{translate('en', 'watchlist.person_open', resident=other)}**"]
    assert list(at.session_state["watch_visit_rows"]["selection"]["rows"]) == []
    assert at.query_params.get("person") == str(other)
    at.selectbox(key=PICKER).set_value(None).run()  # and closing it takes it off the URL
    assert not _shown_people(at, "en") and "person" not in at.query_params


def test_a_person_link_opens_the_person_and_outside_the_scope_shows_nothing(app_env, raw) -> None:
    buildings = raw["buildings"].set_index("building_id")
    residents = raw["residents"].assign(
        grid_id=lambda f: f["building_id"].map(buildings["grid_id"]),
        address=lambda f: f["building_id"].map(buildings["address"]),
    )
    mine = set(USERS["grid_officer"].grid_ids)
    unique = residents[~residents["name"].duplicated(keep=False) & (residents["name"].str.len() >= 3)]
    outsider = unique[~unique["grid_id"].isin(mine)].iloc[0]
    insider = residents[residents["grid_id"].isin(mine)].iloc[0]

    at = run_app("watchlist", USERS["grid_officer"], params={"person": str(outsider["resident_id"])})
    assert not at.exception
    assert translate("zh", "watchlist.not_in_scope") in texts(at)
    sent = payload(at)
    assert outsider["name"] not in sent and mask_name(outsider["name"]) not in sent
    assert outsider["phone"] not in sent
    assert outsider["address"] not in sent
    assert not [e for e in _audit(app_env / "audit.jsonl") if e["event"] == "reveal"]

    at = run_app("watchlist", USERS["grid_officer"], params={"person": str(insider["resident_id"])})
    assert translate("zh", "watchlist.not_in_scope") not in texts(at)
    assert mask_name(insider["name"]) in texts(at)
    assert _shown_people(at) == [f"**{translate('zh', 'watchlist.person_open', resident=insider['resident_id'])}**"]


@pytest.mark.parametrize("value", ["abc", "-4", "1.5", "9" * 300])
def test_a_broken_person_link_opens_nobody(value, raw) -> None:
    at = run_app("watchlist", USERS["street_official"], params={"person": value})
    assert not at.exception
    assert translate("zh", "error.unexpected") not in texts(at)
    shown = [str(r) for r in raw["residents"]["name"] if len(r) >= 3]
    assert not any(name in payload(at) for name in shown[:200])
    if value == "1.5":  # a number, but no resident's: the same notice as someone else's
        assert translate("zh", "watchlist.not_in_scope") in texts(at)
    else:
        assert not _shown_people(at)


def test_the_timeline_shows_visits_and_alerts_of_the_person(app_env, raw) -> None:
    counts = raw["welfare_alerts"].groupby("resident_id").size()
    resident = int(counts.idxmax())
    at = run_app("watchlist", USERS["street_official"], params={"person": str(resident)})
    assert not at.exception
    event = translate("zh", "watchlist.col.event")
    timeline = next(d.value for d in at.dataframe if event in d.value.columns)
    assert {translate("zh", f"watchlist.event.{e}") for e in population.TIMELINE_EVENTS} <= set(timeline[event])
    details = "".join(timeline[translate("zh", "watchlist.col.detail")])
    assert any(translate("zh", f"watchlist.alert_outcome.{o}") in details for o in ("safe", "assisted", "hospital"))
    assert at.subheader[0].value == translate("zh", "watchlist.alerts_count", count=0)  # the person above the lists
    assert _shown_people(at) and texts(at).index(_shown_people(at)[0].strip("*")) < texts(at).index(
        translate("zh", "todo.overdue_visits")
    )


def test_an_unknown_list_keeps_the_usual_order_and_says_so() -> None:
    at = run_app("watchlist", USERS["community_staff"], params={"list": "<b>all</b>"})
    assert not at.exception
    assert at.subheader[0].value == translate("zh", "watchlist.alerts_count", count=0)
    assert [d for d in at.dataframe if d.key == "watch_visit_rows"]
    assert any("list" in toast.value and "<b>" not in toast.value for toast in at.toast)
    assert "list" not in at.query_params
