"""Cached access to the read database for pages.

One engine per URL per process (st.cache_resource); query results cached per
function, database, scope and filters (st.cache_data), so two users with
different scopes never share an entry. Pages call ``query(fn, ...)`` with a
data_access function; they never build SQL.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import streamlit as st
from sqlalchemy.engine import Engine

from app.settings import SettingError, default_of, load_settings
from data_access.contract import ContractReport, ensure_usable
from data_access.engine import make_readonly_engine


def _cache_ttl() -> int:
    try:
        return int(load_settings()["cache_ttl_seconds"])
    except SettingError:  # the router shows the error; the cache just needs a number
        return int(default_of("cache_ttl_seconds"))


_TTL = _cache_ttl()


@st.cache_resource(show_spinner=False)
def engine_for(url: str) -> Engine:
    return make_readonly_engine(url)


@st.cache_data(ttl=30, show_spinner=False)
def database_status(url: str) -> ContractReport:
    """Raises the typed error a page should show; cached only when the database is usable."""
    return ensure_usable(engine_for(url))


@st.cache_data(ttl=_TTL, show_spinner=False, max_entries=2000)
def _run(module: str, name: str, url: str, args: tuple, kwargs: dict) -> Any:
    function = getattr(importlib.import_module(module), name)
    return function(engine_for(url), *args, **kwargs)


def query(function: Callable[..., Any], url: str, *args: Any, **kwargs: Any) -> Any:
    """Run a data_access function (first parameter: the engine) through the cache."""
    return _run(function.__module__, function.__name__, url, args, kwargs)
