"""办理公开: how fast and how well problems are handled, by community, category, channel and month.

Public: street-wide aggregates only; any group with fewer than k issues shows "<k" and no rates.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pandas as pd
import streamlit as st

from app import charts, formatting
from app.context import page_context
from app.exports import table_downloads
from app.issue_filters import filter_bar
from app.widgets import chart, first_row, kpi, page_header, text_table
from data_access import issues
from data_access.privacy import suppress_small
from data_access.reference import category_list, community_list, data_as_of, grid_list
from data_access.scope import Scope

ctx = page_context("transparency")
t = ctx.t
street = Scope.street()
page_header(ctx, "page.transparency", t("transparency.subtitle"))

as_of = ctx.query(data_as_of) or datetime.now(UTC).replace(tzinfo=None, microsecond=0)
communities = ctx.query(community_list)
grids = ctx.query(grid_list, street)
categories = ctx.query(category_list)
view = filter_bar(ctx, as_of, categories, communities, grids, key="tr", show_status=False)
filters = view.filters
k = int(ctx.settings["small_cell_k"])
name_col = "name_zh" if ctx.lang == "zh" else "name_en"
category_names = dict(zip(categories["code"], categories[name_col], strict=True))
community_names = dict(zip(communities["community_id"], communities[name_col], strict=True))

now = first_row(ctx.query(issues.resolution_figures, street, filters))
before = first_row(ctx.query(issues.resolution_figures, street, view.previous()))
period_end = min(view.until, as_of)
open_filters = replace(filters, since=None, until=None)  # backlog counts every issue still open then
backlog = ctx.query(issues.backlog_by_age, street, open_filters, period_end)
backlog_before = ctx.query(issues.backlog_by_age, street, open_filters, view.since)

st.caption(
    t(
        "transparency.period",
        since=formatting.local_date(view.since, ctx.lang),
        until=formatting.local_date(view.until - pd.Timedelta(seconds=1), ctx.lang),
    )
)
small = not pd.isna(now["received"]) and now["received"] < k
if pd.isna(now["received"]) or now["received"] == 0:
    st.info(t("transparency.empty"))
    st.stop()
if small:
    st.warning(t("transparency.too_few", k=k))
    st.stop()

change = formatting.change
cols = st.columns(3)
kpi(
    cols[0],
    t("metric.received"),
    formatting.number(now["received"], ctx.lang),
    change(now["received"], before["received"]),
    t("transparency.received_help"),
    neutral=True,
)
kpi(
    cols[1],
    t("metric.resolution_rate"),
    formatting.share(now["resolution_rate"]),
    change(now["resolution_rate"], before["resolution_rate"], True),
    t("metric.resolution_rate_help"),
)
kpi(
    cols[2],
    t("metric.median_time"),
    formatting.hours(now["median_hours"], ctx.lang),
    formatting.change_hours(now["median_hours"], before["median_hours"], ctx.lang),
    t("metric.median_time_help"),
    inverse=True,
)
cols = st.columns(3)
kpi(
    cols[0],
    t("metric.on_time_share"),
    formatting.share(now["on_time_share"]),
    change(now["on_time_share"], before["on_time_share"], True),
    t("metric.on_time_share_help"),
)
kpi(
    cols[1],
    t("metric.satisfaction"),
    formatting.number(now["satisfaction"], ctx.lang, 2),
    change(now["satisfaction"], before["satisfaction"], digits=2),
    t("metric.satisfaction_help"),
)
kpi(
    cols[2],
    t("transparency.backlog_end"),
    formatting.number(int(backlog["count"].sum()), ctx.lang),
    change(backlog["count"].sum(), backlog_before["count"].sum()),
    t("transparency.backlog_help"),
    inverse=True,
)
if now["invalid_durations"]:
    st.caption(t("transparency.invalid", count=int(now["invalid_durations"])))

# Charts.
left, right = st.columns(2)
with left:
    st.markdown(f"**{t('transparency.chart_flow')}**")
    flow = ctx.query(issues.monthly_flow, street, replace(filters, since=view.until - timedelta(days=365)))
    chart(charts.flow_by_month(flow, t("transparency.received"), t("transparency.resolved")), "flow_chart")
with right:
    st.markdown(f"**{t('transparency.chart_backlog')}**")
    chart(charts.backlog_by_age(backlog.assign(label=[t("age." + a) for a in backlog["age"]])), "backlog_chart")

by_category = ctx.query(issues.resolution_figures, street, filters, "category")
by_community = ctx.query(issues.resolution_figures, street, filters, "community")
by_channel = ctx.query(issues.resolution_figures, street, filters, "channel")
shown_category = by_category[by_category["received"] >= k].assign(
    label=lambda f: [category_names.get(c, c if isinstance(c, str) else t("transparency.unknown")) for c in f["key"]]
)
shown_community = by_community[(by_community["received"] >= k) & by_community["key"].notna()].assign(
    label=lambda f: [community_names.get(c, c) for c in f["key"]]
)

left, right = st.columns(2)
with left:
    st.markdown(f"**{t('transparency.chart_time')}**")
    chart(
        charts.time_by_category(
            shown_category.dropna(subset=["median_hours"]),
            t("transparency.median"),
            t("transparency.p90"),
            t("transparency.hours"),
        ),
        "time_chart",
    )
with right:
    st.markdown(f"**{t('transparency.chart_on_time')}**")
    chart(
        charts.on_time_by_community(
            shown_community.dropna(subset=["on_time_share"]),
            None if pd.isna(now["on_time_share"]) else now["on_time_share"],
            t("transparency.baseline"),
        ),
        "on_time_chart",
    )
    st.markdown(f"**{t('transparency.chart_channels')}**")
    channels = by_channel[(by_channel["received"] >= k) & by_channel["key"].notna()]
    chart(charts.channel_mix(channels.assign(label=[t("channel." + c) for c in channels["key"]])), "channel_chart")


def figures_table(frame: pd.DataFrame, names: dict, first: str) -> pd.DataFrame:
    """Counts under k become '<k' and their rates are withheld (a tiny group could identify someone)."""
    small_rows = frame["received"] < k
    out = pd.DataFrame(
        {
            first: [names.get(c, c) if isinstance(c, str) else t("transparency.unknown") for c in frame["key"]],
            t("transparency.col.received"): frame["received"],
            t("transparency.col.resolved"): frame["resolved"],
            t("metric.resolution_rate"): [
                None if s else formatting.share(v) for s, v in zip(small_rows, frame["resolution_rate"])
            ],
            t("transparency.median"): [
                None if s else formatting.hours(v, ctx.lang) for s, v in zip(small_rows, frame["median_hours"])
            ],
            t("transparency.p90"): [
                None if s else formatting.hours(v, ctx.lang) for s, v in zip(small_rows, frame["p90_hours"])
            ],
            t("metric.on_time_share"): [
                None if s else formatting.share(v) for s, v in zip(small_rows, frame["on_time_share"])
            ],
            t("metric.satisfaction"): [
                None if s else formatting.number(v, ctx.lang, 2) for s, v in zip(small_rows, frame["satisfaction"])
            ],
        }
    )
    counts = [t("transparency.col.received"), t("transparency.col.resolved")]
    return suppress_small(out, counts, k)


st.subheader(t("transparency.by_community"))
community_table = figures_table(by_community, community_names, t("filter.community"))
text_table(community_table, {})
table_downloads(ctx, community_table, "resolution_by_community", view.as_dict())
st.subheader(t("transparency.by_category"))
category_table = figures_table(by_category, category_names, t("filter.category"))
text_table(category_table, {})
table_downloads(ctx, category_table, "resolution_by_category", view.as_dict())

with st.expander(t("transparency.definitions")):
    st.markdown(t("transparency.definitions_text", k=k))
