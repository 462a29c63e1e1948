"""Staff workflow in a real browser: a to-do card's link opens the list of its count, and a click on
a row of the issue list opens that issue's timeline beside the map, in the URL too."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import SCREENSHOTS
from tests.e2e.helpers import EXCEPTION, login, main_text, screenshot, url_of, wait_ready

pytestmark = pytest.mark.e2e


def card_count(text: str, label: str) -> int:
    found = re.search(re.escape(label) + r"\s+([\d,]+)", text)
    assert found, f"no card {label!r} in the page"
    return int(found.group(1).replace(",", ""))


def wait_for_card(page, label: str, timeout_ms: int = 30_000) -> int:
    """The card's count once drawn: the label can be on the page a moment before its number."""
    page.wait_for_function(
        "([pattern]) => { const main = document.querySelector('[data-testid=\"stMain\"]');"
        " return main && new RegExp(pattern).test(main.innerText); }",
        arg=[re.escape(label) + r"\s+[\d,]+"],
        timeout=timeout_ms,
    )
    return card_count(main_text(page), label)


def test_a_to_do_link_and_a_row_click_reach_the_case(server, browser) -> None:
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = context.new_page()
    login(page, server, "street", "street-demo-2026")
    # A session that has used the map already (one officer's issues, one issue open): a link followed
    # later must open its own list, not what the map kept from before.
    page.goto(url_of(server, "issue_map") + "&officer=5&period=90d&issue=1")
    wait_ready(page)
    page.get_by_role("link", name="总览").first.click()  # within the same session, as a user would
    page.wait_for_url(lambda url: "issue_map" not in url)
    wait_ready(page)
    overdue = wait_for_card(page, "超时未办结问题")  # the to-do cards come after the figures
    page.locator("a[href*='show=overdue']", has_text="查看清单").click()  # the card's own link
    page.wait_for_url(re.compile(r"/issue_map\?.*show=overdue"))
    wait_ready(page)
    text = main_text(page)
    assert wait_for_card(page, "问题数") == overdue
    assert "officer=" not in page.url and "issue=" not in page.url and "问题 #" not in text
    assert f"共 {overdue:,} 条" in text
    assert page.locator(EXCEPTION).count() == 0

    # A click on the first row's selection box opens its timeline beside the map.
    grid = page.locator("[data-testid='stDataFrame']").last
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + 18, box["y"] + 35 + 17)  # the header row is 35 px, a row 35 px
    page.wait_for_url(re.compile(r"[?&]issue=\d+"), timeout=30_000)
    wait_ready(page)
    issue = re.search(r"[?&]issue=(\d+)", page.url).group(1)
    text = main_text(page)
    assert f"问题 #{issue} 的办理经过" in text  # the panel beside the map, with its timeline table
    panel = page.locator("[data-testid='stColumn']", has_text=f"问题 #{issue} 的办理经过").first
    assert panel.locator("[data-testid='stDataFrame'], [data-testid='stTable']").count() == 1
    screenshot(page, str(SCREENSHOTS / "workflow-issue-panel.png"))
    # The address is the case: a colleague who opens it sees the same panel.
    other = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    colleague = other.new_page()
    login(colleague, server, "street", "street-demo-2026")
    colleague.goto(page.url)
    wait_ready(colleague)
    assert f"问题 #{issue} 的办理经过" in main_text(colleague)
    other.close()
    context.close()


def test_a_click_on_a_map_point_opens_that_issue(server, browser) -> None:
    """The map's own click: find an open issue's orange dot in the drawn map and click it."""
    import io

    from PIL import Image

    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = context.new_page()
    login(page, server, "street", "street-demo-2026")
    page.goto(url_of(server, "issue_map") + "&show=overdue&period=all")
    wait_ready(page)
    deck = page.locator("[data-testid='stDeckGlJsonChart']").first
    deck.scroll_into_view_if_needed()
    page.wait_for_timeout(2000)  # deck.gl draws after the run
    box = deck.bounding_box()
    drawn = Image.open(io.BytesIO(deck.screenshot())).convert("RGB")
    dot = next(
        (
            (x, y)
            for y in range(6, drawn.height - 6, 2)
            for x in range(6, drawn.width - 6, 2)
            if all(abs(a - b) < 25 for a, b in zip(drawn.getpixel((x, y)), (224, 128, 58), strict=True))
        ),
        None,
    )
    assert box is not None and dot is not None, "no open issue drawn on the map"
    assert "issue=" not in page.url
    page.mouse.click(box["x"] + dot[0], box["y"] + dot[1])
    page.wait_for_url(re.compile(r"[?&]issue=\d+"), timeout=30_000)
    wait_ready(page)
    issue = re.search(r"[?&]issue=(\d+)", page.url).group(1)
    assert f"问题 #{issue} 的办理经过" in main_text(page)
    assert page.locator(EXCEPTION).count() == 0
    context.close()
