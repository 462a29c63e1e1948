"""审计日志 (admin): read the append-only audit log with filters."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import streamlit as st

from app import audit, formatting
from app.context import page_context
from app.exports import shown_table

ctx = page_context("audit_log")
t = ctx.t
st.title(t("page.audit"))
st.caption(t("audit.about", path=ctx.settings.audit_log_path))

cols = st.columns(3)
user = cols[0].text_input(t("audit.user")).strip().lower() or None
event = cols[1].selectbox(
    t("audit.event"),
    [None, *audit.EVENTS],
    format_func=lambda e: t("audit.any") if e is None else t("audit.events." + e),
)
days = cols[2].selectbox(t("audit.period"), [1, 7, 30, 365], index=1, format_func=lambda d: t("audit.days", days=d))
entries = audit.read(
    ctx.settings.audit_log_path, user=user, event=event, since=datetime.now().astimezone() - timedelta(days=days)
)
if entries.empty:
    st.info(t("audit.empty"))
else:
    shown = entries.assign(
        at=[formatting.local_datetime(pd.Timestamp(a).tz_convert(None), ctx.lang) for a in entries["at"]],
        event=[t("audit.events." + e) for e in entries["event"]],
        role=[t("role." + r) for r in entries["role"]],
    )
    shown_table(
        ctx,
        shown.rename(columns={c: t("audit.columns." + c) for c in audit.COLUMNS}),
        "audit_log",
        {"user": user or "", "event": event or "", "days": days},
    )
    st.caption(t("audit.count", count=len(entries)))
