"""社区E家: 政务办理 (data_access/services.py) and 门禁通行 (data_access/gates.py).

Data layer on SQLite, PostgreSQL and the analytical copy against independent pandas computations
(tests/reference.py), for the whole street, a community and a grid officer, an empty period and the
access rules; the demo's planted gates (one silent, one with night peaks) must be found. The section
renderers (app/ehome_services.py, app/ehome_gates.py) run in a small AppTest script per role.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import pandas as pd
import pytest

from data_access import gates, services
from data_access.errors import AccessDenied
from data_access.filters import IssueFilters
from data_access.localtime import SHANGHAI, zone
from data_access.scope import Scope
from tests import reference

AT = pd.Timestamp("2026-11-29").to_pydatetime()
YEAR_AGO = AT - timedelta(days=365)
STREET = Scope.street()
COMMUNITY = Scope.community("C01")
OFFICER = Scope.grids("C02-G1", "C02-G2")
SCOPES = {"street": STREET, "community": COMMUNITY, "grids": OFFICER}
PERIODS = {  # since, until, at: the whole year as the data stands; a past stretch judged at its end
    "year": (YEAR_AGO, AT, AT),
    "autumn": (datetime(2026, 9, 1), datetime(2026, 11, 20), datetime(2026, 11, 20)),
}
EMPTY = (datetime(2020, 1, 1), datetime(2020, 2, 1))


def close(found: object, expected: object) -> bool:
    missing = [v is None or (isinstance(v, float) and math.isnan(v)) for v in (found, expected)]
    if any(missing):
        return all(missing)
    return math.isclose(float(found), float(expected), rel_tol=1e-9, abs_tol=1e-9)


def communities_of(raw: dict[str, pd.DataFrame], scope: Scope) -> set[str] | None:
    """The communities a scope covers for applications (None: all, even applications without one)."""
    if scope.kind == "community":
        return {scope.community_id}
    if scope.kind == "grids":
        grids = raw["grids"]
        return set(grids.loc[grids["grid_id"].isin(scope.grid_ids), "community_id"])
    return None


def grids_of(raw: dict[str, pd.DataFrame], scope: Scope) -> set[str] | None:
    if scope.kind == "community":
        return set(raw["grids"].loc[raw["grids"]["community_id"] == scope.community_id, "grid_id"])
    if scope.kind == "grids":
        return set(scope.grid_ids)
    return None


# --- 政务办理 ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("period", PERIODS)
@pytest.mark.parametrize("who", SCOPES)
def test_service_figures_match_the_reference(engine, raw, who: str, period: str) -> None:
    since, until, at = PERIODS[period]
    scope = SCOPES[who]
    rows = reference.applications_in(raw["service_applications"], since, until, communities_of(raw, scope))
    expected = reference.service_figures(rows, raw["service_types"], at)
    found = services.service_figures(engine, scope, since, until, at)
    assert expected["applications"] > 0 and expected["decided"] > 0
    for name, value in expected.items():
        assert close(found[name], value), (name, found[name], value)
    if period == "autumn" and who == "street":
        assert found["pending"] > 0  # applications decided after the 20th were pending then


@pytest.mark.parametrize("who", SCOPES)
def test_services_by_type_match_the_reference(engine, raw, who: str) -> None:
    scope = SCOPES[who]
    rows = reference.applications_in(raw["service_applications"], YEAR_AGO, AT, communities_of(raw, scope))
    expected = reference.services_by_type(rows, raw["service_types"], AT)
    found = services.services_by_type(engine, scope, YEAR_AGO, AT, at=AT).set_index("code")
    assert set(found.index) == set(expected) and expected
    names = raw["service_types"].set_index("code")
    for code, figures in expected.items():
        assert found.loc[code, "name_zh"] == names.loc[code, "name_zh"]
        assert found.loc[code, "kind"] == names.loc[code, "kind"]
        for name, value in figures.items():
            assert close(found.loc[code, name], value), (code, name, found.loc[code, name], value)
    assert list(found["applications"]) == sorted(found["applications"], reverse=True)
    # Without `at`: decided as the data stands.
    loose = services.services_by_type(engine, scope, YEAR_AGO, AT).set_index("code")
    for code, figures in reference.services_by_type(rows, raw["service_types"]).items():
        assert loose.loc[code, "pending"] == figures["pending"]


@pytest.mark.parametrize("who", SCOPES)
def test_online_share_by_month_matches_the_reference(engine, raw, who: str) -> None:
    scope = SCOPES[who]
    rows = reference.applications_in(raw["service_applications"], YEAR_AGO, AT, communities_of(raw, scope))
    expected = reference.online_share_by_month(rows).set_index("month")
    found = services.online_share_by_month(engine, scope, SHANGHAI, YEAR_AGO, AT).set_index("month")
    assert list(found.index) == list(expected.index) and len(expected) >= 12
    for month, row in expected.iterrows():
        for name in ("applications", "online", "online_share", "median_days"):
            assert close(found.loc[month, name], row[name]), (month, name)


def test_more_applications_go_online_over_the_year(engine) -> None:
    """The demo's 数据跑腿 trend: the last quarter's online share is well above the first's."""
    months = services.online_share_by_month(engine, STREET, SHANGHAI, YEAR_AGO, AT)
    first, last = months.head(3), months.tail(3)
    assert last["online"].sum() / last["applications"].sum() > first["online"].sum() / first["applications"].sum()


