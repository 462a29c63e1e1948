"""办理公开: how fast and how well problems are handled, by community, category, channel and month.

Public: street-wide aggregates only; any group with fewer than k issues shows "<k" and no rates.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import streamlit as st

from app import charts, formatting
from app.context import page_context
from app.exports import table_downloads
from app.issue_filters import filter_bar
from app.widgets import (
    chart,
    first_row,
    goal,
    judged_table,
    kpi,
    map_legend,
    month_axis,
    page_header,
    period_caption,
)
from data_access import issues, periods
from data_access.privacy import SUPPRESSED, count_text, is_withheld
from data_access.reference import grid_list

ctx = page_context("transparency")
t = ctx.t
page_header(ctx, "page.transparency", t("transparency.subtitle"))

# The published figures: the same for every visitor, groups under k withheld (app/audience.py).
as_of = ctx.as_of
grids = ctx.published(grid_list)
grid_community_of = dict(zip(grids["grid_id"], grids["community_id"], strict=True))
view = filter_bar(ctx, "tr", grid_community_of, show_status=False)
filters = view.filters
k = ctx.settings.small_cell_k
category_names = ctx.category_names
community_names = ctx.community_names

now = first_row(ctx.published(issues.resolution_figures, filters))
before = first_row(ctx.published(issues.resolution_figures, view.previous()))
period_end = min(view.until, as_of)
open_filters = replace(filters, since=None, until=None)  # backlog counts every issue still open then
backlog = ctx.published(issues.backlog_by_age, open_filters, period_end)
backlog_before = ctx.published(issues.backlog_by_age, open_filters, view.since)

period_caption(ctx, view.span)
if is_withheld(now.get(SUPPRESSED)):
    st.warning(t("transparency.too_few", k=k))
    st.stop()
if pd.isna(now["received"]) or now["received"] == 0:
    st.info(t("transparency.empty"))
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
    against=goal(ctx, "resolution_rate", now["resolution_rate"]),
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
    against=goal(ctx, "on_time_share", now["on_time_share"]),
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
if now["invalid_durations"] and not pd.isna(now["invalid_durations"]):
    st.caption(t("transparency.invalid", count=int(now["invalid_durations"])))

# Charts.
left, right = st.columns(2)
with left:
    st.markdown(f"**{t('transparency.chart_flow')}**")
    last_day = view.span.last_day or periods.today(ctx.as_of, ctx.zone)
    year = periods.months(last_day, ctx.zone)  # whole months up to the period's last day
    flow = ctx.published(issues.monthly_flow, replace(filters, since=year.since))
    year_axis = month_axis(ctx, year)
    chart(charts.flow_by_month(flow, t("transparency.received"), t("transparency.resolved"), year_axis), "flow_chart")
with right:
    st.markdown(f"**{t('transparency.chart_backlog')}**")
    chart(charts.backlog_by_age(backlog.assign(label=[t("age." + a) for a in backlog["age"]])), "backlog_chart")

# Drill-down: the street's communities; one community's grids (a chosen grid among its neighbours),
# always against the whole street as the reference line and the target.
targets = ctx.settings.targets
whole_street = replace(filters, community_ids=(), grid_ids=())
narrowed = bool(view.community or view.grid)
street_now = first_row(ctx.published(issues.resolution_figures, whole_street)) if narrowed else now
street_on_time = None if pd.isna(street_now["on_time_share"]) else float(street_now["on_time_share"])
area_community = view.community or grid_community_of.get(view.grid, "")
if area_community:
    area_filters = replace(filters, community_ids=(area_community,), grid_ids=())
    by_area = ctx.published(issues.resolution_figures, area_filters, "grid")
    area_name = ctx.grid_name
    area_title = t("transparency.by_grid", community=community_names.get(area_community, area_community))
else:
    by_area = ctx.published(issues.resolution_figures, filters, "community")
    area_name, area_title = ctx.community_name, t("transparency.by_community")
by_category = ctx.published(issues.resolution_figures, filters, "category")
by_channel = ctx.published(issues.resolution_figures, filters, "channel", percentiles=False)
shown_category = by_category[~by_category[SUPPRESSED]].assign(
    label=lambda f: [ctx.category_name(c) if isinstance(c, str) else t("transparency.unknown") for c in f["key"]]
)
shown_area = by_area[~by_area[SUPPRESSED] & by_area["key"].notna()].assign(
    label=lambda f: [area_name(c) for c in f["key"]]
)
target_label = t("target.line", target=formatting.share(targets.on_time_share, 0))

st.markdown(f"**{t('transparency.chart_on_time_trend')}**")
trend = ctx.published(issues.resolution_figures, replace(filters, since=year.since), "month", percentiles=False)
trend = trend[~trend[SUPPRESSED]].rename(columns={"on_time_share": "value"})
chart(
    charts.share_trend(trend, targets.on_time_share, target_label, t("metric.on_time_share"), year_axis),
    "on_time_trend",
)
st.caption(t("transparency.trend_note"))

left, right = st.columns(2)
with left:
    st.markdown(f"**{t('transparency.chart_on_time_areas', areas=area_title)}**")
    chart(
        charts.shares_by_area(
            shown_area.dropna(subset=["on_time_share"]),
            street_on_time,
            t("transparency.baseline"),
            targets.on_time_share,
            target_label,
        ),
        "on_time_chart",
    )
    withheld = int(by_area[SUPPRESSED].sum())
    if withheld:
        st.caption(t("transparency.areas_withheld", count=withheld, k=k))
with right:
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
map_legend([(charts.JUDGED[j], t(f"target.judgements.{j}"), "") for j in ("met", "near", "below")])
st.markdown(f"**{t('transparency.chart_channels')}**")
channels = by_channel[~by_channel[SUPPRESSED] & by_channel["key"].notna()]
chart(charts.channel_mix(channels.assign(label=[t("channel." + c) for c in channels["key"]])), "channel_chart")


def figures_table(frame: pd.DataFrame, name_of, first: str, by_category: bool = False) -> pd.DataFrame:  # noqa: ANN001
    """Withheld groups (fewer than k issues) show '<k' and no rates: a tiny group could identify someone.
    Categories carry their own on-time target where the street set one."""
    table = pd.DataFrame(
        {
            first: [name_of(c) if isinstance(c, str) else t("transparency.unknown") for c in frame["key"]],
            t("transparency.col.received"): count_text(frame["received"], frame[SUPPRESSED], k),
            t("transparency.col.resolved"): count_text(frame["resolved"], frame[SUPPRESSED], k),
            t("metric.resolution_rate"): [formatting.share(v) for v in frame["resolution_rate"]],
            t("transparency.median"): [formatting.hours(v, ctx.lang) for v in frame["median_hours"]],
            t("transparency.p90"): [formatting.hours(v, ctx.lang) for v in frame["p90_hours"]],
            t("metric.on_time_share"): [formatting.share(v) for v in frame["on_time_share"]],
            t("metric.satisfaction"): [formatting.number(v, ctx.lang, 2) for v in frame["satisfaction"]],
        }
    )
    if by_category:
        table.insert(
            7,
            t("transparency.col.on_time_target"),
            [formatting.share(targets.of("on_time_share", c), 0) for c in frame["key"]],
        )
    return table


def judgements(frame: pd.DataFrame, by_category: bool = False) -> dict[str, list]:
    """Each row's rates against their targets, for colouring the table."""
    return {
        t("metric.resolution_rate"): [targets.judge("resolution_rate", v) for v in frame["resolution_rate"]],
        t("metric.on_time_share"): [
            targets.judge("on_time_share", v, c if by_category else None)
            for v, c in zip(frame["on_time_share"], frame["key"], strict=True)
        ],
    }


st.subheader(area_title)
area_table = figures_table(by_area, area_name, t("filter.grid" if area_community else "filter.community"))
judged_table(area_table, judgements(by_area))
table_downloads(ctx, area_table, "resolution_by_grid" if area_community else "resolution_by_community", view.as_dict())
st.subheader(t("transparency.by_category"))
category_table = figures_table(by_category, ctx.category_name, t("filter.category"), by_category=True)
judged_table(category_table, judgements(by_category, by_category=True))
table_downloads(ctx, category_table, "resolution_by_category", view.as_dict())

with st.expander(t("transparency.definitions")):
    st.markdown(t("transparency.definitions_text", k=k))
