"""Headline issue figures as JSON, for scripts and meetings.

    python -m data_access.summary --db sqlite:///data/demo.sqlite --since 2026-01-01 --json
    python -m data_access.summary --period 30d --json

Dates are local calendar days of the street's zone; --until is inclusive. --period names a
period the pages show (7d, 30d, 90d, 180d, 12m, week, last_week, month, year; see
data_access/periods.py), ending with the data's own day, so its figures are the pages' figures.
``total`` and ``by_status`` count every issue reported in the period; the
rates and times use the cohort (rejected and duplicate left out), as defined
in docs/metrics.md.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from datetime import UTC, date, datetime, timedelta

from data_access import periods
from data_access.contract import ensure_usable
from data_access.engine import make_readonly_engine, resolve_database_url
from data_access.errors import DataAccessError
from data_access.filters import IssueFilters
from data_access.issues import resolution_figures, status_counts
from data_access.localtime import local_day_start, set_override, zone_of
from data_access.reference import category_list, community_list, data_as_of
from data_access.scope import Scope

FIGURES = ("resolution_rate", "median_hours_to_resolve", "p90_hours_to_resolve", "on_time_share")


def _number(value: object) -> float | int | None:
    if value is None:
        return None
    number = float(value)  # type: ignore[arg-type]
    if math.isnan(number):
        return None
    return round(number, 4)


def _figures(row: dict) -> dict:
    return {
        "received": int(row["received"]),
        "resolved": int(row["resolved"]),
        "resolution_rate": _number(row["resolution_rate"]),
        "median_hours_to_resolve": _number(row["median_hours"]),
        "p90_hours_to_resolve": _number(row["p90_hours"]),
        "on_time_share": _number(row["on_time_share"]),
        "invalid_durations": int(row["invalid_durations"]),
    }


def build_summary(
    url: str, since: date | None = None, until: date | None = None, period_key: str | None = None
) -> dict:
    """`since` and `until` are local days in the database's time zone (meta.timezone, or the
    override given with --timezone), the same days the pages show; `period_key` instead takes
    them from the named period as of the data's own day."""
    engine = make_readonly_engine(url)
    try:
        ensure_usable(engine)
        local = zone_of(engine)
        if period_key:
            as_of = data_as_of(engine) or datetime.now(UTC).replace(tzinfo=None)
            span = periods.period(period_key, as_of, local)
            since, until = span.first_day, span.last_day
        filters = IssueFilters(
            since=local_day_start(since, local) if since else None,
            until=local_day_start(until + timedelta(days=1), local) if until else None,
        )
        street = Scope.street()
        statuses = status_counts(engine, street, filters)
        overall = resolution_figures(engine, street, filters)
        empty = {
            "received": 0,
            "resolved": 0,
            "resolution_rate": None,
            "median_hours": None,
            "p90_hours": None,
            "on_time_share": None,
            "invalid_durations": 0,
        }
        summary = {
            "period": period_key,
            "since": since.isoformat() if since else None,
            "until": until.isoformat() if until else None,
            "total": int(statuses["count"].sum()),
            "by_status": {str(s): int(c) for s, c in zip(statuses["status"], statuses["count"])},
            **_figures(overall.iloc[0].to_dict() if len(overall) else empty),
        }
        names = dict(zip(category_list(engine)["code"], category_list(engine)["name_en"]))
        summary["by_category"] = [
            {"category": row["key"], "name": names.get(row["key"]), **_figures(row)}
            for row in resolution_figures(engine, street, filters, by="category").to_dict("records")
        ]
        communities = community_list(engine)
        community_names = dict(zip(communities["community_id"], communities["name_en"]))
        summary["by_community"] = [
            {"community": row["key"], "name": community_names.get(row["key"]), **_figures(row)}
            for row in resolution_figures(engine, street, filters, by="community").to_dict("records")
        ]
        return summary
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m data_access.summary", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", help="database URL (default: DATABASE_URL, then the demo file)")
    parser.add_argument("--since", type=date.fromisoformat, help="first local day, YYYY-MM-DD")
    parser.add_argument("--until", type=date.fromisoformat, help="last local day (inclusive), YYYY-MM-DD")
    parser.add_argument(
        "--period",
        choices=[k for k in periods.KEYS if k != "custom"],
        help="a period the pages show, instead of --since/--until",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object (the only format so far)")
    parser.add_argument("--timezone", help="read the days in this zone (default: the database's own, meta.timezone)")
    args = parser.parse_args(argv)
    try:
        set_override(args.timezone)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        summary = build_summary(resolve_database_url(args.db), args.since, args.until, args.period)
    except DataAccessError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(summary, ensure_ascii=False, indent=None if args.json else 2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
