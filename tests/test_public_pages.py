"""The public pages under AppTest: filters from the URL, figures from the data layer, audit, privacy."""

from __future__ import annotations

import json
import re
import secrets

import pandas as pd
import pytest

from app import state
from app.i18n import translate
from data_access import issue_map
from data_access.filters import IssueFilters
from data_access.scope import Scope
from tests.apptest_helpers import USERS, payload, signed_in, texts

PUBLIC_PAGES = ("overview", "issue_map", "transparency", "volunteers", "ehome")
PAGE_URLS = {
    "issue_map": ["period=7d", "period=12m&community=C02", "period=90d&cat=garbage,noise&show=open",
                  "period=custom&from=2026-01-01&to=2026-03-31&grid=C03-G2&channel=app"],
    "transparency": ["period=30d", "period=12m&community=C04", "period=7d&grid=C01-G1"],
    "volunteers": ["period=week", "period=year&community=C05", "period=all"],
    "ehome": ["tab=parking&period=12m", "tab=dialogue&period=90d&community=C02", "tab=services&period=12m",
              "tab=needs&period=12m", "tab=gates&period=30d"],
}


pytestmark = pytest.mark.usefixtures("app_env")


def _open(page: str, query: str = "", user=None, lang: str = "zh"):
    from streamlit.testing.v1 import AppTest

    from tests.apptest_helpers import ROOT, open_url_path

    at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=60)
    if user is not None:
        at.session_state[state._LOGIN] = signed_in(user)  # noqa: SLF001
    at.query_params["lang"] = lang
    for pair in filter(None, query.split("&")):
        name, value = pair.split("=", 1)
        at.query_params[name] = value
    at.run()
    if page != "overview":
        open_url_path(at, page).run()
    assert not at.exception
    assert translate(lang, "error.unexpected") not in texts(at)
    return at


@pytest.mark.parametrize(("page", "query"), [(p, q) for p, qs in PAGE_URLS.items() for q in qs])
def test_pages_render_for_every_filter_link(page, query) -> None:
    at = _open(page, query)
    wanted = dict(pair.split("=", 1) for pair in query.split("&"))
    for name, value in wanted.items():
        assert at.query_params[name] in (value, [value]), f"{name} was not kept in the URL"


def test_map_figures_follow_the_filters(raw) -> None:
    at = _open("issue_map", "period=12m&community=C02&cat=garbage")
    shown = {m.label: m.value for m in at.metric}
    issues = raw["issues"]
    until = pd.Timestamp("2026-11-29") + pd.Timedelta(hours=16)  # local midnight after the as-of day, in UTC
    since = until - pd.Timedelta(days=365)
    rows = issues[(issues["community_id"] == "C02") & (issues["category_code"] == "garbage")
                  & (issues["reported_at"] >= since) & (issues["reported_at"] < until)
                  & ~issues["status"].isin(["rejected", "duplicate"])]
    assert int(shown[translate("zh", "map.reports")]) == len(rows) > 0


def test_english_page_speaks_english() -> None:
    at = _open("transparency", "period=12m", lang="en")
    assert at.title[0].value == "Resolution transparency"
    assert "Resolution rate" in [m.label for m in at.metric]


def test_staff_map_view_and_table_are_audited(app_env) -> None:
    at = _open("issue_map", "period=90d", user=USERS["grid_officer"])
    entries = [json.loads(line) for line in (app_env / "audit.jsonl").read_text(encoding="utf-8").splitlines()]
    views = [e for e in entries if e["event"] == "view" and e["page"] == "issue_map"]
    assert views and all(e["user"] == "officer_c02" and e["rows"] is not None for e in views)
    assert {e["filters"]["query"] for e in views} >= {"issue_points", "issue_table"}
    assert all(e["filters"]["since"].startswith("2026-08-") for e in views)  # the 90 days asked for
    deck = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    points = next(layer for layer in deck["layers"] if layer["id"] == "issues")
    assert points["data"], "the officer sees its points"


def test_staff_points_stay_in_scope(raw) -> None:
    at = _open("issue_map", "period=12m", user=USERS["grid_officer"])
    deck = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    ids = {row["issue_id"] for row in next(layer for layer in deck["layers"] if layer["id"] == "issues")["data"]}
    grid_of = dict(zip(raw["issues"]["issue_id"], raw["issues"]["grid_id"], strict=True))
    assert ids and {grid_of[i] for i in ids} <= {"C02-G1", "C02-G2"}


