"""Entry point and router: decide who the visitor is, build their page list, run the page.

Runs on every rerun: settings (never fatal: problems fall back to defaults and are
reported), language from the URL, the staff configuration, the user from the session
or a valid cookie, the audience that decides what they may see, the read database's
health, then ``st.navigation(...).run()`` over every page, where a page the audience
may not open is replaced by a "no access" page at the same URL. A page runs through
app/page_runner.py, so the data it built does not outlive its run.

Served through app/server.py (HttpOnly login cookie); AppTest drives this file directly.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from app import formatting, layout, page_runner, registry, run_gate, session, url_state
from app.audience import Audience
from app.context import PageContext, no_access, set_context
from app.data import database_back, database_status, query
from app.settings import Problem, Settings, load_settings
from app.startup import AuthConfig, auth_config
from app.users import UsersFileError
from data_access import localtime
from data_access.engine import redact
from data_access.errors import AccessDenied, DataAccessError, DatabaseUnreachable
from data_access.reference import data_as_of


def staff_configuration(settings: Settings) -> tuple[AuthConfig | None, Problem | None]:
    """The sign-in configuration, or the problem that disables staff sign-in (public pages go on)."""
    try:
        return auth_config(settings), None
    except UsersFileError as exc:
        return None, Problem(exc.key, exc.params)


def _no_access_page(ctx: PageContext, spec: registry.PageSpec):  # noqa: ANN202
    def render() -> None:
        no_access(ctx, spec)

    render.__name__ = f"no_access_{spec.id.replace('-', '_')}"
    return render


def build_pages(ctx: PageContext) -> dict[str, st.Page]:
    pages = {}
    for spec in registry.PAGES:
        target = page_runner.runner(ROOT / spec.path) if ctx.audience.may_open(spec) else _no_access_page(ctx, spec)
        pages[spec.id] = st.Page(
            target, title=ctx.t(spec.title_key), icon=spec.icon, url_path=spec.id, default=spec.id == "overview"
        )
    return pages


def main() -> None:
    st.set_page_config(page_title="石油路街道 · 智慧社区", page_icon=":material/location_city:", layout="wide")
    settings = load_settings()
    url_state.on_rejected(lambda names: layout.link_notice(names, settings.default_language))
    lang = layout.resolve_language(settings.default_language)
    try:
        with run_gate.shared(settings.page_runs_at_once).turn():
            route(settings, lang)
    except Exception:  # noqa: BLE001 - last line of defence: no traceback reaches a user
        layout.unexpected_error(lang)


def route(settings: Settings, lang: str) -> None:
    localtime.set_override(settings.timezone or None)
    config, problem = staff_configuration(settings)
    user = session.current_user(config, settings)
    audience = Audience(user, settings.small_cell_k)
    found = settings.problems + ((problem,) if problem else ())
    ctx = PageContext(lang=lang, audience=audience, settings=settings, auth=config, problems=found)
    ctx = replace(ctx, pages=build_pages(ctx))
    set_context(ctx)
    page = st.navigation(list(ctx.pages.values()), position="hidden")
    layout.sidebar(ctx, on_logout=lambda: sign_out(ctx))
    details = audience.role == "admin"
    try:
        database_status(ctx.url)
        formatting.use_zone(ctx.zone)
        with st.sidebar:
            layout.freshness(ctx, query(data_as_of, ctx.url))
    except (DataAccessError, SQLAlchemyError) as exc:
        if registry.by_url_path(page.url_path).needs_database:  # the login page works without it
            layout.data_error(lang, as_data_error(exc, ctx.url), details, ping=lambda: database_back(ctx.url))
            st.stop()
    try:
        page.run()
    except AccessDenied:
        no_access(ctx, registry.by_url_path(page.url_path))
    except (DataAccessError, SQLAlchemyError) as exc:
        layout.data_error(lang, as_data_error(exc, ctx.url), details, ping=lambda: database_back(ctx.url))


def as_data_error(exc: Exception, url: str) -> DataAccessError:
    if isinstance(exc, DataAccessError):
        return exc
    reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(exc) else ""
    return DatabaseUnreachable(str(exc), url=redact(url), reason=reason)


def sign_out(ctx: PageContext) -> None:
    """Sign out everywhere, then let the browser drop its cookie (a redirect through our route)."""
    session.logout(ctx.settings, ctx.page_id or "sidebar")
    session.go_to(session.signout_address(f"/login?lang={ctx.lang}"), ctx.t("login.signed_out_continue"))
    st.stop()  # nothing more of the signed-in page


main()
