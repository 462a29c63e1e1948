"""The app shell in a real browser: each demo user, each page it may and may not open."""

from __future__ import annotations

import pytest

from app import registry
from app.i18n import translate
from tests.e2e.conftest import SCREENSHOTS
from tests.e2e.helpers import EXCEPTION, login, main_text, screenshot, url_of, wait_ready

pytestmark = pytest.mark.e2e

ACCOUNTS = {
    "public": None,
    "grid_officer": ("officer_c02", "officer-demo-2026"),
    "community_staff": ("c01staff", "c01-demo-2026"),
    "street_official": ("street", "street-demo-2026"),
    "admin": ("admin", "admin-demo-2026"),
}


@pytest.mark.parametrize("role", list(ACCOUNTS))
def test_each_role_sees_its_pages_and_is_refused_the_rest(role, server, browser) -> None:
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page = context.new_page()
    if ACCOUNTS[role]:
        login(page, server, *ACCOUNTS[role])
        cookie = next((c for c in context.cookies() if c["name"] == "syl_auth"), None)
        assert cookie, "the login cookie was not written"
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict", cookie  # set by the server, not by script
        assert page.evaluate("document.cookie").find("syl_auth") == -1
    for spec in registry.PAGES:
        page.goto(url_of(server, spec.id))
        wait_ready(page)
        text = main_text(page)
        if spec.id == "big_screen":
            assert page.locator(".bs-panel").count() == 1
        else:
            assert translate("zh", spec.title_key) in text
        assert page.locator(EXCEPTION).count() == 0, f"{role} {spec.id}: a Streamlit exception is shown"
        assert "Traceback" not in text
        assert translate("zh", "error.unexpected") not in text, f"{role} {spec.id}: the page failed"
        denied = translate("zh", "access.denied") in text
        assert denied != (role in spec.roles), f"{role} {spec.id}"
        assert page.get_by_text("Page not found").count() == 0
        screenshot(page, str(SCREENSHOTS / f"{role}-{spec.id}.png"))
    context.close()


def test_logout_ends_every_session_of_that_user_and_clears_the_cookie(server, browser) -> None:
    here, there = (browser.new_context(viewport={"width": 1366, "height": 768}) for _ in range(2))
    page, other = here.new_page(), there.new_page()
    for tab in (page, other):
        login(tab, server, "admin", "admin-demo-2026")
        tab.goto(f"{server}/audit_log?lang=zh")
        wait_ready(tab)
        assert translate("zh", "access.denied") not in main_text(tab)
    page.get_by_role("button", name="退出登录").first.click()
    page.wait_for_url(lambda url: "/login" in url, timeout=30_000)
    wait_ready(page)
    assert "syl_auth" not in {c["name"] for c in here.cookies()}, "the cookie stayed after logout"
    page.goto(f"{server}/audit_log?lang=zh")
    wait_ready(page)
    assert translate("zh", "access.denied") in main_text(page)
    # The other browser, still open on the audit log, loses access at its next rerun (here: going
    # to the overview and back through the menu, in the same session, without reloading).
    other.get_by_role("link", name=translate("zh", "page.overview")).first.click()
    wait_ready(other)
    assert other.get_by_role("link", name=translate("zh", "page.audit")).count() == 0  # the menu shrank
    other.goto(f"{server}/audit_log?lang=zh")  # and its cookie is void too
    wait_ready(other)
    assert translate("zh", "access.denied") in main_text(other)
    here.close()
    there.close()


def test_overview_has_its_own_address(server, browser) -> None:
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    page.goto(f"{server}/overview?lang=en")
    wait_ready(page)
    assert "Overview" in main_text(page)
    assert page.get_by_text("Page not found").count() == 0
    context.close()


def test_forged_cookie_means_anonymous(server, browser) -> None:
    context = browser.new_context()
    host = server.split("//")[1].split(":")[0]
    context.add_cookies([{"name": "syl_auth", "value": "eyJhbGciOiJub25lIn0.eyJ1c2VybmFtZSI6ImFkbWluIn0.",
                          "domain": host, "path": "/"}])
    page = context.new_page()
    page.goto(f"{server}/audit_log?lang=zh")
    wait_ready(page)
    assert translate("zh", "access.denied") in main_text(page)
    assert page.locator(EXCEPTION).count() == 0
    context.close()


def test_english_is_kept_across_pages(server, browser) -> None:
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    page.goto(f"{server}/?lang=en")
    wait_ready(page)
    assert "Overview" in main_text(page)
    page.get_by_role("link", name="Staff login").click()
    wait_ready(page)
    assert "Staff login" in main_text(page) and "lang=en" in page.url
    screenshot(page, str(SCREENSHOTS / "public-login-en.png"))
    context.close()
