"""How fast and how lean the analytical copy builds, against reading the same columns alone.

    .venv/bin/python bench/copy_build.py --db sqlite:///bench/out/city.sqlite --rounds 3
    .venv/bin/python bench/copy_build.py --db postgresql://postgres@127.0.0.1/test?options=-csearch_path%3Dcity

Methods, each in a fresh child process (its peak RSS is its own), interleaved within each round
in rotating order:
  arrow   the build as the app runs it: ADBC pages into Arrow, appended to a DuckDB file
  rows    the old build: SQLAlchemy rows as tuples, turned into Arrow, appended
  read    the floor: the same columns and pages streamed through ADBC into Arrow batches, then dropped
Prints seconds and peak RSS per method (median of the rounds), the paired ratios arrow/read and
rows/arrow (median and range over the rounds), and the machine's load. Writes only temporary files.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

METHODS = ("arrow", "rows", "read")


def child(method: str, url: str, folder: str) -> None:
    """Run one method in this process and print its seconds and peak RSS as JSON."""
    from data_access import arrow_read, copy_build
    from data_access.engine import make_readonly_engine

    engine = make_readonly_engine(url, statement_timeout_s=600)
    started = time.perf_counter()
    rows = 0
    if method == "read":
        source = arrow_read.connect(url)
        try:
            for table in copy_build.copied_tables(engine):
                for stream in arrow_read.streams(source, table, copy_build.copied_columns(table, engine)):
                    rows += sum(batch.num_rows for batch in stream)
        finally:
            source.close()
    else:
        counted = copy_build.build_copy(engine, Path(folder) / f"{method}.duckdb", reader=method)
        rows = sum(counted.values())
    seconds = time.perf_counter() - started
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mib": peak_mib, "rows": rows}))


def run(method: str, url: str) -> dict:
    with tempfile.TemporaryDirectory(prefix="copy-build-") as folder:
        done = subprocess.run(  # noqa: S603 - this script, fixed arguments
            [sys.executable, __file__, "--child", method, "--db", url, "--folder", folder],
            capture_output=True,
            text=True,
            check=True,
        )
    return json.loads(done.stdout.strip().splitlines()[-1])


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} ({min(values):.2f}–{max(values):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="sqlite:///bench/out/city.sqlite")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", choices=METHODS, help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.db, args.folder)
        return
    print(f"# {args.db.split('@')[-1]}; load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    found: dict[str, list[dict]] = {m: [] for m in METHODS}
    for round_number in range(args.rounds):
        order = METHODS[round_number % 3 :] + METHODS[: round_number % 3]
        for method in order:
            found[method].append(run(method, args.db))
    print("| method | seconds, median (range) | peak RSS MiB, median (range) | rows |")
    print("| --- | --- | --- | --- |")
    for method in METHODS:
        seconds = [r["seconds"] for r in found[method]]
        peaks = [r["peak_mib"] for r in found[method]]
        print(f"| {method} | {spread(seconds)} | {spread(peaks)} | {found[method][0]['rows']:,} |")
    for a, b in (("arrow", "read"), ("rows", "arrow")):
        ratios = [x["seconds"] / y["seconds"] for x, y in zip(found[a], found[b], strict=True)]
        print(f"{a}/{b}: {spread(ratios)}x (paired per round)")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
