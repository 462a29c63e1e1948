"""Do users wait while the analytical copy reloads? Query latency before and during a reload.

    .venv/bin/python bench/copy_refresh.py --db sqlite:///bench/out/city.sqlite

Loads the copy, then times the transparency page's main call (figures by category over
12 months, through the copy) for --seconds while idle, then again while a reload of the whole
copy runs (built in a child process, as the app does when the watermark moves), and prints the
latencies, the reload time and this process's peak RSS. Writes nothing but the copies' temporary files.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from data_access import analytical, issues  # noqa: E402
from data_access.analytical import AnalyticalCopy, RoutedEngine  # noqa: E402
from data_access.engine import make_readonly_engine  # noqa: E402
from data_access.filters import IssueFilters  # noqa: E402
from data_access.reference import data_as_of  # noqa: E402
from data_access.scope import Scope  # noqa: E402


def latencies(call, seconds: float, until: threading.Event | None = None) -> list[float]:  # noqa: ANN001
    found = []
    ends = time.monotonic() + seconds
    while time.monotonic() < ends and not (until is not None and until.is_set()):
        started = time.perf_counter()
        call()
        found.append(time.perf_counter() - started)
    return found


def describe(name: str, values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    middle = statistics.median(values)
    return f"{name}: {len(values)} calls, median {middle:.3f} s, p95 {p95:.3f} s, worst {max(values):.3f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="sqlite:///bench/out/city.sqlite")
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()
    row = make_readonly_engine(args.db, statement_timeout_s=600)
    copy = AnalyticalCopy(row, refresh_seconds=float("inf"))
    first = copy.load_now()
    routed = RoutedEngine(row, copy)
    as_of = data_as_of(row)
    year = IssueFilters(since=as_of - timedelta(days=365), until=as_of)

    def call() -> None:
        issues.resolution_figures(routed, Scope.street(), year, by="category")

    process = psutil.Process()
    print(f"# {row.dialect.name}: copy loaded in {first.load_seconds:.1f} s; RSS {process.memory_info().rss >> 20} MiB")
    print(describe("idle", latencies(call, args.seconds)))

    done = threading.Event()
    peak = [0]

    def reload() -> None:
        # As the app does when the watermark moves: build in a child process, then swap.
        folder = Path(tempfile.mkdtemp(prefix="syl-bench-"))
        snapshot = analytical.load_snapshot_in_child(args.db, folder, first.watermark)
        copy._swap(snapshot)  # noqa: SLF001 - the swap the refresh thread makes
        print(f"reload took {snapshot.load_seconds:.1f} s")
        done.set()

    def watch() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], process.memory_info().rss)
            time.sleep(0.2)

    threading.Thread(target=watch, daemon=True).start()
    threading.Thread(target=reload, daemon=True).start()
    during = latencies(call, 600, until=done)
    print(describe("during the reload", during))
    print(f"peak RSS during the reload: {peak[0] >> 20} MiB; answered by the copy: {copy.answered} queries")


if __name__ == "__main__":
    main()
