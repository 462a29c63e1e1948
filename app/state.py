"""What the app keeps in a visitor's Streamlit session, behind typed helpers (no bare keys elsewhere).

Widget keys (filters, toggles) stay with their widgets; this module holds the app's own state:
the signed-in user and their login, the language, the page context of this run, and which
audit entries this session already wrote (so a rerun does not write them again), and when this
session last drew the page that says the data is away.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import streamlit as st

from app.roles import User

_LOGIN = "_login"
_LANG = "_lang"
_CONTEXT = "_page_context"
_AUDITED = "_audited"
_SIGNED_OUT = "_signed_out"
_DATA_AWAY = "_data_away_since"
MAX_AUDIT_MEMORY = 2000


@dataclass(frozen=True)
class Login:
    """A signed-in session: who, and the session token it holds (also the browser's cookie)."""

    user: User
    token: str
    issued_at: float
    expires_at: float


def login() -> Login | None:
    value = st.session_state.get(_LOGIN)
    return value if isinstance(value, Login) else None


def set_login(value: Login) -> None:
    st.session_state[_LOGIN] = value
    st.session_state.pop(_SIGNED_OUT, None)


def clear_login(signed_out: bool) -> None:
    """Forget the login; `signed_out` also ignores the browser's cookie until the next sign-in
    (the cookie is removed by a redirect that may not have happened yet)."""
    st.session_state.pop(_LOGIN, None)
    if signed_out:
        st.session_state[_SIGNED_OUT] = True


def signed_out() -> bool:
    return bool(st.session_state.get(_SIGNED_OUT))


def language() -> str | None:
    value = st.session_state.get(_LANG)
    return value if isinstance(value, str) else None


def set_language(lang: str) -> None:
    st.session_state[_LANG] = lang


def mark_data_away() -> None:
    st.session_state[_DATA_AWAY] = time.monotonic()


def seconds_since_data_away() -> float:
    """Since this session last drew the "data is away" page; infinite if it never did."""
    value = st.session_state.get(_DATA_AWAY)
    return time.monotonic() - value if isinstance(value, float) else float("inf")


def page_context() -> Any:
    return st.session_state.get(_CONTEXT)


def set_page_context(ctx: Any) -> None:
    st.session_state[_CONTEXT] = ctx


def first_time(entry: tuple) -> bool:
    """True once per session for each audit entry key; later reruns showing the same thing are not
    new views. Bounded: past MAX_AUDIT_MEMORY keys the memory starts afresh."""
    seen = st.session_state.get(_AUDITED)
    if not isinstance(seen, set) or len(seen) >= MAX_AUDIT_MEMORY:
        seen = set()
        st.session_state[_AUDITED] = seen
    if entry in seen:
        return False
    seen.add(entry)
    return True
