"""The frame around every page: language, sidebar menu, user box, freshness, error pages."""

from __future__ import annotations

import logging

import streamlit as st

from app import formatting, registry
from app.context import PageContext
from app.i18n import LANGUAGES, translate
from data_access.errors import DataAccessError

log = logging.getLogger("app")
LANGUAGE_NAMES = {"zh": "中文", "en": "English"}


def resolve_language(default: str) -> str:
    """?lang= wins and is remembered for the session; otherwise the session's, else the default."""
    asked = st.query_params.get("lang")
    if asked in LANGUAGES:
        st.session_state["lang"] = asked
    lang = st.session_state.get("lang", default if default in LANGUAGES else "zh")
    if st.query_params.get("lang") != lang:
        st.query_params["lang"] = lang  # keep it in the URL, so a copied link keeps the language
    return lang


def _switch_language() -> None:
    chosen = st.session_state.get("lang_switch")
    if chosen in LANGUAGES:
        st.session_state["lang"] = chosen
        st.query_params["lang"] = chosen


def sidebar(ctx: PageContext, on_logout) -> None:  # noqa: ANN001 - a callback
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
            specs = [s for s in registry.menu(ctx.role) if s.section == section]
            if section == "account" and ctx.user is None:
                specs = [s for s in specs if s.id == "login"]
            elif section == "account":
                specs = []
            if not specs:
                continue
            st.caption(ctx.t(f"menu.{section}"))
            for spec in specs:
                ctx.link(spec.id)
        if ctx.user is not None:
            st.divider()
            st.markdown(f"**{ctx.user.name}**")
            st.caption(f"{ctx.t('role.' + ctx.user.role)} · {scope_label(ctx)}")
            if st.button(ctx.t("login.logout"), icon=":material/logout:", key="logout_button"):
                on_logout()
                st.rerun()


def scope_label(ctx: PageContext) -> str:
    scope = ctx.scope
    if scope.kind == "street":
        return ctx.t("scope.street")
    if scope.kind == "community":
        return ctx.t("scope.community", id=scope.community_id)
    return ctx.t("scope.grids", ids=", ".join(scope.grid_ids or ()))


def freshness(ctx: PageContext, as_of) -> None:  # noqa: ANN001 - datetime or None
    text = (
        ctx.t("app.data_as_of", when=formatting.local_datetime(as_of, ctx.lang))
        if as_of
        else ctx.t("app.data_as_of_unknown")
    )
    st.caption(f":material/schedule: {text}")


def data_error(lang: str, error: DataAccessError) -> None:
    """A friendly page for a database problem: what happened and what to do."""
    st.title(translate(lang, "error.title"))
    st.error(translate(lang, error.key, **error.params), icon=":material/database:")
    st.info(translate(lang, error.key + "_fix", **error.params))
    log.warning("data error shown to user: %s", error)


def startup_error(lang: str, key: str, params: dict) -> None:
    st.title(translate(lang, "startup.title"))
    st.error(translate(lang, key, **params), icon=":material/settings:")
    st.info(translate(lang, "startup.fix"))


def unexpected_error(lang: str) -> None:
    log.exception("unexpected error while rendering a page")
    st.error(translate(lang, "error.unexpected"), icon=":material/error:")
