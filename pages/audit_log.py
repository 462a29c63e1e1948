"""审计日志 (admin): read the append-only audit log with filters, in words (app/audit_view.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

import streamlit as st

from app import audit
from app.audit_view import Words
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
    shown_table(ctx, Words(ctx).table(entries), "audit_log", {"user": user or "", "event": event or "", "days": days})
    st.caption(t("audit.count", count=len(entries)))
