"""The days users meet, on demo streets whose "now" is Monday 08:00, the first of a month and a
mid-week afternoon: one number per label across pages, the big screen and the summary command;
no week in progress judged as missed."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from app import big_screen_data
from app.i18n import translate
from data_access import localtime, periods
from data_access.summary import build_summary
from fixtures.generate import generate
from fixtures.scales import TINY
from tests.apptest_helpers import USERS, open_page, rendered, run_app

DAYS = {  # UTC instants; Chongqing is 8 hours ahead
    "monday_0800": "2026-11-30T00:00",
    "first_of_month": "2026-12-01T02:00",
    "midweek": "2026-11-26T06:00",
}
SHANGHAI = localtime.zone("Asia/Shanghai")


@pytest.fixture(scope="module", params=list(DAYS))
def day(request, tmp_path_factory) -> tuple[str, pd.Timestamp]:
    as_of = pd.Timestamp(DAYS[request.param])
    path = tmp_path_factory.mktemp("days") / f"{request.param}.sqlite"
    generate(f"sqlite:///{path}", TINY, 42, as_of)
    return f"sqlite:///{path}", as_of


@pytest.fixture
def on_day(day, app_env, monkeypatch) -> pd.Timestamp:
    url, as_of = day
    monkeypatch.setenv("DATABASE_URL", url)
    big_screen_data.store.clear()
    return as_of


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: rendered(m.value) for m in at.metric}


def _page(page: str, user=None, **params: str) -> AppTest:  # noqa: ANN001
    return open_page(page, params, user)


def _wall(at: AppTest) -> dict[str, str]:
    """The big screen's wall of figures: label -> value."""
    body = "\n".join(block.proto.body for block in at.get("html"))
    tiles = re.findall(r'<div class="label">(.*?)</div><div class="value[^"]*">(.*?)</div>', body)
    return {label: value for label, value in tiles}


def test_the_same_label_gives_the_same_number_everywhere(on_day, day) -> None:
    url, as_of = day
    t = lambda key: translate("zh", key)  # noqa: E731
    overview = _metrics(_page("overview"))
    transparency = _metrics(_page("transparency"))  # its default period is 近 30 天
    screen = _wall(_page("big_screen", panel="wall"))
    summary = build_summary(url, period_key="30d")
    received = f"{summary['received']:,}"
    rate = f"{summary['resolution_rate']:.1%}"
    on_time = f"{summary['on_time_share']:.1%}"
    assert overview[t("metric.received")] == transparency[t("metric.received")] == screen[t("metric.received")]
    assert overview[t("metric.received")] == received
    for label, value in ((t("metric.resolution_rate"), rate), (t("metric.on_time_share"), on_time)):
        assert overview[label] == transparency[label] == screen[label] == value, label
    median = overview[t("metric.median_time")]
    assert transparency[t("metric.median_time")] == screen[t("metric.median_time")] == median
    # 本月志愿积分: the overview, the Volunteers page's default period and the big screen.
    volunteers = _metrics(_page("volunteers"))
    points = overview[t("metric.volunteer_points")]
    assert volunteers[t("volunteers.points")] == screen[t("volunteers.points")] == points


def test_summary_period_is_the_pages_period(day) -> None:
    url, as_of = day
    for key in ("7d", "30d", "month", "last_week"):
        span = periods.period(key, as_of.to_pydatetime(), SHANGHAI)
        summary = build_summary(url, period_key=key)
        assert (summary["since"], summary["until"]) == (span.first_day.isoformat(), span.last_day.isoformat())
        assert summary == build_summary(url, span.first_day, span.last_day) | {"period": key}


def test_patrols_open_on_the_last_complete_week_and_never_call_this_week_missed(on_day) -> None:
    as_of = on_day.to_pydatetime()
    progress = periods.week_progress(as_of, SHANGHAI)
    last = periods.last_complete_week(as_of, SHANGHAI)
    at = run_app("patrols", USERS["street_official"])
    shown = _metrics(at)
    last_label = translate("zh", "patrols.compliance_of_week", week=last.isocalendar()[1])
    assert last_label in shown and not shown[last_label].startswith("—")
    assert not any(label.startswith("本周") for label in shown)
    assert at.selectbox(key="patrol_week").value == last
    note = next(info.value for info in at.info if "本周进行中" in info.value)
    assert f"已过 {progress.days_gone}/7 天" in note

    at.selectbox(key="patrol_week").select(progress.monday).run()
    shown = _metrics(at)
    on_pace = translate("zh", "patrols.on_pace_week", days=progress.days_gone)
    assert on_pace in shown
    assert translate("zh", "patrols.behind") in shown and translate("zh", "patrols.missed") not in shown
    table = next(f.value for f in at.dataframe if translate("zh", "patrols.col.share") in f.value.columns)
    this_week = next(c for c in table.columns if "进行中" in str(c))
    assert not table[this_week].str.startswith("✗").any()  # the week in progress: never ✗
    if progress.days_gone == 1:  # Monday: nobody can be behind yet
        assert shown[translate("zh", "patrols.behind")] == "0"
        assert shown[on_pace] == "100.0%"


