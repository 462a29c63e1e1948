"""Time each page through the real entry point (AppTest): cold run, then warm reruns; and payload sizes.

    .venv/bin/python bench/page_speed.py [--db sqlite:///data/demo.sqlite] [--runs 5]

Cold = first run in a fresh process cache (engine made, queries run); warm = a rerun with the same
filters, as when a user clicks something that does not change the data. Prints a table; writes nothing.
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
}


def measure(page: str, query: str, runs: int, user=None) -> tuple[float, float, int, int]:  # noqa: ANN001
    from streamlit.testing.v1 import AppTest

    from tests.apptest_helpers import open_url_path

    at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=120)
    if user is not None:
        at.session_state["user"] = user
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
    return cold, statistics.median(warm), deck_bytes, chart_bytes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default=f"sqlite:///{ROOT / 'data' / 'demo.sqlite'}")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--pages", default=",".join(PAGES), help="comma-separated page ids")
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = args.db
    os.environ["SYL_AUDIT_LOG_PATH"] = str(Path(tempfile.mkdtemp()) / "audit.jsonl")
    os.environ.setdefault("SYL_COOKIE_KEY", secrets.token_urlsafe(48))
    from tests.apptest_helpers import USERS

    print(f"database: {args.db}")
    print(f"{'page':<14}{'as':<18}{'cold s':>8}{'warm s':>8}{'map KB':>9}{'charts KB':>11}")
    results = {}
    for page, query in ((p, PAGES[p]) for p in args.pages.split(",")):
        for role in ("public", "street_official"):
            cold, warm, deck, charts = measure(page, query, args.runs, USERS[role])
            results[f"{page}/{role}"] = {"cold_s": round(cold, 3), "warm_s": round(warm, 3),
                                         "map_bytes": deck, "chart_bytes": charts}
            print(f"{page:<14}{role:<18}{cold:>8.2f}{warm:>8.2f}{deck / 1024:>9.1f}{charts / 1024:>11.1f}")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
