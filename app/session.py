"""Who is using this session: login, cookie re-authentication and logout.

streamlit-authenticator checks the password (bcrypt) and writes and deletes
its cookie. Around it, for its known pitfalls:
- it only ever gets a deep copy of the credentials, so it cannot rewrite the
  users file (it does when given a path);
- its login() sleeps 0.7 s on every rerun of a logged-out session, so we
  render our own (translated) form and call its controller only on submit:
  anonymous visitors never pay that delay, and never load its cookie component;
- its max_login_attempts locks an account until the process restarts, so
  failures go through app.throttle instead;
- its cookie reader lets some forged tokens raise, so app.tokens reads them.
"""

from __future__ import annotations

import time
from pathlib import Path

import streamlit as st
import streamlit_authenticator as stauth

from app import audit
from app.roles import User
from app.startup import AuthConfig
from app.throttle import LoginThrottle
from app.tokens import RevokedTokens, verify_token

USER_KEY = "user"
TOKEN_KEY = "token_id"  # noqa: S105 - a session-state key, not a secret


@st.cache_resource
def throttle(free_attempts: int, max_wait_s: int) -> LoginThrottle:
    return LoginThrottle(free_attempts, max_wait_s)


def revoked_tokens(settings: dict) -> RevokedTokens:
    """Logged-out tokens live beside the audit log, outside the read database."""
    return RevokedTokens(Path(settings["audit_log_path"]).parent / "revoked_tokens.jsonl")


def authenticator(config: AuthConfig) -> stauth.Authenticate:
    """One streamlit-authenticator instance per session, made when the login page first shows.

    Making it renders its cookie component, which reruns the script once it
    has read the browser's cookies. Made on the submitting run, that rerun
    would remove the component that writes the new cookie before it ran; made
    earlier, the submitting run renders only the writer.
    """
    instance = st.session_state.get("_authenticator")
    if not isinstance(instance, stauth.Authenticate):
        instance = stauth.Authenticate(
            config.users_file.credentials_copy(),
            config.cookie_name,
            config.cookie_key,
            cookie_expiry_days=config.cookie_hours / 24,
            auto_hash=False,
        )
        st.session_state["_authenticator"] = instance
    return instance


def current_user(config: AuthConfig, settings: dict) -> User | None:
    """The logged-in user: from this session, else from a valid cookie."""
    user = st.session_state.get(USER_KEY)
    if isinstance(user, User):
        if user.username in config.users_file.users:
            return config.users_file.users[user.username]  # role or scope may have changed in the file
        st.session_state.pop(USER_KEY, None)
    if st.session_state.get("logged_out"):
        return None
    raw = st.context.cookies.get(config.cookie_name) if st.context.cookies else None
    now = time.time()
    found = verify_token(
        raw,
        config.cookie_key,
        now,
        set(config.users_file.users),
        config.cookie_hours * 3600,
        revoked_tokens(settings).load(now),
    )
    if not found:
        return None
    st.session_state[USER_KEY] = config.users_file.users[found[0]]
    st.session_state[TOKEN_KEY] = found
    return st.session_state[USER_KEY]


def attempt_login(config: AuthConfig, settings: dict, username: str, password: str, page: str) -> tuple[str, float]:
    """('ok' | 'failed' | 'wait', seconds to wait). Audits every outcome."""
    name = username.strip().lower()
    gate = throttle(int(settings["login_free_attempts"]), int(settings["login_max_wait_seconds"]))
    log = settings["audit_log_path"]
    wait = gate.wait_seconds(name, time.time())
    if wait > 0:
        audit.record(log, user=name or None, role="public", event="login_throttled", page=page, success=False)
        return "wait", wait
    if not name or not password:
        return "failed", 0.0
    auth = authenticator(config)
    if name in config.users_file.users and auth.authentication_controller.login(name, password):
        gate.succeeded(name)
        user = config.users_file.users[name]
        st.session_state[USER_KEY] = user
        st.session_state.pop("logged_out", None)
        auth.cookie_controller.set_cookie()
        expires = auth.cookie_controller.cookie_model.exp_date
        if expires:
            st.session_state[TOKEN_KEY] = (name, float(expires))
        audit.record(log, user=name, role=user.role, event="login_success", page=page)
        return "ok", 0.0
    gate.failed(name, time.time())
    audit.record(log, user=name, role="public", event="login_failure", page=page, success=False)
    return "failed", 0.0


def logout(config: AuthConfig, settings: dict, page: str) -> None:
    user = st.session_state.get(USER_KEY)
    token = st.session_state.get(TOKEN_KEY)
    if token:
        revoked_tokens(settings).add(*token)
    auth = authenticator(config)
    auth.authentication_controller.logout()
    auth.cookie_controller.delete_cookie()
    for key in (USER_KEY, TOKEN_KEY):
        st.session_state.pop(key, None)
    st.session_state["logged_out"] = True
    if isinstance(user, User):
        audit.record(settings["audit_log_path"], user=user.username, role=user.role, event="logout", page=page)
