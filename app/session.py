"""Who is using this session: sign-in, the login cookie, sign-out.

- Passwords are checked with streamlit-authenticator's bcrypt Hasher; an unknown username is
  checked against a decoy hash of the same cost, so both answers take as long.
- Tries go through app/throttle.py per username and client (the browser's device cookie, else
  its address): an attacker slows only themselves, the owner is never locked out. The counts are
  shared by every app process through a file beside the audit log.
- The login cookie is set by the server (app/auth_routes.py), HttpOnly and SameSite=Strict, and
  Secure over HTTPS: a signed-in session hands the browser a one-time ticket for it. (The
  library's own cookie is written by JavaScript, so it could not be HttpOnly.)
- Every rerun of every session checks its login again: the user still in the users file, the
  token not expired, and not issued before the user's last sign-out. Signing out therefore ends
  every session of that user, in every browser and app process, at its next rerun.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import bcrypt
import streamlit as st
import streamlit_authenticator as stauth

from app import audit, client, state, tokens
from app.roles import User
from app.settings import Settings
from app.startup import AuthConfig
from app.throttle import LoginThrottle
from app.users import MAX_USERNAME

log = logging.getLogger(__name__)
MAX_PASSWORD_BYTES = 72  # bcrypt's limit
COOKIE_ROUTE = "/_auth/session"
SIGNOUT_ROUTE = "/_auth/signout"


@dataclass(frozen=True)
class Outcome:
    kind: str  # "ok", "failed" or "wait"
    wait_s: float = 0.0
    ticket: str = ""


@st.cache_resource(show_spinner=False)
def _throttle(path: str, free_attempts: int, max_wait_s: int) -> LoginThrottle:
    """The shared counts; a damaged file (it holds only recent failures) is started afresh, and a
    folder that cannot be written leaves each process counting on its own, said in the log."""
    try:
        try:
            return LoginThrottle(free_attempts, max_wait_s, path=Path(path))
        except sqlite3.OperationalError:
            raise  # locked or unreadable is not damaged: another process may be counting in it
        except sqlite3.DatabaseError as exc:
            log.warning("login throttle: %s is damaged (%s); starting it afresh", path, exc)
            for leftover in (path, path + "-wal", path + "-shm"):
                Path(leftover).unlink(missing_ok=True)
            return LoginThrottle(free_attempts, max_wait_s, path=Path(path))
    except (OSError, sqlite3.Error) as exc:
        log.warning("login throttle: cannot use %s (%s); counting in this process only", path, exc)
        return LoginThrottle(free_attempts, max_wait_s)


def throttle(settings: Settings) -> LoginThrottle:
    """Failed logins are counted beside the audit log, in a file every app process shares."""
    path = Path(settings.audit_log_path).parent / "login_throttle.sqlite"
    return _throttle(str(path), settings.login_free_attempts, settings.login_max_wait_seconds)


@st.cache_resource
def _sign_outs(path: str) -> tokens.SignOuts:
    return tokens.SignOuts(Path(path))


def sign_outs(settings: Settings) -> tokens.SignOuts:
    """Sign-outs live beside the audit log, outside the read database."""
    return _sign_outs(str(Path(settings.audit_log_path).parent / "sign_outs.jsonl"))


def _still_valid(login: state.Login, config: AuthConfig, settings: Settings, now: float) -> User | None:
    user = config.users_file.users.get(login.user.username)
    if user is None or login.expires_at <= now:
        return None
    if login.issued_at <= sign_outs(settings).signed_out_at(user.username):
        return None
    return user  # role or scope may have changed in the file


def current_user(config: AuthConfig | None, settings: Settings) -> User | None:
    """The signed-in user: this session's login if still valid, else a valid login cookie."""
    if config is None:  # staff sign-in is unavailable (the login page says why)
        state.clear_login(signed_out=False)
        return None
    now = time.time()
    login = state.login()
    if login is not None:
        user = _still_valid(login, config, settings, now)
        if user is not None:
            if user != login.user:
                state.set_login(state.Login(user, login.token, login.issued_at, login.expires_at))
            return user
        state.clear_login(signed_out=True)  # the browser's cookie is the same, now void too
    if state.signed_out():
        return None
    raw = st.context.cookies.get(config.cookie_name) if st.context.cookies else None
    claims = tokens.verify(raw, config.cookie_key, now, config.users_file.users, config.cookie_hours * 3600)
    if claims is None or claims.issued_at <= sign_outs(settings).signed_out_at(claims.username):
        return None
    user = config.users_file.users[claims.username]
    state.set_login(state.Login(user, str(raw), claims.issued_at, claims.expires_at))
    return user


