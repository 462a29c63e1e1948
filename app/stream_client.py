"""A browser tab without a browser: speaks Streamlit's websocket protocol to the real server.

A fresh app process opens its public pages with it (app/warm_start.py); the deployment tests and
the load driver (bench/load.py) use it too, so the server is what they measure. A tab does what
the browser's frontend does, and no more:

- `open`: the page's HTML first (a proxy's route cookie arrives with it), then the websocket
  `/_stcore/stream` with the tab's cookies and Origin, then a rerun of that page;
- `rerun`: the page again with changed widgets, as when a visitor picks a filter;
- `login`: the login form filled and submitted, the ticket redeemed at `/_auth/session` (the
  route sets the HttpOnly login cookie, as the browser's redirect would), then a fresh
  websocket so the cookie reaches the server, as the full page load after the redirect does;
- `tick`: a fragment's timed rerun (the big screen rotates by one), when the page asked for it.

Every answer is a `View`: the elements that arrived, in order, the bytes, the seconds from the
request to the script's end, and how the script ended.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import http.cookiejar
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

FINISHED = {0, 3}  # ScriptFinishedStatus: FINISHED_SUCCESSFULLY, FINISHED_FRAGMENT_RUN_SUCCESSFULLY
ERROR_ALERT = 1  # Alert.Format.ERROR


class StreamError(RuntimeError):
    """The server closed the socket, or did not finish a run within the time allowed."""


@dataclass
class View:
    elements: list = field(default_factory=list)  # (kind, proto) of every new element, in order
    page_hash: str = ""  # the page that ran (the navigation message names it)
    status: int | None = None  # ScriptFinishedStatus; None if the run never ended
    seconds: float = 0.0
    bytes: int = 0
    auto_rerun: tuple[float, str] | None = None  # (interval s, fragment id) the page asked for

    def kinds(self, kind: str) -> list:
        return [element for name, element in self.elements if name == kind]

    def texts(self) -> list[str]:
        """Every heading, markdown, caption and alert body, in order."""
        return [getattr(element, name).body for name, element in self.elements
                if name in ("heading", "markdown", "alert")]

    def has_text(self, text: str) -> bool:
        return any(text in body for body in self.texts())

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @property
    def errors(self) -> list[str]:
        """Exceptions and error alerts shown on the page."""
        shown = [element.exception.message for element in self.kinds("exception")]
        return shown + [element.alert.body for element in self.kinds("alert") if element.alert.format == ERROR_ALERT]

    def widget(self, kind: str, label: str | None = None):
        """The first widget of that kind (with that label): its proto, which carries its id."""
        for element in self.kinds(kind):
            widget = getattr(element, kind)
            if label is None or widget.label == label:
                return widget
        return None


class Tab:
    """One visitor's tab: its own cookies, so its own Streamlit session."""

    def __init__(self, base: str, timeout_s: float = 60.0, timezone: str = "Asia/Shanghai") -> None:
        self.base = base.rstrip("/")
        self.timeout_s = timeout_s
        self.timezone = timezone
        self.jar = http.cookiejar.CookieJar()
        self._http = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self._socket = None
        self.page = ""
        self.query = ""
        self.page_hash = ""
        self.received = 0  # bytes over the websocket, over the tab's life

    # -- HTTP, as the browser does it ------------------------------------------------------
    def _get(self, path: str) -> int:
        try:
            with self._http.open(self.base + path, timeout=self.timeout_s) as response:
                response.read()
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    def cookie(self, name: str) -> str | None:
        return next((c.value for c in self.jar if c.name == name), None)

    def _cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)

    # -- the websocket ---------------------------------------------------------------------
    async def connect(self) -> None:
        await self.close()
        url = self.base.replace("http", "ws", 1) + "/_stcore/stream"
        headers = {"Origin": self.base}
        if self.jar:
            headers["Cookie"] = self._cookie_header()
        self._socket = await asyncio.wait_for(websockets.connect(
            url, subprotocols=["streamlit"], additional_headers=headers, max_size=None,
            open_timeout=self.timeout_s, ping_interval=None), self.timeout_s)

    async def close(self) -> None:
        if self._socket is not None:
            await self._socket.close()
            self._socket = None

    async def _run(self, message: BackMsg) -> View:
        if self._socket is None:
            raise StreamError("not connected")
        view = View()
        start = time.perf_counter()
        await self._socket.send(message.SerializeToString())
        deadline = start + self.timeout_s
        while True:
            try:
                data = await asyncio.wait_for(self._socket.recv(), max(0.01, deadline - time.perf_counter()))
            except TimeoutError as error:
                raise StreamError(f"no end of run within {self.timeout_s:.0f} s") from error
            except websockets.ConnectionClosed as error:
                raise StreamError(f"socket closed: {error}") from error
            view.bytes += len(data)
            forward = ForwardMsg()
            forward.ParseFromString(data)
            kind = forward.WhichOneof("type")
            if kind == "delta" and forward.delta.WhichOneof("type") == "new_element":
                element = forward.delta.new_element
                view.elements.append((element.WhichOneof("type"), element))
            elif kind == "navigation":
                view.page_hash = forward.navigation.page_script_hash
            elif kind == "auto_rerun":
                view.auto_rerun = (forward.auto_rerun.interval, forward.auto_rerun.fragment_id)
            elif kind == "script_finished":
                view.status = forward.script_finished
                if view.status != 2:  # 2: ended early because another rerun was asked for
                    break
        view.seconds = time.perf_counter() - start
        self.received += view.bytes
        if view.page_hash:
            self.page_hash = view.page_hash
        return view

    def _rerun(self, page: str, query: str, widgets=(), page_hash: str = "", fragment: str = "") -> BackMsg:
        message = BackMsg()
        rerun = message.rerun_script
        rerun.query_string = query
        rerun.page_name = page
        rerun.page_script_hash = page_hash
        rerun.fragment_id = fragment
        rerun.is_auto_rerun = bool(fragment)
        rerun.context_info.timezone = self.timezone
        rerun.context_info.url = f"{self.base}/{page}" + (f"?{query}" if query else "")
        rerun.widget_states.widgets.extend(widgets)
        return message

    # -- what a visitor does -----------------------------------------------------------------
    async def open(self, page: str = "", query: str = "") -> View:
        """Load a page as a new browser tab would: its HTML, then the websocket, then the run."""
        path = "/" + page + (f"?{query}" if query else "")
        status = await asyncio.to_thread(self._get, path)
        if status != 200:
            raise StreamError(f"GET {path} answered {status}")
        await self.connect()
        return await self.navigate(page, query)

    async def navigate(self, page: str, query: str = "") -> View:
        """Another page in the same tab (a click in the sidebar)."""
        self.page, self.query = page, query
        return await self._run(self._rerun(page, query))

    async def rerun(self, widgets=()) -> View:
        """The current page again with these widget states (a filter changed)."""
        return await self._run(self._rerun("", self.query, widgets, self.page_hash))

    async def tick(self, fragment: str) -> View:
        """A fragment's timed rerun, as the frontend sends it when the page asked for one."""
        return await self._run(self._rerun("", self.query, (), self.page_hash, fragment))

    async def login(self, username: str, password: str, then: str = "") -> tuple[bool, View]:
        """Sign in on the login page and land on `then`, as a browser would after the redirect.
        True when the server set the login cookie."""
        form = await self.navigate("login")
        user = form.widget("text_input")
        fields = form.kinds("text_input")
        submit = next((b.button for b in form.kinds("button") if b.button.is_form_submitter), None)
        if len(fields) < 2 or submit is None:
            return False, form
        answer = await self.rerun([
            WidgetState(id=user.id, string_value=username),
            WidgetState(id=fields[1].text_input.id, string_value=password),
            WidgetState(id=submit.id, trigger_value=True),
        ])
        link = next((b.link_button.url for b in answer.kinds("link_button")
                     if b.link_button.url.startswith("/_auth/session?")), None)
        if link is None:
            return False, answer
        before = {c.name for c in self.jar}
        await asyncio.to_thread(self._get, link)
        if not ({c.name for c in self.jar} - before):
            return False, answer
        await self.connect()  # the redirect is a full page load: a new socket carries the cookie
        return True, await self.navigate(then)


def query(**params: str) -> str:
    return urllib.parse.urlencode(params)


def run(coroutine):  # noqa: ANN001, ANN201 - whatever the coroutine returns
    """Run `coroutine` to its end from synchronous code, in a thread of its own: a test session that
    also drives Chromium through Playwright's sync API has an event loop running in the main thread,
    where asyncio.run() refuses to start another."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
