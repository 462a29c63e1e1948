"""The 社区E家 page under AppTest, per role: figures equal the data layer's, staff see their scope and
masked owners and words, complaints about staff reach street officials only, a version 2 database
gets a clear message."""

from __future__ import annotations

import sqlite3

import pandas as pd
import pytest

from app import data
from app.i18n import translate
from data_access import consultations, feedback, parking, periods
from data_access.engine import make_readonly_engine
from data_access.localtime import SHANGHAI
from data_access.scope import Scope
from fixtures.resident_text import PLANTED
from tests.apptest_helpers import USERS, payload, texts
from tests.apptest_helpers import open_page as _open_page

pytestmark = pytest.mark.usefixtures("app_env")
AS_OF = pd.Timestamp("2026-11-29").to_pydatetime()


def open_page(page: str, params: dict, user=None, lang: str = "zh"):  # noqa: ANN001, ANN201
    """The page, asserting it ran without an exception and without the app's own error notice."""
    at = _open_page(page, params, user, lang)
    assert translate(lang, "error.unexpected") not in texts(at), texts(at)
    return at


def metric(at, label: str) -> str:  # noqa: ANN001
    return next(str(m.value) for m in at.metric if m.label == label)


def test_parking_tab_for_the_public_equals_the_data_layer(tiny_sqlite_url) -> None:
    at = open_page("ehome", {"tab": "parking", "period": "12m"})
    span = periods.period("12m", AS_OF, SHANGHAI)
    engine = make_readonly_engine(tiny_sqlite_url)
    figures = parking.parking_figures(engine, Scope.public_visitor(), span.since, min(span.until, AS_OF))
    assert metric(at, "未约到车位").replace(",", "") == str(figures["unmet"])
    assert metric(at, "共享车位").replace(",", "") == str(figures["spaces"])
    shown = texts(at)
    assert "每个车位（仅工作人员）" not in shown and "每位车主（仅工作人员）" not in shown
    assert all("车主" not in frame.value.columns for frame in at.dataframe)


def test_street_official_sees_spaces_masked_and_complaints(tiny_sqlite_url, raw) -> None:
    at = open_page("ehome", {"tab": "parking", "period": "12m"}, USERS["street_official"])
    everything = payload(at)
    assert "每个车位（仅工作人员）" in texts(at)
    owners = raw["residents"][raw["residents"]["resident_id"].isin(raw["parking_shares"]["owner_resident_id"])]
    assert not [n for n in owners["name"] if len(n) >= 3 and n in everything]  # whole names never
    assert not [p for p in raw["parking_bookings"]["plate"] if p in everything]
    at = open_page("ehome", {"tab": "dialogue", "period": "12m"}, USERS["street_official"])
    assert "对工作人员的投诉（仅街道领导可见）" in texts(at)
    assert "问得最多的问题（可编入常见问题解答）" in texts(at)
    span = periods.period("12m", AS_OF, SHANGHAI)
    engine = make_readonly_engine(tiny_sqlite_url)
    figures = consultations.consultation_figures(engine, Scope.street(), span.since, min(span.until, AS_OF))
    assert metric(at, "咨询").replace(",", "") == str(figures["asked"])


@pytest.mark.parametrize("role", ["community_staff", "grid_officer", "public"])
def test_complaints_about_staff_stay_with_street_officials(role) -> None:
    at = open_page("ehome", {"tab": "dialogue", "period": "12m"}, USERS[role])
    assert "对工作人员的投诉" not in texts(at)
    assert ("问得最多的问题（可编入常见问题解答）" in texts(at)) == (role != "public")  # residents' words: staff


def test_grid_officer_sees_only_their_grids_waiting_questions(raw) -> None:
    at = open_page("ehome", {"tab": "dialogue", "period": "12m"}, USERS["grid_officer"])
    names = dict(zip(raw["grids"]["grid_id"], raw["grids"]["name"]))
    others = {name for grid_id, name in names.items() if grid_id not in ("C02-G1", "C02-G2")}
    tables = "\n".join(frame.value.to_csv(index=False) for frame in at.dataframe)
    assert not [name for name in others if name in tables]


def test_needs_tab_ranks_activities_and_masks_samples_for_staff(tiny_sqlite_url) -> None:
    at = open_page("ehome", {"tab": "needs", "period": "12m"}, USERS["street_official"])
    shown = texts(at)
    span = periods.period("12m", AS_OF, SHANGHAI)
    table = feedback.theme_table(make_readonly_engine(tiny_sqlite_url), Scope.street(), span.since,
                                 min(span.until, AS_OF))
    from data_access.themes import theme

    assert theme(table["theme"].iat[0]).activity_zh in shown  # the top suggestion is the top-scored theme
    everything = payload(at)
    assert not [d for d in PLANTED if d in everything]
    public = open_page("ehome", {"tab": "needs", "period": "12m"})
    assert not [e for e in public.text if str(e.value).startswith("“")]  # no sample sentence for the public
    assert [e for e in at.text if str(e.value).startswith("“")]  # staff get them


