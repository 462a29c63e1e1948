"""Widget state that lives in the URL: seed a widget from ?name= once, write choices back."""

from __future__ import annotations

from collections.abc import Collection

import streamlit as st


def from_url(name: str) -> str:
    value = st.query_params.get(name, "")
    return value if isinstance(value, str) else ""


def seed(key: str, value: object) -> None:
    """Give a widget its first value (from the URL); later runs keep what the user chose."""
    if key not in st.session_state:
        st.session_state[key] = value


def seed_choice(key: str, name: str, allowed: Collection, default: object) -> None:
    """Seed from ?name= when it is one of `allowed` (a hand-edited link cannot pick anything else)."""
    value = from_url(name)
    seed(key, value if value in allowed else default)


def write(params: dict[str, str]) -> None:
    """Make the query string exactly `params` (only when it differs, to avoid needless reruns)."""
    if st.query_params.to_dict() != params:
        st.query_params.from_dict(params)
