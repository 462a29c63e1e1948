"""How long a map takes to draw in headless Chromium, warm, at the database's scale.

    .venv/bin/python bench/map_draw.py --db sqlite:///bench/out/city.sqlite --rounds 3

Starts the real app over the database (its analytical copy in --copy-dir), signs in as the demo
street official where a page needs it, opens each map page once (the server's caches and the
browser's scripts warm), then reloads it --rounds times. Each WebGL draw call is timestamped in
the page (the draw functions of WebGL and WebGL2 are wrapped before any script runs), and a
round ends when no draw call came for QUIET_MS. Prints, per page, the median and range of:
  data -> first frame   from the map element's arrival in the page to its first drawn frame (the
                        browser's share: parsing the layers' JSON, building buffers, drawing)
  data -> last frame    to the last frame drawn: the map is drawn again as the page's later
                        elements arrive and when the run ends
  load -> last frame    from the reload to the last frame (server and browser together)
and the largest websocket message the page received (the map's JSON travels in one). Chromium
draws with SwiftShader here (no GPU): a real browser on a laptop draws faster. Writes nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.app_server import start_server  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
    "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
]
PAGES = {"issue_map": False, "patrols": True, "watchlist": True}  # page: needs a staff sign-in
QUIET_MS = 1500
DECK = "[data-testid='stDeckGlJsonChart']"

# Before any script: timestamp every draw call, and the moment the map element arrives.
DRAW_CLOCK = """
(() => {
  window.__draws = []; window.__deckAt = null;
  const wrap = (proto, names) => names.forEach(name => {
    const real = proto && proto[name];
    if (!real) return;
    proto[name] = function (...args) { window.__draws.push(performance.now()); return real.apply(this, args); };
  });
  const calls = ['drawArrays', 'drawElements', 'drawArraysInstanced', 'drawElementsInstanced', 'drawRangeElements'];
  wrap(window.WebGLRenderingContext && WebGLRenderingContext.prototype, calls);
  wrap(window.WebGL2RenderingContext && WebGL2RenderingContext.prototype, calls);
  new MutationObserver(() => {
    if (window.__deckAt === null && document.querySelector("[data-testid='stDeckGlJsonChart']")) {
      window.__deckAt = performance.now();
    }
  }).observe(document, {childList: true, subtree: true});
})();
"""


def one_round(page, url: str) -> tuple[float, float, float, int]:  # noqa: ANN001 - playwright's Page
    """(data -> first frame, data -> last draw, load -> last draw) in seconds, and the frames drawn
    (draw calls closer than 50 ms apart count as one frame)."""
    page.goto(url, wait_until="commit")
    page.wait_for_selector(f"{DECK} canvas", timeout=120_000)
    page.wait_for_function("() => window.__draws.length > 0", timeout=120_000)
    while True:
        quiet = page.evaluate("() => performance.now() - window.__draws[window.__draws.length - 1]")
        if quiet >= QUIET_MS:
            break
        time.sleep(0.2)
    draws, arrived = page.evaluate("() => [window.__draws, window.__deckAt]")
    frames = 1 + sum(1 for a, b in zip(draws, draws[1:]) if b - a > 50)
    return (draws[0] - arrived) / 1000, (draws[-1] - arrived) / 1000, draws[-1] / 1000, frames


def _spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default=f"sqlite:///{ROOT / 'data' / 'demo.sqlite'}")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--copy-dir", default=str(ROOT / "bench" / "out" / "analytical"))
    parser.add_argument("--pages", default=",".join(PAGES))
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"this benchmark needs Debian's chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    from data_access.analytical import build_published

    build_published(args.db, Path(args.copy_dir))  # the server opens it at start, as after a restart
    server, base = start_server(args.db, SYL_ANALYTICAL_COPY_DIR=args.copy_dir)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = browser.new_context(viewport={"width": 1366, "height": 900})
            context.add_init_script(DRAW_CLOCK)
            page = context.new_page()
            signed_in = False
            print(f"# {args.db}; {args.rounds} warm rounds per page after one unmeasured load; quiet {QUIET_MS} ms")
            print("| page | data -> first frame s | data -> last frame s | load -> last frame s | frames"
                  " | largest message KB |")
            print("| --- | --- | --- | --- | --- | --- |")
            for page_id in args.pages.split(","):
                if PAGES[page_id] and not signed_in:
                    from tests.e2e.helpers import login

                    login(page, base, "street", "street-demo-2026", timeout_ms=120_000)
                    signed_in = True
                url = f"{base}/{page_id}?lang=zh"
                sizes: list[int] = []
                page.on("websocket", lambda ws, sizes=sizes: ws.on(
                    "framereceived", lambda frame: sizes.append(len(frame) if isinstance(frame, bytes | str) else 0)))
                one_round(page, url)  # warm
                rounds = [one_round(page, url) for _ in range(args.rounds)]
                cells = [_spread([r[i] for r in rounds]) for i in range(3)]
                frames = "/".join(str(r[3]) for r in rounds)
                largest = max(sizes, default=0) / 1024
                print(f"| {page_id} | {cells[0]} | {cells[1]} | {cells[2]} | {frames} | {largest:.0f} |", flush=True)
            browser.close()
    finally:
        server.terminate()
        server.wait(30)


if __name__ == "__main__":
    main()