@pytest.mark.parametrize("who", SCOPES)
def test_returned_applications_are_the_returned_or_refused_ones(engine, raw, who: str) -> None:
    scope = SCOPES[who]
    rows = reference.applications_in(raw["service_applications"], YEAR_AGO, AT, communities_of(raw, scope))
    found = services.returned_applications(engine, scope, YEAR_AGO, AT)
    assert set(found["application_id"]) == reference.returned_or_refused(rows) and len(found)
    assert "resident_id" not in found.columns
    assert list(found["submitted_at"]) == sorted(found["submitted_at"], reverse=True)
    assert len(services.returned_applications(engine, scope, YEAR_AGO, AT, limit=3)) == min(3, len(found))


def test_an_empty_period_has_no_figures(engine) -> None:
    figures = services.service_figures(engine, STREET, *EMPTY, AT)
    assert figures["applications"] == 0 and figures["pending"] == 0
    assert figures["online_share"] is None and figures["median_days"] is None and figures["refused_share"] is None
    assert services.services_by_type(engine, STREET, *EMPTY).empty
    assert services.online_share_by_month(engine, STREET, SHANGHAI, *EMPTY).empty
    assert services.returned_applications(engine, STREET, *EMPTY).empty


def test_service_scopes_and_areas(engine, raw) -> None:
    # A community sees its own applications only, and narrowing to another community gives nothing.
    own = services.returned_applications(engine, COMMUNITY, YEAR_AGO, AT)
    assert set(own["community_id"]) == {"C01"}
    other = IssueFilters(community_ids=("C02",))
    assert services.service_figures(engine, COMMUNITY, YEAR_AGO, AT, AT, other)["applications"] == 0
    assert services.returned_applications(engine, COMMUNITY, YEAR_AGO, AT, other).empty
    # The street narrowed to a community equals that community's own view.
    narrowed = services.service_figures(engine, STREET, YEAR_AGO, AT, AT, IssueFilters(community_ids=("C01",)))
    assert narrowed == services.service_figures(engine, COMMUNITY, YEAR_AGO, AT, AT)
    # An area of grids narrows to the communities those grids lie in.
    by_grid = services.service_figures(engine, STREET, YEAR_AGO, AT, AT, IssueFilters(grid_ids=("C01-G1",)))
    assert by_grid == narrowed
    # A grid officer: the communities of their grids; an empty grid scope sees nothing.
    assert set(services.returned_applications(engine, OFFICER, YEAR_AGO, AT)["community_id"]) == {"C02"}
    assert services.service_figures(engine, Scope.grids(), YEAR_AGO, AT, AT)["applications"] == 0
    # The public gets the street's figures, never the listing.
    public = services.service_figures(engine, Scope.public_visitor(), YEAR_AGO, AT, AT)
    assert public == services.service_figures(engine, STREET, YEAR_AGO, AT, AT)
    with pytest.raises(AccessDenied):
        services.returned_applications(engine, Scope.public_visitor(), YEAR_AGO, AT)


# --- 门禁通行 ----------------------------------------------------------------------------------------

