"""志愿积分榜: who volunteered most (display names only, opt-outs never shown), and how the street takes part."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import streamlit as st

from app import charts, formatting, url_state
from app.context import page_context
from app.exports import shown_table, table_downloads
from app.widgets import chart, kpi, month_axis, page_header, period_caption, text_table
from data_access import periods, volunteers
from data_access.localtime import local_date, local_day_start

PERIODS = ("week", "month", "year", "all")

ctx = page_context("volunteers")
t = ctx.t
page_header(ctx, "page.volunteers", t("volunteers.subtitle"))

as_of = ctx.as_of
today = local_date(as_of, ctx.zone)
community_names = ctx.community_names

url_state.seed("vol_period", url_state.choice("period", PERIODS, "month"))
url_state.seed("vol_community", url_state.choice("community", community_names, ""))
row = st.columns([2, 1.4])
period = (
    row[0].segmented_control(
        t("volunteers.period"), PERIODS, key="vol_period", format_func=lambda p: t("volunteers.periods." + p)
    )
    or "month"
)
community = (
    row[1].selectbox(
        t("filter.community"),
        ["", *community_names],
        key="vol_community",
        format_func=lambda c: community_names.get(c, t("filter.all")),
    )
    or None
)
url_state.write({"lang": ctx.lang, "period": period} | ({"community": community} if community else {}))


span = periods.period(period, as_of, ctx.zone)
since, until = span.since, span.until
period_caption(ctx, span)
tomorrow = local_day_start(today + timedelta(days=1), ctx.zone)

totals = ctx.query(volunteers.totals, since, until, community)
cols = st.columns(4)
kpi(cols[0], t("volunteers.points"), formatting.number(totals["points"], ctx.lang))
kpi(cols[1], t("volunteers.hours"), formatting.number(totals["hours"], ctx.lang))
kpi(
    cols[2],
    t("volunteers.people"),
    formatting.number(totals["volunteers"], ctx.lang),
    help_text=t("volunteers.people_help"),
)
kpi(cols[3], t("volunteers.check_ins"), formatting.number(totals["check_ins"], ctx.lang))

board_column, side = st.columns([1.25, 1])
with board_column:
    st.subheader(t("volunteers.top"))
    board = ctx.query(volunteers.leaderboard, since, until, community, 20)
    if board.empty:
        st.info(t("volunteers.empty"))
    else:
        tied = board["rank"].duplicated(keep=False)
        shown = pd.DataFrame(
            {
                t("volunteers.col.rank"): [
                    f"{r} {t('volunteers.tie')}" if tie else str(r) for r, tie in zip(board["rank"], tied, strict=True)
                ],
                t("volunteers.col.name"): board["display_name"],
                t("filter.community"): [community_names.get(c, c) for c in board["community_id"]],
                t("volunteers.points"): board["points"],
                t("volunteers.hours"): board["hours"].round(1),
                t("volunteers.col.activities"): board["activities"],
            }
        )
        text_table(shown, {})
        st.caption(t("volunteers.board_note"))
        table_downloads(ctx, shown, "volunteer_leaderboard", {"period": period, "community": community or ""})
with side:  # a chart only where something was recorded: on a month's 1st, no bars of zeros
    kinds = ctx.query(volunteers.activities_by_kind, since, until, community)
    if kinds["hours"].sum() > 0:
        st.subheader(t("volunteers.by_kind"))
        chart(
            charts.ranked_bars(kinds.assign(label=[t("activity." + k) for k in kinds["kind"]]), "hours", "label"),
            "kind_chart",
        )
    ranking = ctx.query(volunteers.points_per_thousand_residents, since, until)
    if ranking["points_per_1000"].sum() > 0:
        st.subheader(t("volunteers.per_thousand"))
        chart(
            charts.ranked_bars(
                ranking.assign(label=[community_names.get(c, c) for c in ranking["community_id"]]),
                "points_per_1000",
                "label",
            ),
            "per_thousand_chart",
        )

st.subheader(t("volunteers.trend"))
year = periods.months(today, ctx.zone)
trend = ctx.query(volunteers.monthly_participation, year.since, year.until, community)
chart(
    charts.monthly_participation(trend, t("volunteers.people"), t("volunteers.hours"), month_axis(ctx, year)),
    "trend_chart",
)

recent, upcoming = st.columns(2)
for column, title, start, end in (
    (recent, "volunteers.recent", tomorrow - timedelta(days=14), tomorrow),
    (upcoming, "volunteers.upcoming", tomorrow, tomorrow + timedelta(days=21)),
):
    with column:
        st.subheader(t(title))
        listing = ctx.query(volunteers.activities_between, start, end, community, 12)
        if listing.empty:
            st.info(t("volunteers.none"))
            continue
        # In English the English title where the database has one; the community's own title otherwise.
        titles = listing["title"]
        if ctx.lang == "en":
            titles = listing["title_en"].where(listing["title_en"].fillna("").str.strip() != "", listing["title"])
        shown_table(
            ctx,
            pd.DataFrame(
                {
                    t("volunteers.col.when"): [formatting.local_datetime(v, ctx.lang) for v in listing["starts_at"]],
                    t("volunteers.col.activity"): [
                        f"{a} · {t('activity.' + k)}" for a, k in zip(titles, listing["kind"], strict=True)
                    ],
                    t("filter.community"): [ctx.community_name(c) for c in listing["community_id"]],
                    t("volunteers.points"): listing["points"],
                    t("volunteers.col.joined"): listing["participants"],
                }
            ),
            "volunteer_activities_" + title.rsplit(".", 1)[-1],
        )
