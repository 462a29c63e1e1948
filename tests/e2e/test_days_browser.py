"""Every page in Chromium at 1366x768 and 390x844 on three real days (Monday 08:00, the 1st of a
month, mid-week): no cut button or label text, no 0 % from a week in progress, a map with something
drawn, and the same figure under the same label on the overview and on Transparency."""

from __future__ import annotations

import io
import re

import numpy as np
import pandas as pd
import pytest

from app.i18n import translate
from tests.e2e.conftest import SCREENSHOTS, start_server, stop_server
from tests.e2e.helpers import EXCEPTION, login, url_of, wait_ready

pytestmark = pytest.mark.e2e
DAYS = {  # the street's local time is UTC+8
    "monday_0800": "2026-11-30T00:00",
    "first_of_month": "2026-12-01T02:00",
    "midweek": "2026-11-26T06:00",
}
SIZES = {"desktop": (1366, 768), "phone": (390, 844)}
PUBLIC = ("overview", "issue_map", "transparency", "volunteers", "ehome")
STAFF = ("patrols", "watchlist", "performance")
MAPS = {"issue_map": 40, "patrols": 500, "watchlist": 20}  # data pixels at least: staff see small dots

CUT_TEXT = """() => {
    // Buttons, widget labels and metrics, and every element inside them that holds text (a button's
    // label sits in an ellipsis box inside it, cut there while the button keeps its own width).
    const roots = [...document.querySelectorAll('[data-testid="stMain"] button, [data-testid="stWidgetLabel"],'
        + ' [data-testid="stMetricLabel"], [data-testid="stMetricValue"], [data-baseweb="tag"]')];
    const boxes = roots.flatMap(root => [root, ...root.querySelectorAll('*')]).filter(el => el.textContent.trim());
    // A select box shows its chosen value in a text input (react-aria's combo box).
    const values = [...document.querySelectorAll('[data-testid="stSelectbox"] input')].filter(el => el.value);
    return [...boxes, ...values]
        .filter(el => el.offsetParent !== null)
        .filter(el => el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1)
        .map(el => (el.value || el.textContent).trim().slice(0, 30));
}"""
METRICS = """() => Object.fromEntries([...document.querySelectorAll('[data-testid="stMetric"]')].map(m => [
    m.querySelector('[data-testid="stMetricLabel"]').innerText.trim(),
    m.querySelector('[data-testid="stMetricValue"]').innerText.trim()]))"""


@pytest.fixture(scope="module", params=list(DAYS))
def day_server(request, tmp_path_factory):  # noqa: ANN001, ANN201
    from fixtures.generate import generate
    from fixtures.scales import TINY

    folder = tmp_path_factory.mktemp(request.param)
    generate(f"sqlite:///{folder / 'street.sqlite'}", TINY, 42, pd.Timestamp(DAYS[request.param]))
    process, base = start_server(f"sqlite:///{folder / 'street.sqlite'}", folder)
    yield request.param, base
    stop_server(process)


def _drawn_pixels(page) -> int:  # noqa: ANN001
    """Pixels of the first map in the data's colours (warm cells, areas, alerts; green patrol
    states), not the blue boundaries, the white ground or the pale selection tint."""
    from PIL import Image

    shot = page.locator("[data-testid='stDeckGlJsonChart']").first.screenshot()
    pixels = np.asarray(Image.open(io.BytesIO(shot)).convert("RGB")).astype(int)
    r, g, b = pixels[..., 0], pixels[..., 1], pixels[..., 2]
    return int(((r - b > 40) | ((g - b > 40) & (g > r))).sum())


def _visit(page, url: str) -> dict[str, str]:  # noqa: ANN001
    page.goto(url)
    wait_ready(page)
    page.wait_for_timeout(1200)  # charts and maps draw after the script run
    assert page.locator(EXCEPTION).count() == 0, url
    assert translate("zh", "error.unexpected") not in page.inner_text("[data-testid='stMain']")
    return page.evaluate(METRICS)


