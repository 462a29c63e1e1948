"""The HTTP routes beside the app: the login cookie is set by the server, HttpOnly and SameSite=Strict,
Secure over HTTPS, only for a fresh one-time ticket from the same address; sign-out clears it;
redirects stay on our own pages; /overview is the overview."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from starlette.requests import Request

from app import auth_routes, tokens
from app.settings import load_settings
from app.startup import auth_config

pytestmark = pytest.mark.usefixtures("app_env")
VISITOR = "203.0.113.9"


def _call(route, path: str, query: str = "", client: str = VISITOR, headers: dict | None = None):  # noqa: ANN001
    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "query_string": query.encode(),
        "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
        "client": (client, 50000),
        "server": ("testserver", 80),
        "scheme": "http",
    }
    # In a thread of its own: Playwright's browser fixture may hold an event loop in this one.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, route(Request(scope))).result()


def _ticket(client: str = VISITOR, username: str = "street") -> tuple[str, str]:
    config = auth_config(load_settings())
    token, _ = tokens.issue(username, config.cookie_key, time.time(), config.cookie_hours)
    return token, tokens.ticket(token, config.cookie_key, time.time(), client)


def _cookies(response) -> list[str]:  # noqa: ANN001
    return [value.decode() for name, value in response.raw_headers if name == b"set-cookie"]


def test_a_fresh_ticket_becomes_an_http_only_strict_cookie_once() -> None:
    from urllib.parse import urlencode

    token, ticket = _ticket()
    query = urlencode({"ticket": ticket, "next": "/patrols?lang=en"})
    response = _call(auth_routes.session_cookie, "/_auth/session", query)
    assert response.status_code == 303 and response.headers["location"] == "/patrols?lang=en"
    assert response.headers["cache-control"] == "no-store"
    login = next(c for c in _cookies(response) if c.startswith("syl_auth="))
    assert f"syl_auth={token}" in login
    assert "HttpOnly" in login and "SameSite=strict" in login and "Path=/" in login and "Secure" not in login
    assert 7 * 3600 < int(login.split("Max-Age=")[1].split(";")[0]) <= 8 * 3600
    assert any(c.startswith("syl_auth_device=") and "HttpOnly" in c for c in _cookies(response))
    again = _call(auth_routes.session_cookie, "/_auth/session", query)
    assert not _cookies(again), "a ticket works once"


def test_the_cookie_is_secure_behind_https() -> None:
    from urllib.parse import urlencode

    _, ticket = _ticket()
    response = _call(auth_routes.session_cookie, "/_auth/session", urlencode({"ticket": ticket}),
                     headers={"X-Forwarded-Proto": "https"})
    assert all("Secure" in cookie for cookie in _cookies(response))


@pytest.mark.parametrize("case", ["other-address", "garbage", "session-token", "none"])
def test_no_cookie_without_a_valid_ticket(case) -> None:
    from urllib.parse import urlencode

    token, ticket = _ticket()
    given = {"other-address": ticket, "garbage": "x.y.z", "session-token": token, "none": ""}[case]
    client = "198.51.100.7" if case == "other-address" else VISITOR
    response = _call(auth_routes.session_cookie, "/_auth/session", urlencode({"ticket": given}), client=client)
    assert response.status_code == 303 and not _cookies(response)


@pytest.mark.parametrize(
    ("asked", "landing"),
    [("/watchlist?lang=zh", "/watchlist?lang=zh"), ("/", "/"), ("//evil.example/x", "/"),
     ("https://evil.example", "/"), ("/watchlist?lang=zh&x=1", "/watchlist"), ("/nope", "/"),
     ("javascript:alert(1)", "/"), ("/login?lang=<b>", "/login"), (None, "/")],
)
def test_redirects_stay_on_our_own_pages(asked, landing) -> None:
    assert auth_routes.safe_next(asked) == landing


def test_sign_out_route_clears_the_cookie() -> None:
    response = _call(auth_routes.sign_out, "/_auth/signout", "next=/login?lang=en")
    assert response.headers["location"] == "/login?lang=en"
    cleared = next(c for c in _cookies(response) if c.startswith("syl_auth="))
    assert 'syl_auth=""' in cleared and "Max-Age=0" in cleared


def test_overview_has_its_own_address() -> None:
    assert _call(auth_routes.overview, "/overview", "lang=en").headers["location"] == "/?lang=en"
    assert _call(auth_routes.overview, "/overview", "lang=<x>").headers["location"] == "/"
