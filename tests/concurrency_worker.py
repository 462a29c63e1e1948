"""Many threads running the pages' queries at once on one read-only engine, each result checked.

Run as a child process by tests/test_concurrency.py, so that a crash in a database driver (the
SQLite pool fault of issue 12 was a segfault) fails one test with its exit code instead of
killing the test run:

    python -m tests.concurrency_worker URL --threads 16 --seconds 30

First every call is run once in one thread for its reference answer; then the threads pick calls
at random for the given time and compare each answer with the reference. Prints one JSON line:
calls made, mismatches, errors (with the first few messages).
"""

from __future__ import annotations

import argparse
import json
import random
import threading
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd

from data_access import issue_map, issues, patrols, population, staff, volunteers
from data_access.engine import make_readonly_engine
from data_access.filters import IssueFilters
from data_access.localtime import week_start
from data_access.reference import community_list, data_as_of, grid_list
from data_access.scope import Scope

Call = tuple[str, Callable[..., Any], tuple]


def page_calls(as_of: datetime) -> list[Call]:
    """What the pages ask for, over several periods, areas and scopes (distinct statements, so the
    threads are never all on one cached plan)."""
    street, community, grids = Scope.street(), Scope.community("C01"), Scope.grids("C02-G1", "C02-G2")
    monday = week_start(as_of.date())
    calls: list[Call] = []
    for days in (7, 30, 90, 365):
        window = IssueFilters(since=as_of - timedelta(days=days), until=as_of)
        calls += [
            (f"resolution {days}d", issues.resolution_figures, (street, window)),
            (f"resolution by community {days}d", issues.resolution_figures, (street, window, "community")),
            (f"resolution by category {days}d", issues.resolution_figures, (street, window, "category")),
            (f"flow {days}d", issues.monthly_flow, (street, window)),
            (f"map table {days}d", issue_map.issue_table, (community, window)),
            (f"map counts {days}d", issue_map.category_counts, (grids, window)),
            (f"leaderboard {days}d", volunteers.leaderboard, (as_of - timedelta(days=days), as_of, None, 20)),
            (f"officers {days}d", staff.officer_performance, (street, window, monday - timedelta(weeks=1), 12)),
        ]
    calls += [
        ("backlog", issues.backlog_by_age, (street, IssueFilters(), as_of)),
        ("patrol weeks street", patrols.grid_weeks, (street, monday, 12)),
        ("patrol weeks community", patrols.grid_weeks, (community, monday, 12)),
        ("worklist", population.visit_worklist, (community, as_of, False, 500)),
        ("alerts", population.open_alerts, (street, as_of, False, 500)),
        ("grids", grid_list, (street, True)),
        ("communities", community_list, (True,)),
        ("overdue issues", issues.open_overdue_count, (grids, as_of)),
    ]
    return calls


def same(left: Any, right: Any) -> bool:
    if isinstance(left, pd.DataFrame) and isinstance(right, pd.DataFrame):
        try:
            pd.testing.assert_frame_equal(left, right, check_exact=False)
        except AssertionError:
            return False
        return True
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(same(left[k], right[k]) for k in left)
    if isinstance(left, float) and isinstance(right, float) and pd.isna(left) and pd.isna(right):
        return True
    return bool(left == right)


def run(url: str, threads: int, seconds: float, seed: int = 7) -> dict[str, Any]:
    engine = make_readonly_engine(url)
    as_of = data_as_of(engine) or datetime.combine(date.today(), datetime.min.time())
    calls = page_calls(as_of)
    expected = {name: function(engine, *args) for name, function, args in calls}
    deadline = time.monotonic() + seconds
    lock = threading.Lock()
    tally: dict[str, Any] = {"calls": 0, "mismatches": 0, "errors": 0, "messages": []}

    def worker(index: int) -> None:
        chooser = random.Random(seed + index)
        while time.monotonic() < deadline:
            name, function, args = chooser.choice(calls)
            kind, problem = None, None
            try:
                if not same(function(engine, *args), expected[name]):
                    kind, problem = "mismatches", f"{name}: result differs from the single-threaded answer"
            except Exception as exc:  # noqa: BLE001 - every failure is counted and reported
                kind, problem = "errors", f"{name}: {type(exc).__name__}: {exc}"
            with lock:
                tally["calls"] += 1
                if kind:
                    tally[kind] += 1
                    if len(tally["messages"]) < 5:
                        tally["messages"].append(problem[:300])

    pool = [threading.Thread(target=worker, args=(i,), name=f"visitor-{i}") for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    engine.dispose()
    return tally | {"threads": threads, "seconds": seconds, "distinct_calls": len(calls)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("url")
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=30.0)
    options = parser.parse_args()
    print(json.dumps(run(options.url, options.threads, options.seconds)))


if __name__ == "__main__":
    main()
