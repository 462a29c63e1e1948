"""Planted markup in a real browser: the page never fetches from the planted host and never holds a
link or an image pointing there, for the public and for a street official who opens a person.

Issue 12 saw the street official's browser fetch an outside image from a resident's name."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app import registry
from app.i18n import translate
from tests.e2e.conftest import SCREENSHOTS, start_server, stop_server
from tests.e2e.helpers import EXCEPTION, login, main_text, screenshot, url_of, wait_ready
from tests.planted import HOST, plant

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def planted_server(demo_db, tmp_path_factory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("planted_e2e")
    database = plant(Path(demo_db.removeprefix("sqlite:///")), folder / "planted.sqlite")
    process, base = start_server(f"sqlite:///{database}", folder)
    yield base
    stop_server(process)


def _visit_all(page, base: str, role: str, asked: list[str]) -> None:
    for spec in registry.PAGES:
        if role != "street_official" and spec.id in ("patrols", "watchlist", "performance"):
            continue
        page.goto(url_of(base, spec.id))
        wait_ready(page)
        assert page.locator(EXCEPTION).count() == 0, spec.id
        assert translate("zh", "error.unexpected") not in main_text(page), spec.id
        if spec.id == "watchlist":  # open a person and reveal them: their name is planted
            picker = page.get_by_role("combobox", name=translate("zh", "watchlist.pick"))
            picker.click()
            picker.press("ArrowDown")
            picker.press("Enter")
            wait_ready(page)
            page.get_by_text(translate("zh", "watchlist.reveal")).first.click()
            wait_ready(page)
            assert HOST in main_text(page)  # shown, as text
        assert page.locator(f"a[href*='{HOST}'], img[src*='{HOST}'], [style*='{HOST}']").count() == 0, spec.id
        screenshot(page, str(SCREENSHOTS / f"planted-{role}-{spec.id}.png"))
    assert not asked, f"the browser asked the planted host for: {asked[:3]}"


@pytest.mark.parametrize("role", ["public", "street_official"])
def test_planted_markup_fetches_nothing_and_links_nowhere(role, planted_server, browser) -> None:
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    asked: list[str] = []
    context.on("request", lambda request: asked.append(request.url) if HOST in request.url else None)
    page = context.new_page()
    if role == "street_official":
        login(page, planted_server, "street", "street-demo-2026")
    _visit_all(page, planted_server, role, asked)
    context.close()
