"""登录: staff sign in here; signed-in staff see who they are and can sign out."""

from __future__ import annotations

import math
from pathlib import Path

import streamlit as st

from app import session
from app.context import page_context
from app.safe_text import md
from app.users import MAX_USERNAME

ctx = page_context("login")
t = ctx.t
st.title(t("page.login"))

if ctx.auth is None:  # the users file or the cookie key is unusable: staff cannot sign in until fixed
    # Nobody can sign in to read the details elsewhere, so they are here, with files named but not
    # their folders.
    st.error(t("login.unavailable"), icon=":material/settings:")
    for problem in ctx.problems:
        params = {k: md(Path(v).name if k == "path" else v) for k, v in problem.params.items()}
        st.caption(t(problem.key, **params))
    st.stop()

if ctx.user is not None:
    st.success(t("login.signed_in_as", name=md(ctx.user.name), role=t("role." + ctx.user.role)))
    ctx.link("overview", label=t("login.continue"), icon=":material/arrow_forward:")
    if st.button(t("login.logout"), icon=":material/logout:", key="logout_page_button"):
        session.logout(ctx.settings, ctx.page_id)
        session.go_to(session.signout_address(f"/login?lang={ctx.lang}"), t("login.signed_out_continue"))
    st.stop()

with st.form("login_form", clear_on_submit=False, border=True):
    username = st.text_input(t("login.username"), autocomplete="username", max_chars=MAX_USERNAME)
    password = st.text_input(t("login.password"), type="password", autocomplete="current-password", max_chars=128)
    submitted = st.form_submit_button(t("login.submit"), type="primary")

if submitted:
    outcome = session.attempt_login(ctx.auth, ctx.settings, username, password, ctx.page_id)
    if outcome.kind == "ok":
        user = ctx.auth.users_file.users[username.strip().lower()]
        st.success(t("login.welcome", name=md(user.name)))
        session.go_to(session.cookie_address(outcome.ticket, f"/?lang={ctx.lang}"), t("login.continue"))
    elif outcome.kind == "wait":
        st.error(t("login.wait", seconds=math.ceil(outcome.wait_s)))
    else:
        st.error(t("login.failed"))

if ctx.settings.demo:
    st.info(t("login.demo_hint"), icon=":material/info:")
