"""Eight visitors at once on pages nobody has opened yet: the server stays up and every page draws.

Issue 12: four concurrent loads of uncached pages (transparency with different dates, the big screen
with different communities) crashed the server in libsqlite3 within two seconds."""

from __future__ import annotations

import urllib.request

import pytest

from app.i18n import translate
from tests.e2e.helpers import EXCEPTION, main_text, wait_ready

pytestmark = pytest.mark.e2e

URLS = [
    *(f"/transparency?lang=zh&period=custom&from=2026-0{m}-01&to=2026-0{m + 2}-28" for m in (1, 2, 3, 4)),
    *(f"/big_screen?lang=zh&community=C0{c}&panel=areas" for c in (2, 4, 6, 7)),
]


def test_eight_uncached_pages_at_once(server, browser) -> None:
    contexts = [browser.new_context(viewport={"width": 1280, "height": 800}) for _ in URLS]
    pages = [context.new_page() for context in contexts]
    for page, url in zip(pages, URLS, strict=True):  # every load under way before any is waited for
        page.goto(server + url, wait_until="commit")
    for page, url in zip(pages, URLS, strict=True):
        wait_ready(page, timeout_ms=90_000)
        assert page.locator(EXCEPTION).count() == 0, url
        if "big_screen" in url:
            assert page.locator(".bs-bars").count() == 1, url
        else:
            assert translate("zh", "metric.resolution_rate") in main_text(page), url
    with urllib.request.urlopen(f"{server}/_stcore/health", timeout=5) as response:  # noqa: S310
        assert response.status == 200  # the server is still up
    for context in contexts:
        context.close()
