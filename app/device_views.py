"""Offline gates and cameras as staff see them: a count per kind, then each offline device, the
longest silent first (data_access/devices.py decides what offline means). The patrol page shows the
visitor's area, the grid summary one grid."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app import formatting
from app.context import PageContext
from app.exports import shown_table
from app.widgets import kpi


def offline_section(
    ctx: PageContext,
    totals: pd.DataFrame,
    offline: pd.DataFrame,
    table_name: str,
    details: dict[str, str] | None = None,
    with_grid: bool = True,
) -> None:
    """`totals` per kind (devices.device_totals), `offline` per device (devices.offline_devices)."""
    t = ctx.t
    shown = totals[totals["devices"] > 0]
    for col, row in zip(st.columns(len(shown) or 1), shown.itertuples(), strict=False):
        kpi(
            col,
            t("patrols.offline_of_kind", kind=t("device." + row.kind)),
            f"{formatting.number(row.offline, ctx.lang)} / {formatting.number(row.devices, ctx.lang)}",
            help_text=t("todo.offline_help"),
            inverse=True,
        )
    if offline.empty:
        st.success(t("patrols.all_online"))
        return
    columns = {
        t("patrols.col.device"): [f"#{d}" for d in offline["device_id"]],
        t("patrols.col.kind"): [t("device." + k) for k in offline["kind"]],
    }
    if with_grid:
        columns[t("patrols.col.grid")] = [ctx.grid_name(g) for g in offline["grid_id"]]
    columns[t("patrols.col.last_seen")] = [
        t("patrols.never_seen") if pd.isna(v) else formatting.local_datetime(v, ctx.lang)
        for v in offline["last_seen_at"]
    ]
    columns[t("patrols.col.days_offline")] = [
        t("patrols.unknown_days") if pd.isna(d) else formatting.number(d, ctx.lang, 1) for d in offline["days_offline"]
    ]
    shown_table(ctx, pd.DataFrame(columns), table_name, details)
    st.caption(t("patrols.offline_note"))
    never = int(offline["last_seen_at"].isna().sum())
    if never:
        st.warning(t("patrols.never_seen_warning", count=never))
