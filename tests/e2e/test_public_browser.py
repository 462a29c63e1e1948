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


@pytest.mark.parametrize(("label", "check"), [("CSV", "csv"), ("Excel", "xlsx")])
def test_download_buttons_deliver_the_table(label, check, server, browser) -> None:
    """The files are made when clicked (deferred), so only a real click proves they arrive."""
    import io

    import pandas as pd

    context = browser.new_context(viewport={"width": 1366, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.goto(url_of(server, "transparency") + "&period=90d")
    wait_ready(page)
    button = page.locator("[data-testid='stDownloadButton'] button", has_text=label).first
    with page.expect_download(timeout=30_000) as info:
        button.click()
    body = open(info.value.path(), "rb").read()  # noqa: PTH123, SIM115 - a temporary file of playwright's
    frame = pd.read_csv(io.BytesIO(body)) if check == "csv" else pd.read_excel(io.BytesIO(body))
    assert len(frame) > 0 and len(frame.columns) > 1
    assert any("\u4e00" <= ch <= "\u9fff" for ch in "".join(frame.columns)), "headers are in the page's language"
    context.close()
