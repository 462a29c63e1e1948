"""Run the big screen for a while in headless Chromium and watch the server's memory.

    .venv/bin/python bench/big_screen_soak.py --minutes 30 [--rotate 5] [--refresh 0.5]

Starts its own server on a free port over the demo database, opens /big_screen with fast rotation and
refresh (so 30 minutes stand for hours of a TV's life), samples the server's RSS every 30 s and prints
the samples, the first/last/peak and the growth. Writes nothing.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--rotate", type=int, default=5)
    parser.add_argument("--refresh", type=float, default=0.5, help="minutes between data refreshes")
    parser.add_argument("--db", default=f"sqlite:///{ROOT / 'data' / 'demo.sqlite'}")
    args = parser.parse_args()
    from bench.app_server import start_server

    server, base = start_server(args.db)
    from playwright.sync_api import sync_playwright

    samples: list[tuple[float, float]] = []
    process = psutil.Process(server.pid)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page(viewport={"width": 1920, "height": 1080})
            page.goto(f"{base}/big_screen?rotate={args.rotate}&refresh={args.refresh}")
            started = time.monotonic()
            while time.monotonic() - started < args.minutes * 60:
                rss = process.memory_info().rss / 2**20
                samples.append(((time.monotonic() - started) / 60, rss))
                print(f"{samples[-1][0]:6.1f} min  RSS {rss:7.1f} MiB", flush=True)
                page.wait_for_timeout(30_000)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
    rss_values = [r for _, r in samples]
    settled = rss_values[min(2, len(rss_values) - 1)]  # after the first minute (imports, first queries)
    growth = rss_values[-1] - settled
    print(f"samples {len(samples)}; first {rss_values[0]:.1f} MiB; after 1 min {settled:.1f}; "
          f"last {rss_values[-1]:.1f}; peak {max(rss_values):.1f}; growth after 1 min {growth:+.1f} MiB")


if __name__ == "__main__":
    main()
