"""Run the real entry point under Streamlit's AppTest, as a given user, on a given page."""

from __future__ import annotations

import re
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from app import state
from app.roles import User
from app.users import load_users

ROOT = Path(__file__).resolve().parent.parent
DEMO = load_users(ROOT / "app" / "demo_users.yaml").users
USERS: dict[str, User | None] = {
    "public": None,
    "grid_officer": DEMO["officer_c02"],
    "community_staff": DEMO["c01staff"],
    "street_official": DEMO["street"],
    "admin": DEMO["admin"],
}


def signed_in(user: User) -> state.Login:
    """A session signed in just now (what a successful login leaves in session state)."""
    now = time.time()
    return state.Login(user, "test-token", now, now + 8 * 3600)


def session_user(at: AppTest) -> User | None:
    """Who the app considers signed in after the last run."""
    login = at.session_state[state._LOGIN] if state._LOGIN in at.session_state else None  # noqa: SLF001, SIM401
    return login.user if isinstance(login, state.Login) else None


def run_app(
    page: str | None = None, user: User | None = None, lang: str | None = None, params: dict[str, str] | None = None
) -> AppTest:
    """The app at `page` (by its URL path) for `user`, with these URL parameters on the first request."""
    at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=60)
    if user is not None:
        at.session_state[state._LOGIN] = signed_in(user)  # noqa: SLF001
    for name, value in (({"lang": lang} if lang else {}) | (params or {})).items():
        at.query_params[name] = value
    at.run()
    if page and page != "overview":
        open_url_path(at, page).run()
    return at


def open_page(page: str, params: dict[str, str] | None = None, user: User | None = None, lang: str = "zh") -> AppTest:
    """`run_app`, asserting that the page ran without an exception."""
    at = run_app(page, user, lang, params)
    assert not at.exception, at.exception
    return at


def open_url_path(at: AppTest, url_path: str) -> AppTest:
    """Go to /<url_path> the way a browser does: by the page's URL, whatever the router mounted there.

    AppTest.switch_page() only finds pages by file, but for a role that may not
    open a page the router mounts a "no access" callable at that URL. st.Page
    identifies a page by calc_hash(url_path), which is what a browser's request
    for /<url_path> resolves to (streamlit pinned in requirements.txt).
    """
    at._page_hash = calc_hash(url_path)  # noqa: SLF001 - see docstring
    return at


def rendered(markdown: str) -> str:
    """Markdown source as a reader sees it: colour directives, backslash escapes and invisible
    joiners gone."""
    text = re.sub(r":(?:green|orange|red)\[(.*?)\]", r"\1", str(markdown))
    return re.sub(r"\\(.)", r"\1", text).replace("\u2060", "")


def texts(at: AppTest) -> str:
    """Every piece of text the run rendered, as a user reads it."""
    parts = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "text", "error", "warning", "info", "success"):
        parts += [str(element.value) for element in at.get(kind)]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    return rendered("\n".join(parts))


def payload(at: AppTest) -> str:
    """Everything a run sends to the browser that could carry data: text, tables, chart and map specs."""
    parts = [texts(at)]
    for frame in at.dataframe:
        parts.append(frame.value.to_csv(index=False))
    for table in at.table:
        parts.append(table.value.to_csv(index=False))
    for chart in at.get("plotly_chart"):
        parts.append(chart.proto.spec)
    for deck in at.get("deck_gl_json_chart"):
        parts.append(deck.proto.json)
    for block in at.get("html"):
        parts.append(block.proto.body)
    return "\n".join(parts)


def cell_colours(dataframe) -> dict[tuple[int, int], str]:  # noqa: ANN001 - an AppTest dataframe element
    """(row, column) -> CSS colour of a styled st.dataframe, from the styles Streamlit sends."""
    found = {}
    for selectors, body in re.findall(r"([^{}]+)\{([^}]*)\}", dataframe.proto.arrow_data.styler.styles):
        colour = re.search(r"(?<![-\w])color:\s*(#[0-9a-fA-F]{6})", body)
        if colour:
            for row, col in re.findall(r"_row(\d+)_col(\d+)", selectors):
                found[(int(row), int(col))] = colour.group(1).lower()
    return found
