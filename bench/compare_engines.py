"""Each page's main data calls, four ways, side by side: cold and warm seconds, and the ratios.

    .venv/bin/python bench/compare_engines.py --db sqlite:///bench/out/city.sqlite
    .venv/bin/python bench/compare_engines.py --db postgresql://postgres@127.0.0.1/city

Build the city database once first (3-4 minutes; not committed):

    .venv/bin/python -m fixtures.generate --db sqlite:///bench/out/city.sqlite --scale city

For every figure:
  ours   the data-layer call as the app runs it: through the analytical copy (DuckDB)
  rows   the same data-layer call straight on the read database (the copy switched off)
  naive  the figure the naive way: whole tables read into pandas, then filtered and grouped
  floor  one hand-written SQL query on the read database (the row store's floor)
  duck   the same hand-written query in DuckDB over the same rows (the columnar limit)
Cold is the first run in this process; then --runs rounds run every method once each, in an order
that rotates from round to round, and warm is the median. Ratios pair the methods' times of the
same round (a burst of load on a shared machine falls on both) and report the median and range.
The machine's load average is printed before and after. The operating system's file cache is
warm for every column (the copy was just loaded from the file).
Prints; asserts nothing; writes nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from data_access import issue_map, issues, patrols, volunteers  # noqa: E402
from data_access.analytical import AnalyticalCopy, RoutedEngine  # noqa: E402
from data_access.engine import make_readonly_engine  # noqa: E402
from data_access.filters import IssueFilters  # noqa: E402
from data_access.localtime import SHANGHAI, week_start  # noqa: E402
from data_access.quality import area_bounds  # noqa: E402
from data_access.reference import data_as_of  # noqa: E402
from data_access.scope import Scope  # noqa: E402
from tests import reference  # noqa: E402 - the independent pandas definitions of the metrics

# Hand-written SQL differs only in how each engine spells local month, hours and floor.
SPELLING = {
    "sqlite": {
        "month": "strftime('%Y-%m', {0}, '+8 hours')",
        "hours": "((julianday({1}) - julianday({0})) * 24.0)",
        "floor": "CAST(floor({0}) AS INTEGER)",
        "week": "date({0}, '+8 hours', 'weekday 0', '-6 days')",
    },
    "postgresql": {
        "month": "to_char({0} + interval '8 hours', 'YYYY-MM')",
        "hours": "(EXTRACT(EPOCH FROM ({1} - {0})) / 3600.0)",
        "floor": "CAST(floor({0}) AS BIGINT)",
        "week": "to_char(date_trunc('week', {0} + interval '8 hours'), 'YYYY-MM-DD')",
    },
    "duckdb": {
        "month": "strftime({0} + INTERVAL 8 HOUR, '%Y-%m')",
        "hours": "((epoch_ms({1}) - epoch_ms({0})) / 3600000.0)",
        "floor": "CAST(floor({0}) AS BIGINT)",
        "week": "strftime(date_trunc('week', {0} + INTERVAL 8 HOUR), '%Y-%m-%d')",
    },
}
PERCENTILES = {
    "sqlite": None,  # no percentile function: ranks with window functions, as the data layer does
    "postgresql": "percentile_cont({p}) WITHIN GROUP (ORDER BY h)",
    "duckdb": "quantile_cont(h, {p})",
}


@dataclass
class Figure:
    page: str
    name: str
    ours: Callable[[Any], Any]
    naive: Callable[[Any], Any]
    sql: Callable[[str], str]  # engine name -> SQL


def _ts(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S")


def figures(as_of: datetime, bounds: tuple[float, float, float, float] | None) -> list[Figure]:  # noqa: C901
    since = as_of - timedelta(days=365)
    year = IssueFilters(since=since, until=as_of)
    street = Scope.street()
    window = f"reported_at >= '{_ts(since)}' AND reported_at < '{_ts(as_of)}'"
    cohort = f"{window} AND status NOT IN ('rejected', 'duplicate')"
    done = "status IN ('resolved', 'closed')"

    def read(engine: Any, table: str) -> pd.DataFrame:
        frame = pd.read_sql_table(table, engine.connect())
        for column in frame.columns:
            if column.endswith("_at") and frame[column].dtype == object:
                frame[column] = pd.to_datetime(frame[column], errors="coerce", format="ISO8601")
        return frame

    def by_group(key: str) -> Callable[[Any], Any]:
        def naive(engine: Any) -> Any:
            rows = reference.cohort(read(engine, "issues"), since, as_of)
            categories = read(engine, "issue_categories")
            return {k: reference.figures(g, categories) for k, g in rows.groupby(key)}

        return naive

    def grouped_sql(key: str) -> Callable[[str], str]:
        def sql(engine: str) -> str:
            hours = SPELLING[engine]["hours"].format("i.reported_at", "i.resolved_at")
            counts = (
                f"SELECT i.{key} AS k, count(*) AS received, sum(CASE WHEN i.{done} THEN 1 ELSE 0 END) AS resolved,"
                f" sum(CASE WHEN i.{done} AND i.resolved_at >= i.reported_at AND {hours} <= c.sla_hours"
                f" THEN 1 ELSE 0 END) AS on_time, avg(CASE WHEN i.satisfaction BETWEEN 1 AND 5"
                f" THEN i.satisfaction END) AS satisfaction"
                f" FROM issues i LEFT JOIN issue_categories c ON c.code = i.category_code"
                f" WHERE {cohort.replace('reported_at', 'i.reported_at').replace('status', 'i.status')}"
                f" GROUP BY i.{key}"
            )
            timed = (
                f"SELECT {key} AS k, {SPELLING[engine]['hours'].format('reported_at', 'resolved_at')} AS h"
                f" FROM issues WHERE {cohort} AND {done} AND resolved_at >= reported_at"
            )
            if PERCENTILES[engine]:
                med, p90 = (PERCENTILES[engine].format(p=p) for p in (0.5, 0.9))
                pct = f"SELECT k, {med} AS median_hours, {p90} AS p90_hours FROM ({timed}) t GROUP BY k"
            else:
                pct = (
                    "SELECT k, max(CASE WHEN rn = (n - 1) / 2 THEN h END) AS median_hours,"
                    " max(CASE WHEN rn = (n - 1) * 9 / 10 THEN h END) AS p90_hours FROM ("
                    "SELECT k, h, row_number() OVER (PARTITION BY k ORDER BY h) - 1 AS rn,"
                    f" count(*) OVER (PARTITION BY k) AS n FROM ({timed}) t) r GROUP BY k"
                )
            return f"SELECT * FROM ({counts}) a LEFT JOIN ({pct}) b ON a.k = b.k"

        return sql

    def naive_status(engine: Any) -> Any:
        rows = read(engine, "issues")
        rows = rows[(rows["reported_at"] >= since) & (rows["reported_at"] < as_of)]
        return rows["status"].value_counts()

    def naive_flow(engine: Any) -> Any:
        rows = reference.cohort(read(engine, "issues"), since, as_of)
        received = reference.local(rows["reported_at"]).dt.strftime("%Y-%m").value_counts()
        valid = rows[rows["status"].isin(reference.DONE) & (rows["resolved_at"] >= rows["reported_at"])]
        return received, reference.local(valid["resolved_at"]).dt.strftime("%Y-%m").value_counts()

    def flow_sql(engine: str) -> str:
        month = SPELLING[engine]["month"]
        return (
            f"SELECT {month.format('reported_at')} AS m, count(*) FROM issues WHERE {cohort} GROUP BY 1"
            " UNION ALL "
            f"SELECT {month.format('resolved_at')} AS m, count(*) FROM issues WHERE {cohort} AND {done}"
            " AND resolved_at >= reported_at GROUP BY 1"
        )

    def naive_backlog(engine: Any) -> Any:
        return reference.backlog(read(engine, "issues"), pd.Timestamp(as_of))

    def backlog_sql(engine: str) -> str:
        at = f"'{_ts(as_of)}'" if engine == "sqlite" else f"TIMESTAMP '{_ts(as_of)}'"
        age = SPELLING[engine]["hours"].format("reported_at", at)
        return (
            f"SELECT CASE WHEN {age} < 24 THEN '<1d' WHEN {age} < 72 THEN '1-3d' WHEN {age} < 168 THEN '3-7d'"
            f" ELSE '>7d' END AS age, count(*) FROM issues WHERE status NOT IN ('rejected', 'duplicate')"
            f" AND reported_at < {at} AND (coalesce(resolved_at, closed_at) IS NULL"
            f" OR coalesce(resolved_at, closed_at) > {at}) GROUP BY 1"
        )

    metres = issue_map.cell_metres_for(bounds)
    grid = issue_map.CellGrid.around(bounds, metres) if bounds else None

    def naive_cells(engine: Any) -> Any:
        rows = read(engine, "issues")
        rows = rows[(rows["reported_at"] >= since) & (rows["reported_at"] < as_of)]
        rows = rows[~rows["status"].isin(reference.EXCLUDED)]
        cx = np.floor((rows["lon"] - grid.west) / grid.dlon)
        cy = np.floor((rows["lat"] - grid.south) / grid.dlat)
        counts = rows.groupby([cx, cy]).size()
        return counts[counts >= 5]

    def cells_sql(engine: str) -> str:
        # The page's figure: every cell with its reports, open and resolved (the cells under k are
        # dropped afterwards, their reports counted as hidden), inside the area's bounds.
        floor = SPELLING[engine]["floor"]
        cx = floor.format(f"(lon - {grid.west}) / {grid.dlon}")
        cy = floor.format(f"(lat - {grid.south}) / {grid.dlat}")
        south, west, north, east = bounds
        m = issue_map.OUTSIDE_MARGIN_DEG
        return (
            f"SELECT {cx} AS cx, {cy} AS cy, count(*) AS reports,"
            f" sum(CASE WHEN status IN ('submitted','accepted','assigned','in_progress') THEN 1 ELSE 0 END) AS open,"
            f" sum(CASE WHEN status IN ('resolved','closed') THEN 1 ELSE 0 END) AS resolved"
            f" FROM issues WHERE {window} AND status NOT IN ('rejected', 'duplicate')"
            f" AND lat BETWEEN {south - m} AND {north + m} AND lon BETWEEN {west - m} AND {east + m}"
            " GROUP BY 1, 2"
        )

    year_start = datetime(as_of.year, 1, 1) - timedelta(hours=8)

    def naive_board(engine: Any) -> Any:
        part = read(engine, "participations")
        vols = read(engine, "volunteers")
        part = part[(part["checked_in_at"] >= year_start) & (part["checked_in_at"] < as_of)]
        joined = part.merge(vols[vols["on_leaderboard"].astype(bool)], on="volunteer_id")
        return joined.groupby("volunteer_id")["points_awarded"].sum().nlargest(20)

    def board_sql(engine: str) -> str:
        # The page's figure: the top 20 with points, hours and check-ins, ranked among everyone on
        # the board (ties share a rank), ties in points ordered by name.
        return (
            "SELECT rank() OVER (ORDER BY points DESC) AS rank, * FROM ("
            "SELECT v.volunteer_id, v.display_name, v.community_id, sum(p.points_awarded) AS points,"
            " sum(p.hours) AS hours, count(*) AS activities FROM participations p"
            " JOIN volunteers v ON v.volunteer_id = p.volunteer_id"
            f" WHERE p.checked_in_at >= '{_ts(year_start)}' AND p.checked_in_at < '{_ts(as_of)}'"
            " AND v.on_leaderboard GROUP BY v.volunteer_id, v.display_name, v.community_id) AS per_volunteer"
            " ORDER BY points DESC, display_name LIMIT 20"
        )

    local_today = (as_of + timedelta(hours=8)).date()
    last_monday = week_start(local_today)
    p_since, p_until = patrols.utc_bounds(last_monday - timedelta(weeks=11), 12, SHANGHAI)

    weeks = [(last_monday - timedelta(weeks=11 - i)).isoformat() for i in range(12)]

    def naive_patrols(engine: Any) -> Any:
        # The same figure as the page's: every grid and week, zeros included, with the requirement.
        rows = read(engine, "patrols")
        rows = rows[(rows["started_at"] >= p_since) & (rows["started_at"] < p_until)]
        local_day = reference.local(rows["started_at"]).dt.normalize()
        week = (local_day - pd.to_timedelta(local_day.dt.day_of_week, unit="D")).dt.strftime("%Y-%m-%d")
        done = rows.groupby([rows["grid_id"], week.rename("week")]).size().rename("patrols").reset_index()
        grids = read(engine, "grids")[["grid_id", "community_id", "name", "required_patrols_per_week"]]
        matrix = grids.merge(pd.DataFrame({"week": weeks}), how="cross").merge(done, on=["grid_id", "week"], how="left")
        matrix["patrols"] = matrix["patrols"].fillna(0).astype(int)
        return matrix

    def patrols_sql(engine: str) -> str:
        week = SPELLING[engine]["week"].format("started_at")
        all_weeks = " UNION ALL ".join(f"SELECT '{w}' AS week" for w in weeks)
        return (
            "SELECT g.grid_id, g.community_id, g.name, g.required_patrols_per_week, w.week,"
            f" coalesce(d.n, 0) FROM grids g CROSS JOIN ({all_weeks}) w LEFT JOIN"
            f" (SELECT grid_id, {week} AS week, count(*) AS n FROM patrols"
            f" WHERE started_at >= '{_ts(p_since)}' AND started_at < '{_ts(p_until)}' GROUP BY 1, 2) d"
            " ON d.grid_id = g.grid_id AND d.week = w.week ORDER BY g.grid_id, w.week"
        )

    found = [
        Figure("overview", "status counts, 12 months", lambda e: issues.status_counts(e, street, year),
               naive_status, lambda d: f"SELECT status, count(*) FROM issues WHERE {window} GROUP BY status"),
        Figure("transparency", "figures by category, 12 months",
               lambda e: issues.resolution_figures(e, street, year, by="category"),
               by_group("category_code"), grouped_sql("category_code")),
        Figure("transparency", "figures by community, 12 months",
               lambda e: issues.resolution_figures(e, street, year, by="community"),
               by_group("community_id"), grouped_sql("community_id")),
        Figure("transparency", "monthly flow, 12 months", lambda e: issues.monthly_flow(e, street, year),
               naive_flow, flow_sql),
        Figure("transparency", "backlog by age", lambda e: issues.backlog_by_age(e, street, IssueFilters(), as_of),
               naive_backlog, backlog_sql),
        Figure("performance", "figures by officer, 12 months",
               lambda e: issues.resolution_figures(e, street, year, by="officer"),
               by_group("assigned_officer_id"), grouped_sql("assigned_officer_id")),
        Figure("volunteers", "leaderboard, this year", lambda e: volunteers.leaderboard(e, year_start, as_of),
               naive_board, board_sql),
        Figure("patrols", "patrols per grid and week, 12 weeks",
               lambda e: patrols.grid_weeks(e, street, last_monday), naive_patrols, patrols_sql),
    ]
    if grid is not None:
        found.insert(4, Figure("issue map", "map cells, 12 months",
                               lambda e: issue_map.issue_cells(e, street, year, "all", metres, bounds),
                               naive_cells, cells_sql))
    return found


def _seconds(call: Callable[[], Any]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def interleaved(methods: dict[str, Callable[[], Any]], runs: int, rounds_of: dict[str, int]) -> dict[str, list[float]]:
    """Each method once cold, then `runs` rounds in which every method runs once, in an order that
    rotates from round to round: a burst of load on this shared machine then falls on every method
    alike, and the ratios of one round are paired. `rounds_of` caps a slow method's rounds."""
    names = list(methods)
    cold = {name: _seconds(methods[name]) for name in names}
    warm: dict[str, list[float]] = {name: [] for name in names}
    for round_number in range(runs):
        order = names[round_number % len(names) :] + names[: round_number % len(names)]
        for name in order:
            if len(warm[name]) < rounds_of.get(name, runs):
                warm[name].append(_seconds(methods[name]))
    return {name: [cold[name], *warm[name]] for name in names}


