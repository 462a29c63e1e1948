"""Time each page through the real entry point (AppTest): cold run, then warm reruns; and payload sizes.

    .venv/bin/python bench/page_speed.py [--db sqlite:///data/demo.sqlite] [--runs 5]

Cold = first run in a fresh process cache (engine made, queries run); warm = a rerun with the same
filters, as when a user clicks something that does not change the data; filter = the rerun after
picking a community in the page's filter (new queries, not cached). The analytical copy (--copy,
default auto) is loaded before the first page is timed. Prints a table; writes nothing.

    .venv/bin/python bench/page_speed.py --db sqlite:///bench/out/city.sqlite --copy on --first-visitor

The first visitor after a restart: the shared copy is brought up to date once (in --copy-dir), then
each page and role is opened in a fresh process that does what the server does at start (open the
database and the copy on disk) and times that page's first run, without waiting for anything.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAGES = {
    "overview": "",
    "issue_map": "period=12m",
    "transparency": "period=12m",
    "volunteers": "period=year",
    "patrols": "",
    "watchlist": "",
    "performance": "",
    "ehome#parking": "tab=parking&period=90d",  # page#label: one page's tabs timed apart
    "ehome#dialogue": "tab=dialogue&period=90d",
    "ehome#services": "tab=services&period=90d",
    "ehome#needs": "tab=needs&period=90d",
    "ehome#gates": "tab=gates&period=90d",
}
STAFF_ONLY = {"patrols", "watchlist", "performance"}


def change_filter(at) -> float | None:  # noqa: ANN001
    """Pick the first community in the page's community filter and time the rerun (None: no such filter)."""
    boxes = [box for box in at.selectbox if str(box.key or "").endswith("_community") and len(box.options) > 1]
    if not boxes:
        return None
    boxes[0].select_index(1)
    started = time.perf_counter()
    at.run()
    return time.perf_counter() - started


def measure(page: str, query: str, runs: int, user=None) -> tuple:  # noqa: ANN001
    from streamlit.testing.v1 import AppTest

    from app import data, state
    from tests.apptest_helpers import open_url_path, signed_in

    data.forget_answers()  # every page and role starts cold (the analytical copy is a resource: kept)
    at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=120)
    if user is not None:
        at.session_state[state._LOGIN] = signed_in(user)  # noqa: SLF001
    for pair in filter(None, query.split("&")):
        name, value = pair.split("=", 1)
        at.query_params[name] = value
    if page != "overview":
        at.run()
        open_url_path(at, page)
    started = time.perf_counter()
    at.run()  # the page's first run: its queries are not cached yet
    cold = time.perf_counter() - started
    warm = []
    for _ in range(runs):
        started = time.perf_counter()
        at.run()
        warm.append(time.perf_counter() - started)
    if at.exception or at.error:
        problem = at.exception[0].message if at.exception else at.error[0].value
        raise SystemExit(f"{page} did not render, so its timings would mean nothing: {problem}")
    deck_bytes = sum(len(d.proto.json.encode()) for d in at.get("deck_gl_json_chart"))
    chart_bytes = sum(len(c.proto.spec.encode()) for c in at.get("plotly_chart"))
    table_bytes = sum(len(t.proto.SerializeToString()) for kind in ("dataframe", "table")
                      for t in at.get(kind))
    changed = change_filter(at)
    if at.exception or at.error:
        problem = at.exception[0].message if at.exception else at.error[0].value
        raise SystemExit(f"{page} failed after a filter change: {problem}")
    return cold, statistics.median(warm), changed, deck_bytes, chart_bytes, table_bytes


def wait_for_copy(url: str) -> None:
    """The app starts loading its analytical copy with its first engine; time pages once it is there."""
    from app.data import engine_for

    engine = engine_for(url)
    copy = getattr(engine, "copy", None)
    if copy is None:
        print("analytical copy: off")
        return
    started = time.perf_counter()
    ready = copy.wait(600)
    snapshot = copy.snapshot
    if ready and snapshot is not None:
        waited = time.perf_counter() - started
        print(f"analytical copy: loaded in {snapshot.load_seconds:.1f} s (waited {waited:.1f} s)")
    else:
        print(f"analytical copy: not used ({copy.last_error or 'below the size threshold'})")


