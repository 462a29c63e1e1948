"""The one reader of URL parameters: one validator per kind of value, and widget state kept in the URL.

Every parameter a page reads goes through a validator here: a known code from an allowed set,
a list of such codes, a finite number in a range, or a day in a range; anything longer than
MAX_LENGTH is refused before it is looked at. A value that fails falls back to the default, and
the visitor is told once per session (a notice names the parameter, never echoes its value).
So a hand-edited or hostile link can only ever produce values a page could have chosen itself,
and caches are keyed by those values alone.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection
from datetime import date
from typing import TypeVar

import streamlit as st

from app import state

MAX_LENGTH = 200  # characters: longer than any code list a page writes
MAX_ITEMS = 40  # entries in a comma-separated list
T = TypeVar("T")
_notify: Callable[[list[str]], None] | None = None


def on_rejected(notify: Callable[[list[str]], None]) -> None:
    """How to tell the visitor (set by the router: a toast in their language)."""
    global _notify
    _notify = notify


def raw(name: str) -> str | None:
    """The parameter as sent, or None when absent (or given more than once in a broken way)."""
    value = st.query_params.get(name)
    return value if isinstance(value, str) else None


def _rejected(name: str) -> None:
    if _notify is not None and state.first_time(("url_rejected", name)):
        _notify([name])


def _checked(name: str, parse: Callable[[str], T], default: T) -> T:
    value = raw(name)
    if value is None or value == "":
        return default
    if len(value) > MAX_LENGTH:
        _rejected(name)
        return default
    try:
        return parse(value)
    except ValueError:
        _rejected(name)
        return default


def parse_choice(value: str, allowed: Collection[str]) -> str:
    if value not in allowed:
        raise ValueError("not an allowed code")
    return value


def parse_number(value: str, low: float, high: float) -> float:
    found = float(value)
    if not math.isfinite(found) or not low <= found <= high:
        raise ValueError("not a finite number in range")
    return found


def parse_day(value: str, earliest: date, latest: date) -> date:
    found = date.fromisoformat(value)
    if not earliest <= found <= latest:
        raise ValueError("not a day in range")
    return found


def choice(name: str, allowed: Collection[str], default: str) -> str:
    """One code out of `allowed`."""
    return _checked(name, lambda value: parse_choice(value, allowed), default)


def choices(name: str, allowed: Collection[str]) -> tuple[str, ...]:
    """A comma-separated list of codes out of `allowed` (unknown ones dropped, the visitor told)."""

    def parse(value: str) -> tuple[str, ...]:
        items = [item for item in value.split(",") if item]
        known = tuple(dict.fromkeys(item for item in items[:MAX_ITEMS] if item in allowed))
        if len(known) != len(set(items)):
            _rejected(name)
        return known

    return _checked(name, parse, ())


def number(name: str, default: float, low: float, high: float) -> float:
    """A finite number in [low, high] (NaN, infinities and anything outside fall back)."""
    return _checked(name, lambda value: parse_number(value, low, high), default)


def day(name: str, default: date, earliest: date, latest: date) -> date:
    """An ISO date (YYYY-MM-DD) in [earliest, latest]."""
    return _checked(name, lambda value: parse_day(value, earliest, latest), default)


def seed(key: str, value: object) -> None:
    """Give a widget its first value (from the URL); later runs keep what the user chose."""
    if key not in st.session_state:
        st.session_state[key] = value


def write(params: dict[str, str]) -> None:
    """Make the query string exactly `params` (only when it differs, to avoid needless reruns)."""
    if st.query_params.to_dict() != params:
        st.query_params.from_dict(params)
