"""A fresh app process opens every public page once, so its first visitors do not pay for that.

The first view of a page in a new process pays for what every later view reuses: the analytical
copy's pages read into DuckDB's buffers, the query cache's first answers, libraries imported on
first use, the segmenter's dictionary (社区E家's needs tab), the allocators growing to their
working size. At city scale (bench/first_views.py; docs/performance.md, "A warm start"), a
visitor's first pass over the ten public views took 2.9 s in a fresh process and 0.75 s in one
that had warmed itself.

`start` (called by app/server.py) runs a daemon thread that waits until the process answers its own
health check and its analytical copy, where one is kept, has opened; then one tab of its own
(app/stream_client.py) opens each public page's views (registry.PageSpec.views) at the process's own
address (127.0.0.1 when it listens on every address), not through the proxy, in the default language
and without a login. Visitors
who arrive meanwhile are served as always: their runs and these take turns at the run gate
(app/run_gate.py). Staff pages are not opened; that would take a staff login.

It logs one line, "warm start: ...", with what it opened, how long it took and what failed, and
never stops the app: a view that fails is counted and the next one opened. The setting
`warm_start` (SYL_WARM_START=off) leaves it out; the line then says so.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field

from app import registry
from app.settings import Settings, load_settings
from data_access.engine import redact

log = logging.getLogger(__name__)
if not log.handlers:  # the root logger prints warnings only; this one line is for operators
    _handler = logging.StreamHandler(sys.stderr)
    _handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    log.addHandler(_handler)
    log.setLevel(logging.INFO)
    log.propagate = False

LINE = "warm start:"  # what starts the one line the warm start logs (last_line finds it)
HEALTH_WAIT_S = 120.0  # the server's own start (uvicorn listening) takes a second or two
COPY_WAIT_S = 900.0  # a first copy at city scale is built in minutes; visitors are served meanwhile
VIEW_TIMEOUT_S = 120.0


def views() -> list[tuple[str, str]]:
    """(page id, URL query) of every public page's views, in the menu's order."""
    return [
        (spec.id, query)
        for spec in registry.PAGES
        if spec.section == "public" and spec.roles == registry.EVERYONE
        for query in spec.views
    ]


@dataclass
class Outcome:
    opened: int = 0
    seconds: float = 0.0
    slowest: tuple[str, float] = ("", 0.0)
    failed: list[str] = field(default_factory=list)  # views that did not finish, or showed an error

    def line(self) -> str:
        text = f"{LINE} {self.opened} views in {self.seconds:.1f} s"
        if self.slowest[0]:
            text += f", slowest {self.slowest[0]} {self.slowest[1]:.1f} s"
        return text + (f"; failed: {', '.join(self.failed)}" if self.failed else "; none failed")


def last_line(log_text: str) -> str | None:
    """What the warm start said last in a process's log, without its prefix; None before it spoke."""
    said = [line.split(LINE, 1)[1].strip() for line in log_text.splitlines() if LINE in line]
    return said[-1] if said else None


def _label(page: str, query: str) -> str:
    return page + (f"?{query}" if query else "")


async def open_views(
    base: str, wanted: list[tuple[str, str]], timeout_s: float = VIEW_TIMEOUT_S, on_view: Callable | None = None
) -> Outcome:
    """Open each view in a tab of its own, as a visitor following a link would (in one tab, a page's
    widgets would keep the part chosen before, whatever the URL asks); a view that fails is counted
    and the next one opened."""
    from app.stream_client import StreamError, Tab  # websockets only where a warm start runs

    outcome, started = Outcome(), time.perf_counter()
    for page, query in wanted:
        label = _label(page, query)
        tab = Tab(base, timeout_s=timeout_s)
        try:
            view = await tab.open(page, query)
        except (StreamError, OSError) as error:
            outcome.failed.append(f"{label} ({error})")
            continue
        finally:
            await tab.close()
        outcome.opened += 1
        if on_view is not None:  # tests: what each view showed
            on_view(label, view)
        if not view.finished or view.errors:
            outcome.failed.append(label)
        if view.seconds > outcome.slowest[1]:
            outcome.slowest = (label, view.seconds)
    outcome.seconds = time.perf_counter() - started
    return outcome


def _healthy(base: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/_stcore/health", timeout=3) as answer:  # noqa: S310 - our own port
            return answer.status == 200
    except OSError:
        return False


def _wait_for_copy(url: str, timeout_s: float) -> None:
    """Until the analytical copy has opened (or failed), where this database has one."""
    from app.data import engine_for
    from data_access.analytical import RoutedEngine

    engine = engine_for(url)
    if isinstance(engine, RoutedEngine):
        engine.copy.wait(timeout_s)


def own_base() -> str | None:
    """This process's own address, from Streamlit's configuration (port, address, base path); None
    when it serves TLS itself (the deployment's processes serve plain HTTP behind nginx)."""
    from streamlit import config

    if config.get_option("server.sslCertFile"):
        return None
    host = str(config.get_option("server.address") or "").strip() or "127.0.0.1"
    if host in ("0.0.0.0", "::"):  # noqa: S104 - every address: reach it on the loopback one
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    path = str(config.get_option("server.baseUrlPath") or "").strip("/")
    return f"http://{host}:{int(config.get_option('server.port'))}" + (f"/{path}" if path else "")


def warm(base: str, settings: Settings) -> Outcome | None:
    """Wait for the server and the copy, then open the views; None when the server never answered."""
    deadline = time.monotonic() + HEALTH_WAIT_S
    while not _healthy(base):
        if time.monotonic() > deadline:
            log.warning("%s the process did not answer its health check at %s; not warmed", LINE, base)
            return None
        time.sleep(0.5)
    try:
        _wait_for_copy(str(settings.database_url), COPY_WAIT_S)
    except Exception as error:  # noqa: BLE001 - the pages say what is wrong with the database; warm them anyway
        log.warning(
            "warming up: %s could not be opened (%s); opening the pages anyway",
            redact(str(settings.database_url)),
            type(error).__name__,
        )
    return asyncio.run(open_views(base, views()))


def start(base: str | None = None, settings: Settings | None = None) -> threading.Thread | None:
    """Warm this process (at `base`, else its own address) in the background (see the module's
    docstring); None when switched off, or when the process serves TLS itself."""
    settings = settings or load_settings()
    if not settings.warm_start:
        log.info("%s off (SYL_WARM_START)", LINE)
        return None
    base = base or own_base()
    if base is None:
        log.info("%s skipped (the process serves TLS itself; nginx is meant to)", LINE)
        return None

    def run() -> None:
        try:
            outcome = warm(base, settings)
        except Exception:  # noqa: BLE001 - a warm start never stops the app
            log.warning("%s stopped by an error", LINE, exc_info=True)
            return
        if outcome is not None:
            log.info("%s", outcome.line())

    thread = threading.Thread(target=run, name="warm-start", daemon=True)
    thread.start()
    return thread
