"""What Streamlit's full garbage collection after every script run costs, side by side.

    .venv/bin/python bench/gc_after_run.py --db sqlite:///bench/out/city.sqlite [--rounds 4]

Starts two app processes over the same database, one with `runner.postScriptGC` on (Streamlit's
default) and one with it off (.streamlit/config.toml), opens the same pages in each, warm, in
turns (A, B, A, B …), and prints the server CPU time per page view of each (psutil; CPU time,
not wall time, so a busy machine disturbs it less) and their ratio, with the spread over rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.stream_client import Tab  # noqa: E402
from bench.app_server import start_server  # noqa: E402

PAGES = [("", ""), ("issue_map", "period=12m"), ("transparency", "period=90d"), ("volunteers", ""),
         ("ehome", "tab=parking"), ("big_screen", "")]


def _start(db: str, gc_on: bool) -> tuple[subprocess.Popen, str]:
    return start_server(db, SYL_THEME_FILL="off", STREAMLIT_RUNNER_POST_SCRIPT_GC="true" if gc_on else "false")


def _cpu(process: subprocess.Popen) -> float:
    times = psutil.Process(process.pid).cpu_times()
    return times.user + times.system


async def _measure(servers: dict, rounds: int) -> dict:
    tabs = {name: Tab(base, 180) for name, (_, base) in servers.items()}
    for tab in tabs.values():
        await tab.open("")
        for page, query in PAGES:  # warm: the query cache holds every figure now
            await tab.navigate(page, query)
    per_view: dict = {(name, page): [] for name in servers for page, _ in PAGES}
    for _ in range(rounds):
        for page, query in PAGES:
            for name, (process, _) in servers.items():  # A then B, page by page
                before = _cpu(process)
                await tabs[name].navigate(page, query)
                per_view[(name, page)].append(_cpu(process) - before)
    return per_view


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    servers = {"gc on": _start(args.db, True), "gc off": _start(args.db, False)}
    try:
        time.sleep(10)  # the copy opens
        per_view = asyncio.run(_measure(servers, args.rounds))
    finally:
        for process, _ in servers.values():
            process.terminate()
    print(f"server CPU per warm page view, ms (median of {args.rounds}, min-max), interleaved")
    print(f"{'page':<14}{'gc on':>18}{'gc off':>18}{'ratio':>8}")
    for page, _ in PAGES:
        on, off = per_view[("gc on", page)], per_view[("gc off", page)]
        cells = [f"{statistics.median(v) * 1000:>8.0f} ({min(v) * 1000:.0f}-{max(v) * 1000:.0f})" for v in (on, off)]
        ratio = statistics.median(on) / max(1e-6, statistics.median(off))
        print(f"{page or 'overview':<14}{cells[0]:>18}{cells[1]:>18}{ratio:>7.1f}x")


if __name__ == "__main__":
    main()
