"""巡查覆盖 (staff): which grids need an officer today (the daily patrol priority, with its reasons);
which gates and cameras are offline; did each grid in scope get its required patrols, week by week;
who covers which grid and who is behind; what patrols found and what became of it.

`?list=devices` (the overview's to-do link) opens the page on the offline devices."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from app import formatting, maps, url_state
from app.context import page_context
from app.device_views import offline_section
from app.exports import shown_table, table_downloads
from app.safe_text import md
from app.widgets import fitted_map, goal, kpi, map_legend, page_header, text_table
from data_access import devices, geometry, patrols, periods, priority
from data_access.filters import EVERYWHERE, IssueFilters
from data_access.localtime import local_day_start
from data_access.reference import community_list, grid_list

WEEKS_SHOWN = 12
STATE_COLORS = {  # a grid-week's state (data_access/patrols.states), worst last
    "done": [46, 157, 143, 150],
    "on_pace": [120, 170, 215, 150],
    "behind": [224, 168, 58, 160],
    "missed": [192, 57, 43, 170],
}
STATE_RANK = {state: rank for rank, state in enumerate(STATE_COLORS)}

ctx = page_context("patrols")
t = ctx.t
page_header(ctx, "page.patrols", t("patrols.subtitle"))

as_of = ctx.as_of
# The week in progress is never judged: figures default to the last complete week, and this week
# shows its progress against the pace expected by now (data_access/periods.py, patrols.states).
progress = periods.week_progress(as_of, ctx.zone)
this_monday = progress.monday
mondays = [this_monday - timedelta(weeks=i) for i in range(26)]


def week_label(monday: date) -> str:
    year, number, _ = monday.isocalendar()
    end = formatting.month_day(monday + timedelta(days=6), ctx.lang)
    label = t("patrols.week_label", year=year, week=number, start=formatting.month_day(monday, ctx.lang), end=end)
    return t("patrols.week_in_progress", week=label) if monday == this_monday else label


# Staff over several communities (a street, a district, a city) may look at one community at a time.
name_col = ctx.name_column
communities = ctx.query(community_list, True)
communities = communities[communities["community_id"].isin(ctx.query(grid_list)["community_id"])]
area = EVERYWHERE
community_names = dict(zip(communities["community_id"], communities[name_col], strict=True))
if len(communities) > 1:
    url_state.seed("patrol_community", url_state.choice("community", community_names, ""))
    chosen = st.selectbox(
        t("filter.community"),
        ["", *community_names],
        key="patrol_community",
        format_func=lambda c: community_names.get(c, t("filter.all")),
    )
    if chosen:
        area = IssueFilters(community_ids=(chosen,))
        communities = communities[communities["community_id"] == chosen]

officers = ctx.query(patrols.grid_officers, area)
PRIORITY_SHOWN = 10  # a street's (or a city's) top grids; a grid officer sees all of theirs
focus = url_state.choice("list", ("devices", "missed"), "")


def priority_section() -> None:
    """Today's patrol priority per grid (data_access/priority.py), highest first, with its reasons."""
    weights = ctx.settings.patrol_priority
    ranked = priority.score(ctx.query(priority.grid_signals, as_of, area), weights)
    ranked = ranked.merge(officers[["grid_id", "officer"]], on="grid_id", how="left")
    mine = ctx.role == "grid_officer"
    shown = ranked if mine else ranked[ranked["score"] > 0].head(PRIORITY_SHOWN)
    st.subheader(t("patrols.priority_mine" if mine else "patrols.priority_top", count=len(shown)))
    if shown.empty:
        st.success(t("patrols.priority_none"))
    else:
        number = lambda n: formatting.number(n, ctx.lang)  # noqa: E731
        st.dataframe(
            pd.DataFrame(
                {
                    t("patrols.col.rank"): shown["rank"],
                    t("patrols.col.grid"): [ctx.grid_name(g) for g in shown["grid_id"]],
                    t("patrols.col.score"): [formatting.number(v, ctx.lang, 1) for v in shown["score"]],
                    t("patrols.col.reasons"): [
                        " · ".join(t("priority." + s, count=number(n)) for s, n, _ in priority.reasons(row))
                        or t("priority.nothing")
                        for _, row in shown.iterrows()
                    ],
                    t("patrols.col.officer"): [
                        o if isinstance(o, str) else t("patrols.none") for o in shown["officer"]
                    ],
                    t("patrols.col.open_grid"): [f"grid?grid={g}&lang={ctx.lang}" for g in shown["grid_id"]],
                }
            ),
            hide_index=True,
            width="stretch",
            column_config={
                t("patrols.col.open_grid"): st.column_config.LinkColumn(display_text=t("patrols.open_grid"))
            },
        )
    terms = " + ".join(
        t("priority.term", weight=formatting.number(weights.of(s), ctx.lang, 1), signal=t("priority.names." + s))
        for s in priority.SIGNALS
    )
    st.caption(t("patrols.priority_note", terms=terms))


