"""HTTP routes beside the Streamlit app (mounted by app/server.py): the only place cookies are set.

- ``/_auth/session?ticket=…&next=…``: a signed-in session's one-time ticket becomes the login
  cookie, HttpOnly, SameSite=Strict, Path=/, Secure when the request came over HTTPS, lasting as
  long as the login; plus the device cookie the login throttle trusts. Then back to ``next``.
- ``/_auth/signout?next=…``: removes the login cookie (the sign-out itself, which voids every
  token of the user, already happened in the session), then back to ``next``.
- ``/overview``: the overview is the default page, served at ``/``; old links still work.

``next`` must be one of our own page paths; anything else goes to ``/``. Responses are never cached.
"""

from __future__ import annotations

import logging
import re
import time

from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.routing import Route

from app import client, tokens
from app.registry import PAGES
from app.settings import load_settings
from app.startup import auth_config
from app.users import UsersFileError

log = logging.getLogger("app.auth")
USED_TICKETS = tokens.UsedTickets()
_PAGE_PATHS = {"/"} | {f"/{spec.id}" for spec in PAGES}
_LANG = re.compile(r"^(zh|en)$")


def safe_next(raw: str | None) -> str:
    """`raw` if it is one of our page paths (with at most ?lang=), else "/"."""
    path, _, query = (raw or "/").partition("?")
    if path not in _PAGE_PATHS:
        return "/"
    lang = query.removeprefix("lang=")
    return f"{path}?lang={lang}" if query and _LANG.match(lang) else path


def _redirect(target: str) -> RedirectResponse:
    response = RedirectResponse(target, status_code=303)
    response.headers["Cache-Control"] = "no-store"
    return response


def _secure(request: Request) -> bool:
    forwarded = request.headers.get("x-forwarded-proto", "")
    return request.url.scheme == "https" or forwarded.split(",")[0].strip() == "https"


async def session_cookie(request: Request) -> RedirectResponse:
    response = _redirect(safe_next(request.query_params.get("next")))
    settings = load_settings()
    try:
        config = auth_config(settings)
    except UsersFileError:
        return response
    now = time.time()
    visitor = client.address(
        request.client.host if request.client else None, request.headers, settings.client_address_header
    )
    token = tokens.redeem(request.query_params.get("ticket"), config.cookie_key, now, visitor, USED_TICKETS)
    claims = tokens.verify(token, config.cookie_key, now, config.users_file.users, config.cookie_hours * 3600)
    if claims is None:
        log.warning("refused a login ticket from %s", visitor)
        return response
    secure = _secure(request)
    response.set_cookie(
        config.cookie_name,
        str(token),
        max_age=int(claims.expires_at - now),
        path="/",
        httponly=True,
        samesite="strict",
        secure=secure,
    )
    response.set_cookie(
        config.device_cookie,
        tokens.device(claims.username, config.cookie_key, now),
        max_age=tokens.DEVICE_DAYS * 86400,
        path="/",
        httponly=True,
        samesite="strict",
        secure=secure,
    )
    return response


async def sign_out(request: Request) -> RedirectResponse:
    response = _redirect(safe_next(request.query_params.get("next")))
    settings = load_settings()
    response.delete_cookie(settings.cookie_name, path="/", httponly=True, samesite="strict", secure=_secure(request))
    return response


async def overview(request: Request) -> RedirectResponse:
    lang = request.query_params.get("lang", "")
    return _redirect(f"/?lang={lang}" if _LANG.match(lang) else "/")


def routes() -> list[Route]:
    return [
        Route("/_auth/session", session_cookie, methods=["GET"]),
        Route("/_auth/signout", sign_out, methods=["GET"]),
        Route("/overview", overview, methods=["GET"]),
    ]
