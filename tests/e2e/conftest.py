"""A real Streamlit server over a freshly built demo database, and headless Chromium to drive it."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
    "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
]
SCREENSHOTS = ROOT / "tests" / "e2e" / "screenshots"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory) -> str:
    from fixtures.generate import default_as_of, generate
    from fixtures.scales import STREET

    path = tmp_path_factory.mktemp("e2e") / "demo.sqlite"
    generate(f"sqlite:///{path}", STREET, 42, default_as_of())
    return f"sqlite:///{path}"


def start_server(database_url: str, state: Path) -> tuple[subprocess.Popen, str]:
    """The app as ./run.sh serves it (app/server.py), on a free port, over the given database."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium fonts-noto-cjk)")
    port = _free_port()
    env = os.environ | {
        "DATABASE_URL": database_url,
        "SYL_AUDIT_LOG_PATH": str(state / "audit.jsonl"),
        "SYL_COOKIE_KEY": secrets.token_urlsafe(48),
        "SYL_ANALYTICAL_COPY_DIR": str(state / "analytical"),
    }
    log = (state / "server.log").open("w")
    process = subprocess.Popen(  # noqa: S603 - our own server, fixed arguments
        [sys.executable, "-m", "streamlit", "run", "app/server.py", "--server.port", str(port),
         "--server.headless", "true", "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return process, base
        except OSError:
            time.sleep(0.3)
    process.kill()
    pytest.fail("the Streamlit server did not start: " + (state / "server.log").read_text())


def stop_server(process: subprocess.Popen) -> None:
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="session")
def server(demo_db, tmp_path_factory) -> Iterator[str]:
    process, base = start_server(demo_db, tmp_path_factory.mktemp("e2e_state"))
    yield base
    stop_server(process)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"browser tests need Debian's chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()