def paired(numerator: list[float], denominator: list[float]) -> str:
    """The median of the per-round ratios (warm runs only), with their range."""
    ratios = [a / b for a, b in zip(numerator[1:], denominator[1:], strict=False) if b > 0]
    if not ratios:
        return "—"
    middle = statistics.median(ratios)
    return f"{middle:.1f}x ({min(ratios):.1f}–{max(ratios):.1f})"


def load_line() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="sqlite:///bench/out/city.sqlite")
    parser.add_argument("--runs", type=int, default=5, help="warm rounds per figure (median, paired)")
    parser.add_argument("--naive-runs", type=int, default=2, help="warm rounds of the slow naive way")
    parser.add_argument("--skip-naive", action="store_true", help="leave out the slow whole-table reads")
    parser.add_argument("--only", default="", help="only figures whose page or name contains this text")
    args = parser.parse_args()

    row = make_readonly_engine(args.db, statement_timeout_s=600)
    backend = row.dialect.name
    copy = AnalyticalCopy(row, refresh_seconds=float("inf"))
    snapshot = copy.load_now()
    routed = RoutedEngine(row, copy)
    duck = snapshot.connection
    print(f"# {backend}: {args.db}")
    print(f"analytical copy loaded in {snapshot.load_seconds:.1f} s: {sum(snapshot.rows.values()):,} rows")
    print(f"before: {load_line()}")
    as_of = data_as_of(row) or datetime.combine(date.today(), datetime.min.time())

    def on_row_store(sql: str) -> None:
        with row.connect() as conn:
            conn.exec_driver_sql(sql).fetchall()

    header = ["page", "figure", "ours", "rows", "naive", "floor", "duck", "naive/ours", "ours/duck"]
    print("| " + " | ".join(header) + " |")
    print("|" + " --- |" * len(header))
    for figure in figures(as_of, area_bounds(row)):
        if args.only and args.only not in f"{figure.page} {figure.name}":
            continue
        methods = {
            "ours": lambda f=figure: f.ours(routed),
            "rows": lambda f=figure: f.ours(row),
            "floor": lambda f=figure: on_row_store(f.sql(backend)),
            "duck": lambda f=figure: duck.execute(f.sql("duckdb")).fetchall(),
        }
        if not args.skip_naive:
            methods["naive"] = lambda f=figure: f.naive(row)
        times = interleaved(methods, args.runs, {"naive": args.naive_runs})
        cells = []
        for name in ("ours", "rows", "naive", "floor", "duck"):
            found = times.get(name)
            cells.append(f"{found[0]:.3f} / {statistics.median(found[1:]):.3f}" if found else "—")
        naive_ratio = paired(times["naive"], times["ours"]) if "naive" in times else "—"
        ratios = [naive_ratio, paired(times["ours"], times["duck"])]
        print(f"| {figure.page} | {figure.name} | " + " | ".join(cells + ratios) + " |", flush=True)
    print(f"\nafter: {load_line()}")
    print(
        f"seconds, cold / warm (median of {args.runs} rounds, naive {args.naive_runs}); methods interleaved"
        f" within each round in rotating order; ratios are the median of the rounds' paired ratios (range);"
        f" copy answered {copy.answered}"
    )


if __name__ == "__main__":
    main()