def test_overview_and_patrols_agree_on_last_week(on_day) -> None:
    overview = _metrics(run_app("overview", USERS["street_official"]))
    patrol_page = _metrics(run_app("patrols", USERS["street_official"]))
    last = periods.last_complete_week(on_day.to_pydatetime(), SHANGHAI)
    week_label = translate("zh", "patrols.compliance_of_week", week=last.isocalendar()[1])
    assert overview[translate("zh", "metric.patrol_compliance_last_week")] == patrol_page[week_label]


def test_the_month_caption_names_its_days(on_day) -> None:
    month = periods.period("month", on_day.to_pydatetime(), SHANGHAI)
    caption = " ".join(c.value for c in _page("volunteers").caption)
    for day in (month.first_day, month.last_day):  # on the 1st: the same day twice, never an empty month
        assert f"{day.year}年{day.month:02d}月{day.day:02d}日" in caption


def _monthly_ticks(at: AppTest) -> list[list[str]]:
    """The month ticks of every monthly trend the page drew (app/trend_months.py gives them their months)."""
    found = []
    for element in at.get("plotly_chart"):
        axis = json.loads(element.proto.spec)["layout"].get("xaxis", {})
        if "categoryarray" in axis:
            found.append(list(axis["ticktext"]))
    return found


@pytest.mark.parametrize(
    "page, params, user",
    [
        ("transparency", {}, "public"),
        ("volunteers", {"period": "year"}, "public"),
        ("ehome", {"tab": "parking"}, "public"),
        ("ehome", {"tab": "dialogue"}, "public"),
        ("ehome", {"tab": "services"}, "street_official"),
        ("performance", {}, "street_official"),
    ],
)
def test_every_monthly_trend_ends_with_this_month_so_far(on_day, page, params, user) -> None:
    """Twelve months in every trend, the last the data's own month marked 至今 (on the 1st it holds
    one day, and drawn as a whole month it would look like a collapse), no other month marked."""
    month = periods.month_key(periods.today(on_day.to_pydatetime(), SHANGHAI))
    trends = _monthly_ticks(_page(page, USERS[user], **params))
    assert trends, "no monthly trend drawn"
    for ticks in trends:
        assert len(ticks) == 12
        assert ticks[-1] == translate("zh", "period.so_far", month=month)
        assert not [tick for tick in ticks[:-1] if "至今" in tick]


def test_volunteer_stars_on_the_big_screen_are_last_months_until_this_month_has_some(on_day, day) -> None:
    url, as_of = day
    month = periods.period("month", as_of.to_pydatetime(), SHANGHAI)
    nothing_yet = not big_screen_data.build_snapshot(url, None, 5).volunteer_totals.get("check_ins")
    body = "\n".join(block.proto.body for block in _page("big_screen", panel="volunteers").get("html"))
    t = lambda key: translate("zh", key)  # noqa: E731
    shown = periods.last_whole_month(as_of.to_pydatetime(), SHANGHAI) if nothing_yet else month
    assert (t("bigscreen.titles.volunteers_last_month") in body) is nothing_yet
    assert (t("bigscreen.titles.volunteers") in body) is not nothing_yet
    first, last = shown.first_day, shown.last_day
    assert f"{first.year}年{first.month:02d}月{first.day:02d}日 至 {last.year}年{last.month:02d}月{last.day:02d}日" in body
    if nothing_yet:
        assert t("volunteers.empty") not in body  # last month's stars, not an empty board


def test_the_volunteers_page_draws_no_bars_of_zeros(on_day, day) -> None:
    """本月 on the 1st has nothing yet: the board says so, and no chart of zero bars stands beside it."""
    url, _ = day
    recorded = bool(big_screen_data.build_snapshot(url, None, 5).volunteer_totals.get("check_ins"))
    at = _page("volunteers")  # its default period is 本月
    headings = [h.value for h in at.subheader]
    t = lambda key: translate("zh", key)  # noqa: E731
    for heading in (t("volunteers.by_kind"), t("volunteers.per_thousand")):
        assert (heading in headings) is recorded, heading
    assert (t("volunteers.empty") in [i.value for i in at.info]) is not recorded
    assert len(_monthly_ticks(at)) == 1  # the year's trend is drawn every day