MONTH = (AT - timedelta(days=28), AT)


@pytest.mark.parametrize("who", [*SCOPES, "public"])
def test_street_gate_totals_match_the_reference(engine, raw, who: str) -> None:
    scope = Scope.public_visitor() if who == "public" else SCOPES[who]
    rows = reference.gate_rows(raw["gate_traffic"], raw["devices"], *MONTH, grids_of(raw, scope))
    sums, days = reference.street_gate_totals(rows, *MONTH)
    found = gates.street_gate_totals(engine, scope, *MONTH, SHANGHAI)
    by_hour = found["by_hour"].set_index("hour")
    assert list(by_hour.index) == list(range(24))
    assert found["days"] == days == 29  # 28 x 24 hours from 08:00 local touch 29 local days ...
    assert list(by_hour["days"]) == list(sums["days"]) == [28] * 24  # ... and each hour 28 of them
    assert list(by_hour["entries"]) == list(sums["entries"]) and list(by_hour["exits"]) == list(sums["exits"])
    assert found["entries"] == int(rows["entries"].sum()) > 0 and found["exits"] == int(rows["exits"].sum())
    for hour in range(24):
        assert close(by_hour.loc[hour, "entries_per_day"], sums.loc[hour, "entries"] / 28)


def test_an_hours_average_is_over_the_days_it_was_seen_when_the_period_ends_mid_day(engine, raw) -> None:
    """The page's period: from a local midnight to the data's "now" at 08:00 local. The hours from
    08:00 on have not come today: averaging them over today too would lower every one of them."""
    since = AT - timedelta(days=28, hours=8)  # local midnight, 28 days before today
    rows = reference.gate_rows(raw["gate_traffic"], raw["devices"], since, AT)
    sums, days = reference.street_gate_totals(rows, since, AT)
    found = gates.street_gate_totals(engine, STREET, since, AT, SHANGHAI)
    by_hour = found["by_hour"].set_index("hour")
    assert found["days"] == days == 29
    assert list(by_hour["days"]) == list(sums["days"]) == [29] * 8 + [28] * 16
    assert close(by_hour.loc[20, "entries_per_day"], sums.loc[20, "entries"] / 28)
    hourly = gates.gate_hourly(engine, STREET, since, AT, SHANGHAI)
    expected = reference.gate_hourly(rows[rows["grid_id"].notna()], since, AT).set_index(["device_id", "hour"])
    for key, row in hourly.set_index(["device_id", "hour"]).iterrows():
        assert row["days"] == expected.loc[key, "days"] and close(row["entries_per_day"],
                                                                 expected.loc[key, "entries_per_day"]), key


def test_gate_hours_are_the_streets_local_hours(engine) -> None:
    """Stored hours are UTC: read in UTC, local 08:00 Shanghai is hour 0."""
    local = gates.street_gate_totals(engine, STREET, *MONTH, SHANGHAI)["by_hour"].set_index("hour")
    utc = gates.street_gate_totals(engine, STREET, *MONTH, zone("UTC"))["by_hour"].set_index("hour")
    for hour in range(24):
        assert utc.loc[hour, "entries"] == local.loc[(hour + 8) % 24, "entries"]
    assert local["entries"].idxmax() in range(17, 21)  # the evening peak, home from work


@pytest.mark.parametrize("who", SCOPES)
def test_gate_hourly_matches_the_reference(engine, raw, who: str) -> None:
    scope = SCOPES[who]
    rows = reference.gate_rows(raw["gate_traffic"], raw["devices"], *MONTH, grids_of(raw, scope))
    rows = rows[rows["grid_id"].notna()]
    expected = reference.gate_hourly(rows, *MONTH).set_index(["device_id", "hour"])
    found = gates.gate_hourly(engine, scope, *MONTH, SHANGHAI).set_index(["device_id", "hour"])
    assert set(found.index) == set(expected.index) and len(expected)
    for key, row in expected.iterrows():
        assert found.loc[key, "entries"] == row["entries"] and found.loc[key, "days"] == row["days"]
        assert close(found.loc[key, "entries_per_day"], row["entries_per_day"]), key
    allowed = grids_of(raw, scope)
    if allowed is not None:
        assert set(found["grid_id"]) <= allowed


