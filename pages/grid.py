"""网格概况 (staff): one grid on one page — who covers it, today's patrol priority and why, its patrols,
open issues, open welfare alerts and devices, each count linking to the list behind it.

`?grid=<id>` opens a grid (a grid outside the visitor's scope is refused like any bad parameter and
the page opens on their own top-priority grid instead); without it, the scope's top-priority grid.
"""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import streamlit as st

from app import formatting, url_state
from app.context import page_context
from app.device_views import offline_section
from app.exports import shown_table
from app.widgets import kpi, page_header, todo_card
from data_access import devices, issues, patrols, periods, population, priority
from data_access.filters import IssueFilters
from data_access.reference import grid_list

ctx = page_context("grid")
t = ctx.t
page_header(ctx, "page.grid", t("grid.subtitle"))

as_of = ctx.as_of
grids = ctx.query(grid_list)
if grids.empty:
    st.info(t("grid.none"))
    st.stop()
ranked = priority.score(ctx.query(priority.grid_signals, as_of), ctx.settings.patrol_priority)
order = list(ranked["grid_id"])  # highest priority first: the default and the picker's order
url_state.seed("grid_pick", url_state.choice("grid", order, order[0]))
grid_id = st.selectbox(
    t("filter.grid"),
    order,
    key="grid_pick",
    format_func=lambda g: f"{ctx.grid_name(g)} · {t('grid.rank', rank=order.index(g) + 1, count=len(order))}",
)
url_state.write({"lang": ctx.lang, "grid": grid_id})
here = IssueFilters(grid_ids=(grid_id,))
row = ranked[ranked["grid_id"] == grid_id].iloc[0]
officer = ctx.query(patrols.grid_officers, here)
officer_name = next((o for o in officer["officer"] if isinstance(o, str)), None)
st.text(
    " · ".join(
        [
            ctx.community_name(row["community_id"]),
            t("grid.officer", name=officer_name) if officer_name else t("patrols.none"),
        ]
    )
)

# Today's priority and its reasons.
number = lambda n: formatting.number(n, ctx.lang)  # noqa: E731
reasons = priority.reasons(row)
with st.container(border=True):
    score = formatting.number(row["score"], ctx.lang, 1)
    st.markdown(f"**{t('grid.priority', score=score, rank=int(row['rank']), count=len(order))}**")
    st.caption(" · ".join(t("priority." + s, count=number(n)) for s, n, _ in reasons) or t("grid.priority_none"))

# The to-do counts of this grid, each linked to its list.
backlog = ctx.query(issues.backlog_by_age, here, as_of)
cols = st.columns(4)
todo_card(
    ctx,
    cols[0],
    t("grid.open_issues"),
    int(backlog["count"].sum()),
    "issue_map",
    {"grid": grid_id, "community": str(row["community_id"]), "show": "open", "period": "all"},
)
todo_card(
    ctx,
    cols[1],
    t("todo.overdue_issues"),
    int(row["overdue_issues"]),
    "issue_map",
    {"grid": grid_id, "community": str(row["community_id"]), "show": "overdue", "period": "all"},
)
todo_card(
    ctx, cols[2], t("todo.open_alerts"), int(row["open_alerts"]), "watchlist", {"list": "alerts", "grid": grid_id}
)
todo_card(
    ctx,
    cols[3],
    t("todo.overdue_visits"),
    int(row["overdue_visits"]),
    "watchlist",
    {"list": "overdue", "grid": grid_id},
)

# Patrols: this week so far, the last complete weeks, the last patrol.
st.subheader(t("grid.patrols"))
progress = periods.week_progress(as_of, ctx.zone)
weeks = ctx.query(patrols.grid_weeks, progress.monday, 8, here)
weeks["state"] = patrols.states(weeks, progress)
last = ctx.query(patrols.last_patrols, as_of, here)
days_since = last["days_since"].iloc[0] if len(last) else None
cols = st.columns(3)
this_week = weeks[weeks["week"] == progress.monday.isoformat()]
kpi(
    cols[0],
    t("grid.this_week", days=progress.days_gone),
    f"{int(this_week['patrols'].sum())}/{int(this_week['required'].sum())}",
    help_text=t("patrols.on_pace_help"),
)
kpi(
    cols[1],
    t("grid.compliance", weeks=len(patrols.ended(weeks, progress)["week"].unique())),
    formatting.share(patrols.compliance(weeks, progress)),
    help_text=t("patrols.compliance_12w_help"),
)
kpi(
    cols[2],
    t("grid.last_patrol"),
    t("grid.never")
    if days_since is None or pd.isna(days_since)
    else t("grid.days_ago", days=formatting.number(days_since, ctx.lang, 1)),
)
shown_table(
    ctx,
    pd.DataFrame(
        {
            t("patrols.week"): [
                formatting.month_day(pd.Timestamp(w).date(), ctx.lang)
                + " – "
                + formatting.month_day(pd.Timestamp(w).date() + timedelta(days=6), ctx.lang)
                for w in weeks["week"]
            ],
            t("patrols.col.done"): [f"{p}/{r}" for p, r in zip(weeks["patrols"], weeks["required"], strict=True)],
            t("grid.state"): [t("patrols.states." + s) for s in weeks["state"]],
        }
    ).iloc[::-1],
    "grid_patrol_weeks",
    {"grid": grid_id},
)

# Devices of this grid: the offline ones, longest silent first.
st.subheader(t("patrols.devices"))
totals = ctx.query(devices.device_totals, here)
if totals["devices"].sum():
    offline = ctx.query(devices.offline_devices, as_of, here)
    offline_section(ctx, totals, offline, "grid_devices_offline", {"grid": grid_id}, with_grid=False)
else:
    st.info(t("patrols.no_devices"))

# Open welfare alerts of this grid (masked, as on the watchlist).
st.subheader(t("watchlist.alerts"))
alerts = ctx.query(population.open_alerts, as_of, False, 500, here)
if alerts.empty:
    st.success(t("watchlist.no_alerts"))
else:
    shown_table(
        ctx,
        pd.DataFrame(
            {
                t("watchlist.col.severity"): [t(f"watchlist.severity.{s}") for s in alerts["severity"]],
                t("watchlist.col.kind"): [ctx.label("alert.", k) for k in alerts["kind"]],
                t("watchlist.col.name"): alerts["name"],
                t("watchlist.col.address"): alerts["address"],
                t("watchlist.col.waiting"): [formatting.hours(h, ctx.lang) for h in alerts["hours_open"]],
            }
        ),
        "grid_open_alerts_masked",
        {"grid": grid_id},
    )
