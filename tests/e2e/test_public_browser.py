"""Public pages in Chromium at a desktop and a phone size: render, no errors, nothing wider than the screen."""

from __future__ import annotations

import pytest

from app.i18n import translate
from tests.e2e.conftest import SCREENSHOTS
from tests.e2e.helpers import EXCEPTION, main_text, screenshot, url_of, wait_ready

pytestmark = pytest.mark.e2e
SIZES = {"desktop": (1366, 768), "phone": (390, 844)}
PAGES = ("overview", "issue_map", "transparency", "volunteers")


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("page_id", PAGES)
def test_public_page_at_size(page_id, size, server, browser) -> None:
    width, height = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN",
                                  is_mobile=size == "phone", has_touch=size == "phone")
    page = context.new_page()
    page.goto(url_of(server, page_id) + ("&period=90d" if page_id != "overview" else ""))
    wait_ready(page)
    page.wait_for_timeout(1500)  # charts and the map draw after the script run
    text = main_text(page)
    assert page.locator(EXCEPTION).count() == 0
    assert translate("zh", "error.unexpected") not in text and "Error" not in text.split("\n")[0]
    if page_id == "issue_map":
        assert page.locator("[data-testid='stDeckGlJsonChart'] canvas").count() >= 1, "the map did not draw"
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"{page_id} is {overflow}px wider than a {size} screen"
    screenshot(page, str(SCREENSHOTS / f"public-{page_id}-{size}.png"))
    context.close()