def test_english_page_speaks_english() -> None:
    at = open_page("ehome", {"tab": "parking", "period": "90d"}, USERS["street_official"], lang="en")
    shown = texts(at)
    assert "Shared spaces" in shown and "利用率" not in shown


def test_a_version_2_database_is_told_what_it_lacks(sqlite_copy, monkeypatch) -> None:
    from data_access.contract import V3_TABLES

    with sqlite3.connect(sqlite_copy) as conn:
        for table in V3_TABLES:
            conn.execute(f"DROP TABLE {table}")
        conn.execute("ALTER TABLE parking_shares DROP COLUMN owner_resident_id")
        conn.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{sqlite_copy}")
    at = open_page("ehome", {"tab": "parking"}, USERS["street_official"])
    assert "读库契约第3版" in texts(at) and "parking_bookings" in texts(at)
    overview = open_page("overview", {}, USERS["street_official"])  # every other page still works
    assert not overview.exception
    screen = open_page("big_screen", {"panel": "ehome"})  # the panel leaves the rotation
    assert "社区E家（近 30 天）" not in payload(screen) and "bs-panel" in payload(screen)
    health = open_page("data_health", {}, USERS["admin"])
    assert "缺少社区E家的表或列（读库契约第3版）" in texts(health) or "缺少社区E家的表或列（读库契约第3版）" in payload(health)


def test_a_community_with_one_shared_space_publishes_no_utilisation(sqlite_copy, monkeypatch) -> None:
    """The public by-community table withholds a community of fewer than k spaces; choosing that
    community must not show its owner's use either."""
    with sqlite3.connect(sqlite_copy) as conn:
        spaces = [r[0] for r in conn.execute(
            "SELECT DISTINCT space_ref FROM parking_shares JOIN grids USING (grid_id) WHERE community_id = 'C03'")]
        conn.executemany("DELETE FROM parking_shares WHERE space_ref = ?", [(s,) for s in spaces[1:]])
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{sqlite_copy}")
    at = open_page("ehome", {"tab": "parking", "period": "12m", "community": "C03"})
    assert "为保护车主隐私，不公开开放时长和利用率" in texts(at)
    assert not [m for m in at.metric if m.label in ("利用率", "开放时长（小时）")]
    staff = open_page("ehome", {"tab": "parking", "period": "12m", "community": "C03"}, USERS["street_official"])
    assert [m for m in staff.metric if m.label == "利用率"]  # staff see their own scope whole


def test_big_screen_ehome_panel_shows_published_figures(tiny_sqlite_url) -> None:
    at = open_page("big_screen", {"panel": "ehome"})
    shown = payload(at)
    assert "社区E家（近 30 天）" in shown and "近 90 天居民最关心的事和建议活动" in shown
    span = periods.period("30d", AS_OF, SHANGHAI)
    figures = parking.parking_figures(make_readonly_engine(tiny_sqlite_url), Scope.public_visitor(), span.since,
                                      min(span.until, AS_OF))
    assert f"<b>{figures['unmet']:,}</b>" in shown or f">{figures['unmet']:,}<" in shown


def test_needs_tab_says_when_only_the_newest_texts_are_counted(tiny_sqlite_url, monkeypatch) -> None:  # noqa: ANN001
    with monkeypatch.context() as patched:
        patched.setattr(feedback, "MAX_TEXTS", 100)
        patched.setattr(feedback, "_held", {})
        data.forget_answers()
        for lang, said, unknown in (("zh", "只分析了最近的", "无法判断"), ("en", "were analysed", "unknown")):
            at = open_page("ehome", {"tab": "needs", "period": "12m"}, USERS["street_official"], lang=lang)
            warning = " ".join(str(w.value) for w in at.warning)
            assert said in warning and "100" in warning, warning
            trend = translate(lang, "ehome.needs.trend")
            shown = next(f.value for f in at.dataframe if trend in f.value.columns)
            assert set(shown[trend]) == {unknown}
    data.forget_answers()
    monkeypatch.setattr(feedback, "_held", {})
    at = open_page("ehome", {"tab": "needs", "period": "12m"}, USERS["street_official"])
    assert not [w for w in at.warning if "只分析了最近的" in str(w.value)]  # every text read: nothing to say
    trend = translate("zh", "ehome.needs.trend")
    shown = next(f.value for f in at.dataframe if trend in f.value.columns)
    assert set(shown[trend]) <= {"上升", "未上升"}
