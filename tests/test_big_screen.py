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
    assert "data:image/png;base64," not in html  # no QR code while the public address is not set
    assert 'class="bs-stale"' not in html


def test_qr_code_only_once_the_public_address_is_set(monkeypatch) -> None:
    monkeypatch.setenv("SYL_PUBLIC_URL", "https://shiyoulu.example.cn/")
    html = _html(_screen("panel=wall"))
    assert "data:image/png;base64," in html and "https://shiyoulu.example.cn/" in html
    monkeypatch.setenv("SYL_PUBLIC_URL", "localhost:8501")  # not an address a phone can open: refused
    html = _html(_screen("panel=wall"))
    assert "data:image/png;base64," not in html


def test_no_text_below_a_fortieth_of_the_screen_height() -> None:
    """Every font size of the screen's CSS is at least 2.5 vh, and every text of its pictures too
    (their viewBox counts UNIT units per vh of the box they are drawn in)."""
    from app import big_screen_html, big_screen_svg

    sizes = [float(v) for v in re.findall(r"font-size:\s*([\d.]+)vh", big_screen_html.CSS)]
    assert sizes and min(sizes) >= 2.5, sorted(sizes)[:3]
    assert not re.search(r"font-size:\s*[\d.]+(px|pt|em|rem)", big_screen_html.CSS)
    for panel in PANELS:
        for lang in ("zh", "en"):
            svgs = _html(_screen(f"panel={panel}", lang)).split("<svg")[1:]
            if panel != "map":
                assert svgs, f"{panel} has no trend"
            for picture in svgs:
                boxes = re.findall(r'viewBox="0 0 ([\d.]+) ([\d.]+)"', picture)
                assert boxes, "a picture not drawn in screen units"
                fonts = [float(v) for v in re.findall(r'font-size="([\d.]+)"', picture)]
                assert fonts and min(fonts) >= 2.5 * big_screen_svg.UNIT, (panel, lang, min(fonts))


def test_single_community_screen_shows_its_grids_against_the_street(raw) -> None:
    grids = raw["grids"]
    own = set(grids.loc[grids["community_id"] == "C03", "name"])
    others = set(grids.loc[grids["community_id"] != "C03", "name"])
    for panel in ("areas", "patrols"):
        html = _html(_screen(f"panel={panel}&community=C03"))
        assert translate("zh", f"bigscreen.titles.{panel}_grids") in html
        rows = set(re.findall(r'<div>([^<]+)</div><div class="bs-bar">', html))
        assert rows <= own and not rows & others, rows  # a bar per grid of the community, none of another
        withheld = re.search(r"另有 (\d+) 个区域", html) if panel == "areas" else None
        assert rows or withheld, "neither bars nor the count of grids withheld"  # a tiny street's 30 days
        if panel == "patrols":
            assert rows == own  # patrols are no one's personal data: every grid has its bar
    areas = _html(_screen("panel=areas&community=C03"))
    assert re.search(translate("zh", "transparency.baseline") + r" \d+\.\d%", areas)  # the street, in the key
    assert ('class="reference"' in areas) == ('class="bs-bar"' in areas)  # and as a mark on every bar
    street = _html(_screen("panel=areas"))
    assert 'class="bs-bar"' in street and 'class="reference"' not in street  # the street is its own reference


def test_patrols_panel_judges_only_ended_weeks_and_shows_this_weeks_pace(raw) -> None:
    html = _html(_screen("panel=patrols"))
    progress = re.search(r'<div class="bs-progress">.*?<b>(\d)/7</b>', html)
    assert progress, "this week's progress is not on the screen"
    counts = dict(re.findall(r'<div class="label">([^<]+)</div><div class="value[^"]*">([\d,]+)</div>', html))
    states = [translate("zh", f"patrols.states.{s}") for s in ("done", "on_pace", "behind")]
    assert set(states) <= set(counts)
    assert translate("zh", "patrols.states.missed") not in counts  # never "missed" in a week not over
    assert sum(int(counts[s]) for s in states) == len(raw["grids"])  # every grid in one state


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
