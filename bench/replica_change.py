"""A change written to the primary reaches a page read from the replica: how long each step takes.

    set -a; . deploy/pg-replica.env; set +a
    .venv/bin/python bench/replica_change.py --primary "$FEED_DATABASE_URL" --replica "$DATABASE_URL"

Starts one app process over the replica (the analytical copy checking its watermark every
`--refresh` seconds), opens the overview as a visitor, then, as the feed, copies the `--added`
newest issues under new ids on the primary. Prints when the replica has them, when the copy
holds them, and when the overview's figures show them (the page asked again every 2 s; a figure
is reused for `--cache-ttl` seconds, so the page can lag the copy by that much). The
rows it adds are left in place: run it on a database made for the purpose (the city demo).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.stream_client import Tab  # noqa: E402
from bench.app_server import start_server  # noqa: E402


def _count(url: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT count(*) FROM issues").fetchone()[0]


def _add(primary: str, added: int) -> None:
    """The feed's write: the newest issues again under new ids, and a new data_as_of."""
    with psycopg.connect(primary) as conn:
        columns = [row[0] for row in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'issues' "
            "AND column_name <> 'issue_id' ORDER BY ordinal_position")]
        listed = ", ".join(f'"{name}"' for name in columns)
        top = conn.execute("SELECT max(issue_id) FROM issues").fetchone()[0]
        conn.execute(f"INSERT INTO issues (issue_id, {listed}) SELECT issue_id + %s, {listed} FROM issues "  # noqa: S608
                     "ORDER BY reported_at DESC LIMIT %s", (top, added))
        conn.execute("UPDATE meta SET value = value WHERE key = 'data_as_of'")


def _figures(view) -> dict[str, str]:  # noqa: ANN001
    return {element.metric.label: element.metric.body for element in view.kinds("metric")}


async def run(base: str, primary: str, replica: str, added: int, timeout_s: float) -> None:
    tab = Tab(base, 120)
    before = _figures(await tab.open(""))
    replica_before = _count(replica)
    print(f"replica holds {replica_before:,} issues; the overview shows {before}", flush=True)
    start = time.monotonic()
    _add(primary, added)
    written = time.monotonic()
    print(f"the feed wrote {added} issues to the primary in {written - start:.2f} s", flush=True)
    while _count(replica) < replica_before + added:
        await asyncio.sleep(0.05)
    print(f"the replica has them {time.monotonic() - written:.2f} s after the commit", flush=True)
    while time.monotonic() - written < timeout_s:
        now = _figures(await tab.navigate(""))
        changed = {label: (before.get(label), value) for label, value in now.items() if before.get(label) != value}
        if changed:
            print(f"the overview shows them {time.monotonic() - written:.1f} s after the commit: {changed}")
            return
        await asyncio.sleep(2)
    print(f"the overview did not change within {timeout_s:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--primary", required=True)
    parser.add_argument("--replica", required=True)
    parser.add_argument("--added", type=int, default=200)
    parser.add_argument("--refresh", type=int, default=15, help="the copy's watermark check, seconds")
    parser.add_argument("--cache-ttl", type=int, default=60, help="the app's query cache (cache_ttl_seconds)")
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()
    server, base = start_server(args.replica, SYL_ANALYTICAL_REFRESH_SECONDS=str(args.refresh), SYL_THEME_FILL="off",
                                SYL_CACHE_TTL_SECONDS=str(args.cache_ttl),
                                SYL_ANALYTICAL_COPY_DIR=str(ROOT / "data" / "analytical"))
    try:
        time.sleep(5)  # the copy on disk opens
        asyncio.run(run(base, args.primary, args.replica, args.added, args.timeout))
    finally:
        server.terminate()


if __name__ == "__main__":
    main()
