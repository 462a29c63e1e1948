"""The big screen in Chromium at 1920x1080 and 3840x2160: every panel, no scrolling, rotation."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import SCREENSHOTS
from tests.e2e.helpers import EXCEPTION

pytestmark = pytest.mark.e2e
SIZES = {"1080p": (1920, 1080), "4k": (3840, 2160)}
PANELS = ("wall", "map", "areas", "volunteers", "patrols", "ehome")


def _open(browser, server, width, height, query):  # noqa: ANN001, ANN202
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.goto(f"{server}/big_screen?{query}")
    page.wait_for_selector(".bs-panel", timeout=30_000)
    page.wait_for_timeout(1500)
    return context, page


SMALLEST_TEXT = """() => {
    let min = 1e9, what = '';
    for (const el of document.querySelectorAll('.bs, .bs *')) {
        const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
        if (!own || !el.getBoundingClientRect().width) continue;
        const size = parseFloat(getComputedStyle(el).fontSize);
        if (size < min) { min = size; what = el.textContent.trim().slice(0, 40); }
    }
    return {min, what};
}"""
CUT_TEXT = """() => [...document.querySelectorAll('.bs *')]
    .filter(el => [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()))
    .filter(el => el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflow !== 'visible')
    .map(el => el.textContent.trim().slice(0, 40))"""


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize(
    ("panel", "scope"), [(p, "") for p in PANELS] + [(p, "C03") for p in ("map", "areas", "patrols", "ehome")]
)
def test_panel_fills_the_screen_without_scrolling(panel, scope, size, server, browser) -> None:
    width, height = SIZES[size]
    query = f"panel={panel}&lang=zh" + (f"&community={scope}" if scope else "")
    context, page = _open(browser, server, width, height, query)
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
    smallest = page.evaluate(SMALLEST_TEXT)
    assert smallest["min"] >= 0.025 * height - 0.5, f"text under 2.5 % of the screen's height: {smallest}"
    assert page.evaluate(CUT_TEXT) == [], "text cut off"
    panel_bottom = page.evaluate(
        "() => Math.max(...[...document.querySelectorAll('.bs-panel *')].map(e => e.getBoundingClientRect().bottom))"
    )
    panel_box = page.evaluate("() => document.querySelector('.bs-panel').getBoundingClientRect().bottom")
    assert panel_bottom <= panel_box + 1, "the panel's content runs past its box (cut by the screen)"
    page.screenshot(path=str(SCREENSHOTS / f"big_screen-{panel}{'-' + scope if scope else ''}-{size}.png"))
    context.close()


def test_panels_rotate_by_themselves(server, browser) -> None:
    context, page = _open(browser, server, 1920, 1080, "rotate=3&lang=en")
    titles = set()
    for _ in range(6):  # 6 looks 3.5 s apart: a slow rerun under load still shows 3 or more panels
        titles.add(page.inner_text(".bs-panel h2"))
        page.wait_for_timeout(3500)
    assert len(titles) >= 3, f"the panels did not rotate: {titles}"
    context.close()
