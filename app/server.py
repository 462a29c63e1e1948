"""The served app: Streamlit's router (app/main.py) plus our HTTP routes, as one ASGI app.

    streamlit run app/server.py        (what ./run.sh does)

Streamlit finds ``app`` below and serves it with uvicorn. The routes (app/auth_routes.py) let the
server set the login cookie itself, HttpOnly; the error hook shows the app's own message, in the
visitor's language, for anything that escapes a page (a fragment rerun, a widget callback).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import streamlit as st

from app import collector, malloc_arenas, warm_start
from app.auth_routes import routes
from app.data import warm_up
from app.layout import unexpected_error_hook

malloc_arenas.limit()  # before the sessions' threads exist (app/malloc_arenas.py)
malloc_arenas.fixed_mmap_threshold()  # large blocks go back to the system when freed (the same)
app = st.App("main.py", routes=routes(), on_script_error=unexpected_error_hook)
collector.freeze_startup()  # what the pages import, kept out of every full collection (app/collector.py)
warm_up()  # the analytical copy opens (or starts building) now, not when the first visitor arrives
warm_start.start()  # then every public page once, by itself, at its own address (app/warm_start.py)
