"""A fresh app process opens every public page once, before its first visitors (app/warm_start.py)."""

from __future__ import annotations

import time
import urllib.request
from pathlib import Path

import pytest

from app import registry, warm_start
from app.settings import on_off
from bench.app_server import start_server


def test_the_warm_start_opens_every_public_page_and_each_part_of_ehome_and_no_staff_page() -> None:
    opened = warm_start.views()
    public = [spec.id for spec in registry.PAGES if spec.section == "public"]
    assert list(dict.fromkeys(page for page, _ in opened)) == public
    assert [query for page, query in opened if page == "ehome"] == [""] + [
        f"tab={tab}" for tab in registry.EHOME_TABS[1:]
    ]
    assert all(registry.by_id(page).roles == registry.EVERYONE for page, _ in opened)
    assert "login" not in {page for page, _ in opened}


def test_the_warm_starts_line_says_what_it_opened_and_what_failed() -> None:
    outcome = warm_start.Outcome(opened=10, seconds=3.46, slowest=("ehome?tab=needs", 2.04))
    assert outcome.line() == "warm start: 10 views in 3.5 s, slowest ehome?tab=needs 2.0 s; none failed"
    outcome.failed = ["overview", "issue_map"]
    assert outcome.line().endswith("; failed: overview, issue_map")


@pytest.mark.parametrize(("raw", "value"), [("on", True), ("OFF", False), ("true", True), ("0", False), (False, False)])
def test_on_off_settings(raw, value) -> None:
    assert on_off(raw) is value


def test_an_on_off_setting_refuses_anything_else() -> None:
    with pytest.raises(ValueError):
        on_off("sometimes")


def _warm_line(log: Path, seconds: float = 120) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        said = warm_start.last_line(log.read_text(encoding="utf-8", errors="replace"))
        if said is not None:
            return said
        time.sleep(0.5)
    pytest.fail("no warm start line in the log:\n" + log.read_text(encoding="utf-8", errors="replace")[-3000:])


def _healthy(base: str) -> bool:
    with urllib.request.urlopen(f"{base}/_stcore/health", timeout=5) as answer:
        return answer.status == 200


def _served(db: str, log: Path, **settings: str) -> tuple[str, bool]:
    server, base = start_server(db, log=log, **settings)
    try:
        return _warm_line(log), _healthy(base)
    finally:
        server.terminate()
        server.wait(30)


def test_a_served_process_opens_every_public_view_once_by_itself(tiny_sqlite_url, tmp_path) -> None:
    line, healthy = _served(tiny_sqlite_url, tmp_path / "app.log", SYL_ANALYTICAL_COPY="on")
    assert line.startswith(f"{len(warm_start.views())} views in ") and line.endswith("none failed"), line
    assert healthy


def test_each_view_shows_what_its_url_asks_for(tiny_sqlite_url, tmp_path) -> None:
    """Each of 社区E家's parts is its own view (in one tab, the part chosen first would stay)."""
    from app.stream_client import run

    server, base = start_server(tiny_sqlite_url, SYL_WARM_START="off", SYL_ANALYTICAL_COPY="off")
    shown: dict[str, tuple[str, ...]] = {}
    try:
        wanted = [view for view in warm_start.views() if view[0] == "ehome"]
        outcome = run(warm_start.open_views(base, wanted, on_view=lambda label, v: shown.update({label: tuple(v.texts())})))
    finally:
        server.terminate()
        server.wait(30)
    assert outcome.opened == len(registry.EHOME_TABS) and not outcome.failed
    assert len(set(shown.values())) == len(registry.EHOME_TABS)  # five parts, five different pages


def test_the_warm_start_can_be_switched_off(tiny_sqlite_url, tmp_path) -> None:
    line, healthy = _served(tiny_sqlite_url, tmp_path / "app.log", SYL_WARM_START="off")
    assert line == "off (SYL_WARM_START)" and healthy


def test_a_warm_start_over_a_missing_database_names_the_views_that_failed_and_the_app_serves_on(tmp_path) -> None:
    line, healthy = _served(f"sqlite:///{tmp_path / 'nowhere' / 'feed.sqlite'}", tmp_path / "app.log")
    assert "failed: overview, issue_map, transparency" in line, line
    assert healthy


@pytest.mark.parametrize(
    ("options", "base"),
    [
        ({"server.port": 8501}, "http://127.0.0.1:8501"),
        ({"server.port": 8502, "server.address": "0.0.0.0"}, "http://127.0.0.1:8502"),
        ({"server.port": 8503, "server.address": "10.0.0.7", "server.baseUrlPath": "/dashboards/"},
         "http://10.0.0.7:8503/dashboards"),
        ({"server.port": 8504, "server.address": "::1"}, "http://[::1]:8504"),
        ({"server.port": 8505, "server.sslCertFile": "/etc/ssl/app.pem"}, None),
    ],
)
def test_the_warm_start_finds_its_own_process_where_streamlit_serves_it(monkeypatch, options, base) -> None:
    from streamlit import config

    monkeypatch.setattr(config, "get_option", lambda name: options.get(name))
    assert warm_start.own_base() == base
