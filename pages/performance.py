"""考核 (street officials): per officer and per department, handling speed and quality against the street."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app import charts, formatting
from app.context import page_context
from app.exports import table_downloads
from app.widgets import chart, first_row, goal, judged_table, kpi, map_legend, page_header, period_caption
from data_access import issues, periods, staff
from data_access.filters import IssueFilters

PERIODS = ("90d", "180d", "12m")  # their meaning: data_access/periods.py

ctx = page_context("performance")
t = ctx.t
page_header(ctx, "page.performance", t("performance.subtitle"))

as_of = ctx.as_of
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
span = periods.period(period, as_of, ctx.zone)
filters = IssueFilters(since=span.since, until=span.until)
period_caption(ctx, span)
last_monday = periods.last_complete_week(as_of, ctx.zone)

# A street official's own view is the whole street: the baseline every officer is compared with.
street = first_row(ctx.query(issues.resolution_figures, filters))
people = ctx.query(staff.officer_performance, filters, last_monday, 12)
departments = ctx.query(staff.department_performance, filters)

cols = st.columns(4)
kpi(cols[0], t("metric.received"), formatting.number(street["received"], ctx.lang))
kpi(
    cols[1],
    t("metric.on_time_share"),
    formatting.share(street["on_time_share"]),
    against=goal(ctx, "on_time_share", street["on_time_share"]),
)
kpi(cols[2], t("metric.median_time"), formatting.hours(street["median_hours"], ctx.lang))
kpi(cols[3], t("metric.satisfaction"), formatting.number(street["satisfaction"], ctx.lang, 2))
st.caption(t("performance.baseline_note"))

st.subheader(t("performance.officers"))
handled = people[people["received"].fillna(0) > 0].copy()
handled["vs_street"] = handled["on_time_share"] - street["on_time_share"]
handled = handled.sort_values(["on_time_share", "received"], ascending=[False, False])
area_names = {**ctx.community_names, **ctx.grid_names}
officer_table = pd.DataFrame(
    {
        t("patrols.col.officer"): handled["name"],
        t("patrols.col.role"): [ctx.label("role.", r) for r in handled["role"]],
        t("performance.col.area"): [
            formatting.name_of(area_names, a) for a in handled["grid_id"].fillna(handled["community_id"])
        ],
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
targets = ctx.settings.targets
judged_table(
    officer_table,
    {
        t("metric.on_time_share"): [targets.judge("on_time_share", v) for v in handled["on_time_share"]],
        t("performance.col.patrols"): [targets.judge("patrol_compliance", v) for v in handled["patrol_compliance"]],
    },
)
map_legend([(charts.JUDGED[j], t(f"target.judgements.{j}"), "") for j in ("met", "near", "below")])
table_downloads(ctx, officer_table, "staff_performance_officers", {"period": period})

st.subheader(t("performance.trend"))
choices = dict(zip(handled["officer_id"].astype(int), handled["name"], strict=True))
picked = st.selectbox(t("performance.pick"), list(choices), format_func=choices.get, key="perf_officer")
twelve = periods.period("12m", as_of, ctx.zone)
year = IssueFilters(since=twelve.since, until=twelve.until)
street_months = ctx.query(issues.resolution_figures, year, "month")
if picked is not None:
    mine = ctx.query(
        issues.resolution_figures,
        IssueFilters(since=year.since, until=year.until, officer_ids=(int(picked),)),
        "month",
    )
    chart(
        charts.officer_trend(
            street_months,
            mine,
            t("transparency.baseline"),
            choices[picked],
            t("metric.on_time_share"),
            ctx.settings.targets.on_time_share,
            t("target.line", target=formatting.share(ctx.settings.targets.on_time_share, 0)),
        ),
        "perf_trend",
    )

st.subheader(t("performance.departments"))
department_table = pd.DataFrame(
    {
        t("performance.col.department"): [ctx.department_name(d) for d in departments["department"]],
        t("performance.col.handled"): departments["received"],
        t("metric.median_time"): [formatting.hours(v, ctx.lang) for v in departments["median_hours"]],
        t("metric.on_time_share"): [formatting.share(v) for v in departments["on_time_share"]],
        t("performance.col.reopen"): [formatting.share(v) for v in departments["reopen_rate"]],
        t("metric.satisfaction"): [formatting.number(v, ctx.lang, 2) for v in departments["satisfaction"]],
    }
)
judged_table(
    department_table,
    {t("metric.on_time_share"): [targets.judge("on_time_share", v) for v in departments["on_time_share"]]},
)
table_downloads(ctx, department_table, "staff_performance_departments", {"period": period})
with st.expander(t("transparency.definitions")):
    st.markdown(t("performance.definitions"))