def devices_section() -> None:
    """Offline gates and cameras by kind, then each offline device, the longest silent first."""
    st.subheader(t("patrols.devices"))
    totals = ctx.query(devices.device_totals, area)
    offline_section(ctx, totals, ctx.query(devices.offline_devices, as_of, area), "devices_offline")
    health = ctx.query(devices.device_health, as_of, area)
    if health.empty:
        st.info(t("patrols.no_devices"))
        return
    with st.expander(t("patrols.device_grids")):
        shown_table(
            ctx,
            pd.DataFrame(
                {
                    t("patrols.col.grid"): [ctx.grid_name(g) for g in health["grid_id"]],
                    t("patrols.col.kind"): [t("device." + k) for k in health["kind"]],
                    t("patrols.col.online"): [
                        f"{o}/{d}" for o, d in zip(health["online"], health["devices"], strict=True)
                    ],
                    t("patrols.col.never_seen"): health["never_seen"],
                    t("patrols.col.silence"): [
                        formatting.number(v, ctx.lang, 1) for v in health["longest_silence_days"]
                    ],
                }
            ),
            "device_health",
        )


# Today's signals open the page; a link to last week's misses (the overview's to-do) opens it on the
# weekly coverage instead, with the signals after it. Containers keep that order whatever runs first.
today_first = focus != "missed"
signals_box = st.container() if today_first else None
st.subheader(t("patrols.coverage"))
asked = url_state.choice("week", [m.isoformat() for m in mondays], mondays[1].isoformat())
url_state.seed("patrol_week", date.fromisoformat(asked))
week: date = st.selectbox(t("patrols.week"), mondays, key="patrol_week", format_func=week_label)
in_progress = week == this_monday
weeks = ctx.query(patrols.grid_weeks, week, WEEKS_SHOWN, area)
grids = ctx.query(grid_list, True, area)
week_end = min(local_day_start(week + timedelta(days=7), ctx.zone), as_of)
last = ctx.query(patrols.last_patrols, week_end, area)

current = weeks[weeks["week"] == week.isoformat()].merge(officers, on="grid_id", how="left")
current = current.merge(last[["grid_id", "days_since"]], on="grid_id", how="left")
current["state"] = patrols.states(current, progress)

# This week so far, whichever week is chosen: how many days are gone and who is behind the pace.
now_week = current if in_progress else ctx.query(patrols.grid_weeks, this_monday, 1, area)
now_states = patrols.states(now_week, progress)
st.info(
    t(
        "patrols.progress_note",
        days=progress.days_gone,
        done=formatting.number(int(now_week["patrols"].sum()), ctx.lang),
        required=formatting.number(int(now_week["required"].sum()), ctx.lang),
        met=formatting.number(int((now_states == "done").sum()), ctx.lang),
        behind=formatting.number(int((now_states == "behind").sum()), ctx.lang),
        grids=formatting.number(len(now_week), ctx.lang),
    )
)

cols = st.columns(4)
if in_progress:
    kpi(
        cols[0],
        t("patrols.on_pace_week", days=progress.days_gone),
        formatting.share((current["state"] != "behind").mean() if len(current) else None),
        help_text=t("patrols.on_pace_help"),
    )
else:
    kpi(
        cols[0],
        t("patrols.compliance_of_week", week=week.isocalendar()[1]),
        formatting.share(patrols.compliance(current)),
        help_text=t("metric.patrol_compliance_help"),
        against=goal(ctx, "patrol_compliance", patrols.compliance(current)),
    )
