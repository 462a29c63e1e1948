"""Screenshots of pages as a user sees them, for looking at a change before calling it done.

    .venv/bin/python -m scripts.screenshots --db sqlite:////tmp/monday.sqlite --out /tmp/shots \
        --user street --pages overview,patrols --size 1366x768 --size 390x844 --lang zh

Starts the app (as ./run.sh does) on a free port over the given database, signs in when --user is
given (a demo user: its password is the demo one), and writes <out>/<page>-<lang>-<W>x<H>.png of
every page and size, the whole page (not only the first screen). Needs Debian's chromium.
"""

from __future__ import annotations

import argparse
import re
import tempfile
from pathlib import Path

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, start_server, stop_server
from tests.e2e.helpers import login, screenshot, url_of, wait_ready

DEMO_PASSWORDS = {
    "street": "street-demo-2026",
    "admin": "admin-demo-2026",
    "c01staff": "c01-demo-2026",
    "officer_c02": "officer-demo-2026",
}


def file_name(page_id: str, lang: str, size: str) -> str:
    """<page>[-<query>]-<lang>-<W>x<H>.png, with anything but letters, digits, '.' and '-' in the
    page and its query made '_' (a hostile query such as ?person=../../etc stays in --out)."""
    name, _, query = page_id.partition("?")
    safe = re.sub(r"[^A-Za-z0-9.-]+", "_", name + (f"-{query}" if query else "")).strip("._") or "page"
    return f"{safe}-{lang}-{size}.png"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="database URL")
    parser.add_argument("--out", required=True, help="folder for the PNGs")
    parser.add_argument("--pages", default="overview", help="page ids, comma-separated (big_screen?panel=map works)")
    parser.add_argument("--size", action="append", default=[], help="WxH, repeatable; default 1366x768")
    parser.add_argument("--user", choices=sorted(DEMO_PASSWORDS), help="sign in as this demo user")
    parser.add_argument("--lang", default="zh", choices=("zh", "en"))
    parser.add_argument("--first-screen", action="store_true", help="only what fits in the viewport")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    process, base = start_server(args.db, Path(tempfile.mkdtemp(prefix="shots_")))
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for size in args.size or ["1366x768"]:
                width, height = (int(v) for v in size.split("x"))
                context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
                page = context.new_page()
                if args.user:
                    login(page, base, args.user, DEMO_PASSWORDS[args.user])
                for page_id in args.pages.split(","):
                    name, _, query = page_id.partition("?")
                    address = url_of(base, name, args.lang) + (f"&{query}" if query else "")
                    page.goto(address)
                    wait_ready(page, 60_000)
                    page.wait_for_timeout(1500)  # maps and charts draw after the run ends
                    path = out / file_name(page_id, args.lang, size)
                    if args.first_screen:
                        page.screenshot(path=str(path))
                    else:
                        screenshot(page, str(path))
                    print(path)
                context.close()
            browser.close()
    finally:
        stop_server(process)


if __name__ == "__main__":
    main()
