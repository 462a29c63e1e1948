"""A raster basemap from a tile server of the street's own (the `map_tiles` setting): drawn under the
layers with its attribution, from a local XYZ tile server this test starts; off by default."""

from __future__ import annotations

import http.server
import io
import re
import threading
import zlib
from struct import pack

import numpy as np
import pytest

from tests.e2e.conftest import SCREENSHOTS, _free_port, start_server, stop_server
from tests.e2e.helpers import EXCEPTION, url_of, wait_ready

pytestmark = pytest.mark.e2e
TILE_RGB = (200, 235, 200)  # a colour nothing else on the map uses


def _tile_png() -> bytes:
    row = b"\x00" + bytes(TILE_RGB) * 256
    raw = row * 256

    def chunk(kind: bytes, data: bytes) -> bytes:
        return pack(">I", len(data)) + kind + data + pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = pack(">IIBBBBB", 256, 256, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


@pytest.fixture
def tile_server():
    """An XYZ tile server on 127.0.0.1 answering every tile with one PNG; yields (url, paths asked)."""
    png, asked = _tile_png(), []

    class Tiles(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the handler's API
            asked.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Access-Control-Allow-Origin", "*")
            self.send_header("Content-Length", str(len(png)))
            self.end_headers()
            self.wfile.write(png)

        def log_message(self, *args) -> None:  # noqa: ANN002
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", _free_port()), Tiles)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", asked
    httpd.shutdown()


def _tile_pixels(page) -> int:  # noqa: ANN001
    from PIL import Image

    shot = page.locator("[data-testid='stDeckGlJsonChart']").first.screenshot()
    pixels = np.asarray(Image.open(io.BytesIO(shot)).convert("RGB")).astype(int)
    return int((np.abs(pixels - np.array(TILE_RGB)).max(axis=2) <= 6).sum())


def test_raster_tiles_draw_under_the_map_with_their_attribution(
    tile_server, demo_db, browser, tmp_path, monkeypatch
) -> None:
    base_url, asked = tile_server
    monkeypatch.setenv("SYL_MAP_TILES", base_url + "/{z}/{x}/{y}.png")
    monkeypatch.setenv("SYL_MAP_TILES_ATTRIBUTION", "© 本地底图 <b>not bold</b>")
    process, app = start_server(demo_db, tmp_path)
    try:
        context = browser.new_context(viewport={"width": 1366, "height": 900})
        page = context.new_page()
        page.goto(url_of(app, "issue_map"))
        wait_ready(page)
        page.wait_for_selector("[data-testid='stDeckGlJsonChart'] canvas", timeout=30_000)
        # Tiles are asked for and drawn some time after the canvas appears: a cold first start of the
        # server and of the browser's software WebGL can take well over the 3 s this once waited.
        for _ in range(60):
            page.wait_for_timeout(500)
            if any(re.fullmatch(r"/\d+/\d+/\d+\.png", path) for path in asked) and _tile_pixels(page) > 10_000:
                break
        assert page.locator(EXCEPTION).count() == 0
        assert any(re.fullmatch(r"/\d+/\d+/\d+\.png", path) for path in asked), asked[:5]
        assert _tile_pixels(page) > 10_000, "no tile drawn under the layers"
        attribution = page.get_by_text("© 本地底图 <b>not bold</b>")  # shown as text, never as markup
        assert attribution.count() >= 1
        page.screenshot(path=str(SCREENSHOTS / "basemap-tiles-1366x900.png"))
        context.close()
    finally:
        stop_server(process)


def test_no_basemap_by_default_nothing_is_fetched(server, browser, tile_server) -> None:
    _, asked = tile_server
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(url_of(server, "issue_map"))
    wait_ready(page)
    page.wait_for_selector("[data-testid='stDeckGlJsonChart'] canvas", timeout=30_000)
    page.wait_for_timeout(2000)
    # Streamlit itself asks Google's font server for some page icons (they stay blank offline);
    # apart from those, nothing leaves the app: no tiles, no style, no basemap provider.
    outside = [
        url for url in requests
        if not url.removeprefix("blob:").startswith(server)
        and not url.startswith("data:")
        and "fonts.gstatic.com/s/i/" not in url
    ]
    assert outside == [], outside[:5]
    assert _tile_pixels(page) == 0
    context.close()
