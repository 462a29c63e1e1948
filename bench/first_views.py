"""A visitor's first views in a freshly started app process, with its warm start on and off.

    .venv/bin/python bench/first_views.py --db "$DATABASE_URL" --rounds 2

Each round starts the real server (app/server.py) twice, once with SYL_WARM_START=on and once off,
in turn: it waits for the process's `warm start:` line and for its analytical copy (the warm start
waits for it; with it off the bench waits --settle seconds, in which the copy opens from disk),
then one visitor opens every view the warm start opens (app/warm_start.py), a new tab each, at the
process's own port. Printed per view: the seconds of each run, on and off; and the process's RSS
before and after that visitor. The copy folder (--copy-dir) is shared by every process, so only
the first one builds it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import warm_start  # noqa: E402
from deploy.local import free_port  # noqa: E402


async def _visit(base: str) -> dict[str, float]:
    """Seconds of each warm-start view opened once, a tab each, as the warm start opens them; NaN for
    a view that failed."""
    seconds: dict[str, float] = {}

    def record(label: str, view) -> None:  # noqa: ANN001 - an app.stream_client.View
        seconds[label] = view.seconds if view.finished and not view.errors else float("nan")

    await warm_start.open_views(base, warm_start.views(), on_view=record)
    return seconds


def one_process(db: str, mode: str, copy_dir: str, settle_s: float, log_dir: Path) -> tuple[dict, float, float, str]:
    """(seconds by view, RSS before and after the visitor in MiB, the warm start's line)."""
    port = free_port()
    log = log_dir / f"app-{mode}-{port}.log"
    env = os.environ | {"DATABASE_URL": db, "SYL_COOKIE_KEY": secrets.token_urlsafe(48), "SYL_WARM_START": mode,
                        "SYL_ANALYTICAL_COPY_DIR": copy_dir, "SYL_AUDIT_LOG_PATH": str(log_dir / "audit.jsonl")}
    server = subprocess.Popen(  # noqa: S603 - our own server, fixed arguments
        [sys.executable, "-m", "streamlit", "run", "app/server.py", "--server.port", str(port),
         "--server.headless", "true", "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 900
        line = None
        while line is None and time.monotonic() < deadline:
            line = warm_start.last_line(log.read_text(errors="replace"))
            time.sleep(0.5)
        time.sleep(settle_s if mode == "off" else 5)
        process = psutil.Process(server.pid)
        before = process.memory_info().rss / 2**20
        seconds = asyncio.run(_visit(f"http://127.0.0.1:{port}"))
        after = process.memory_info().rss / 2**20
        return seconds, before, after, line
    finally:
        server.terminate()
        server.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--copy-dir", default=str(ROOT / "data" / "analytical"))
    parser.add_argument("--settle", type=float, default=25.0, help="seconds to wait with the warm start off")
    args = parser.parse_args()
    log_dir = Path(tempfile.mkdtemp(prefix="first-views-"))
    runs: dict[str, list[dict]] = {"off": [], "on": []}
    for number in range(args.rounds):
        for mode in ("off", "on") if number % 2 == 0 else ("on", "off"):
            seconds, before, after, line = one_process(args.db, mode, args.copy_dir, args.settle, log_dir)
            runs[mode].append(seconds)
            print(f"round {number + 1}, warm start {mode}: RSS {before:.0f} -> {after:.0f} MiB over the visitor's "
                  f"views, {sum(seconds.values()):.2f} s in all; warm start: {line}", flush=True)
    print(f"\n{'view':<22}{'off (s)':>22}{'on (s)':>22}{'on / off':>10}")
    for view in runs["off"][0]:
        off = [run[view] for run in runs["off"]]
        on = [run[view] for run in runs["on"]]
        ratio = statistics.median(on) / statistics.median(off)
        shown = [", ".join(f"{s:.2f}" for s in side) for side in (off, on)]
        print(f"{view:<22}{shown[0]:>22}{shown[1]:>22}{ratio:>10.2f}")


if __name__ == "__main__":
    main()
