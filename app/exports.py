"""Downloads of what a page shows. Staff exports are written to the audit log."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from app.context import PageContext


def csv_download(
    ctx: PageContext, frame: pd.DataFrame, name: str, filters: dict[str, Any] | None = None, audited: bool = False
) -> None:
    """A CSV button for a table as shown (headers in the user's language; UTF-8 with BOM for Excel)."""
    data = frame.to_csv(index=False).encode("utf-8-sig")

    def record() -> None:
        ctx.audit("export", (filters or {}) | {"table": name, "format": "csv"}, rows=len(frame))

    st.download_button(
        ctx.t("export.csv"),
        data,
        file_name=f"{name}.csv",
        mime="text/csv",
        icon=":material/download:",
        key=f"csv_{name}",
        on_click=record if audited else "ignore",
    )
