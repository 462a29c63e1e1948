"""Warm reruns of pages in two checkouts of this repository, side by side: what a change did to a
page's own run time.

    git worktree add /tmp/before <revision>
    .venv/bin/python bench/warm_reruns.py --db postgresql://...:5434/city --trees /tmp/before,. \\
        [--pages performance,patrols] [--user street_official] [--rounds 2] [--runs 5]

For each round, page and tree in turn (before, after, before, after ...), a fresh process opens
the page in that tree with Streamlit's AppTest as the user, reruns it twice to fill the caches,
then times `--runs` more reruns of the page script itself (wall time inside page_runner's run, so
routing and the test harness are left out). Prints the median and spread per page and tree, and
the ratio. Both trees run on this checkout's virtualenv.
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


def _worker(tree: Path, page: str, user: str, runs: int) -> None:
    sys.path.insert(0, str(tree))
    os.chdir(tree)
    os.environ.setdefault("SYL_AUDIT_LOG_PATH", str(Path(tempfile.mkdtemp()) / "audit.jsonl"))
    os.environ.setdefault("SYL_COOKIE_KEY", secrets.token_urlsafe(48))
    from app import page_runner
    from tests.apptest_helpers import USERS, run_app

    times: list[float] = []
    real = page_runner.runner

    def timed(path: Path):  # noqa: ANN202 - the page's run, timed
        inner = real(path)

        def run() -> None:
            started = time.perf_counter()
            try:
                inner()
            finally:
                times.append(time.perf_counter() - started)

        return run

    page_runner.runner = timed
    app = run_app(page, USERS[user])
    if app.exception:
        raise SystemExit(f"{page} failed in {tree}: {app.exception}")
    app.run()
    app.run()
    times.clear()
    for _ in range(runs):
        app.run()
    print(json.dumps(times))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="the database URL (DATABASE_URL otherwise)")
    parser.add_argument("--trees", help="two checkouts, before and after, comma-separated")
    parser.add_argument("--pages", default="performance,patrols,issue_map,transparency")
    parser.add_argument("--user", default="street_official")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--after-env", action="append", default=[], metavar="KEY=VALUE",
                        help="environment for the second tree's processes only (the same tree twice then "
                             "compares a setting, e.g. MALLOC_MMAP_THRESHOLD_=262144)")
    parser.add_argument("--worker", nargs=2, metavar=("TREE", "PAGE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        _worker(Path(args.worker[0]).resolve(), args.worker[1], args.user, args.runs)
        return
    trees = [Path(tree).resolve() for tree in (args.trees or "").split(",") if tree]
    if len(trees) != 2:
        parser.error("--trees takes two checkouts")
    env = dict(os.environ, SYL_THEME_FILL="off") | ({"DATABASE_URL": args.db} if args.db else {})
    sides = {"before": (trees[0], env), "after": (trees[1], env | dict(item.split("=", 1) for item in args.after_env))}
    pages = args.pages.split(",")
    found: dict[tuple[str, str], list[float]] = {(page, side): [] for page in pages for side in sides}
    for _ in range(args.rounds):
        for page in pages:
            for side, (tree, side_env) in sides.items():
                command = [sys.executable, __file__, "--worker", str(tree), page, "--user", args.user,
                           "--runs", str(args.runs)]
                done = subprocess.run(command, env=side_env, capture_output=True, text=True, timeout=900, check=False)
                if done.returncode:
                    raise SystemExit(done.stderr[-2000:] or done.stdout[-2000:])
                found[(page, side)] += json.loads(done.stdout.strip().splitlines()[-1])
    print(f"warm reruns as {args.user}, {args.rounds} rounds x {args.runs} runs, interleaved")
    print("seconds, median (min-max)")
    print(f"{'page':<14}{'before':>22}{'after':>22}{'before/after':>14}")
    for page in pages:
        cells = [found[(page, side)] for side in sides]
        text = [f"{statistics.median(v):.3f} ({min(v):.3f}-{max(v):.3f})" for v in cells]
        ratio = statistics.median(cells[0]) / max(1e-9, statistics.median(cells[1]))
        print(f"{page:<14}{text[0]:>22}{text[1]:>22}{ratio:>13.1f}x")
    print(f"before: {trees[0]}\nafter:  {trees[1]} {' '.join(args.after_env)}")

if __name__ == "__main__":
    main()
