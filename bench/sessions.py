"""Ten people using the app at once, through real browsers: server memory, page times, bytes sent.

    .venv/bin/python bench/sessions.py --db sqlite:///bench/out/city.sqlite [--sessions 10] [--rounds 3]

Starts its own server on a free port over --db, waits until the analytical copy is loaded (the
data-health page says so), then opens --sessions Chromium tabs at once, each in its own browser
context (its own cookies, so its own Streamlit session). Public visitors and logged-in street
officials alternate; each walks through its pages --rounds times, picking another period on the
way so queries miss the cache. It samples the server's RSS (with its children) every second and
records, per page view, the seconds until the page is drawn and the websocket bytes the server
sent. The browsers run on the same machine as the server: on two cores, ten Chromiums drawing
WebGL maps in software are most of the load, so page times here are an upper bound, and the
server's RSS is the figure this measures. Prints; writes nothing.

    .venv/bin/python bench/sessions.py --db sqlite:///bench/out/city.sqlite --refresh-after 60

A refresh while the sessions are open: the server runs on a private copy of the SQLite file
(in bench/out), checks the watermark every 15 s, and --refresh-after seconds into the sessions a
feed's hour is written to that file (2,000 issues closed, 200 added, 20 deleted, the data's "now"
an hour later). The copy is then refreshed in place in a child process while the pages are in
use; the server's RSS is reported for that window apart.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sqlite3
import statistics
import sys
import threading
import time
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.app_server import start_server  # noqa: E402
from bench.copy_in_place import feed_day  # noqa: E402
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.e2e.helpers import login, wait_ready  # noqa: E402

PUBLIC_WALK = ["", "issue_map?period=12m", "transparency?period=12m", "volunteers?period=year",
               "transparency?period=90d", "issue_map?period=30d"]
TIMEOUT_MS = 180_000  # ten browsers share two cores with the server: page loads are slow, not failed
STAFF_WALK = ["patrols", "watchlist", "performance", "issue_map?period=12m", "transparency?period=30d"]


def _rss(process: psutil.Process, children: bool = True) -> float:
    """MiB: the server alone, or with its children (a copy's build or refresh runs in one)."""
    total = process.memory_info().rss
    for child in process.children(recursive=True) if children else ():
        with contextlib.suppress(psutil.NoSuchProcess):  # a child may end while we count
            total += child.memory_info().rss
    return total / 2**20


def _wait_for_copy(browser, base: str, timeout_s: float) -> str:  # noqa: ANN001
    """Log in as the administrator and read the copy's state off the data-health page."""
    context = browser.new_context()
    page = context.new_page()
    login(page, base, "admin", "admin-demo-2026", TIMEOUT_MS)
    deadline = time.monotonic() + timeout_s
    state = ""
    while time.monotonic() < deadline:
        page.goto(f"{base}/data_health?lang=en", timeout=TIMEOUT_MS)
        wait_ready(page, TIMEOUT_MS)
        state = page.inner_text("[data-testid='stMain']")
        if "rows loaded" in state or "Switched off" in state or "Not used" in state:
            break
        page.wait_for_timeout(3000)
    context.close()
    found = [row for row in state.splitlines() if "rows loaded" in row or "Switched off" in row or "Not used" in row]
    return found[0].strip() if found else state[-200:]


def _private_copy(db: str) -> Path:
    """The SQLite file of `db` copied into bench/out, for a feed to write to."""
    source = Path(db.removeprefix("sqlite:///"))
    target = ROOT / "bench" / "out" / f"sessions-{os.getpid()}.sqlite"
    print(f"copying {source} for the feed ...", flush=True)
    shutil.copyfile(source, target)
    return target


def _feed_hour(path: Path) -> None:
    """A feed's hour: 2,000 issues closed, 200 added, 20 deleted; the data's "now" an hour on."""
    with sqlite3.connect(path) as conn:
        now = conn.execute("SELECT value FROM meta WHERE key = 'data_as_of'").fetchone()[0]
    moved = datetime.fromisoformat(now).replace(tzinfo=None) + timedelta(hours=1)  # naive UTC, as the feed writes
    stamp = moved.isoformat(sep=" ", timespec="seconds")
    feed_day(path, 2000, 0, stamp)
    print(f"a feed's hour written at {time.strftime('%H:%M:%S')}: data now {stamp}", flush=True)


def _refreshing(process: psutil.Process) -> bool:
    with contextlib.suppress(psutil.NoSuchProcess):
        return any("python" in child.name() for child in process.children(recursive=True))
    return False


def _session(browser, base: str, staff: bool, rounds: int, views: list, errors: list) -> None:  # noqa: ANN001
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    received = [0]

    def on_socket(ws) -> None:  # noqa: ANN001
        ws.on("framereceived", lambda payload: received.__setitem__(0, received[0] + len(payload)))

    page.on("websocket", on_socket)
    try:
        if staff:
            login(page, base, "street", "street-demo-2026", TIMEOUT_MS)
        for _ in range(rounds):
            for path in STAFF_WALK if staff else PUBLIC_WALK:
                before = received[0]
                started = time.perf_counter()
                separator = "&" if "?" in path else "?"
                page.goto(f"{base}/{path}{separator}lang=zh")
                wait_ready(page, TIMEOUT_MS)
                seconds = time.perf_counter() - started - 0.8  # wait_ready's settling pause
                if page.query_selector("[data-testid='stException']"):
                    errors.append(path)
                views.append((path.split("?")[0] or "overview", seconds, received[0] - before))
    except Exception as exc:  # noqa: BLE001 - a failed session is reported, the others go on
        errors.append(f"{type(exc).__name__}: {exc}")
    finally:
        context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="sqlite:///bench/out/city.sqlite")
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--copy", choices=("auto", "on", "off"), default="auto")
    parser.add_argument("--stagger", type=float, default=5.0, help="seconds between sessions' arrivals")
    parser.add_argument("--refresh-after", type=float, default=0.0,
                        help="seconds into the sessions to write a feed's hour (SQLite only; 0: none)")
    args = parser.parse_args()

    private = _private_copy(args.db) if args.refresh_after else None
    db = f"sqlite:///{private}" if private else args.db
    extra = {"SYL_ANALYTICAL_REFRESH_SECONDS": "15"} if private else {}
    server, base = start_server(db, SYL_ANALYTICAL_COPY=args.copy, **extra)
    process = psutil.Process(server.pid)
    samples: list[float] = []
    alone: list[float] = []
    building: list[bool] = []  # a child process (the copy's refresh) was running at that sample
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            samples.append(_rss(process))
            alone.append(_rss(process, children=False))
            building.append(_refreshing(process))
            stop.wait(1.0)

    from playwright.sync_api import sync_playwright

    views: list[tuple[str, float, int]] = []
    errors: list[str] = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            print(f"database: {db}")
            print(f"copy: {_wait_for_copy(browser, base, 900)}")
            idle = _rss(process)
            print(f"server RSS before the sessions: {idle:.0f} MiB", flush=True)
            threading.Thread(target=sample, daemon=True).start()
            started = time.monotonic()
            if private:
                threading.Timer(args.refresh_after, _feed_hour, args=(private,)).start()
            # Playwright's sync API is single-threaded: drive the sessions from one thread per browser.
            browser.close()
            workers = [threading.Thread(target=_run_one, args=(base, i % 2 == 1, args.rounds, views, errors))
                       for i in range(args.sessions)]
            for worker in workers:  # staggered, as people arrive; all ten are open together after that
                worker.start()
                time.sleep(args.stagger)
            for worker in workers:
                worker.join()
            elapsed = time.monotonic() - started
    finally:
        stop.set()
        server.terminate()
        server.wait(timeout=20)
        if private:
            private.unlink(missing_ok=True)

    print(f"{args.sessions} sessions x {args.rounds} rounds: {len(views)} page views in {elapsed:.0f} s; "
          f"errors: {errors or 'none'}")
    print(f"server RSS: idle {idle:.0f} MiB, peak {max(samples):.0f} MiB, last {samples[-1]:.0f} MiB (with children)")
    print(f"server process alone: peak {max(alone):.0f} MiB, last {alone[-1]:.0f} MiB")
    if private:
        during = [i for i, flag in enumerate(building) if flag]
        if during:
            print(f"refresh: a child ran for {len(during)} s of samples; server alone peak "
                  f"{max(alone[i] for i in during):.0f} MiB, with the child {max(samples[i] for i in during):.0f} MiB")
        else:
            print("refresh: no child process was seen (the watermark check did not run in the sessions' time)")
    by_page: dict[str, list[tuple[float, int]]] = defaultdict(list)
    for page, seconds, sent in views:
        by_page[page].append((seconds, sent))
    print("| page | views | median s | worst s | median KB sent | most KB sent |")
    print("| --- | --- | --- | --- | --- | --- |")
    for page, rows in sorted(by_page.items()):
        seconds = [s for s, _ in rows]
        sent = [b / 1024 for _, b in rows]
        print(f"| {page} | {len(rows)} | {statistics.median(seconds):.2f} | {max(seconds):.2f} | "
              f"{statistics.median(sent):.0f} | {max(sent):.0f} |")


def _run_one(base: str, staff: bool, rounds: int, views: list, errors: list) -> None:
    """One session in its own Playwright and Chromium (the sync API may not be shared across threads)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            _session(browser, base, staff, rounds, views, errors)
        finally:
            browser.close()


if __name__ == "__main__":
    main()
