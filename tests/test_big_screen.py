"""The big screen: every panel in both languages, public data only, stale data kept and recovered."""

from __future__ import annotations

import base64
import re
import sqlite3

import pytest

from app import big_screen_data
from app.i18n import translate
from data_access.errors import DatabaseUnreachable
from tests.apptest_helpers import payload

PANELS = ("wall", "map", "areas", "volunteers", "patrols")


pytestmark = pytest.mark.usefixtures("app_env")


@pytest.fixture(autouse=True)
def fresh_snapshots() -> None:
    big_screen_data.store.clear()  # each test starts with no snapshot


def _screen(query: str, lang: str = "zh"):
    from streamlit.testing.v1 import AppTest

    from tests.apptest_helpers import ROOT, open_url_path

    at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=60)
    at.query_params["lang"] = lang
    for pair in filter(None, query.split("&")):
        name, value = pair.split("=", 1)
        at.query_params[name] = value
    at.run()
    open_url_path(at, "big_screen").run()
    assert not at.exception
    return at


def _html(at) -> str:
    parts = []
    for block in at.get("html"):
        parts.append(block.proto.body)
        for image in re.findall(r"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)", block.proto.body):
            parts.append(base64.b64decode(image).decode())
    return "\n".join(parts)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("panel", PANELS)
def test_every_panel_renders(panel, lang) -> None:
    html = _html(_screen(f"panel={panel}", lang))
    assert translate(lang, f"bigscreen.titles.{panel}") in html
    assert translate(lang, "app.data_as_of", when="")[:4] in html  # freshness always visible
    assert "data:image/png;base64," in html  # the QR code
    assert 'class="bs-stale"' not in html


def test_community_scope_from_the_url() -> None:
    html = _html(_screen("panel=map&community=C03"))
    assert "虎头岩社区" in html
    street = _html(_screen("panel=map"))
    assert street.count("<polygon") > html.count("<polygon")  # only that community's grids


def test_public_data_only(raw) -> None:
    sent = "\n".join(payload(_screen(f"panel={p}")) + _html(_screen(f"panel={p}")) for p in PANELS)
    long_names = {n for n in set(raw["residents"]["name"]) | set(raw["officers"]["name"]) if len(n) >= 3}
    assert not {n for n in long_names if n in sent}
    assert not set(re.findall(r"\d{11}", sent)) & set(raw["residents"]["phone"])
    opted_out = set(raw["volunteers"].loc[~raw["volunteers"]["on_leaderboard"].astype(bool), "display_name"])
    assert not {n for n in opted_out if n in sent}


def test_stale_data_stays_up_and_recovers(monkeypatch) -> None:
    at = _screen("panel=wall")
    entry = next(iter(big_screen_data.store()._entries.values()))  # noqa: SLF001
    entry.snapshot.fetched_at -= 3600  # due for a refresh

    def unreachable(*args, **kwargs):
        raise DatabaseUnreachable("down for maintenance", url="x", reason="down")

    real = big_screen_data.build_snapshot
    monkeypatch.setattr(big_screen_data, "build_snapshot", unreachable)
    at.run()
    html = _html(at)
    assert 'class="bs-stale"' in html and "数据暂未更新" in html  # the badge
    assert translate("zh", "metric.received") in html  # the last data is still shown
    monkeypatch.setattr(big_screen_data, "build_snapshot", real)
    monkeypatch.setattr(big_screen_data, "RETRY_WHEN_STALE_S", 0)
    at.run()
    assert 'class="bs-stale"' not in _html(at)
    assert entry.failed_since is None


def test_database_absent_from_the_start_waits_without_an_error_page(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'not-yet.sqlite'}")
    at = _screen("panel=wall")
    html = _html(at)
    assert translate("zh", "bigscreen.waiting") in html
    assert not at.error  # the router's database gate does not apply to the big screen


def test_names_from_the_database_are_escaped(sqlite_copy, monkeypatch) -> None:
    with sqlite3.connect(sqlite_copy) as conn:
        conn.execute("UPDATE volunteers SET display_name = '<img src=x onerror=alert(1)>' WHERE volunteer_id = "
                     "(SELECT volunteer_id FROM participations GROUP BY volunteer_id ORDER BY sum(points_awarded) "
                     "DESC LIMIT 1)")
        conn.execute("UPDATE participations SET checked_in_at = datetime('2026-11-28')")
        conn.execute("UPDATE communities SET name_zh = '<b>社区</b>' WHERE community_id = 'C01'")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{sqlite_copy}")
    html = _html(_screen("panel=volunteers")) + _html(_screen("panel=map"))
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<b>社区</b>" not in html and "&lt;b&gt;社区&lt;/b&gt;" in html
