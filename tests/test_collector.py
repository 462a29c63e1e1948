"""The app process freezes what the pages import: full collections then skip it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from app.collector import page_imports

ROOT = Path(__file__).resolve().parent.parent


def test_the_pages_imports_are_read_from_the_page_files(tmp_path) -> None:
    (tmp_path / "a.py").write_text(
        "from __future__ import annotations\nimport json, csv as c\nfrom app import formatting\n"
        "from .sibling import x\ndef f():\n    import zipfile\n",
        encoding="utf-8",
    )
    # top level only, no relative or future import; a submodule named in a from-import counts
    assert page_imports(tmp_path) == ["app", "app.formatting", "csv", "json"]
    real = page_imports()
    assert {"streamlit", "pandas", "app.context", "app.charts", "app.maps"} <= set(real)
    assert "app.context.page_context" not in real  # a function, not a module


def test_after_start_up_a_full_collection_walks_a_small_part_of_the_process() -> None:
    script = (
        "import gc, json, sys\n"
        "from app import collector\n"
        "frozen = collector.freeze_startup()\n"
        "print(json.dumps({'frozen': frozen, 'tracked': len(gc.get_objects()),\n"
        "                  'plotly': 'plotly.graph_objects' in sys.modules, 'pydeck': 'pydeck' in sys.modules}))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["plotly"] and found["pydeck"], "the charts' and maps' libraries are loaded before the freeze"
    assert found["frozen"] > 50_000
    assert found["tracked"] < found["frozen"] / 20, found  # what a full collection still walks


def test_the_served_app_freezes_at_start() -> None:
    server = (ROOT / "app" / "server.py").read_text(encoding="utf-8")
    body = [line for line in server.splitlines() if line and not line.startswith(("#", " ", '"'))]
    assert body.index(next(line for line in body if line.startswith("collector.freeze_startup()"))) < body.index(
        next(line for line in body if line.startswith("warm_up()"))
    ), "frozen before the copy opens and before any session"