def roles_of(page: str) -> tuple[str, ...]:
    return ("street_official",) if page in STAFF_ONLY else ("public", "street_official")


def first_visit(page: str, role: str, url: str) -> None:
    """In a fresh process: open the database and its copy as the server does at start, then time the
    page's first run at once. Prints JSON."""
    from app.data import engine_for
    from tests.apptest_helpers import USERS

    started = time.perf_counter()
    engine = engine_for(url)
    opened = time.perf_counter() - started
    copy = getattr(engine, "copy", None)
    served = copy is not None and copy.snapshot is not None
    cold, *_ = measure(page.split("#")[0], PAGES[page], 1, USERS[role])
    answered = copy.answered if copy is not None else 0
    print(json.dumps({"open_s": opened, "cold_s": cold, "copy_open": served, "copy_answered": answered}))


def first_visitors(args: argparse.Namespace) -> None:
    import subprocess

    from data_access.analytical import build_published

    started = time.perf_counter()
    snapshot = build_published(args.db, Path(args.copy_dir))
    how = "refreshed" if snapshot.refreshed else "opened or built"
    print(f"shared copy {how} in {time.perf_counter() - started:.1f} s: {snapshot.path}")
    print(f"{'page':<16}{'as':<18}{'open s':>8}{'first s':>9}  copy")
    for page in args.pages.split(","):
        for role in roles_of(page):
            done = subprocess.run(  # noqa: S603 - this script, fixed arguments
                [sys.executable, __file__, "--db", args.db, "--copy", args.copy, "--copy-dir", args.copy_dir,
                 "--one", f"{page}:{role}"],
                capture_output=True, text=True, check=True,
            )
            found = json.loads(done.stdout.strip().splitlines()[-1])
            state = f"open, answered {found['copy_answered']}" if found["copy_open"] else "not open"
            print(f"{page:<16}{role:<18}{found['open_s']:>8.2f}{found['cold_s']:>9.2f}  {state}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default=f"sqlite:///{ROOT / 'data' / 'demo.sqlite'}")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--pages", default=",".join(PAGES), help="comma-separated page ids")
    parser.add_argument("--copy", choices=("auto", "on", "off"), default="auto", help="the analytical copy")
    parser.add_argument("--first-visitor", action="store_true", help="time each page's first visitor after a restart")
    parser.add_argument("--copy-dir", default=str(ROOT / "bench" / "out" / "analytical"))
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = args.db
    os.environ["SYL_ANALYTICAL_COPY"] = args.copy
    os.environ["SYL_ANALYTICAL_COPY_DIR"] = args.copy_dir
    os.environ["SYL_AUDIT_LOG_PATH"] = str(Path(tempfile.mkdtemp()) / "audit.jsonl")
    os.environ.setdefault("SYL_COOKIE_KEY", secrets.token_urlsafe(48))
    if args.one:
        page, role = args.one.split(":")
        first_visit(page, role, args.db)
        return
    if args.first_visitor:
        first_visitors(args)
        return
    from tests.apptest_helpers import USERS

    print(f"database: {args.db}")
    wait_for_copy(args.db)
    print(f"{'page':<16}{'as':<18}{'cold s':>8}{'warm s':>8}{'filter s':>9}{'map KB':>9}{'charts KB':>11}"
          f"{'tables KB':>11}")
    results = {}
    for page, query in ((p, PAGES[p]) for p in args.pages.split(",")):
        for role in roles_of(page):
            cold, warm, changed, deck, charts, tables = measure(page.split("#")[0], query, args.runs, USERS[role])
            results[f"{page}/{role}"] = {"cold_s": round(cold, 3), "warm_s": round(warm, 3),
                                         "filter_s": None if changed is None else round(changed, 3),
                                         "map_bytes": deck, "chart_bytes": charts, "table_bytes": tables}
            shown = "-" if changed is None else f"{changed:.2f}"
            print(f"{page:<16}{role:<18}{cold:>8.2f}{warm:>8.2f}{shown:>9}{deck / 1024:>9.1f}{charts / 1024:>11.1f}"
                  f"{tables / 1024:>11.1f}", flush=True)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