@pytest.mark.parametrize("who", SCOPES)
def test_gate_anomalies_match_the_reference(engine, raw, who: str) -> None:
    scope = SCOPES[who]
    expected = reference.gate_anomalies(raw["gate_traffic"], raw["devices"], AT, grids_of(raw, scope))
    found = gates.gate_anomalies(engine, scope, AT, SHANGHAI).set_index("device_id")
    assert set(found.index) == set(expected.index) and len(expected)
    for device, row in expected.iterrows():
        for name in ("entries_24h", "hours_24h", "baseline_per_day", "night_7d", "night_baseline"):
            assert close(found.loc[device, name], row[name]), (device, name)
        assert bool(found.loc[device, "silent"]) == row["silent"], device
        assert bool(found.loc[device, "night_peak"]) == row["night_peak"], device
    assert list(found["flagged"]) == sorted(found["flagged"], reverse=True)  # flagged gates first


def test_the_demos_planted_gates_are_found(engine, raw) -> None:
    """One gate counted nothing for the last 36 hours; one has night peaks these five nights."""
    traffic, devices = raw["gate_traffic"], raw["devices"]
    recent = traffic[traffic["hour_start"] >= pd.Timestamp(AT) - pd.Timedelta(hours=36)]
    totals = recent.groupby("device_id")[["entries", "exits"]].sum().sum(axis=1)
    planted_silent = set(totals[totals == 0].index)
    assert len(planted_silent) == 1
    found = gates.gate_anomalies(engine, STREET, AT, SHANGHAI).set_index("device_id")
    silent = found[found["silent"]]
    assert set(silent.index) == planted_silent
    assert list(silent["silent_reason"]) == ["no_entries"]
    night = traffic[(traffic["hour_start"] >= pd.Timestamp(AT) - pd.Timedelta(days=5))]
    night = night[reference.local(night["hour_start"]).dt.hour.isin([1, 2, 3])]
    planted_night = night.groupby("device_id")["entries"].sum().idxmax()
    assert set(found.index[found["night_peak"]]) == {planted_night}
    # Offline gates that send nothing are not "silent": the offline list has them already.
    offline = set(devices.loc[(devices["kind"] == "face_gate") & (devices["status"] == "offline"), "device_id"])
    assert offline and not (offline & set(silent.index))


def test_gates_scopes_and_empty_periods(engine, raw) -> None:
    for staff_only in (gates.gate_hourly, gates.gate_anomalies):
        args = (*MONTH, SHANGHAI) if staff_only is gates.gate_hourly else (AT, SHANGHAI)
        with pytest.raises(AccessDenied):
            staff_only(engine, Scope.public_visitor(), *args)
    own = set(raw["grids"].loc[raw["grids"]["community_id"] == "C01", "grid_id"])
    assert set(gates.gate_anomalies(engine, COMMUNITY, AT, SHANGHAI)["grid_id"]) <= own
    other = IssueFilters(community_ids=("C02",))
    assert gates.gate_anomalies(engine, COMMUNITY, AT, SHANGHAI, other).empty
    assert gates.gate_hourly(engine, COMMUNITY, *MONTH, SHANGHAI, other).empty
    assert gates.gate_hourly(engine, Scope.grids(), *MONTH, SHANGHAI).empty
    empty = gates.street_gate_totals(engine, STREET, *EMPTY, SHANGHAI)
    assert empty["days"] == 0 and empty["entries"] == 0 and len(empty["by_hour"]) == 24
    assert gates.gate_hourly(engine, STREET, *EMPTY, SHANGHAI).empty


# --- section renderers ---------------------------------------------------------------------------


def _sections(role: str, lang: str, community: str, grid: str) -> None:
    """An AppTest script: both sections for `role`, as the 社区E家 page would call them."""
    from datetime import datetime

    from app import formatting
    from app.audience import Audience
    from app.context import PageContext
    from app.ehome_gates import render_gates
    from app.ehome_services import render_services
    from app.settings import load_settings
    from data_access.filters import IssueFilters
    from tests.apptest_helpers import USERS

    settings = load_settings()
    ctx = PageContext(
        lang=lang, audience=Audience(USERS[role], settings.small_cell_k), settings=settings, page_id="ehome"
    )
    formatting.use_zone(ctx.zone)
    area = IssueFilters(community_ids=(community,) if community else (), grid_ids=(grid,) if grid else ())
    since, until = datetime(2025, 11, 29), datetime(2026, 11, 29)
    render_services(ctx, since, until, area)
    render_gates(ctx, since, until, area)


