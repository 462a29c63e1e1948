"""Exports: CSV, XLSX and Open311 JSON of what pages show; staff exports audited; public ones public only."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest

from app.exports import audit_export, open311_requests, xlsx_bytes
from data_access import issue_map
from data_access.filters import IssueFilters
from data_access.localtime import SHANGHAI
from data_access.scope import Scope
from tests.apptest_helpers import USERS, run_app

pytestmark = pytest.mark.usefixtures("app_env")


def test_xlsx_keeps_headers_and_values() -> None:
    frame = pd.DataFrame({"社区": ["石油路社区", "<b>x</b>"], "受理": [12, "<5"]})
    back = pd.read_excel(io.BytesIO(xlsx_bytes(frame, "resolution_by_community")), dtype=str)
    assert list(back.columns) == ["社区", "受理"] and back.iloc[1].tolist() == ["<b>x</b>", "<5"]


def test_open311_export_maps_statuses_and_times(engine) -> None:
    rows = issue_map.issue_table(engine, Scope.public_visitor(), IssueFilters(), limit=300)
    requests = open311_requests(rows, {}, {}, False, SHANGHAI)
    assert len(requests) == len(rows)
    assert {r["status"] for r in requests} <= {"open", "closed"} and {"open", "closed"} & {r["status"] for r in requests}
    first, row = requests[0], rows.iloc[0]
    assert first["service_request_id"] == str(row["issue_id"])
    stamp = pd.Timestamp(first["requested_datetime"])
    assert stamp.utcoffset().total_seconds() == 8 * 3600
    assert stamp.tz_convert("UTC").tz_localize(None) == pd.Timestamp(row["reported_at"]).floor("s")
    assert all("lat" not in r and "long" not in r for r in requests)  # public: no locations
    private = rows["description"].isna()
    assert all(r["description"] is None for r, p in zip(requests, private, strict=True) if p)


def test_staff_open311_export_carries_locations(engine) -> None:
    rows = issue_map.issue_table(engine, Scope.grids("C02-G1"), IssueFilters(), limit=50)
    requests = open311_requests(rows, {}, {}, True, SHANGHAI)
    assert requests and all("lat" in r and "long" in r for r in requests)


def test_pages_offer_csv_xlsx_and_open311() -> None:
    at = run_app("issue_map", USERS["street_official"])
    labels = [b.proto.label for b in at.get("download_button")]
    assert {"下载 CSV", "下载 Excel", "下载 Open311 JSON"} <= set(labels)


def test_staff_export_is_audited(app_env) -> None:
    from app.audience import Audience
    from app.context import PageContext
    from app.settings import load_settings

    audience = Audience(USERS["grid_officer"], 5)
    ctx = PageContext(lang="zh", audience=audience, settings=load_settings(), page_id="issue_map")
    audit_export(ctx, "issues", "xlsx", 42, {"period": "30d"})
    entry = json.loads((app_env / "audit.jsonl").read_text(encoding="utf-8").splitlines()[-1])
    assert entry["event"] == "export" and entry["rows"] == 42 and entry["filters"]["format"] == "xlsx"
    assert entry["user"] == "officer_c02" and entry["page"] == "issue_map"
