"""Entry point and router: decide who the user is, build their page list, run the page.

Runs on every rerun: language from the URL, start-up checks (users file,
cookie key), the user from the session or a valid cookie, the read database's
health, then ``st.navigation(...).run()`` over every page, where a page the
role may not open is replaced by a "no access" page at the same URL.
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

from app import layout, registry, session
from app.context import PageContext, no_access, set_context
from app.data import database_status, query
from app.settings import SettingError, load_settings
from app.startup import AuthConfig, check_configuration
from app.users import UsersFileError
from data_access.engine import redact
from data_access.errors import DataAccessError, DatabaseUnreachable
from data_access.reference import data_as_of


@st.cache_resource(show_spinner=False)
def _auth_config(users_file: str, users_mtime: float, key: str | None, hours: float, name: str) -> AuthConfig:
    settings = load_settings()
    return check_configuration(
        settings | {"users_file": users_file, "cookie_key": key, "cookie_expiry_hours": hours, "cookie_name": name}
    )


def auth_config(settings: dict) -> AuthConfig:
    path = Path(settings["users_file"])
    mtime = path.stat().st_mtime if path.exists() else 0.0
    return _auth_config(
        str(path), mtime, settings["cookie_key"], settings["cookie_expiry_hours"], settings["cookie_name"]
    )


def _no_access_page(ctx: PageContext, spec: registry.PageSpec):  # noqa: ANN202
    def render() -> None:
        no_access(ctx, spec)

    render.__name__ = f"no_access_{spec.id.replace('-', '_')}"
    return render


def build_pages(ctx: PageContext) -> dict[str, st.Page]:
    pages = {}
    for spec in registry.PAGES:
        target = ROOT / spec.path if registry.allowed(spec, ctx.role) else _no_access_page(ctx, spec)
        pages[spec.id] = st.Page(
            target, title=ctx.t(spec.title_key), icon=spec.icon, url_path=spec.id, default=spec.id == "overview"
        )
    return pages


def main() -> None:
    st.set_page_config(page_title="石油路街道 · 智慧社区", page_icon=":material/location_city:", layout="wide")
    try:
        settings = load_settings()
    except SettingError as exc:
        layout.startup_error(layout.resolve_language("zh"), exc.key, exc.params)
        st.stop()
    lang = layout.resolve_language(settings["default_language"])
    try:
        route(settings, lang)
    except Exception:  # noqa: BLE001 - last line of defence: no traceback reaches a user
        layout.unexpected_error(lang)


def route(settings: dict, lang: str) -> None:
    try:
        config = auth_config(settings)
    except UsersFileError as exc:
        layout.startup_error(lang, exc.key, exc.params)
        st.stop()
    user = session.current_user(config, settings)
    ctx = PageContext(lang=lang, user=user, settings=settings)
    ctx = replace(ctx, pages=build_pages(ctx))
    set_context(ctx)
    st.session_state["_auth_config"] = config
    page = st.navigation(list(ctx.pages.values()), position="hidden")
    layout.sidebar(ctx, on_logout=lambda: session.logout(config, settings, "sidebar"))
    if registry.by_url_path(page.url_path).needs_database:
        try:
            database_status(settings["database_url"])
        except DataAccessError as exc:
            layout.data_error(lang, exc)
            st.stop()
        with st.sidebar:
            layout.freshness(ctx, query(data_as_of, settings["database_url"]))
    try:
        page.run()
    except DataAccessError as exc:
        layout.data_error(lang, exc)
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(exc) else ""
        layout.data_error(lang, DatabaseUnreachable(str(exc), url=redact(settings["database_url"]), reason=reason))


main()
