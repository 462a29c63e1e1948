"""The big screen in Chromium at 1920x1080 and 3840x2160: every panel, no scrolling, rotation."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import SCREENSHOTS
from tests.e2e.helpers import EXCEPTION

pytestmark = pytest.mark.e2e
SIZES = {"1080p": (1920, 1080), "4k": (3840, 2160)}
PANELS = ("wall", "map", "areas", "volunteers", "patrols")


def _open(browser, server, width, height, query):  # noqa: ANN001, ANN202
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.goto(f"{server}/big_screen?{query}")
    page.wait_for_selector(".bs-panel", timeout=30_000)
    page.wait_for_timeout(1500)
    return context, page


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("panel", PANELS)
def test_panel_fills_the_screen_without_scrolling(panel, size, server, browser) -> None:
    width, height = SIZES[size]
    context, page = _open(browser, server, width, height, f"panel={panel}&lang=zh")
    assert page.locator(EXCEPTION).count() == 0
    scroll = page.evaluate("""() => {
        const main = document.querySelector('[data-testid="stMain"]');
        return {x: document.documentElement.scrollWidth - innerWidth, y: document.documentElement.scrollHeight - innerHeight,
                inner: main ? main.scrollHeight - main.clientHeight : 0};
    }""")
    assert scroll["x"] <= 1 and scroll["y"] <= 1 and scroll["inner"] <= 1, f"{panel} at {size} scrolls: {scroll}"
    assert not page.locator("[data-testid='stSidebar']").is_visible()
    footer_bottom = page.evaluate("() => document.querySelector('.bs-foot').getBoundingClientRect().bottom")
    assert footer_bottom <= height + 1, "the QR code and panel dots are cut off"
    page.screenshot(path=str(SCREENSHOTS / f"big_screen-{panel}-{size}.png"))
    context.close()


def test_panels_rotate_by_themselves(server, browser) -> None:
    context, page = _open(browser, server, 1920, 1080, "rotate=3&lang=en")
    titles = set()
    for _ in range(6):  # 6 looks 3.5 s apart: a slow rerun under load still shows 3 or more panels
        titles.add(page.inner_text(".bs-panel h2"))
        page.wait_for_timeout(3500)
    assert len(titles) >= 3, f"the panels did not rotate: {titles}"
    context.close()