kpi(
    cols[1],
    t("patrols.compliance_12w"),
    formatting.share(patrols.compliance(weeks, progress)),
    help_text=t("patrols.compliance_12w_help"),
    against=goal(ctx, "patrol_compliance", patrols.compliance(weeks, progress)),
)
kpi(
    cols[2],
    t("patrols.behind" if in_progress else "patrols.missed"),
    formatting.number(int(current["state"].isin(("behind", "missed")).sum()), ctx.lang),
    inverse=True,
)
kpi(
    cols[3],
    t("patrols.no_officer"),
    formatting.number(int(current["officer_id"].isna().sum()), ctx.lang),
    help_text=t("patrols.no_officer_help"),
    inverse=True,
)
uncovered = current.loc[current["officer_id"].isna(), "grid_id"]
if len(uncovered):  # the count's list: the grids themselves
    uncovered_names = formatting.listing([ctx.grid_name(g) for g in uncovered], ctx.lang)
    st.caption(t("patrols.no_officer_list", grids=md(uncovered_names)))  # names from the feed: Markdown-escaped

# Map of grids coloured by this week's state; over more grids than a map can show, of communities
# coloured by their worst grid, with how many of their grids are done.
by_community = len(grids) > maps.MAX_GRID_OUTLINES
last_week = this_monday - timedelta(weeks=1)
missed = ctx.query(patrols.grid_weeks, last_week, 1, area)
missed = missed[~missed["met"]].merge(officers, on="grid_id", how="left")
color_by = "state"
if not by_community:  # who covers what: one colour per grid officer, over a street's grids
    color_by = (
        st.segmented_control(
            t("patrols.color_by"),
            ["state", "officer"],
            default="state",
            key="patrol_color",
            format_func=lambda c: t("patrols.colors." + c),
        )
        or "state"
    )
officer_colors = maps.officer_colors(current["officer_id"])
rows = []
if by_community:
    worst = current.assign(rank=current["state"].map(STATE_RANK))
    summary = worst.groupby("community_id").agg(rank=("rank", "max"), met=("met", "sum"), grids=("met", "size"))
    for row in communities.merge(summary, left_on="community_id", right_index=True).itertuples():
        ring = geometry.ring_of(row.boundary_geojson)
        state = list(STATE_COLORS)[int(row.rank)]
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
    # Each grid named where its name fits it, without its community's name in front (the map names
    # the community).
    grid_labels = []
    for row in current.merge(grids[["grid_id", "boundary_geojson"]], on="grid_id").itertuples():
        ring = geometry.ring_of(row.boundary_geojson)
        if ring:
            grid_name = ctx.grid_names.get(row.grid_id, row.name)
            short = formatting.without_prefix(grid_name, str(community_names.get(row.community_id, "")))
            grid_labels.append(maps.area_label(ring, short, maps.GRID_LABEL_PX, fit=True))
            rows.append(
                {
                    "polygon": ring,
                    "fill": STATE_COLORS[row.state]
                    if color_by == "state"
                    else officer_colors.get(row.officer_id, maps.NO_OFFICER),
                    "grid": grid_name,
                    "officer": row.officer if isinstance(row.officer, str) else t("patrols.none"),
                    "done": f"{row.patrols}/{row.required}",
                    "state": t("patrols.states." + row.state),
                    "days": formatting.number(row.days_since, ctx.lang, 1),
                }
            )
    tooltip = t("patrols.tooltip")
layers = [maps.grid_fill_layer(rows)]
layers += maps.boundary_layers(grids.iloc[0:0], communities, name_col)
if not by_community:
    # Over several communities their names are placed first; on one community's map its grids' names
    # are, since the page already says which community it is (the community labels are the last layer).
    at = len(layers) - 1 if len(communities) == 1 else len(layers)
    layers.insert(at, maps.label_layer(grid_labels, "grid-labels"))