# --- privacy (docs/access.md), over every byte a public page sends ---------------------------------------------

@pytest.fixture(scope="module")
def public_payloads(tiny_sqlite_url, tmp_path_factory):
    import os

    os.environ["DATABASE_URL"] = tiny_sqlite_url
    os.environ["SYL_AUDIT_LOG_PATH"] = str(tmp_path_factory.mktemp("audit") / "audit.jsonl")
    os.environ.setdefault("SYL_COOKIE_KEY", secrets.token_urlsafe(48))
    out = {}
    for page in PUBLIC_PAGES:
        for query in ["period=12m", "period=custom&from=2024-12-01&to=2026-11-29", *PAGE_URLS.get(page, [])]:
            for lang in ("zh", "en"):
                at = _open(page, query, lang=lang)
                decks = [d.proto.json for d in at.get("deck_gl_json_chart")]
                everything = payload(at)
                out[(page, query, lang)] = (everything, [json.loads(d) for d in decks])
                rest = everything
                for deck in decks:
                    rest = rest.replace(deck, "")
                out[(page, query, lang, "outside_map")] = (rest, [])
    return out


def test_public_output_names_no_resident_and_no_phone(public_payloads, raw) -> None:
    names = set(raw["residents"]["name"]) | set(raw["officers"]["name"])
    long_names = {n for n in names if len(n) >= 3}
    # A two-character name (马甲) also occurs inside ordinary words (红马甲): look for it standing alone.
    short_names = re.compile("|".join(f"(?<![\u4e00-\u9fff]){n}(?![\u4e00-\u9fff])" for n in names - long_names))
    phones = set(raw["residents"]["phone"])
    for key, (text, _) in public_payloads.items():
        found_names = {n for n in long_names if n in text} | set(short_names.findall(text))
        assert not found_names, (key, sorted(found_names)[:5])
        assert not (set(re.findall(r"\d{11}", text)) & phones), key


def test_public_ehome_shows_no_plate_owner_space_or_words(public_payloads, raw) -> None:
    """社区E家 in public: aggregates only. No plate, no space number, no owner (masked or not), no
    resident's own question or report, no single consultation or application number."""
    plates = set(raw["parking_bookings"]["plate"]) | set(raw["parking_unmet_requests"]["plate"])
    spaces = set(raw["parking_shares"]["space_ref"])
    questions = {q[:12] for q in raw["consultations"]["question"].dropna() if len(q) >= 12}
    from data_access.privacy import mask_name

    owner_ids = set(raw["parking_shares"]["owner_resident_id"].dropna().astype(int))
    residents = raw["residents"]
    owners = {mask_name(n) for n in residents.loc[residents["resident_id"].isin(owner_ids), "name"]}
    ehome = {key: text for key, (text, _) in public_payloads.items() if key[0] == "ehome"}
    assert len(ehome) >= 10
    for key, text in ehome.items():
        assert not {p for p in plates if p in text}, key
        assert not {s for s in spaces if s in text}, key
        assert not {q for q in questions if q in text}, key
        assert not {o for o in owners if f'"{o}"' in text or f"\\n{o}" in text}, key  # not even masked
        for hidden in ("每个车位（仅工作人员）", "每位车主（仅工作人员）", "等待答复的咨询", "对工作人员的投诉",
                       "Each space (staff only)", "Each owner (staff only)", "Complaints about staff"):
            assert hidden not in text, (key, hidden)


def _pairs(node, found: set) -> set:
    """Every [lon, lat] pair and every {"lon":..,"lat":..} object anywhere in a deck's JSON."""
    if isinstance(node, dict):
        if isinstance(node.get("lon"), float) and isinstance(node.get("lat"), float):
            found.add((round(node["lon"], 6), round(node["lat"], 6)))
        for value in node.values():
            _pairs(value, found)
    elif isinstance(node, list):
        if len(node) == 2 and all(isinstance(v, float) for v in node):
            found.add((round(node[0], 6), round(node[1], 6)))
        for value in node:
            _pairs(value, found)
    return found


