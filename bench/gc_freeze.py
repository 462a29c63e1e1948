"""What a full garbage collection costs in a warm app process, with and without app/collector.py's
freeze at start, side by side.

    .venv/bin/python bench/gc_freeze.py --db sqlite:///bench/out/city.sqlite [--rounds 3]

Each round starts two fresh processes in turn (frozen, then not): each imports what the app
process imports, freezes (or not) as app/server.py does, opens six pages as a street official
(Streamlit's AppTest, so a real run of each page, caches filled), then times five full
collections (CPU time of the collecting thread). Prints the objects a full collection walks and
its CPU time, per process, and the ratio, with the spread over rounds.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["issue_map", "transparency", "patrols", "performance", "ehome", "volunteers"]


def _worker(freeze: bool) -> None:
    import gc

    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    os.environ.setdefault("SYL_AUDIT_LOG_PATH", str(Path(tempfile.mkdtemp()) / "audit.jsonl"))
    os.environ.setdefault("SYL_COOKIE_KEY", secrets.token_urlsafe(48))
    from app import collector

    if freeze:
        collector.freeze_startup()
    else:
        for name in collector.page_imports():  # the same modules loaded, only not frozen
            __import__(name)
    from tests.apptest_helpers import USERS, run_app

    kept = [run_app(page, USERS["street_official"]) for page in PAGES]  # sessions stay open, as in a server
    times = []
    for _ in range(5):
        started = time.thread_time()
        gc.collect()
        times.append(time.thread_time() - started)
    print(json.dumps({"walked": len(gc.get_objects()), "frozen": gc.get_freeze_count(), "seconds": times,
                      "pages": len(kept)}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="the database URL (DATABASE_URL otherwise)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--worker", choices=["frozen", "plain"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        _worker(args.worker == "frozen")
        return
    env = dict(os.environ, SYL_THEME_FILL="off") | ({"DATABASE_URL": args.db} if args.db else {})
    found: dict[str, list[dict]] = {"frozen": [], "plain": []}
    for _ in range(args.rounds):
        for kind in found:  # frozen then plain, round after round
            done = subprocess.run([sys.executable, __file__, "--worker", kind], env=env, capture_output=True,
                                  text=True, timeout=900, check=True)
            found[kind].append(json.loads(done.stdout.strip().splitlines()[-1]))
    print(f"a full collection in a warm process ({len(PAGES)} pages open), {args.rounds} rounds, interleaved")
    print(f"{'':<8}{'objects walked':>16}{'frozen':>10}{'CPU ms, median (min-max)':>30}")
    medians = {}
    for kind, rounds in found.items():
        seconds = [s for r in rounds for s in r["seconds"]]
        medians[kind] = statistics.median(seconds)
        walked = statistics.median(r["walked"] for r in rounds)
        frozen = statistics.median(r["frozen"] for r in rounds)
        cell = f"{medians[kind] * 1000:.1f} ({min(seconds) * 1000:.1f}-{max(seconds) * 1000:.1f})"
        print(f"{kind:<8}{walked:>16,.0f}{frozen:>10,.0f}{cell:>30}")
    print(f"plain over frozen: {medians['plain'] / max(1e-9, medians['frozen']):.1f}x")


if __name__ == "__main__":
    main()