@pytest.mark.parametrize("size", list(SIZES))
def test_every_page_on_a_real_day(size, day_server, browser) -> None:
    day, base = day_server
    width, height = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    page = context.new_page()
    figures: dict[str, dict[str, str]] = {}
    login(page, base, "street", "street-demo-2026")
    compared = [translate("zh", key) for key in ("metric.received", "metric.resolution_rate", "metric.on_time_share")]
    for page_id in PUBLIC + STAFF:
        figures[page_id] = _visit(page, url_of(base, page_id))
        if page_id in MAPS and page_id != "watchlist":  # a map draws after the run that measured its width
            page.wait_for_selector("[data-testid='stDeckGlJsonChart'] canvas", state="attached", timeout=20_000)
        if page_id in ("overview", "transparency"):  # on a slow machine the tiles may come after the first wait
            page.wait_for_function(f"() => {{ const m = ({METRICS})(); return {compared!r}.every(l => l in m); }}",
                                   timeout=30_000)
            figures[page_id] = page.evaluate(METRICS)
        cut = page.evaluate(CUT_TEXT)
        assert cut == [], f"{page_id} on {day} at {size}: text cut off: {cut}"
        if page_id in MAPS and page.locator("[data-testid='stDeckGlJsonChart'] canvas").count():
            assert _drawn_pixels(page) > MAPS[page_id], f"{page_id} on {day} at {size}: the map is blank"
        elif page_id != "watchlist":  # the watchlist draws its map only while alerts are open
            assert page_id not in MAPS, f"{page_id}: no map"
        page.screenshot(path=str(SCREENSHOTS / f"day-{day}-{page_id}-{size}.png"))
    # A week in progress is never a 0 % figure: the patrol page opens on the last complete week.
    assert not [v for v in figures["patrols"].values() if re.match(r"0\.0%", v)], figures["patrols"]
    # The same label, the same number: the overview and Transparency both default to the last 30 days.
    for key in ("metric.received", "metric.resolution_rate", "metric.on_time_share"):
        label = translate("zh", key)
        assert figures["overview"][label] == figures["transparency"][label], (day, label)
    context.close()


def test_public_map_after_every_single_filter_choice_is_never_blank(day_server, browser) -> None:
    """One filter at a time, as a visitor tries them: the map draws cells or whole areas, or says
    that nothing reaches k; it never shows an empty map without a word."""
    day, base = day_server
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page = context.new_page()
    notice = translate("zh", "map.nothing_shown", total="", k="").split("，")[0][:6]
    for query in ("period=7d", "period=12m", "community=C03", "grid=C02-G1", "show=open", "cat=garbage", "channel=app"):
        _visit(page, url_of(base, "issue_map") + "&" + query)
        drawn = _drawn_pixels(page)
        said = notice in page.inner_text("[data-testid='stMain']")
        empty = translate("zh", "map.empty") in page.inner_text("[data-testid='stMain']")
        assert drawn > 500 or said or empty, f"{query} on {day}: a blank map and no word why"
        assert page.evaluate(CUT_TEXT) == [], f"{query}: a chosen value or label is cut"
    context.close()


@pytest.mark.parametrize("size", list(SIZES))
def test_english_pages_fit_too(size, day_server, browser) -> None:
    """English labels run longer ("Download Excel", "Resolved on time"): nothing cut at either size."""
    day, base = day_server
    if day != "midweek":
        pytest.skip("English is checked on one day: the words do not change with the date")
    width, height = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height}, locale="en-GB")
    page = context.new_page()
    login(page, base, "street", "street-demo-2026")
    for page_id in PUBLIC + STAFF:
        _visit(page, url_of(base, page_id, "en") + "&community=C03")
        cut = page.evaluate(CUT_TEXT)
        assert cut == [], f"{page_id} in English at {size}: text cut off: {cut}"
        page.screenshot(path=str(SCREENSHOTS / f"day-en-{page_id}-{size}.png"))
    context.close()


@pytest.mark.parametrize("screen", [(1920, 1080), (3840, 2160)], ids=["1080p", "4k"])
def test_big_screen_on_a_real_day(screen, day_server, browser) -> None:
    """The meeting-room screen on Monday morning, the 1st and mid-week: no 0 % from the week that has
    just begun, no text under 2.5 % of the height, nothing cut, no scrolling."""
    from tests.e2e.test_big_screen_browser import CUT_TEXT as SCREEN_CUT
    from tests.e2e.test_big_screen_browser import SMALLEST_TEXT

    day, base = day_server
    width, height = screen
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    for panel in ("wall", "patrols", "areas", "ehome"):
        page.goto(f"{base}/big_screen?panel={panel}&lang=zh")
        page.wait_for_selector(".bs-panel .bs-split, .bs-panel .bs-wall", timeout=60_000)
        page.wait_for_timeout(800)
        text = page.inner_text(".bs-panel")
        assert not re.search(r"(?<![\d.])0\.0%", text), f"{panel} on {day}: a 0 % figure"
        smallest = page.evaluate(SMALLEST_TEXT)
        assert smallest["min"] >= 0.025 * height - 0.5, (panel, day, smallest)
        assert page.evaluate(SCREEN_CUT) == [], (panel, day)
        assert page.evaluate("() => document.documentElement.scrollHeight - innerHeight") <= 1
        if panel == "patrols":
            assert "/7" in page.inner_text(".bs-progress")  # this week's pace, never judged as missed
        page.screenshot(path=str(SCREENSHOTS / f"day-{day}-big_screen-{panel}-{width}.png"))
    context.close()
