"""Downloads of what a page shows: CSV and XLSX for every table, Open311 GeoReport v2 JSON for issues.

Headers are in the user's language (the table as shown). Whether an export is written to the audit
log is the audience's decision (every staff export is, whatever the page); public pages only ever
export the public tables they show.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from app.context import PageContext
from data_access.localtime import Zone
from data_access.schema import OPEN_STATUSES


def audit_export(ctx: PageContext, name: str, fmt: str, rows: int, filters: dict[str, Any] | None) -> None:
    """Every click is its own export, so never deduplicated."""
    ctx.audit("export", (filters or {}) | {"table": name, "format": fmt}, rows=rows)


def xlsx_bytes(frame: pd.DataFrame, sheet: str) -> bytes:
    buffer = io.BytesIO()
    frame.to_excel(buffer, index=False, sheet_name=sheet[:31] or "data", engine="openpyxl")
    return buffer.getvalue()


def _iso(value: object, where: Zone) -> str | None:
    """Naive UTC -> ISO-8601 on the local clock with its offset at that instant, as Open311 wants."""
    if value is None or pd.isna(value):
        return None
    instant = pd.Timestamp(value).to_pydatetime().replace(microsecond=0)
    offset = where.offset_at(instant)
    sign, minutes = ("+" if offset >= 0 else "-"), abs(offset) // 60
    return f"{where.local(instant):%Y-%m-%dT%H:%M:%S}{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def open311_requests(
    rows: pd.DataFrame, category_names: dict, area_names: dict, with_location: bool, where: Zone
) -> list[dict]:
    """Issue rows (data_access.issue_map.issue_table) as GeoReport v2 service requests."""
    requests = []
    for row in rows.itertuples():
        request = {
            "service_request_id": str(row.issue_id),
            "status": "open" if row.status in OPEN_STATUSES else "closed",
            "service_code": row.category_code,
            "service_name": category_names.get(row.category_code, row.category_code),
            "description": row.description if isinstance(row.description, str) else None,
            "requested_datetime": _iso(row.reported_at, where),
            "updated_datetime": _iso(row.resolved_at, where) or _iso(row.reported_at, where),
            "address": area_names.get(row.grid_id) or area_names.get(row.community_id),
        }
        if with_location:
            request["lat"] = None if pd.isna(row.lat) else float(row.lat)
            request["long"] = None if pd.isna(row.lon) else float(row.lon)
        requests.append(request)
    return requests


def table_downloads(
    ctx: PageContext,
    frame: pd.DataFrame,
    name: str,
    filters: dict[str, Any] | None = None,
    open311: list[dict] | None = None,
) -> None:
    """CSV and XLSX buttons for a table as shown, and an Open311 button when given requests.

    The files are made when a button is clicked (Streamlit calls `data` then), not on every run:
    a city's 1,120-grid table took 0.5 s to write as XLSX on each rerun, and kept the bytes in
    the server's memory for every session."""

    def button(column, label: str, data: Callable[[], bytes], extension: str, mime: str) -> None:  # noqa: ANN001
        column.download_button(
            label,
            data,
            file_name=f"{name}.{extension}",
            mime=mime,
            icon=":material/download:",
            key=f"{extension}_{name}",
            on_click=audit_export if ctx.audience.audited else "ignore",
            args=(ctx, name, extension, len(frame), filters) if ctx.audience.audited else None,
        )

    row = st.container(horizontal=True, wrap=True)  # each button as wide as its label, in any language
    button(row, ctx.t("export.csv"), lambda: frame.to_csv(index=False).encode("utf-8-sig"), "csv", "text/csv")
    button(
        row,
        ctx.t("export.xlsx"),
        lambda: xlsx_bytes(frame, name),
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    if open311 is not None:
        button(
            row,
            ctx.t("export.open311"),
            lambda: json.dumps(open311, ensure_ascii=False, indent=1).encode("utf-8"),
            "json",
            "application/json",
        )


def shown_table(ctx: PageContext, frame: pd.DataFrame, name: str, filters: dict[str, Any] | None = None) -> None:
    """A table shown as text, with its CSV and Excel downloads."""
    from app.widgets import text_table

    text_table(frame, {})
    table_downloads(ctx, frame, name, filters)