def test_public_output_holds_no_exact_issue_location(public_payloads, raw) -> None:
    issues = raw["issues"].dropna(subset=["lat", "lon"])
    locations = {(round(lon, 6), round(lat, 6)) for lon, lat in zip(issues["lon"], issues["lat"], strict=True)}
    for key, (text, decks) in public_payloads.items():
        for deck in decks:
            assert not (_pairs(deck, set()) & locations), key
        if key[-1] == "outside_map":
            assert not re.findall(r"\b(?:2\d|10\d)\.\d{5,}", text), key  # no coordinate outside the map


def test_public_map_sends_only_cells_or_areas_of_at_least_k(public_payloads) -> None:
    """Cells of 5 or more reports, or (the drill-down fallback) whole grids or communities of 5 or
    more, with counts and colours only: never a point, an id or a person."""
    for (page, query, *rest), (_, decks) in public_payloads.items():
        assert bool(decks) == (page == "issue_map" and not rest[1:])
        for deck in decks:
            ids = {layer["id"] for layer in deck["layers"]}
            assert "issues" not in ids and "buildings" not in ids, query
            assert len(ids & {"cells", "areas"}) <= 1, query
            for layer in deck["layers"]:
                if layer["id"] == "cells":
                    assert all(c["reports"] >= 5 for c in layer["data"]), query
                    assert all(set(c) <= {"lon", "lat", "reports", "open", "level", "share", "color", "days"}
                               for c in layer["data"])
                if layer["id"] == "areas":
                    assert all(a["reports"] >= 5 for a in layer["data"]), query
                    assert all(set(a) == {"polygon", "fill", "name", "reports", "open", "share", "days"}
                               for a in layer["data"])


def test_public_table_hides_private_descriptions_and_reporters(engine, raw) -> None:
    rows = issue_map.issue_table(engine, Scope.public_visitor(), IssueFilters(), limit=100_000)
    assert not {"lat", "lon", "officer", "reporter_resident_id", "reporter_kind"} & set(rows.columns)
    private = set(raw["issues"].loc[~raw["issues"]["is_public"].astype(bool), "issue_id"])
    assert rows.loc[rows["issue_id"].isin(private), "description"].isna().all()
    assert rows.loc[~rows["issue_id"].isin(private), "description"].notna().any()


def test_hostile_descriptions_are_shown_as_text(raw) -> None:
    """Markup in a description reaches the page only inside a data table (rendered as text), never as markdown."""
    at = _open("issue_map", "period=custom&from=2024-11-01&to=2026-11-29", user=USERS["street_official"])
    markdown = "\n".join(str(m.value) for m in at.markdown)
    assert "<script>" not in markdown and "onerror" not in markdown


@pytest.fixture
def damaged_url(sqlite_copy) -> str:
    """The newest issues damaged the way real feeds are, so every page meets them in its first rows."""
    import sqlite3

    with sqlite3.connect(sqlite_copy) as conn:
        newest = [r[0] for r in conn.execute("SELECT issue_id FROM issues ORDER BY reported_at DESC LIMIT 6")]
        conn.execute("UPDATE issues SET channel = NULL, category_code = NULL, community_id = NULL, grid_id = NULL, "
                     "lat = NULL, lon = NULL WHERE issue_id = ?", (newest[0],))
        conn.execute("UPDATE issues SET status = 'mystery', satisfaction = 42 WHERE issue_id = ?", (newest[1],))
        conn.execute("UPDATE issues SET status = 'resolved', resolved_at = datetime(reported_at, '-3 hours') "
                     "WHERE issue_id = ?", (newest[2],))
        conn.execute("UPDATE issues SET category_code = '<b>x</b>', grid_id = 'NOPE' WHERE issue_id = ?",
                     (newest[3],))
        conn.execute("UPDATE issues SET lat = 31.23, lon = 121.47 WHERE issue_id = ?", (newest[4],))
    return f"sqlite:///{sqlite_copy}"


@pytest.mark.parametrize("role", ["public", "street_official", "grid_officer"])
@pytest.mark.parametrize("page", PUBLIC_PAGES)
def test_pages_survive_impossible_rows(page, role, damaged_url, monkeypatch) -> None:
    monkeypatch.setenv("DATABASE_URL", damaged_url)
    _open(page, "period=7d", user=USERS[role])  # fails on an exception or on the app's own error message


def test_public_map_names_its_cell_size() -> None:
    from tests.apptest_helpers import run_app

    at = run_app("issue_map")
    assert "约 100 米的方格" in texts(at)  # a street: 100 m; over a city the same sentence says 250
