"""考核 (street officials): per officer and per department, handling speed and quality against the street."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from app import charts, formatting
from app.context import page_context
from app.exports import table_downloads
from app.formatting import LOCAL_OFFSET
from app.widgets import chart, first_row, kpi, page_header, text_table
from data_access import issues, patrols, staff
from data_access.filters import IssueFilters
from data_access.reference import data_as_of
from data_access.scope import Scope

PERIODS = {"90d": 90, "180d": 180, "365d": 365}

ctx = page_context("performance")
t = ctx.t
page_header(ctx, "page.performance", t("performance.subtitle"))

as_of = ctx.query(data_as_of) or datetime.now(UTC).replace(tzinfo=None, microsecond=0)
period = (
    st.segmented_control(
        t("filter.period"),
        list(PERIODS),
        default="180d",
        key="perf_period",
        format_func=lambda p: t("performance.periods." + p),
    )
    or "180d"
)
until = as_of
filters = IssueFilters(since=until - timedelta(days=PERIODS[period]), until=until)
last_monday = patrols.week_start((as_of + LOCAL_OFFSET).date()) - timedelta(weeks=1)

street = first_row(ctx.query(issues.resolution_figures, Scope.street(), filters))
people = ctx.query(staff.officer_performance, filters, last_monday, 12)
departments = ctx.query(staff.department_performance, filters)
ctx.audit("view", {"period": period}, rows=len(people))

cols = st.columns(4)
kpi(cols[0], t("metric.received"), formatting.number(street["received"], ctx.lang))
kpi(cols[1], t("metric.on_time_share"), formatting.share(street["on_time_share"]))
kpi(cols[2], t("metric.median_time"), formatting.hours(street["median_hours"], ctx.lang))
kpi(cols[3], t("metric.satisfaction"), formatting.number(street["satisfaction"], ctx.lang, 2))
st.caption(t("performance.baseline_note"))

st.subheader(t("performance.officers"))
handled = people[people["received"].fillna(0) > 0].copy()
handled["vs_street"] = handled["on_time_share"] - street["on_time_share"]
handled = handled.sort_values(["on_time_share", "received"], ascending=[False, False])
officer_table = pd.DataFrame(
    {
        t("patrols.col.officer"): handled["name"],
        t("patrols.col.role"): [ctx.label("role.", r) for r in handled["role"]],
        t("performance.col.area"): handled["grid_id"].fillna(handled["community_id"]).fillna(formatting.MISSING),
        t("performance.col.handled"): handled["received"].astype(int),
        t("metric.median_time"): [formatting.hours(v, ctx.lang) for v in handled["median_hours"]],
        t("metric.on_time_share"): [formatting.share(v) for v in handled["on_time_share"]],
        t("performance.col.vs_street"): [
            formatting.change(v, 0, True) or formatting.MISSING for v in handled["vs_street"]
        ],
        t("performance.col.reopen"): [formatting.share(v) for v in handled["reopen_rate"]],
        t("metric.satisfaction"): [formatting.number(v, ctx.lang, 2) for v in handled["satisfaction"]],
        t("performance.col.patrols"): [formatting.share(v) for v in handled["patrol_compliance"]],
    }
)
text_table(officer_table, {})
table_downloads(ctx, officer_table, "staff_performance_officers", {"period": period}, audited=True)

st.subheader(t("performance.trend"))
choices = dict(zip(handled["officer_id"].astype(int), handled["name"], strict=True))
picked = st.selectbox(t("performance.pick"), list(choices), format_func=choices.get, key="perf_officer")
year = IssueFilters(since=until - timedelta(days=365), until=until)
street_months = ctx.query(issues.resolution_figures, Scope.street(), year, "month")
if picked is not None:
    mine = ctx.query(
        issues.resolution_figures,
        Scope.street(),
        IssueFilters(since=year.since, until=year.until, officer_ids=(int(picked),)),
        "month",
    )
    figure = go.Figure()
    figure.add_scatter(
        x=street_months["key"],
        y=street_months["on_time_share"],
        name=t("transparency.baseline"),
        line={"color": charts.GREY, "dash": "dash"},
    )
    figure.add_scatter(
        x=mine["key"],
        y=mine["on_time_share"],
        name=choices[picked],
        mode="lines+markers",
        line={"color": charts.BLUE, "width": 3},
    )
    figure.update_yaxes(tickformat=".0%", range=[0, 1.05], title=t("metric.on_time_share"))
    figure.update_xaxes(type="category")
    chart(charts.styled(figure), "perf_trend")

st.subheader(t("performance.departments"))
department_table = pd.DataFrame(
    {
        t("performance.col.department"): departments["department"].fillna(t("transparency.unknown")),
        t("performance.col.handled"): departments["received"],
        t("metric.median_time"): [formatting.hours(v, ctx.lang) for v in departments["median_hours"]],
        t("metric.on_time_share"): [formatting.share(v) for v in departments["on_time_share"]],
        t("performance.col.reopen"): [formatting.share(v) for v in departments["reopen_rate"]],
        t("metric.satisfaction"): [formatting.number(v, ctx.lang, 2) for v in departments["satisfaction"]],
    }
)
text_table(department_table, {})
table_downloads(ctx, department_table, "staff_performance_departments", {"period": period}, audited=True)
with st.expander(t("transparency.definitions")):
    st.markdown(t("performance.definitions"))
