"""The frame around every page: language, sidebar menu, user box, freshness, error pages."""

from __future__ import annotations

import logging
from collections.abc import Callable

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from app import formatting, registry, state, url_state
from app.context import PageContext
from app.i18n import LANGUAGES, translate
from app.safe_text import md
from app.settings import Problem
from data_access.errors import DataAccessError, DatabaseCorrupt, DatabaseMissing, DatabaseUnreachable

log = logging.getLogger("app")
RETRY_SECONDS = 10  # a page that could not read the database tries again this often
PASSING = (DatabaseUnreachable, DatabaseMissing, DatabaseCorrupt)  # problems that can end by themselves
LANGUAGE_NAMES = {"zh": "中文", "en": "English"}


def resolve_language(default: str) -> str:
    """?lang= wins and is remembered for the session; otherwise the session's, else the default."""
    fallback = state.language() or (default if default in LANGUAGES else "zh")
    lang = url_state.choice("lang", LANGUAGES, fallback)
    state.set_language(lang)
    if url_state.raw("lang") != lang:
        st.query_params["lang"] = lang  # keep it in the URL, so a copied link keeps the language
    return lang


def link_notice(names: list[str], default: str) -> None:
    """Tell the visitor that a link parameter was not valid (named, never echoed; once a session)."""
    lang = state.language() or default
    st.toast(translate(lang, "url.ignored", names=", ".join(names)), icon=":material/link_off:")


def _switch_language() -> None:
    chosen = st.session_state.get("lang_switch")
    if chosen in LANGUAGES:
        state.set_language(chosen)
        st.query_params["lang"] = chosen


def sidebar(ctx: PageContext, on_logout: Callable[[], None]) -> None:
    with st.sidebar:
        st.markdown(f"### {ctx.t('app.title')}")
        st.segmented_control(
            ctx.t("app.language"),
            list(LANGUAGES),
            format_func=LANGUAGE_NAMES.get,
            default=ctx.lang,
            key="lang_switch",
            on_change=_switch_language,
            label_visibility="collapsed",
        )
        for section in registry.SECTIONS:
            specs = [s for s in registry.PAGES if s.section == section and ctx.audience.may_open(s)]
            if section == "account":
                specs = [s for s in specs if s.id == "login" and ctx.user is None]
            if not specs:
                continue
            st.caption(ctx.t(f"menu.{section}"))
            for spec in specs:
                ctx.link(spec.id)
        if ctx.user is not None:
            st.divider()
            st.text(ctx.user.name)  # from the users file: shown as text
            st.caption(f"{ctx.t('role.' + ctx.user.role)} · {scope_label(ctx)}")
            if ctx.role == "admin" and ctx.problems:
                st.warning(ctx.t("startup.problems_admin", count=len(ctx.problems)), icon=":material/settings:")
            if st.button(ctx.t("login.logout"), icon=":material/logout:", key="logout_button"):
                on_logout()


def scope_label(ctx: PageContext) -> str:
    scope = ctx.audience.scope
    if scope.kind == "street":
        return ctx.t("scope.street")
    if scope.kind == "community":
        try:
            name = formatting.name_of(ctx.community_names, scope.community_id)
        except (DataAccessError, SQLAlchemyError):  # the database is away: the id will do
            name = str(scope.community_id)
        return ctx.t("scope.community", id=md(name))
    return ctx.t("scope.grids", ids=md(", ".join(scope.grid_ids or ())))


def freshness(ctx: PageContext, as_of) -> None:  # noqa: ANN001 - datetime or None
    text = (
        ctx.t("app.data_as_of", when=formatting.local_datetime(as_of, ctx.lang))
        if as_of
        else ctx.t("app.data_as_of_unknown")
    )
    st.caption(f":material/schedule: {text}")


def data_error(lang: str, error: DataAccessError, details: bool, ping: Callable[[], object] | None = None) -> None:
    """A friendly page for a database problem. What happened and how to fix it name the database's
    address and files, so only administrators see them; everyone else learns that it is temporary.
    Where the problem can pass by itself (the database restarting, its file being replaced), the
    page tries `ping` every RETRY_SECONDS and shows itself again once it answers: an open tab or a
    meeting-room screen recovers with nobody at the keyboard."""
    log.warning("data error shown to a visitor: %s", error)
    st.title(translate(lang, "error.title"))
    if details:
        params = {name: md(value) for name, value in error.params.items()}
        st.error(translate(lang, error.key, **params), icon=":material/database:")
        st.info(translate(lang, error.key + "_fix", **params))
    else:
        st.error(translate(lang, "error.unavailable"), icon=":material/database:")
        st.info(translate(lang, "error.unavailable_fix"))
    if ping is not None and isinstance(error, PASSING):
        state.mark_data_away()
        _retry_when_back(ping)


@st.fragment(run_every=RETRY_SECONDS)
def _retry_when_back(ping: Callable[[], object]) -> None:
    """Runs with the page (then it must not try: the page has just failed, and a try that passed on
    a cached answer would rerun the page at once, again and again) and then by the timer."""
    if state.seconds_since_data_away() < 1.0:
        return
    try:
        ping()
    except (DataAccessError, SQLAlchemyError):
        return  # still away: the next try comes by itself
    st.rerun(scope="app")


def problems(lang: str, found: tuple[Problem, ...]) -> None:
    """Configuration problems, in full (for administrators)."""
    for problem in found:
        params = {name: md(value) for name, value in problem.params.items()}
        st.error(translate(lang, problem.key, **params), icon=":material/settings:")
    if found:
        st.info(translate(lang, "startup.fix"))


def unexpected_error(lang: str) -> None:
    log.exception("unexpected error while rendering a page")
    st.error(translate(lang, "error.unexpected"), icon=":material/error:")


def unexpected_error_hook(exc: Exception) -> bool:
    """Streamlit's hook for errors outside the router's own guard: log, show ours, hide its box."""
    log.error("unexpected error outside a page run", exc_info=exc)
    try:
        st.error(translate(state.language() or "zh", "error.unexpected"), icon=":material/error:")
    except Exception:  # noqa: BLE001 - nothing more may escape from here
        return True
    return True
