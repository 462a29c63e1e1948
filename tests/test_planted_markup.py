"""Planted markup renders as text on every page, for every role: nothing the data says is markup.

Issue 12 found a resident's name passed to st.markdown (the street official's browser fetched an
outside image) and a category name with <a href> live in a public chart. Here every text column
of a copy of the tiny street carries Markdown images and links, raw HTML, Streamlit directives,
LaTeX, deck.gl tooltip fields and deck.gl ``@@`` expressions (tests/planted.py); every page is
opened as the public, a grid officer, a street official (with a person revealed and an issue
opened) and an admin, and everything sent is searched for any of it in a form that would render.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app import registry, state
from app.i18n import translate
from app.safe_text import md
from tests.apptest_helpers import ROOT, USERS, open_url_path, signed_in, texts
from tests.planted import HOST, plant

pytestmark = pytest.mark.usefixtures("app_env")
ROLES = ("public", "grid_officer", "street_official", "admin")
# Elements whose text Streamlit renders as Markdown.
MARKDOWN = ("title", "header", "subheader", "markdown", "caption", "error", "warning", "info", "success", "toast")
# A link, image, tag, directive or formula that would render; or a bare address that GitHub
# Markdown would turn into a link.
LIVE_MARKDOWN = re.compile(
    r"(?<!\\)\]\((?:https?:)?//|(?<!\\)<\s*(?:img|a|b|script)\b|(?<!\\):red\[|(?<!\\)\$x(?<!\\)\$|" + re.escape(HOST)
)
LIVE_HTML = re.compile(r"<\s*(?:img|a)\b[^>]*" + re.escape(HOST) + r"|<\s*b\s*>B")


@pytest.fixture(scope="module")
def planted_url(tiny_sqlite_url, tmp_path_factory) -> str:
    source = Path(tiny_sqlite_url.removeprefix("sqlite:///"))
    return f"sqlite:///{plant(source, tmp_path_factory.mktemp('planted') / 'planted.sqlite')}"


def _run(page: str, role: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=90)
    if USERS[role] is not None:
        at.session_state[state._LOGIN] = signed_in(USERS[role])  # noqa: SLF001
    at.query_params["period"] = "12m"
    if page == "watchlist" and role == "grid_officer":  # narrowed to one grid, named in a notice
        at.query_params["grid"] = USERS[role].grid_ids[0]
    at.run()
    if page != "overview":
        open_url_path(at, page).run()
    if page == "watchlist" and role == "street_official":  # a person opened and revealed
        picker = at.selectbox(key="watch_person")
        picker.set_value(picker.options[1]).run()
        at.toggle(key=f"reveal_{picker.value}").set_value(True).run()
    if page == "patrols" and role in ("grid_officer", "street_official"):  # the map by officer, its legend
        at.button_group(key="patrol_color").set_value("officer").run()
        assert at.button_group(key="patrol_color").value == "officer"
    if page == "issue_map" and role in ("grid_officer", "street_official"):  # buildings, shops and facilities on
        at.button_group(key="map_layers").set_value(["buildings", "shop", "facility"]).run()
    return at


def _strings(node: object):
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield str(key)
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


def _problems(at: AppTest) -> list[str]:
    found = []
    for kind in MARKDOWN:
        for element in at.get(kind):
            if LIVE_MARKDOWN.search(str(element.value)):
                found.append(f"{kind}: {str(element.value)[:160]}")
    for metric in at.metric:  # label and value are both Markdown in the browser
        # A value judged against its target comes wrapped in our own colour directive: what is inside
        # it must still be inert.
        judged = re.fullmatch(r":(?:green|orange|red)\[(.*)\]", str(metric.value), re.DOTALL)
        for text in (metric.label, judged.group(1) if judged else metric.value):
            if LIVE_MARKDOWN.search(str(text)):
                found.append(f"metric: {str(text)[:160]}")
    for chart in at.get("plotly_chart"):
        for text in _strings(json.loads(chart.proto.spec)):
            if re.search(r"<\s*(?:a|b|img|br|i)\b", text, re.IGNORECASE):
                found.append(f"plotly: {text[:160]}")
    for deck in at.get("deck_gl_json_chart"):
        spec = json.loads(deck.proto.json)
        if "html" in json.dumps(spec.get("tooltip") or {}):
            found.append("deck tooltip renders HTML")
        for layer in spec.get("layers", []):
            for text in _strings(layer.get("data", [])):
                if text.startswith("@@"):
                    found.append(f"deck data read as code: {text[:80]}")
    for block in at.get("html"):
        if LIVE_HTML.search(block.proto.body):
            found.append(f"html: {block.proto.body[:160]}")
    return found


PAGES = [(spec.id, role) for spec in registry.PAGES for role in ROLES if role == "public" or role in spec.roles]


@pytest.mark.parametrize(("page", "role"), PAGES, ids=[f"{p}-{r}" for p, r in PAGES])
def test_planted_markup_never_renders(page, role, planted_url, monkeypatch) -> None:
    monkeypatch.setenv("DATABASE_URL", planted_url)
    at = _run(page, role)
    assert not at.exception, [e.value for e in at.exception]
    assert translate("zh", "error.unexpected") not in texts(at)
    assert not _problems(at)


def test_the_planted_text_is_really_shown(planted_url, monkeypatch) -> None:
    """Not a vacuous pass: the payload reaches the pages, escaped."""
    monkeypatch.setenv("DATABASE_URL", planted_url)
    at = _run("transparency", "public")
    charts = "\n".join(chart.proto.spec for chart in at.get("plotly_chart"))
    assert HOST in charts and "&lt;a href" in charts
    staff = _run("overview", "community_staff")  # the sidebar names the community, escaped
    assert any(md(HOST) in str(c.value) and "\\]\\(" in str(c.value) for c in staff.sidebar.caption)
    watch = _run("watchlist", "street_official")
    assert HOST in texts(watch)  # the revealed person's card, as plain text
    deck = next(iter(_run("issue_map", "public").get("deck_gl_json_chart")))
    assert "\u2060@@" in deck.proto.json or "\\u2060@@" in deck.proto.json