def visitor_address(settings: Settings) -> str:
    headers = st.context.headers
    return client.address(
        st.context.ip_address, headers if isinstance(headers, Mapping) else {}, settings.client_address_header
    )


def _client(config: AuthConfig, settings: Settings, username: str) -> tuple[str, bool]:
    """(the throttle's client key, whether this browser signed in as `username` before)."""
    raw = st.context.cookies.get(config.device_cookie) if st.context.cookies else None
    device = tokens.device_id(raw, config.cookie_key, username, time.time())
    if device:
        return "device:" + device, True
    return "address:" + visitor_address(settings), False


def _password_matches(config: AuthConfig, username: str, password: str) -> bool:
    """A bcrypt check in every case, so a wrong name answers as slowly as a wrong password."""
    stored = config.users_file.hashes.get(username)
    secret = password.encode()
    if stored is None or len(secret) > MAX_PASSWORD_BYTES:
        bcrypt.checkpw(secret[:MAX_PASSWORD_BYTES], config.decoy_hash)
        return False
    return stauth.Hasher.check_pw(password, stored)


def attempt_login(config: AuthConfig, settings: Settings, username: str, password: str, page: str) -> Outcome:
    """Check one sign-in try; on success this session is signed in and holds a cookie ticket.
    Every outcome is audited (names bounded in length)."""
    name = username.strip().lower()[: MAX_USERNAME + 1]
    gate = throttle(settings)
    log = settings.audit_log_path
    key, known = _client(config, settings, name)
    now = time.time()
    wait = gate.wait_seconds(name, key, known, now)
    if wait > 0:
        gate.failed(name, key, known, now)  # a refused try counts: hammering only lengthens the wait
        audit.record(log, user=name or None, role="public", event="login_throttled", page=page, success=False)
        return Outcome("wait", wait)
    if not name or not password:
        return Outcome("failed")
    if not _password_matches(config, name, password):
        gate.failed(name, key, known, time.time())
        audit.record(log, user=name, role="public", event="login_failure", page=page, success=False)
        return Outcome("failed")
    gate.succeeded(name, key)
    user = config.users_file.users[name]
    token, claims = tokens.issue(name, config.cookie_key, time.time(), config.cookie_hours)
    state.set_login(state.Login(user, token, claims.issued_at, claims.expires_at))
    audit.record(log, user=name, role=user.role, event="login_success", page=page)
    ticket = tokens.ticket(token, config.cookie_key, time.time(), visitor_address(settings))
    return Outcome("ok", ticket=ticket)


def logout(settings: Settings, page: str) -> None:
    """Sign this user out everywhere: every session and cookie issued before now becomes void."""
    login = state.login()
    state.clear_login(signed_out=True)
    if login is not None:
        sign_outs(settings).add(login.user.username)
        audit.record(settings.audit_log_path, user=login.user.username, role=login.user.role, event="logout", page=page)


def go_to(address: str, label: str) -> None:
    """Send the browser to one of our own auth routes (a full page load: the route sets or clears
    the HttpOnly cookie, then redirects back). `address` is built here, never from input; a link
    stays as a fallback where the script cannot run."""
    target = json.dumps(address).replace("<", "\\u003c")
    st.html(f"<script>window.location.replace({target});</script>", unsafe_allow_javascript=True)
    st.link_button(label, address)


def cookie_address(ticket: str, next_path: str) -> str:
    return f"{COOKIE_ROUTE}?{urlencode({'ticket': ticket, 'next': next_path})}"


def signout_address(next_path: str) -> str:
    return f"{SIGNOUT_ROUTE}?{urlencode({'next': next_path})}"
