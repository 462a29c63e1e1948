"""What running pages through app/page_runner.py costs per view, side by side with Streamlit's own run.

    .venv/bin/python bench/page_runner_cost.py [--db sqlite:///data/demo.sqlite] [--rounds 6] [--runs 5]

In one process, through the real entry point (AppTest): each round opens every page once with the
runner and once with Streamlit running the file itself (st.Page given the path), in alternating
order, and times `--runs` warm reruns of each (the queries cached, so what is timed is the page's
own work: building its tables, figures and maps, and with the runner dropping them at the end).
Prints per page the median warm rerun of each way, their ratio and the ratios' spread over the
rounds. Writes nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAGES = {"overview": "", "issue_map": "period=12m", "transparency": "period=12m", "volunteers": "period=year",
         "ehome": "tab=needs", "patrols": "", "grid": "", "performance": ""}
STAFF_PAGES = {"patrols", "grid", "performance"}


def warm_rerun_seconds(page: str, query: str, runs: int, with_runner: bool) -> float:
    from streamlit.testing.v1 import AppTest

    from app import page_runner, state
    from tests.apptest_helpers import DEMO, open_url_path, signed_in

    original = page_runner.runner
    if not with_runner:
        page_runner.runner = lambda path: path  # st.Page gets the file: Streamlit runs it itself
    try:
        at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=120)
        if page in STAFF_PAGES:
            at.session_state[state._LOGIN] = signed_in(DEMO["street"])  # noqa: SLF001
        for pair in filter(None, query.split("&")):
            name, value = pair.split("=", 1)
            at.query_params[name] = value
        at.run()
        if page != "overview":
            open_url_path(at, page)
        at.run()  # cold: fills the query cache
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            at.run()
            times.append(time.perf_counter() - started)
        if at.exception:
            raise SystemExit(f"{page} failed: {at.exception[0].message}")
        return statistics.median(times)
    finally:
        page_runner.runner = original


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=f"sqlite:///{ROOT / 'data' / 'demo.sqlite'}")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = args.db
    ratios: dict[str, list[float]] = {page: [] for page in PAGES}
    seconds: dict[tuple[str, bool], list[float]] = {}
    for number in range(args.rounds):
        for page, query in PAGES.items():
            order = (True, False) if number % 2 == 0 else (False, True)
            found = {way: warm_rerun_seconds(page, query, args.runs, way) for way in order}
            for way, value in found.items():
                seconds.setdefault((page, way), []).append(value)
            ratios[page].append(found[True] / found[False])
    from data_access.engine import redact

    print(f"{args.rounds} rounds, {args.runs} warm reruns each, db {redact(args.db)}")
    print(f"{'page':<14}{'runner s':>10}{'file s':>10}{'ratio':>8}{'spread':>16}")
    for page in PAGES:
        mine, theirs = statistics.median(seconds[(page, True)]), statistics.median(seconds[(page, False)])
        spread = f"{min(ratios[page]):.2f}-{max(ratios[page]):.2f}"
        print(f"{page:<14}{mine:>10.3f}{theirs:>10.3f}{statistics.median(ratios[page]):>8.2f}{spread:>16}")


if __name__ == "__main__":
    main()
