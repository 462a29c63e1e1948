"""Python's cyclic garbage collector, told which objects live as long as the app process.

A full collection walks every container object in the process, and while it runs no session's
script runs. Most of those objects are the modules the pages use (Streamlit, pandas, plotly's
validators, pydeck, SQLAlchemy): some 200,000 objects that are never garbage. Walking them cost
about 140 ms of CPU per full collection on this 2-core machine, and under 50 sessions a process
made one every 5 s (bench/load.py --probe counts them; docs/deployment.md has the figures).

So the app process imports what the pages import, once, at start, and moves everything alive then
into the collector's permanent generation (gc.freeze), which collections skip. Objects made
later (sessions, query results, figures) are collected as before. The price: a frozen object that
later becomes garbage only through a reference cycle is never freed; at start-up that is only
module-level state, which lives as long as the process anyway.
"""

from __future__ import annotations

import ast
import gc
import importlib
import importlib.util
import logging
from pathlib import Path

PAGES = Path(__file__).resolve().parent.parent / "pages"
_LOG = logging.getLogger(__name__)


def page_imports(folder: Path = PAGES) -> list[str]:
    """The modules the page scripts import at their top (read from the files, so a new page's
    imports count without a list kept by hand)."""
    found: set[str] = set()
    for path in sorted(folder.glob("*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level and node.module != "__future__":
                found.add(node.module)
                # `from app import formatting` imports the submodule app.formatting
                submodules = [alias.name for alias in node.names if _is_module(node.module, alias.name)]
                found.update(f"{node.module}.{name}" for name in submodules)
    return sorted(found)


def _is_module(package: str, name: str) -> bool:
    try:
        return importlib.util.find_spec(f"{package}.{name}") is not None
    except (ImportError, ValueError):  # `package` is a module, not a package: `name` is a name in it
        return False


def freeze_startup(folder: Path = PAGES) -> int:
    """Import the pages' modules, collect what start-up left over, then freeze the rest; returns
    how many objects were frozen. A module that fails to import is left to fail where a page
    imports it (that page shows its own error), and the rest still counts."""
    for name in page_imports(folder):
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - the page that imports it reports it to its visitor
            _LOG.warning("could not import %s at start-up; the pages that use it will say so", name, exc_info=True)
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
