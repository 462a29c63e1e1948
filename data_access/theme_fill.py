"""Find the themes of the newest texts before anyone asks, in a process of its own.

The 社区E家 needs tab reads the street's newest texts and their themes (feedback.py), and themes
are remembered on disk beside the analytical copy (text_themes.py). A text nobody has themed yet
is segmented while the visitor waits: a new deployment's first visitor would wait nine seconds at
city scale. So whenever a process publishes a copy (analytical.py), it starts this module as a
child process, which themes every text of the street in the TEXT_WINDOW_DAYS up to the data's
"now" (and the titles of the activities held then) and remembers them, and writes each record's
themes beside the copy (record_themes.py), where DuckDB counts them. After a refresh only the new
texts are segmented; all are read again. The child runs on its own interpreter beside the app (the app's sessions
never wait for its lock), at most one per folder at a time (a file lock; a second one exits at
once), and the URL travels in its environment, never on its command line. A failure leaves the
themes to be found on demand, as before.
"""

from __future__ import annotations

import fcntl
import logging
import os
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

log = logging.getLogger(__name__)

SOURCE_ENV = "SYL_THEME_FILL_URL"
SWITCH_ENV = "SYL_THEME_FILL"
LOCK = "text-themes.lock"
CHUNK_DAYS = 30  # texts read and themed at a time: a city's street writes about 90,000 in a month
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def start(url: str, folder: Path) -> subprocess.Popen | None:
    """Start the child that themes the newest texts into `folder`; it is reaped by a thread. Not
    with SYL_THEME_FILL=off (the test suite's default: it publishes hundreds of copies)."""
    if os.environ.get(SWITCH_ENV, "on") == "off":
        return None
    env = os.environ | {SOURCE_ENV: url, "PYTHONPATH": str(PROJECT_ROOT)}
    try:
        child = subprocess.Popen(  # noqa: S603 - our own module, fixed arguments
            [sys.executable, "-m", "data_access.theme_fill", str(folder)],
            env=env,
            cwd=PROJECT_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
    except OSError as exc:
        log.warning("the themes of the newest texts could not be found in advance: %s", exc)
        return None
    threading.Thread(target=_reap, args=(child,), name="theme-fill", daemon=True).start()
    return child


def _reap(child: subprocess.Popen) -> None:
    _, errors = child.communicate()
    if child.returncode:
        last = (errors or b"").decode(errors="replace").strip().splitlines()[-1:] or [f"exit {child.returncode}"]
        log.warning("finding the themes of the newest texts in advance failed: %s", last[0])


def fill(url: str, folder: Path) -> int | None:
    """Theme the street's texts of the TEXT_WINDOW_DAYS up to the data's "now" into `folder`'s
    remembered themes. None when another process is doing it already; else how many texts."""
    import pandas as pd

    from data_access import feedback, record_themes, text_themes
    from data_access.engine import make_readonly_engine
    from data_access.filters import EVERYWHERE
    from data_access.reference import data_as_of
    from data_access.scope import Scope

    with open(folder / LOCK, "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return None
        engine = make_readonly_engine(url, statement_timeout_s=600)
        try:
            until = data_as_of(engine)
            if until is None:
                return 0
            text_themes.remember_in(engine, folder)
            since = until - timedelta(days=feedback.TEXT_WINDOW_DAYS)
            street = Scope.street()
            feedback.activity_supply(engine, street, since, until, EVERYWHERE)  # the activities' titles
            parts = []
            start = since
            while start < until:  # every text of the window, a month at a time (memory stays bounded)
                end = min(start + timedelta(days=CHUNK_DAYS), until)
                texts = feedback.read_texts(engine, street, start, end, EVERYWHERE, limit=None)
                parts.append(record_themes.as_bits(texts))
                start = end
            records = pd.concat(parts, ignore_index=True)
            record_themes.write(folder, records, since, until)
            return len(records)
        finally:
            engine.dispose()


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    fill(os.environ[SOURCE_ENV], Path(sys.argv[1]))


if __name__ == "__main__":
    main()
