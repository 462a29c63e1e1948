"""特殊人群关怀 (staff, never public): who in my scope needs a visit, which alerts are open, how fast
inspectors go out. Personal data is masked; a street official may reveal one person, and every view,
reveal and export is audited."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app import formatting, maps
from app.context import page_context
from app.exports import shown_table, table_downloads
from app.widgets import fitted_map, goal, kpi, map_legend, page_header, text_table
from data_access import geometry, periods, population
from data_access.reference import community_list, grid_list, special_category_list

ctx = page_context("watchlist")
t = ctx.t
page_header(ctx, "page.watchlist", t("watchlist.subtitle"))

as_of = ctx.as_of
name_col = ctx.name_column
special = ctx.query(special_category_list)
category_names = dict(zip(special["code"], special[name_col], strict=True))

counts = ctx.query(population.category_counts, as_of)
worklist = ctx.query(population.visit_worklist, as_of, False, 500)
alerts = ctx.query(population.open_alerts, as_of, False, 500)
targets = ctx.settings.targets
last_90 = periods.period("90d", as_of, ctx.zone)
response = ctx.query(population.alert_response, last_90.since, last_90.until, targets.alert_dispatch_minutes)

overdue = worklist[worklist["days_overdue"] > 0]
no_interval = worklist[worklist["visit_interval_days"].isna()]
cols = st.columns(4)
kpi(cols[0], t("watchlist.people"), formatting.number(int(counts["people"].sum())))
kpi(cols[1], t("todo.overdue_visits"), formatting.number(len(overdue)), inverse=True)
kpi(cols[2], t("todo.open_alerts"), formatting.number(len(alerts)), inverse=True)
kpi(
    cols[3],
    t("watchlist.dispatch_in_target", minutes=targets.alert_dispatch_minutes),
    formatting.share(response["share_dispatched_in_target"]),
    help_text=t("watchlist.dispatch_help"),
    against=goal(ctx, "alert_dispatch_share", response["share_dispatched_in_target"]),
)

with st.expander(t("watchlist.by_category"), expanded=False):
    shown_table(
        ctx,
        pd.DataFrame(
            {
                t("watchlist.col.category"): [formatting.name_of(category_names, c) for c in counts["code"]],
                t("watchlist.col.interval"): [
                    t("watchlist.no_interval") if pd.isna(v) else t("watchlist.days", days=int(v))
                    for v in counts["visit_interval_days"]
                ],
                t("watchlist.people"): counts["people"],
            }
        ),
        "watchlist_by_category",
    )

# Open alerts: highest severity, then oldest.
st.subheader(t("watchlist.alerts"))
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
                t("watchlist.col.raised"): [formatting.local_datetime(v, ctx.lang) for v in alerts["raised_at"]],
                t("watchlist.col.waiting"): [formatting.hours(h, ctx.lang) for h in alerts["hours_open"]],
                t("watchlist.col.dispatched"): [
                    t("watchlist.never_dispatched")
                    if pd.isna(d)
                    else f"{formatting.local_datetime(d, ctx.lang)} · {formatting.name_of({}, o)}"
                    for d, o in zip(alerts["dispatched_at"], alerts["dispatched_officer"], strict=True)
                ],
            }
        ),
        "watchlist_open_alerts_masked",
    )
    labelled = alerts.assign(
        label=[f"{ctx.label('alert.', k)} · {n}" for k, n in zip(alerts["kind"], alerts["name"], strict=True)]
    )
    grids = ctx.query(grid_list, True)
    communities = ctx.query(community_list, True)
    layers = [maps.alert_layer(labelled)]
    layers += maps.boundary_layers(
        maps.outlined_grids(grids), communities[communities["community_id"].isin(grids["community_id"])], name_col
    )
    bounds = geometry.bounds_of(geometry.ring_of(g) for g in grids["boundary_geojson"])
    fitted_map(ctx, layers, bounds, {"text": "{label}"}, 380, "alert_map")
    map_legend(
        [
            (maps.ALERT_URGENT, t("watchlist.severity.3"), ""),
            (maps.ALERT_OTHER, f'{t("watchlist.severity.1")} / {t("watchlist.severity.2")}', ""),
            (maps.COMMUNITY_LINE, t("map.legend.community"), ""),
        ]
    )

cols = st.columns(3)
kpi(cols[0], t("watchlist.median_dispatch"), formatting.minutes(response["median_minutes_to_dispatch"], ctx.lang))
kpi(cols[1], t("watchlist.p90_dispatch"), formatting.minutes(response["p90_minutes_to_dispatch"], ctx.lang))
kpi(cols[2], t("watchlist.median_resolve"), formatting.hours(response["median_hours_to_resolve"], ctx.lang))
st.caption(t("watchlist.response_note", alerts=response["alerts"], dispatched=response["dispatched"]))

# Visit worklist: most overdue first.
st.subheader(t("watchlist.visits"))
table = pd.DataFrame(
    {
        t("watchlist.col.resident"): worklist["resident_id"],
        t("watchlist.col.name"): worklist["name"],
        t("watchlist.col.phone"): worklist["phone"],
        t("watchlist.col.address"): worklist["address"],
        t("watchlist.col.category"): [ctx.category_name(c) for c in worklist["category_code"]],
        t("watchlist.col.risk"): worklist["risk_level"],
        t("watchlist.col.last_visit"): [
            formatting.local_date(v, ctx.lang) if not pd.isna(v) else t("watchlist.never")
            for v in worklist["last_visit_at"]
        ],
        t("watchlist.col.overdue"): [
            t("watchlist.no_interval") if pd.isna(d) else (t("watchlist.days", days=round(d)) if d > 0 else "")
            for d in worklist["days_overdue"]
        ],
    }
)
text_table(table, {})
if len(no_interval):
    st.warning(t("watchlist.no_interval_warning", count=len(no_interval)))
table_downloads(ctx, table, "watchlist_visits_masked", {"masked": True})

# Reveal one person (street officials only), audited.
st.subheader(t("watchlist.person"))
choices = sorted(set(worklist["resident_id"]) | set(alerts["resident_id"]))
picked = st.selectbox(
    t("watchlist.pick"),
    [None, *choices],
    key="watch_person",
    format_func=lambda r: t("watchlist.pick_none") if r is None else str(r),
)
if picked is not None:
    may_reveal = ctx.audience.may_reveal
    reveal = may_reveal and st.toggle(t("watchlist.reveal"), key=f"reveal_{picked}", help=t("watchlist.reveal_help"))
    detail = ctx.query(population.person_detail, int(picked), reveal=bool(reveal))  # viewed and revealed: audited
    if detail is None:
        st.warning(t("watchlist.not_in_scope"))
    else:
        with st.container(border=True):
            st.text(f"{detail['name']} · {detail['phone']} · {detail['address']}")  # personal data: plain text
            if not may_reveal:
                st.caption(t("watchlist.reveal_not_allowed"))
            left, right = st.columns(2)
            with left:
                st.caption(t("watchlist.recent_visits"))
                text_table(
                    detail["visits"].assign(
                        visited_at=[formatting.local_datetime(v, ctx.lang) for v in detail["visits"]["visited_at"]],
                        outcome=[ctx.label("visit.", o) for o in detail["visits"]["outcome"]],
                        officer=[formatting.name_of({}, o) for o in detail["visits"]["officer"]],
                    ),
                    {
                        "visited_at": t("watchlist.col.when"),
                        "outcome": t("watchlist.col.outcome"),
                        "officer": t("patrols.col.officer"),
                    },
                )
            with right:
                st.caption(t("watchlist.recent_alerts"))
                text_table(
                    detail["alerts"].assign(
                        raised_at=[formatting.local_datetime(v, ctx.lang) for v in detail["alerts"]["raised_at"]],
                        kind=[ctx.label("alert.", k) for k in detail["alerts"]["kind"]],
                    )[["raised_at", "kind", "severity"]],
                    {
                        "raised_at": t("watchlist.col.raised"),
                        "kind": t("watchlist.col.kind"),
                        "severity": t("watchlist.col.severity"),
                    },
                )
