"""Start the real app on a free port over a given database, for the benchmarks that need a server."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def start_server(db: str, log: Path | None = None, **settings: str) -> tuple[subprocess.Popen, str]:
    """The server process and its base URL, once it answers its health check. `settings` are
    extra environment variables (SYL_...). Its audit log goes to a fresh temporary folder; its
    output to `log` when given."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = os.environ | {"DATABASE_URL": db, "SYL_COOKIE_KEY": secrets.token_urlsafe(48),
                        "SYL_AUDIT_LOG_PATH": str(Path(tempfile.mkdtemp()) / "audit.jsonl")} | settings
    server = subprocess.Popen(  # noqa: S603 - our own server, fixed arguments
        [sys.executable, "-m", "streamlit", "run", "app/server.py", "--server.port", str(port),
         "--server.headless", "true", "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=log.open("ab") if log else subprocess.DEVNULL, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            urllib.request.urlopen(f"{base}/_stcore/health", timeout=2)  # noqa: S310 - our own server
            break
        except OSError:
            time.sleep(0.5)
    return server, base
