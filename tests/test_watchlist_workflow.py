"""Watchlist workflow (issue 15), the data layer: open alerts ordered and judged against the dispatch
target, and one timeline of a person's visits and alerts."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta

import pandas as pd
import pytest

from data_access import population
from data_access.engine import make_readonly_engine
from data_access.scope import Scope

AT = datetime(2026, 11, 29)  # the tiny street's data_as_of (tests/conftest.py)
pytestmark = pytest.mark.usefixtures("app_env")


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
