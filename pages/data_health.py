"""数据健康 (admin): the contract check, freshness and data-quality counts of the read database."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app import layout
from app.context import page_context
from app.data import copy_state, database_status
from app.widgets import page_header, text_table
from data_access.engine import redact
from data_access.quality import care_quality, issue_quality
from data_access.reference import meta_values

ctx = page_context("data_health")
t = ctx.t
page_header(ctx, "page.data_health")

if ctx.problems:
    st.subheader(t("health.configuration"))
    layout.problems(ctx.lang, ctx.problems)

report = database_status(ctx.url)
st.subheader(t("health.database"))
meta = ctx.query(meta_values)
st.table(
    pd.DataFrame(
        {
            t("health.item"): [
                t("health.url"),
                t("health.schema_version"),
                t("health.source"),
                t("health.contract"),
                t("health.copy"),
            ],
            t("health.value"): [
                redact(ctx.url),
                report.schema_version or "—",
                meta.get("source", "—"),
                (t("health.contract_ok") if report.matches else t("health.contract_bad"))
                + "".join(" · " + t("health.optional_absent", column=c) for c in report.missing_optional)
                + (" · " + t("health.ehome_absent", missing=", ".join(report.missing_v3)) if report.missing_v3 else ""),
                copy_state(ctx.url, t, ctx.lang),
            ],
        }
    )
)

st.subheader(t("health.issue_checks"))
checks = ctx.query(issue_quality)
checks["label"] = [t("quality." + c) for c in checks["check"]]
text_table(
    checks[["label", "count", "of"]], {"label": t("health.check"), "count": t("health.count"), "of": t("health.of")}
)
st.subheader(t("health.care_checks"))
care = ctx.query(care_quality)
care["label"] = [t("quality." + c) for c in care["check"]]
text_table(care[["label", "count"]], {"label": t("health.check"), "count": t("health.count")})