fitted_map(ctx, layers, geometry.bounds_of(r["polygon"] for r in rows), {"text": tooltip}, 420, "patrol_map")
shown_states = ("done", "on_pace", "behind") if in_progress else ("done", "missed")
if color_by == "officer":
    # Each officer with how many of their grids are behind this week and missed last week.
    behind_now = now_week.assign(state=now_states).merge(officers, on="grid_id", how="left")
    behind_now = behind_now[behind_now["state"] == "behind"].groupby("officer_id").size()
    missed_last = missed.groupby("officer_id").size()
    officer_names = current.drop_duplicates("officer_id").set_index("officer_id")["officer"]
    items = []
    for officer_id, color in officer_colors.items():
        marks = [t("patrols.officer_behind", count=int(n)) for n in [behind_now.get(officer_id, 0)] if n]
        marks += [t("patrols.officer_missed", count=int(n)) for n in [missed_last.get(officer_id, 0)] if n]
        items.append(
            (
                color,
                formatting.name_of({}, officer_names.get(officer_id)),
                " · ".join(marks) or t("patrols.officer_fine"),
            )
        )
    if current["officer_id"].isna().any():
        items.append((maps.NO_OFFICER, t("patrols.none"), t("patrols.no_officer_help")))
    map_legend(items)
    st.caption(t("patrols.officer_note"))
else:
    map_legend([(STATE_COLORS[s], t("patrols.states." + s), t("patrols.legend." + s)) for s in shown_states])
if by_community:
    st.caption(t("patrols.by_community_note", grids=formatting.number(len(grids), ctx.lang)))

# Monday's list: grids that missed last week's patrols.
st.subheader(t("patrols.monday_list", start=formatting.month_day(last_week, ctx.lang)))
if missed.empty:
    st.success(t("patrols.none_missed"))
else:
    shown_table(
        ctx,
        pd.DataFrame(
            {
                t("patrols.col.grid"): [ctx.grid_name(g) for g in missed["grid_id"]],
                t("patrols.col.officer"): [o if isinstance(o, str) else t("patrols.none") for o in missed["officer"]],
                t("patrols.col.done"): [f"{p}/{r}" for p, r in zip(missed["patrols"], missed["required"], strict=True)],
            }
        ),
        "patrol_missed_last_week",
    )

# Grid x last 12 weeks; the week in progress (when shown) is marked so and judged on pace only.
st.subheader(t("patrols.grid_weeks", weeks=WEEKS_SHOWN))
marks = {"done": "✓ ", "missed": "✗ ", "on_pace": "… ", "behind": "… "}
weeks["cell"] = [
    marks[state] + f"{p}/{r}"
    for state, p, r in zip(patrols.states(weeks, progress), weeks["patrols"], weeks["required"], strict=True)
]
grid_table = weeks.pivot(index="grid_id", columns="week", values="cell")
grid_table.columns = [
    t("patrols.in_progress_column", day=formatting.month_day(date.fromisoformat(w), ctx.lang))
    if w == this_monday.isoformat()
    else formatting.month_day(date.fromisoformat(w), ctx.lang)
    for w in grid_table.columns
]
shares = patrols.ended(weeks, progress).groupby("grid_id")["met"].mean()
grid_table.insert(0, t("patrols.col.share"), [formatting.share(shares.get(g)) for g in grid_table.index])
grid_table.insert(0, t("patrols.col.grid"), [ctx.grid_names.get(g, g) for g in grid_table.index])
text_table(grid_table.reset_index(drop=True), {})
st.caption(t("patrols.grid_weeks_note"))
table_downloads(ctx, grid_table.reset_index(drop=True), "patrol_grid_weeks", {"week": week.isoformat()})

# Per officer.
st.subheader(t("patrols.per_officer", weeks=WEEKS_SHOWN))
since = local_day_start(week - timedelta(weeks=WEEKS_SHOWN - 1), ctx.zone)
summary = ctx.query(patrols.officer_summary, since, week_end, area)
behind = current[current["state"].isin(("behind", "missed"))].groupby("officer_id").size()
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
                t("patrols.col.grid"): [ctx.grid_name(g) for g in hazards["grid_id"]],
                t("map.columns.category_code"): hazards[name_col].fillna(formatting.MISSING),
                t("map.columns.status"): [ctx.label("status.", s) for s in hazards["status"]],
                t("patrols.col.found_by"): hazards["found_by"].fillna(formatting.MISSING),
            }
        ),
        "patrol_hazards",
    )


signals_box = signals_box or st.container()
with signals_box:
    if not today_first:
        st.divider()
    for section in (devices_section, priority_section) if focus == "devices" else (priority_section, devices_section):
        section()
    if today_first:
        st.divider()