SECTION_SINCE, SECTION_UNTIL = YEAR_AGO, AT


def run_sections(role: str, lang: str = "zh", community: str = "", grid: str = ""):  # noqa: ANN201
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_sections, args=(role, lang, community, grid), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def metric(at, label: str) -> str:  # noqa: ANN001
    from tests.apptest_helpers import rendered

    return rendered(next(m.value for m in at.metric if m.label == label))


@pytest.mark.usefixtures("app_env")
def test_the_public_sees_the_streets_figures_and_no_listing(raw) -> None:
    from tests.apptest_helpers import payload, texts

    at = run_sections("public")
    shown = texts(at)
    rows = reference.applications_in(raw["service_applications"], SECTION_SINCE, SECTION_UNTIL)
    assert metric(at, "申请件数") == f"{len(rows):,}"
    assert "全街道各时段日均进出人次" in shown
    assert "退回补正或不予办理的申请" not in shown and "异常门禁" not in shown  # staff only
    assert len(at.get("plotly_chart")) == 2  # the monthly trend and the street's hours
    everything = payload(at)
    assert "resident" not in everything
    for name in raw["residents"]["name"].head(200):
        assert name not in everything


@pytest.mark.usefixtures("app_env")
def test_a_street_official_sees_each_returned_application_and_the_planted_gates(raw, downloads) -> None:
    from tests.apptest_helpers import texts

    at = run_sections("street_official")
    rows = reference.applications_in(raw["service_applications"], SECTION_SINCE, SECTION_UNTIL)
    listed = next(f.value for f in at.dataframe if "退回次数" in f.value.columns)
    assert set(listed["编号"]) == {f"#{i}" for i in reference.returned_or_refused(rows)}
    flagged = next(f.value for f in at.dataframe if "原因" in f.value.columns)
    expected = reference.gate_anomalies(raw["gate_traffic"], raw["devices"], AT)
    expected = expected[expected["silent"] | expected["night_peak"]]
    assert set(flagged["设备"]) == {f"#{d}" for d in expected.index} and len(expected) == 2
    reasons = " ".join(flagged["原因"])
    assert "无人进入" in reasons and "0–5 时" in reasons
    assert metric(at, "异常门禁") == "2"
    assert "各门禁各时段日均进入人次" in texts(at) and len(at.get("plotly_chart")) == 2
    names = {name for name, *_ in downloads}
    assert {"services_returned.csv", "gate_anomalies.csv", "services_by_type.csv"} <= names
    assert all(on_click is not None and on_click != "ignore" for _, _, on_click, _ in downloads)


@pytest.mark.usefixtures("app_env")
def test_community_staff_see_their_community_only(raw) -> None:
    at = run_sections("community_staff")
    names = dict(zip(raw["communities"]["community_id"], raw["communities"]["name_zh"], strict=True))
    listed = next(f.value for f in at.dataframe if "退回次数" in f.value.columns)
    assert set(listed["社区"]) == {names["C01"]}
    own_grids = set(raw["grids"].loc[raw["grids"]["community_id"] == "C01", "name"])
    flagged = [f.value for f in at.dataframe if "原因" in f.value.columns]
    assert not flagged or set(flagged[0]["网格"]) <= own_grids
    rows = reference.applications_in(raw["service_applications"], SECTION_SINCE, SECTION_UNTIL, {"C01"})
    assert metric(at, "申请件数") == f"{len(rows):,}"


@pytest.mark.usefixtures("app_env")
def test_the_sections_in_english_and_for_a_grid(raw) -> None:
    from tests.apptest_helpers import texts

    at = run_sections("street_official", "en", grid="C01-G1")
    shown = texts(at)
    assert "Government services" in shown and "Gate traffic" in shown
    assert "for a grid, its community's applications are shown" in shown
    assert "services." not in shown and "gates." not in shown  # no key without its text
    rows = reference.applications_in(raw["service_applications"], SECTION_SINCE, SECTION_UNTIL, {"C01"})
    assert metric(at, "Applications") == f"{len(rows):,}"
