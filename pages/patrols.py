"""巡查覆盖 (staff): did each grid in scope get its required patrols, week by week; who is behind;
what patrols found and what became of it; are the gates and cameras alive."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from app import formatting, maps, url_state
from app.context import page_context
from app.exports import shown_table, table_downloads
from app.widgets import kpi, page_header, text_table
from data_access import geometry, patrols
from data_access.filters import EVERYWHERE, IssueFilters
from data_access.localtime import local_date, local_day_start, week_start
from data_access.reference import community_list, grid_list

WEEKS_SHOWN = 12
STATE_COLORS = {"done": [46, 157, 143, 150], "due": [224, 168, 58, 160], "overdue": [192, 57, 43, 170]}

ctx = page_context("patrols")
t = ctx.t
page_header(ctx, "page.patrols", t("patrols.subtitle"))

as_of = ctx.as_of
today = local_date(as_of, ctx.zone)
this_monday = week_start(today)
mondays = [this_monday - timedelta(weeks=i) for i in range(26)]
week: date = st.selectbox(
    t("patrols.week"),
    mondays,
    key="patrol_week",
    format_func=lambda m: t(
        "patrols.week_label",
        year=m.isocalendar()[0],
        week=m.isocalendar()[1],
        start=m.strftime("%m-%d"),
        end=(m + timedelta(days=6)).strftime("%m-%d"),
    ),
)
week_over = week < this_monday

# Staff over several communities (a street, a district, a city) may look at one community at a time.
name_col = ctx.name_column
communities = ctx.query(community_list, True)
communities = communities[communities["community_id"].isin(ctx.query(grid_list)["community_id"])]
area = EVERYWHERE
if len(communities) > 1:
    names = dict(zip(communities["community_id"], communities[name_col], strict=True))
    url_state.seed("patrol_community", url_state.choice("community", names, ""))
    chosen = st.selectbox(
        t("filter.community"),
        ["", *names],
        key="patrol_community",
        format_func=lambda c: names.get(c, t("filter.all")),
    )
    if chosen:
        area = IssueFilters(community_ids=(chosen,))
        communities = communities[communities["community_id"] == chosen]

weeks = ctx.query(patrols.grid_weeks, week, WEEKS_SHOWN, area)
officers = ctx.query(patrols.grid_officers, area)
grids = ctx.query(grid_list, True, area)
week_end = min(local_day_start(week + timedelta(days=7), ctx.zone), as_of)
last = ctx.query(patrols.last_patrols, week_end, area)

current = weeks[weeks["week"] == week.isoformat()].merge(officers, on="grid_id", how="left")
current = current.merge(last[["grid_id", "days_since"]], on="grid_id", how="left")
current["state"] = ["done" if met else ("overdue" if week_over else "due") for met in current["met"]]

cols = st.columns(4)
kpi(
    cols[0],
    t("patrols.compliance_week"),
    formatting.share(patrols.compliance(current)),
    help_text=t("metric.patrol_compliance_help"),
)
kpi(
    cols[1],
    t("patrols.compliance_12w"),
    formatting.share(patrols.compliance(weeks)),
    help_text=t("patrols.compliance_12w_help"),
)
kpi(
    cols[2],
    t("patrols.overdue" if week_over else "patrols.due"),
    formatting.number(int((~current["met"]).sum())),
    inverse=True,
)
kpi(
    cols[3],
    t("patrols.no_officer"),
    formatting.number(int(current["officer_id"].isna().sum())),
    help_text=t("patrols.no_officer_help"),
    inverse=True,
)

# Map of grids coloured by this week's state; over more grids than a map can show, of communities
# coloured by their worst grid, with how many of their grids are done.
by_community = len(grids) > maps.MAX_GRID_OUTLINES
rows = []
if by_community:
    worst = current.assign(rank=current["state"].map({"done": 0, "due": 1, "overdue": 2}))
    summary = worst.groupby("community_id").agg(rank=("rank", "max"), met=("met", "sum"), grids=("met", "size"))
    for row in communities.merge(summary, left_on="community_id", right_index=True).itertuples():
        ring = geometry.ring_of(row.boundary_geojson)
        state = ("done", "due", "overdue")[int(row.rank)]
        if ring:
            rows.append(
                {
                    "polygon": ring,
                    "fill": STATE_COLORS[state],
                    "name": getattr(row, name_col),
                    "done": f"{int(row.met)}/{int(row.grids)}",
                }
            )
    tooltip = t("patrols.community_tooltip")
else:
    for row in current.merge(grids[["grid_id", "boundary_geojson"]], on="grid_id").itertuples():
        ring = geometry.ring_of(row.boundary_geojson)
        if ring:
            rows.append(
                {
                    "polygon": ring,
                    "fill": STATE_COLORS[row.state],
                    "grid": row.name,
                    "officer": row.officer if isinstance(row.officer, str) else t("patrols.none"),
                    "done": f"{row.patrols}/{row.required}",
                    "state": t("patrols.states." + row.state),
                    "days": formatting.number(row.days_since, ctx.lang, 1),
                }
            )
    tooltip = t("patrols.tooltip")
layers = [maps.grid_fill_layer(rows)]
layers += maps.boundary_layers(grids.iloc[0:0], communities, name_col)
view = maps.view_for(geometry.bounds_of(r["polygon"] for r in rows))
st.pydeck_chart(maps.deck(layers, view, ctx.settings.map_style, {"text": tooltip}), height=420, key="patrol_map")
st.caption(" · ".join(t("patrols.states." + s) + ": " + t("patrols.legend." + s) for s in STATE_COLORS))
if by_community:
    st.caption(t("patrols.by_community_note", grids=formatting.number(len(grids), ctx.lang)))

# Monday's list: grids that missed last week's patrols.
last_week = this_monday - timedelta(weeks=1)
missed = ctx.query(patrols.grid_weeks, last_week, 1, area)
missed = missed[~missed["met"]].merge(officers, on="grid_id", how="left")
st.subheader(t("patrols.monday_list", start=last_week.strftime("%m-%d")))
if missed.empty:
    st.success(t("patrols.none_missed"))
else:
    shown_table(
        ctx,
        pd.DataFrame(
            {
                t("patrols.col.grid"): missed["name"],
                t("patrols.col.officer"): [o if isinstance(o, str) else t("patrols.none") for o in missed["officer"]],
                t("patrols.col.done"): [f"{p}/{r}" for p, r in zip(missed["patrols"], missed["required"], strict=True)],
            }
        ),
        "patrol_missed_last_week",
    )

# Grid x last 12 weeks.
st.subheader(t("patrols.grid_weeks", weeks=WEEKS_SHOWN))
weeks["cell"] = [
    ("✓ " if m else "✗ ") + f"{p}/{r}"
    for m, p, r in zip(weeks["met"], weeks["patrols"], weeks["required"], strict=True)
]
grid_table = weeks.pivot(index="name", columns="week", values="cell")
grid_table.columns = [date.fromisoformat(w).strftime("%m-%d") for w in grid_table.columns]
grid_table.insert(0, t("patrols.col.share"), weeks.groupby("name")["met"].mean().map(formatting.share))
grid_table = grid_table.reset_index().rename(columns={"name": t("patrols.col.grid")})
text_table(grid_table, {})
table_downloads(ctx, grid_table, "patrol_grid_weeks", {"week": week.isoformat()})

# Per officer.
st.subheader(t("patrols.per_officer", weeks=WEEKS_SHOWN))
since = local_day_start(week - timedelta(weeks=WEEKS_SHOWN - 1), ctx.zone)
summary = ctx.query(patrols.officer_summary, since, week_end, area)
behind = current[~current["met"]].groupby("officer_id").size()
per_officer = pd.DataFrame(
    {
        t("patrols.col.officer"): summary["name"].fillna(t("patrols.none")),
        t("patrols.col.role"): [ctx.label("role.", r) for r in summary["role"]],
        t("patrols.col.patrols"): summary["patrols"],
        t("patrols.col.km"): summary["km"].round(1),
        t("patrols.col.hazards"): summary["hazards_found"],
        t("patrols.col.not_ended"): summary["not_ended"],
        t("patrols.col.behind"): [int(behind.get(o, 0)) for o in summary["officer_id"]],
    }
)
shown_table(ctx, per_officer, "patrol_officers")
st.caption(t("patrols.not_ended_note"))

# Hazards found on patrol and their outcome.
st.subheader(t("patrols.hazards"))
hazards = ctx.query(patrols.hazard_outcomes, since, week_end, 200, area)
cols = st.columns(3)
kpi(cols[0], t("patrols.hazards_found"), formatting.number(len(hazards)))
kpi(cols[1], t("patrols.hazards_done"), formatting.number(int(hazards["done"].sum()) if len(hazards) else 0))
kpi(
    cols[2],
    t("patrols.hazards_open"),
    formatting.number(int((~hazards["done"].astype(bool)).sum()) if len(hazards) else 0),
    inverse=True,
)
if len(hazards):
    shown_table(
        ctx,
        pd.DataFrame(
            {
                t("map.columns.issue_id"): hazards["issue_id"],
                t("map.columns.reported_at"): [formatting.local_datetime(v, ctx.lang) for v in hazards["reported_at"]],
                t("patrols.col.grid"): hazards["grid_id"],
                t("map.columns.category_code"): hazards[name_col].fillna(formatting.MISSING),
                t("map.columns.status"): [ctx.label("status.", s) for s in hazards["status"]],
                t("patrols.col.found_by"): hazards["found_by"].fillna(formatting.MISSING),
            }
        ),
        "patrol_hazards",
    )

# Device health.
st.subheader(t("patrols.devices"))
health = ctx.query(patrols.device_health, as_of, area)
if health.empty:
    st.info(t("patrols.no_devices"))
else:
    shown_table(
        ctx,
        pd.DataFrame(
            {
                t("patrols.col.grid"): health["grid_id"],
                t("patrols.col.kind"): [t("device." + k) for k in health["kind"]],
                t("patrols.col.online"): [f"{o}/{d}" for o, d in zip(health["online"], health["devices"], strict=True)],
                t("patrols.col.never_seen"): health["never_seen"],
                t("patrols.col.silence"): [formatting.number(v, ctx.lang, 1) for v in health["longest_silence_days"]],
            }
        ),
        "device_health",
    )
    flagged = int(health["never_seen"].sum())
    if flagged:
        st.warning(t("patrols.never_seen_warning", count=flagged))
