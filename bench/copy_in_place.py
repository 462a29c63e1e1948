"""What a refresh in place costs against a fresh build, after a feed changed some issues.

    .venv/bin/python bench/copy_in_place.py --db bench/out/city.sqlite --changed 2000 --rounds 3

Works on a private copy of the SQLite file (bench/out/in-place.sqlite; the read database given is
only read). Each round: a feed's day is written to the private file (--changed issues changed in
place with a new updated_at, a tenth as many added, a hundredth deleted, data_as_of moved), then the
shared copy is refreshed in place, and a fresh build of the same database is timed beside it, in
rotating order. Each in its own child process, so its peak RSS is its own. Prints the medians,
ranges and the paired ratio, and checks that both copies hold the same issues.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def feed_day(path: Path, changed: int, round_number: int, stamp: str | None = None) -> None:
    """A day of a feed's sync, written to the private benchmark file: `changed` issues closed, a
    tenth as many added, a hundredth deleted, and the data's "now" moved to `stamp`."""
    stamp = stamp or f"2030-01-{round_number + 1:02d} 08:00:00"
    with sqlite3.connect(path) as conn:
        top = conn.execute("SELECT max(issue_id) FROM issues").fetchone()[0]
        conn.execute(
            "UPDATE issues SET status = 'closed', updated_at = ? WHERE issue_id IN"
            " (SELECT issue_id FROM issues WHERE status <> 'closed' ORDER BY issue_id LIMIT ?)",
            (stamp, changed),
        )
        columns = [row[1] for row in conn.execute("PRAGMA table_info(issues)") if row[1] != "issue_id"]
        listed = ", ".join(columns)
        conn.execute(
            f"INSERT INTO issues (issue_id, {listed}) SELECT issue_id + ?, {listed} FROM issues"  # noqa: S608
            " ORDER BY issue_id LIMIT ?",
            (top, max(1, changed // 10)),
        )
        conn.execute(
            "DELETE FROM issues WHERE issue_id IN"
            " (SELECT issue_id FROM issues ORDER BY issue_id DESC LIMIT ? OFFSET 50)",
            (max(1, changed // 100),),
        )
        conn.execute("UPDATE meta SET value = ? WHERE key = 'data_as_of'", (stamp.replace(" ", "T"),))


def child(method: str, url: str, folder: str) -> None:
    from data_access import copy_build
    from data_access.analytical import AnalyticalCopy
    from data_access.copy_store import CopyStore
    from data_access.engine import make_readonly_engine

    engine = make_readonly_engine(url, statement_timeout_s=600)
    started = time.perf_counter()
    if method in ("in place", "first build"):
        snapshot = AnalyticalCopy(engine, refresh_seconds=float("inf"), store=CopyStore(Path(folder))).load_now()
        assert snapshot.refreshed == (method == "in place"), "the store's copy was built afresh, not refreshed"
        con = snapshot.connection
    else:
        path = Path(folder) / "fresh.duckdb"
        path.unlink(missing_ok=True)
        copy_build.build_copy(engine, path)
        import duckdb

        con = duckdb.connect(str(path), read_only=True)
    seconds = time.perf_counter() - started
    digest = con.execute("SELECT count(*), sum(issue_id), sum(hash(status)) FROM issues").fetchall()[0]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mib": peak, "digest": [str(v) for v in digest]}))


def run(method: str, url: str, folder: str) -> dict:
    done = subprocess.run(  # noqa: S603 - this script, fixed arguments
        [sys.executable, __file__, "--child", method, "--db", url, "--folder", folder],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"{method} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} ({min(values):.2f}–{max(values):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="bench/out/city.sqlite", help="a SQLite file (only read)")
    parser.add_argument("--changed", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.db, args.folder)
        return
    private = ROOT / "bench" / "out" / "in-place.sqlite"
    shutil.copyfile(args.db, private)
    url = f"sqlite:///{private}"
    store = tempfile.mkdtemp(prefix="in-place-store-")
    fresh = tempfile.mkdtemp(prefix="in-place-fresh-")
    print(f"# {args.changed} issues changed per round; load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    run("first build", url, store)  # in a child too: a child's peak RSS starts from its parent's
    found: dict[str, list[dict]] = {"in place": [], "fresh build": []}
    for round_number in range(args.rounds):
        feed_day(private, args.changed, round_number)
        order = ["in place", "fresh build"] if round_number % 2 == 0 else ["fresh build", "in place"]
        for method in order:
            found[method].append(run(method, url, store if method == "in place" else fresh))
        same = found["in place"][-1]["digest"] == found["fresh build"][-1]["digest"]
        print(f"round {round_number + 1}: same issues in both copies: {same}")
    print("| method | seconds, median (range) | peak RSS MiB, median (range) |")
    print("| --- | --- | --- |")
    for method, results in found.items():
        print(f"| {method} | {spread([r['seconds'] for r in results])} | {spread([r['peak_mib'] for r in results])} |")
    ratios = [b["seconds"] / a["seconds"] for a, b in zip(found["in place"], found["fresh build"], strict=True)]
    print(f"fresh build / in place: {spread(ratios)}x (paired per round)")
    shutil.rmtree(store, ignore_errors=True)
    shutil.rmtree(fresh, ignore_errors=True)
    private.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
