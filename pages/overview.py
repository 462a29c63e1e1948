"""总览: the street at a glance for everyone; each staff member's to-do counts in scope."""

from __future__ import annotations

import streamlit as st

from app import formatting, registry
from app.context import page_context
from app.widgets import first_row, goal, kpi, page_header, period_caption, todo_card
from data_access import devices, issues, patrols, periods, population, volunteers
from data_access.filters import IssueFilters

ctx = page_context("overview")
t = ctx.t
page_header(ctx, "page.overview", t("overview.subtitle"))

now = ctx.as_of
last_30 = periods.period("30d", now, ctx.zone)  # the same days as Transparency's "近 30 天"
before = last_30.previous()
current = first_row(ctx.published(issues.resolution_figures, IssueFilters(since=last_30.since, until=last_30.until)))
previous = first_row(
    ctx.published(issues.resolution_figures, IssueFilters(since=before.since, until=before.until), percentiles=False)
)
backlog = ctx.published(issues.backlog_by_age, IssueFilters(), now)


def change(name: str, as_share: bool = False) -> str | None:
    return formatting.change(current[name], previous[name], as_share)


st.subheader(t("overview.last_30_days"))
period_caption(ctx, last_30)
cols = st.columns(3)
kpi(
    cols[0],
    t("metric.received"),
    formatting.number(current["received"], ctx.lang),
    change("received"),
    t("metric.received_help"),
)
kpi(
    cols[1],
    t("metric.resolution_rate"),
    formatting.share(current["resolution_rate"]),
    change("resolution_rate", True),
    t("metric.resolution_rate_help"),
    against=goal(ctx, "resolution_rate", current["resolution_rate"]),
)
kpi(
    cols[2],
    t("metric.on_time_share"),
    formatting.share(current["on_time_share"]),
    change("on_time_share", True),
    t("metric.on_time_share_help"),
    against=goal(ctx, "on_time_share", current["on_time_share"]),
)
cols = st.columns(3)
kpi(
    cols[0],
    t("metric.median_time"),
    formatting.hours(current["median_hours"], ctx.lang),
    None,
    t("metric.median_time_help"),
)
kpi(
    cols[1],
    t("metric.satisfaction"),
    formatting.number(current["satisfaction"], ctx.lang, 2),
    None,
    t("metric.satisfaction_help"),
)
kpi(
    cols[2],
    t("metric.backlog"),
    formatting.number(int(backlog["count"].sum()), ctx.lang),
    None,
    t("metric.backlog_help"),
)

last_monday = periods.last_complete_week(now, ctx.zone)
week = ctx.published(patrols.grid_weeks, last_monday, 1)
month = periods.period("month", now, ctx.zone)  # the Volunteers page's and the big screen's "本月"
points = ctx.query(volunteers.totals, month.since, month.until)
cols = st.columns(3)
kpi(
    cols[0],
    t("metric.patrol_compliance_last_week"),
    formatting.share(patrols.compliance(week)),
    None,
    t("metric.patrol_compliance_help"),
    against=goal(ctx, "patrol_compliance", patrols.compliance(week)),
)
kpi(
    cols[1],
    t("metric.volunteer_points"),
    formatting.number(points["points"], ctx.lang),
    None,
    t("metric.volunteer_points_help"),
)
kpi(cols[2], t("metric.volunteer_hours"), formatting.number(points["hours"], ctx.lang), None)

if ctx.audience.is_staff:
    # Each count links to the list behind it, filtered the same way (a shareable URL; the list's page
    # checks the parameters and the data layer the visitor's scope).
    st.subheader(t("overview.todo", scope=ctx.t("scope.yours")))
    behind = ctx.query(patrols.grid_weeks, last_monday, 1)
    offline = ctx.query(devices.device_totals)
    cols = [*st.columns(3), *st.columns(3)[:2]]  # five cards, wide enough for their English labels
    todo_card(
        ctx,
        cols[0],
        t("todo.overdue_visits"),
        ctx.query(population.overdue_visit_count, now),
        "watchlist",
        {"list": "overdue"},
    )
    todo_card(
        ctx,
        cols[1],
        t("todo.open_alerts"),
        ctx.query(population.open_alert_count, now),
        "watchlist",
        {"list": "alerts"},
    )
    todo_card(
        ctx,
        cols[2],
        t("todo.grids_behind"),
        int((~behind["met"]).sum()),
        "patrols",
        {"week": last_monday.isoformat(), "list": "missed"},
    )
    todo_card(
        ctx,
        cols[3],
        t("todo.overdue_issues"),
        ctx.query(issues.open_overdue_count, now),
        "issue_map",
        {"show": "overdue", "period": "all"},
    )
    by_kind = " · ".join(
        t("todo.by_kind", kind=t("device." + k), count=n)
        for k, n in zip(offline["kind"], offline["offline"], strict=True)
        if n
    )
    todo_card(
        ctx,
        cols[4],
        t("todo.offline_devices"),
        int(offline["offline"].sum()),
        "patrols",
        {"list": "devices"},
        t("todo.offline_help") + (f" {by_kind}" if by_kind else ""),
    )

others = [spec for spec in registry.PAGES if ctx.audience.may_open(spec) and spec.id not in ("overview", "login")]
if others:
    st.subheader(t("overview.pages"))
    cols = st.columns(min(3, len(others)))
    for i, spec in enumerate(others):
        with cols[i % len(cols)].container(border=True):
            ctx.link(spec.id)
            st.caption(t(spec.title_key + "_about"))
