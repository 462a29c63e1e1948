"""登录: staff sign in here; signed-in staff see who they are and can sign out."""

from __future__ import annotations

import math

import streamlit as st

from app import session
from app.context import page_context
from app.settings import is_demo

ctx = page_context("login")
t = ctx.t
config = st.session_state["_auth_config"]
st.title(t("page.login"))

if ctx.user is not None:
    st.success(t("login.signed_in_as", name=ctx.user.name, role=t("role." + ctx.user.role)))
    ctx.link("overview", label=t("login.continue"), icon=":material/arrow_forward:")
    if st.button(t("login.logout"), icon=":material/logout:", key="logout_page_button"):
        session.logout(config, ctx.settings, ctx.page_id)
        st.rerun()
    st.stop()

session.authenticator(config)  # before the form: see session.authenticator
with st.form("login_form", clear_on_submit=False, border=True):
    username = st.text_input(t("login.username"), autocomplete="username")
    password = st.text_input(t("login.password"), type="password", autocomplete="current-password")
    submitted = st.form_submit_button(t("login.submit"), type="primary")

if submitted:
    outcome, wait = session.attempt_login(config, ctx.settings, username, password, ctx.page_id)
    if outcome == "ok":
        st.success(t("login.welcome", name=st.session_state[session.USER_KEY].name))
        ctx.link("overview", label=t("login.continue"), icon=":material/arrow_forward:")
    elif outcome == "wait":
        st.error(t("login.wait", seconds=math.ceil(wait)))
    else:
        st.error(t("login.failed"))

if is_demo(ctx.settings):
    st.info(t("login.demo_hint"), icon=":material/info:")
