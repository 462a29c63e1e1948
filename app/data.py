"""Cached access to the read database for pages.

One engine per URL per process (st.cache_resource); query results cached per
function, database, scope and filters, so two users with different scopes never
share an entry. An answer is kept once per process (st.cache_resource) and each
caller gets its own copy of it (app/own_view.py), cheaper than unpickling one. Pages
call ``query(fn, ...)`` with a data_access function; they never build SQL.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import streamlit as st
from sqlalchemy.engine import Engine

from app.formatting import local_datetime, number
from app.own_view import own_view
from app.settings import load_settings
from data_access import feedback
from data_access.analytical import AnalyticalCopy, RoutedEngine
from data_access.contract import ContractReport, ensure_usable
from data_access.copy_store import CopyStore, folder_for
from data_access.engine import make_readonly_engine
from data_access.localtime import Zone, zone_of

_TTL = load_settings().cache_ttl_seconds
log = logging.getLogger(__name__)


@st.cache_resource(show_spinner=False)
def engine_for(url: str) -> Engine | RoutedEngine:
    """The read database, with the analytical copy in front of it unless it is switched off.

    The copy on disk, if another process or an earlier run built one, answers at once; a newer one
    loads in the background (one process builds it, the others wait for it). Until a copy is open
    (and for what it does not hold) queries go to the read database."""
    engine = make_readonly_engine(url)
    settings = load_settings()
    if settings.analytical_copy == "off":
        return engine
    copy = AnalyticalCopy(
        engine,
        url=url,
        refresh_seconds=settings.analytical_refresh_seconds,
        min_issues=0 if settings.analytical_copy == "on" else settings.analytical_copy_min_issues,
        store=_store_for(settings.analytical_copy_dir, url),
    )
    copy.start()
    return RoutedEngine(engine, copy)


def _store_for(root: str, url: str) -> CopyStore | None:
    """The shared folder of this database's copies; None (a private copy per process, rebuilt at each
    start) when the folder cannot be made, so a wrong setting slows the app instead of stopping it."""
    try:
        return CopyStore(folder_for(Path(root), url))
    except OSError as exc:
        log.warning("analytical_copy_dir %s cannot be used (%s): each process keeps its own copy", root, exc)
        return None


def warm_up() -> threading.Thread:
    """Open the configured database and its analytical copy now, in the background, so the first
    visitor after a start finds the copy open (or its build under way) instead of starting it."""

    def open_database() -> None:
        url = load_settings().database_url
        try:
            engine_for(str(url))
        except Exception:  # noqa: BLE001 - the first page that asks reports what is wrong
            log.warning("the database could not be opened at start-up", exc_info=True)

    thread = threading.Thread(target=open_database, name="warm-up", daemon=True)
    thread.start()
    return thread


@st.cache_resource(show_spinner=False)
def segmenter_loading(url: str) -> threading.Thread:
    """Start teaching the Chinese segmenter this database's place names in the background, once per
    process: the 社区E家 page calls it on its first visit, so the themes tab a visitor opens next does
    not wait for that read. The dictionary itself loads when a text first needs segmenting (some
    20 ms from its cache file, data_access/jieba_trie.py). Not at start-up: it would slow every page
    rendered in those seconds."""
    thread = threading.Thread(target=_prepare_segmenter, args=(url,), name="segmenter", daemon=True)
    thread.start()
    return thread


def _prepare_segmenter(url: str) -> None:
    try:
        feedback.prepare(engine_for(url))
    except Exception:  # noqa: BLE001 - a database that cannot be read is reported by the page that asks
        log.warning("the segmenter could not be prepared in the background", exc_info=True)


def copy_state(url: str, t: Callable[..., str], lang: str) -> str:
    """One line for operators: is the analytical copy off, loading, loaded, or failing?"""
    engine = engine_for(url)
    if not isinstance(engine, RoutedEngine):
        return t("health.copy_off")
    copy = engine.copy
    snapshot = copy.snapshot
    if snapshot is not None:  # serving, perhaps while a newer copy failed to build
        at = local_datetime(datetime.fromtimestamp(snapshot.loaded_at, UTC).replace(tzinfo=None), lang)
        rows = number(sum(snapshot.rows.values()), lang)
        state = t("health.copy_loaded", rows=rows, seconds=f"{snapshot.load_seconds:.1f}", at=at)
        return state + (" " + t("health.copy_stale", error=copy.last_error) if copy.last_error else "")
    if copy.last_error:
        return t("health.copy_failed", error=copy.last_error)
    return t("health.copy_loading") if copy.loading else t("health.copy_small")


def zone_for(url: str) -> Zone:
    """The zone the database's figures are read and shown in (see data_access/localtime.py)."""
    return zone_of(engine_for(url))


@st.cache_data(ttl=30, show_spinner=False)
def database_status(url: str) -> ContractReport:
    """Raises the typed error a page should show; cached only when the database is usable."""
    return ensure_usable(engine_for(url))


def database_back(url: str) -> ContractReport:
    """The same check, never cached: what a page that could not read the database asks to know
    whether it is back (database_status may still hold the answer from before it went away)."""
    return ensure_usable(engine_for(url))


@st.cache_resource(ttl=_TTL, show_spinner=False, max_entries=2000)
def _run(module: str, name: str, url: str, args: tuple, kwargs: dict, generation: tuple | None) -> Any:
    function = getattr(importlib.import_module(module), name)
    return function(engine_for(url), *args, **kwargs)


def copy_generation(url: str) -> tuple | None:
    """The watermark of the analytical copy the process serves now (None without one). Part of every
    cached query's key: when a refresh brings the copy up to the feed, the next page asks afresh
    instead of showing figures cached from the older copy until cache_ttl_seconds runs out."""
    engine = engine_for(url)
    snapshot = engine.copy.snapshot if isinstance(engine, RoutedEngine) else None
    return None if snapshot is None else tuple(snapshot.watermark)


def query(function: Callable[..., Any], url: str, *args: Any, **kwargs: Any) -> Any:
    """Run a data_access function (first parameter: the engine) through the cache."""
    return own_view(_run(function.__module__, function.__name__, url, args, kwargs, copy_generation(url)))


def forget_answers() -> None:
    """Drop every cached answer (tests that change what a query would return; page_speed's cold runs)."""
    _run.clear()
    database_status.clear()
