"""Driving Streamlit pages in Chromium: wait for a run to finish, read what a user sees."""

from __future__ import annotations

from playwright.sync_api import Page

EXCEPTION = "[data-testid='stException']"


def wait_ready(page: Page, timeout_ms: int = 30_000) -> None:
    """Until the app has drawn a page title and no script run is in progress."""
    page.wait_for_selector("[data-testid='stMain'] h1, .bs-panel", timeout=timeout_ms)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " || !document.querySelector('[data-testid=\"stStatusWidget\"]').innerText.trim()",
        timeout=timeout_ms,
    )
    page.wait_for_timeout(800)


def main_text(page: Page) -> str:
    return page.inner_text("[data-testid='stMain']")


def login(page: Page, base: str, username: str, password: str, timeout_ms: int = 30_000) -> None:
    page.goto(f"{base}/login?lang=zh", timeout=timeout_ms)
    wait_ready(page, timeout_ms)
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    # The signed-in session sends the browser through /_auth/session, which sets the HttpOnly
    # cookie and lands on the overview.
    page.wait_for_url(lambda url: "/login" not in url and "/_auth/" not in url, timeout=timeout_ms)
    wait_ready(page, timeout_ms)


def url_of(base: str, page_id: str, lang: str = "zh") -> str:
    """The address of a page: the default page (overview) lives at the root."""
    return f"{base}/?lang={lang}" if page_id == "overview" else f"{base}/{page_id}?lang={lang}"


def screenshot(page: Page, path: str) -> None:
    """The whole page: Streamlit scrolls inside its main block, so grow the viewport to the content first."""
    size = page.viewport_size or {"width": 1366, "height": 768}
    height = page.evaluate(
        "() => Math.max(...[...document.querySelectorAll('[data-testid=\"stMain\"], [data-testid=\"stMainBlockContainer\"]')]"
        ".map(e => e.scrollHeight), window.innerHeight)"
    )
    page.set_viewport_size({"width": size["width"], "height": int(height) + 40})
    page.wait_for_timeout(400)
    page.screenshot(path=path)
    page.set_viewport_size(size)
