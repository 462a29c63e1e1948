"""Sixteen visitors at once: the read-only engine stays up and every answer stays right.

Issue 12 found four concurrent page loads segfaulting the server in libsqlite3 (SQLAlchemy's
SingletonThreadPool closed connections other threads were using). The threads run in a child
process (tests/concurrency_worker.py), so a crash shows here as a failed test with its exit code.
SYL_STRESS_SECONDS shortens or lengthens the run (default 30 s per backend).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECONDS = float(os.environ.get("SYL_STRESS_SECONDS", "30"))


def test_sixteen_threads_of_page_queries_all_answer_correctly(backend_url: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tests.concurrency_worker", backend_url, "--threads", "16", "--seconds", str(SECONDS)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=SECONDS + 300,
    )
    assert done.returncode == 0, f"the worker died (exit {done.returncode}): {done.stderr[-2000:]}"
    tally = json.loads(done.stdout.strip().splitlines()[-1])
    assert tally["errors"] == 0 and tally["mismatches"] == 0, tally["messages"]
    # Every thread really ran queries side by side, many times over.
    assert tally["calls"] >= 16 * 5, tally
