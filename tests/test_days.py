"""The days users meet, on demo streets whose "now" is Monday 08:00, the first of a month and a
mid-week afternoon: one number per label across pages, the big screen and the summary command;
no week in progress judged as missed."""

from __future__ import annotations

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
