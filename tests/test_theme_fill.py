"""Themes found before anyone asks (data_access/theme_fill.py): the process that publishes a copy
starts a child that themes the street's newest texts into the copy's folder, so the needs tab's
first visitor segments nothing."""

from __future__ import annotations

import fcntl
import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from data_access import feedback, record_themes, text_themes, theme_fill
from data_access.analytical import AnalyticalCopy
from data_access.copy_store import CopyStore
from data_access.engine import PROJECT_ROOT, make_readonly_engine
from data_access.reference import data_as_of

CHECK = """
import sys
from datetime import timedelta
from pathlib import Path
from data_access import feedback, text_themes
from data_access.engine import make_readonly_engine
from data_access.filters import EVERYWHERE
from data_access.reference import data_as_of
from data_access.scope import Scope

def refuse(text):
    raise SystemExit(f"segmented again: {text!r}")

text_themes.themes_of = refuse
engine = make_readonly_engine(sys.argv[1])
text_themes.remember_in(engine, Path(sys.argv[2]))
until = data_as_of(engine)
since = until - timedelta(days=feedback.TEXT_WINDOW_DAYS)
frame = feedback.read_texts(engine, Scope.street(), since, until, EVERYWHERE)
assert frame["themes"].map(bool).sum() > 0
supply = feedback.activity_supply(engine, Scope.street(), since, until, EVERYWHERE)  # titles, as the tab asks
assert supply["activities"].sum() > 0
print(len(frame))
"""


def themed_without_segmenting(url: str, folder: Path) -> int:
    """How many of the needs tab's texts the remembered themes in `folder` answer (and the titles of
    the activities held then), asked by a new process as after a restart (this one has learnt other tests' place names, which rightly change
    what texts are remembered under); fails on a text it would have to segment."""
    done = subprocess.run(  # noqa: S603 - this interpreter, fixed code
        [sys.executable, "-c", CHECK, url, str(folder)],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300, check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return int(done.stdout.strip().splitlines()[-1])


def test_fill_themes_the_texts_the_needs_tab_reads_first(
    tiny_sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(theme_fill.SWITCH_ENV, "on")
    child = theme_fill.start(tiny_sqlite_url, tmp_path)  # its own process, as the app starts it
    assert child is not None and child.wait(120) == 0
    assert _rows(tmp_path / text_themes.FILE_NAME) > 100
    assert themed_without_segmenting(tiny_sqlite_url, tmp_path) > 100
    held = record_themes.coverage(tmp_path)  # and each record's themes, for DuckDB to count
    assert held is not None and held.until == data_as_of(make_readonly_engine(tiny_sqlite_url))
    assert held.until - held.since == timedelta(days=feedback.TEXT_WINDOW_DAYS)


def test_a_second_fill_meanwhile_leaves_at_once(tiny_sqlite_url: str, tmp_path: Path) -> None:
    with open(tmp_path / theme_fill.LOCK, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        assert theme_fill.fill(tiny_sqlite_url, tmp_path) is None
    assert not (tmp_path / text_themes.FILE_NAME).exists()


def test_publishing_a_copy_starts_the_child_that_fills_them(
    tiny_sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(theme_fill.SWITCH_ENV, "on")
    started: list = []
    real = theme_fill.start
    monkeypatch.setattr(theme_fill, "start", lambda url, folder: started.append(real(url, folder)) or started[-1])
    store = CopyStore(tmp_path / "copies")
    engine = make_readonly_engine(tiny_sqlite_url)
    AnalyticalCopy(engine, url=tiny_sqlite_url, refresh_seconds=float("inf"), store=store).load_now()
    assert len(started) == 1 and started[0] is not None
    assert started[0].wait(120) == 0
    assert themed_without_segmenting(tiny_sqlite_url, store.folder) > 100
    # A restarted process opens the published copy and checks the themes once more (a copy built
    # before them, or a themes file lost since): every text is known, so nothing is added.
    remembered = _rows(store.folder / text_themes.FILE_NAME)
    restarted = AnalyticalCopy(engine, url=tiny_sqlite_url, refresh_seconds=float("inf"), store=store)
    assert restarted.open_published() is not None
    assert len(started) == 2 and started[1] is not None
    assert started[1].wait(120) == 0
    assert _rows(store.folder / text_themes.FILE_NAME) == remembered
    # The themes file lost: the next start finds them again.
    for path in store.folder.glob(text_themes.FILE_NAME + "*"):
        path.unlink()
    AnalyticalCopy(engine, url=tiny_sqlite_url, refresh_seconds=float("inf"), store=store).open_published()
    assert started[2].wait(120) == 0
    assert _rows(store.folder / text_themes.FILE_NAME) == remembered


def _rows(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT count(*) FROM text_themes").fetchall()[0][0]


def test_switched_off_nothing_starts(tiny_sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(theme_fill.SWITCH_ENV, "off")
    assert theme_fill.start(tiny_sqlite_url, tmp_path) is None
