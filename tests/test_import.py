"""Importing 311 exports: every row accounted for, idempotent, correct figures afterwards, on SQLite and
PostgreSQL (the San Francisco sample, a messy export, Open311 JSON, bad mappings)."""

from __future__ import annotations

import json
import sqlite3
import textwrap
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from data_access.summary import build_summary
from fixtures.import_mapping import MappingError, load_mapping
from fixtures.importer import import_file

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT.parent / "shared" / "samples" / "sf311_cases_sample_10000_no-geo.csv"
SF = ROOT / "fixtures" / "mappings" / "sf311.yaml"
OPEN311 = ROOT / "fixtures" / "mappings" / "open311.yaml"
needs_sample = pytest.mark.skipif(not SAMPLE.exists(), reason=f"the SF sample is not at {SAMPLE}")


def _reference(path: Path) -> dict:
    """The sample's figures computed straight from the CSV with pandas (tz-aware, impossible rows out)."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    fmt = "%m/%d/%Y %I:%M:%S %p"

    def utc(column: pd.Series) -> pd.Series:
        parsed = pd.to_datetime(column.replace({"": None, "NA": None}), format=fmt, errors="coerce")
        return parsed.dt.tz_localize("America/Los_Angeles", ambiguous="NaT", nonexistent="shift_forward")

    hours = (utc(frame["Closed"]) - utc(frame["Opened"])).dt.total_seconds() / 3600
    closed = frame["Status"] == "Closed"
    valid = closed & (hours >= 0)
    return {"total": len(frame), "closed": int(closed.sum()), "open": int((~closed).sum()),
            "median": hours[valid].median(), "p90": hours[valid].quantile(0.9), "negative": int((closed & (hours < 0)).sum()),
            "median_all": hours[closed].median()}


def _digest(path: Path) -> list:
    with sqlite3.connect(path) as conn:
        return [
            conn.execute("SELECT count(*) FROM issues").fetchone(),
            conn.execute("SELECT count(*) FROM issue_categories").fetchone(),
            conn.execute("SELECT count(*) FROM communities").fetchone(),
            conn.execute("SELECT group_concat(source_ref || status || reported_at, '|') FROM issues").fetchone(),
        ]


@pytest.fixture(scope="module")
def sf_db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("sf") / "sf.sqlite"
    result = import_file(f"sqlite:///{path}", SAMPLE, load_mapping(SF), tmp_path_factory.mktemp("rej") / "r.csv")
    assert result.new == 10_000 and result.rejected == 0
    assert result.flags == {"closed_before_opened": 129, "no_area": 320, "no_coordinates": 24}
    return path


@needs_sample
def test_sf_sample_summary_matches_independent_computation(sf_db) -> None:
    expected = _reference(SAMPLE)
    assert expected["median_all"] == pytest.approx(67.14625)  # the figure the sample's notes give
    summary = build_summary(f"sqlite:///{sf_db}")
    assert summary["total"] == expected["total"]
    assert summary["by_status"] == {"closed": expected["closed"], "in_progress": expected["open"]}
    assert summary["resolution_rate"] == pytest.approx(expected["closed"] / expected["total"], abs=1e-4)
    assert summary["median_hours_to_resolve"] == pytest.approx(expected["median"], abs=1e-3)
    assert summary["p90_hours_to_resolve"] == pytest.approx(expected["p90"], abs=1e-3)
    assert summary["invalid_durations"] == expected["negative"] == 129
    assert summary["on_time_share"] is None  # imported categories have no time limit
    assert len(summary["by_community"]) == 123  # 122 neighbourhoods + the rows with no area


@needs_sample
def test_reimporting_the_same_file_changes_nothing(sf_db, tmp_path) -> None:
    before = _digest(sf_db)
    result = import_file(f"sqlite:///{sf_db}", SAMPLE, load_mapping(SF), tmp_path / "r.csv")
    assert (result.new, result.updated, result.unchanged, result.rejected) == (0, 0, 10_000, 0)
    assert _digest(sf_db) == before


@needs_sample
def test_import_into_postgresql_gives_the_same_summary(sf_db, empty_postgres_schema) -> None:
    url, schema = empty_postgres_schema
    assert import_file(url, SAMPLE, load_mapping(SF), Path(f"/tmp/{schema}.rejects.csv")).new == 10_000
    on_pg, on_sqlite = build_summary(url), build_summary(f"sqlite:///{sf_db}")
    for key in ("total", "by_status", "resolution_rate", "median_hours_to_resolve", "p90_hours_to_resolve"):
        assert on_pg[key] == on_sqlite[key], key


MESSY = textwrap.dedent('''\
    "","CaseID","Opened","Closed","Updated","Status","Category","Request.Type","Request.Details","Neighborhood","Point","Source"
    "1",101,"01/05/2015 09:00:00 AM","01/06/2015 09:00:00 AM","","Closed","Graffiti","Tag","line one
    line two","Mission","(37.76, -122.42)","Voice In"
    "2",102,"01/05/2015 10:00:00 AM","NA","","Open","Graffiti","Tag","NA","","","Web Self Service"
    "3",103,"01/07/2015 10:00:00 AM","01/06/2015 10:00:00 AM","","Closed","Potholes","Hole","closed before opened","SoMa","(37.77, -122.40)","Voice In"
    "4",101,"01/08/2015 10:00:00 AM","","","Open","Graffiti","Tag","duplicate id","Mission","","Voice In"
    "5",105,"13/45/2015 10:00:00 AM","","","Open","Graffiti","Tag","bad date","Mission","","Voice In"
    "6",106,"01/09/2015 10:00:00 AM","","","Pending Review","Graffiti","Tag","unknown status","Mission","","Voice In"
    "7",,"01/09/2015 10:00:00 AM","","","Open","Graffiti","Tag","no id","Mission","","Voice In"
    "8",108,"01/10/2015 10:00:00 AM","someday","","Closed","Graffiti","Tag","bad closed date","Mission","","Voice In"
    "9",109,"03/08/2015 02:30:00 AM","","","Open","","","a time that does not exist (DST)","","(0, 0)","Twitter"
    ''')


def test_messy_export_every_row_imported_or_rejected_with_a_reason(tmp_path) -> None:
    source = tmp_path / "messy.csv"
    source.write_text(MESSY, encoding="utf-8")
    rejects = tmp_path / "messy.rejects.csv"
    result = import_file(f"sqlite:///{tmp_path / 'db.sqlite'}", source, load_mapping(SF), rejects)
    assert result.new + result.rejected == 9
    assert result.reasons == {"duplicate_id": 1, "bad_created_date": 1, "unknown_status": 1, "missing_id": 1,
                              "bad_closed_date": 1}
    assert result.flags["closed_before_opened"] == 1 and result.flags["no_area"] == 2
    assert result.flags["no_coordinates"] == 1 and result.flags["zero_coordinates"] == 1  # blank; (0, 0)
    rejected = pd.read_csv(rejects, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert sorted(rejected["reason"]) == sorted(result.reasons)
    # Each rejected row is named by the line it starts on (row 1 spans lines 2-3: a quoted newline).
    assert dict(zip(rejected["reason"], rejected["line"].astype(int))) == {
        "duplicate_id": 6, "bad_created_date": 7, "unknown_status": 8, "missing_id": 9, "bad_closed_date": 10}
    with sqlite3.connect(tmp_path / "db.sqlite") as conn:
        description = conn.execute("SELECT description FROM issues WHERE source_ref = '101'").fetchone()[0]
        assert description == "line one\nline two"  # the quoted newline survived
        assert conn.execute("SELECT description FROM issues WHERE source_ref = '102'").fetchone()[0] is None  # NA
        utc = conn.execute("SELECT reported_at FROM issues WHERE source_ref = '101'").fetchone()[0]
        assert utc.startswith("2015-01-05 17:00:00")  # 09:00 PST = 17:00 UTC


def test_open311_requests_with_offsets(tmp_path) -> None:
    requests = [
        {"service_request_id": "A-1", "status": "closed", "service_name": "Street light", "description": "<b>dark</b>",
         "requested_datetime": "2026-11-02T09:30:00+08:00", "updated_datetime": "2026-11-03T10:00:00+08:00",
         "lat": 29.54, "long": 106.52, "zipcode": "400042"},
        {"service_request_id": "A-2", "status": "open", "service_name": "Noise", "description": "late music",
         "requested_datetime": "2026-11-04T22:15:00-05:00", "lat": "", "long": ""},
        {"service_request_id": "A-3", "status": "archived", "service_name": "Noise",
         "requested_datetime": "2026-11-04T22:15:00Z"},
    ]
    source = tmp_path / "requests.json"
    source.write_text(json.dumps(requests), encoding="utf-8")
    result = import_file(f"sqlite:///{tmp_path / 'db.sqlite'}", source, load_mapping(OPEN311), tmp_path / "r.csv")
    assert result.new == 2 and result.reasons == {"unknown_status": 1}
    with sqlite3.connect(tmp_path / "db.sqlite") as conn:
        rows = dict(conn.execute("SELECT source_ref, reported_at FROM issues").fetchall())
        closed = conn.execute("SELECT closed_at FROM issues WHERE source_ref = 'A-1'").fetchone()[0]
    assert rows["A-1"].startswith("2026-11-02 01:30:00") and rows["A-2"].startswith("2026-11-05 03:15:00")
    assert closed.startswith("2026-11-03 02:00:00")
    summary = build_summary(f"sqlite:///{tmp_path / 'db.sqlite'}", since=date(2026, 11, 1))
    assert summary["total"] == 2 and summary["by_status"] == {"closed": 1, "in_progress": 1}


@pytest.mark.parametrize(("content", "message"), [
    ("source: x\ncolumns: {id: a}\nstatuses: {A: closed}\n", "created"),
    ("source: x\ncolumns: {id: a, created: b, status: c}\nstatuses: {A: finished}\n", "not ours"),
    ("columns: {id: a, created: b, status: c}\nstatuses: {A: closed}\n", "source"),
    ("source: x\ncolumns: {id: a, created: b, status: c, colour: d}\nstatuses: {A: closed}\n", "unknown fields"),
    ("source: x\ntimezone: Mars/Base\ncolumns: {id: a, created: b, status: c}\nstatuses: {A: closed}\n", "time zone"),
    ("source: x\nformat: xml\ncolumns: {id: a, created: b, status: c}\nstatuses: {A: closed}\n", "format"),
    ("source: x\ntable: invoices\ncolumns: {id: a}\n", "unknown table"),
    ("source: x\nbounds: [1, 2]\ncolumns: {id: a, created: b, status: c}\nstatuses: {A: closed}\n", "bounds"),
    ("source: x\ncolumns: [id, created]\n", "columns"),
    ("just text", "YAML mapping"),
    ("source: x\ncolumns: {id: a, created: b, status: c}\nstatuses: [closed]\n", "maps source values"),
    ("{unbalanced: [", "cannot read mapping"),
])
def test_bad_mapping_files_are_refused_with_a_reason(tmp_path, content, message) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(MappingError, match=message):
        load_mapping(path)


@needs_sample
def test_the_app_shows_an_imported_database(sf_db, monkeypatch, tmp_path) -> None:
    import secrets

    from app.i18n import translate
    from tests.apptest_helpers import texts
    from tests.test_public_pages import _open

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{sf_db}")
    monkeypatch.setenv("SYL_AUDIT_LOG_PATH", str(tmp_path / "audit.jsonl"))
    monkeypatch.setenv("SYL_COOKIE_KEY", secrets.token_urlsafe(48))
    for page in ("overview", "issue_map", "transparency", "volunteers", "big_screen"):
        at = _open(page, "period=custom&from=2008-07-01&to=2016-01-31")
        assert translate("zh", "error.title") not in texts(at), page
    map_page = _open("issue_map", "period=custom&from=2008-07-01&to=2016-01-31")
    layers = json.loads(map_page.get("deck_gl_json_chart")[0].proto.json)["layers"]
    cells = next(layer for layer in layers if layer["id"] == "cells")["data"]
    assert cells, "without grid polygons the map still shows cells"
