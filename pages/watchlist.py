"""特殊人群关怀 (staff, never public): who in my scope needs a visit, which alerts are open, how fast
inspectors go out. Personal data is masked; a street official may reveal one person, and every view,
reveal and export is audited.

From a number to the case:

- A click on a row of the open alerts or of the visit list opens that person (masked) right under the
  table; the resident-number picker at the bottom does the same. Only one person is open at a time: a
  new choice clears the other tables' selection. Revealing stays a separate, explicit toggle (street
  officials only), audited when switched on; opening a person is audited as a view, never a reveal.
- ``?person=<resident id>`` opens that person under the header, and the page writes the open person
  back to the URL, so a link can be passed to a colleague with the same rights. Outside the visitor's
  scope (or no such resident) the page says "not in your area" and shows nothing of the person.
- ``?list=overdue`` / ``?list=alerts`` (the overview's to-do cards) put that list first: all overdue
  visits (only those; as many rows as population.overdue_visit_count, the card's figure) or all open
  alerts (population.open_alert_count).
- ``?grid=<id>`` (the grid summary page's cards) narrows both lists and their counts to one grid of
  the visitor's scope; a grid outside it is refused like any bad parameter.

Open alerts are ordered most pressing first: highest severity, then those nobody has been dispatched
to, then the longest waiting (population.open_alerts). Their waiting time is coloured against the
dispatch target (targets.alert_dispatch_minutes, population.dispatch_states): red, nobody dispatched
and waiting beyond the target; orange, dispatched but later than the target; green, dispatched within
the target or still within it. An urgent alert nobody has gone to therefore heads the table in red.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app import formatting, maps, url_state
from app.context import page_context
from app.exports import shown_table, table_downloads
from app.safe_text import md
from app.widgets import TABLE_COLORS, fitted_map, goal, judged_styler, kpi, map_legend, page_header, text_table
from data_access import geometry, periods, population
from data_access.filters import EVERYWHERE, IssueFilters
from data_access.reference import community_list, grid_list, special_category_list

LISTS = ("overdue", "alerts")  # ?list=: the list shown first
MAX_ROWS = 20_000  # rows of a list at most (a street has hundreds; its heading always gives the full count)
WORKLIST_ROWS = 500  # the full visit list without ?list=overdue: the most overdue first
MAX_RESIDENT_ID = 2**31 - 1
ALERT_TABLE, PICKER, SEEN = "watch_alert_rows", "watch_person", "watch_seen"
STATE_JUDGEMENT = {"waiting_late": "below", "dispatched_late": "near", "waiting": "met", "dispatched_in_time": "met"}
ALERT_OUTCOMES = ("safe", "assisted", "hospital")
VISIT_OUTCOMES = ("normal", "needs_help", "not_home")
NO_SELECTION = {"selection": {"rows": [], "columns": []}}

ctx = page_context("watchlist")
t = ctx.t
page_header(ctx, "page.watchlist", t("watchlist.subtitle"))

as_of = ctx.as_of
name_col = ctx.name_column
special = ctx.query(special_category_list)
category_names = dict(zip(special["code"], special[name_col], strict=True))
first = url_state.choice("list", LISTS, "")
visit_table = "watch_visit_rows_overdue" if first == "overdue" else "watch_visit_rows"
grid = url_state.choice("grid", list(ctx.query(grid_list)["grid_id"]), "")
area = IssueFilters(grid_ids=(grid,)) if grid else EVERYWHERE


def person_in_url() -> int | None:
    """?person=: a resident number; anything else is refused (a whole number out of range by url_state,
    a fraction here: it names nobody, so it opens the "not in your area" notice as 0)."""
    found = url_state.number("person", 0, 1, MAX_RESIDENT_ID)
    if not found:
        return None
    return int(found) if float(found).is_integer() else 0


counts = ctx.query(population.category_counts, as_of, area)
overdue_count = ctx.query(population.overdue_visit_count, as_of, area)
alert_count = ctx.query(population.open_alert_count, as_of, area)
if first == "overdue":
    worklist = ctx.query(population.visit_worklist, as_of, False, MAX_ROWS, True, area)
else:
    worklist = ctx.query(population.visit_worklist, as_of, False, WORKLIST_ROWS, False, area)
alerts = ctx.query(population.open_alerts, as_of, False, MAX_ROWS, area)
targets = ctx.settings.targets
last_90 = periods.period("90d", as_of, ctx.zone)
response = ctx.query(population.alert_response, last_90.since, last_90.until, targets.alert_dispatch_minutes)
people = int(counts["people"].sum())
no_interval = int(counts.loc[counts["visit_interval_days"].isna(), "people"].sum())
choices = sorted({int(r) for r in worklist["resident_id"]} | {int(r) for r in alerts["resident_id"]})


# Which person is open, and where. ---------------------------------------------------------------
# The tables' selections and the picker are read before they are drawn (Streamlit keeps a widget's
# value from the last run), so the page can open the person where it was chosen and clear the others.


def selected_rows(key: str) -> tuple[int, ...]:
    value = st.session_state.get(key)
    try:
        rows = value["selection"]["rows"]  # type: ignore[index]
    except (KeyError, TypeError, IndexError):
        return ()
    return tuple(r for r in rows if isinstance(r, int) and not isinstance(r, bool))


def resident_at(frame: pd.DataFrame, rows: tuple[int, ...]) -> int | None:
    return int(frame["resident_id"].iloc[rows[0]]) if rows and 0 <= rows[0] < len(frame) else None


if st.session_state.get(PICKER) not in [None, *choices]:
    st.session_state[PICKER] = None
seen = st.session_state.get(SEEN) or {}
opened: int | None = seen.get("person")
source: str | None = seen.get("source")
asked = person_in_url()
now = {
    "url": asked,
    "alerts": selected_rows(ALERT_TABLE),
    "visits": selected_rows(visit_table),
    "picker": st.session_state.get(PICKER),
}
if asked != seen.get("url"):  # a link followed (or the page opened afresh): the URL decides
    opened, source = asked, ("link" if asked is not None else None)
for where, frame in (("alerts", alerts), ("visits", worklist)):
    if now[where] != seen.get(where):
        clicked = resident_at(frame, now[where])
        if clicked is not None:
            opened, source = clicked, where
        elif source == where:
            opened, source = None, None
if now["picker"] != seen.get("picker"):
    if now["picker"] is not None:
        opened, source = int(now["picker"]), "picker"
    elif source == "picker":
        opened, source = None, None
if opened is None:
    source = None
# One person open at a time: the other choices are cleared (before their widgets are drawn).
for where, key in (("alerts", ALERT_TABLE), ("visits", visit_table)):
    if source != where and now[where]:
        st.session_state[key] = NO_SELECTION
        now[where] = ()
if source != "picker" and now["picker"] is not None:
    st.session_state[PICKER] = None
    now["picker"] = None
now["url"] = opened if opened else None
st.session_state[SEEN] = now | {"person": opened, "source": source}
url_state.write(
    {"lang": ctx.lang}
    | ({"list": first} if first else {})
    | ({"grid": grid} if grid else {})
    | ({"person": str(opened)} if opened else {})
)
if grid:  # one grid only: say so, with the way back to the whole scope
    narrowed = st.columns([4, 1], vertical_alignment="center")
    narrowed[0].info(t("watchlist.one_grid", grid=md(ctx.grid_name(grid))))  # a name from the feed: escaped
    with narrowed[1]:
        ctx.link("watchlist", t("watchlist.all_grids"), ":material/close:", {"list": first} if first else {})


# Pieces. --------------------------------------------------------------------------------------


def outcome(code: object, known: tuple[str, ...], prefix: str) -> str:
    """A visit's or an alert's outcome: the known ones in the page's language, any other as written
    (shown as text)."""
    return t(prefix + code) if code in known else formatting.name_of({}, code)  # type: ignore[operator]


def timeline_rows(timeline: pd.DataFrame) -> pd.DataFrame:
    """A person's events (population.person_detail) as the rows of one table, newest first."""
    what, detail = [], []
    for row in timeline.itertuples(index=False):
        kind = ctx.label("alert.", row.kind)
        severity = t(f"watchlist.severity.{row.severity}") if not pd.isna(row.severity) else ""
        what.append(t(f"watchlist.event.{row.event}"))
        if row.event == "visit":
            detail.append(outcome(row.outcome, VISIT_OUTCOMES, "visit."))
        elif row.event == "alert_raised":
            detail.append(f"{kind} · {severity}")
        elif row.event == "alert_resolved":
            detail.append(f"{kind} · {outcome(row.outcome, ALERT_OUTCOMES, 'watchlist.alert_outcome.')}")
        else:
            detail.append(kind)
    return pd.DataFrame(
        {
            t("watchlist.col.when"): [formatting.local_datetime(v, ctx.lang) for v in timeline["at"]],
            t("watchlist.col.event"): what,
            t("watchlist.col.detail"): detail,
            t("watchlist.col.officer"): [formatting.name_of({}, o) for o in timeline["officer"]],
        }
    )


def person_panel(resident_id: int) -> None:
    """One person, masked; a street official may reveal them (an explicit toggle, audited)."""
    with st.container(border=True):
        st.markdown(f"**{t('watchlist.person_open', resident=resident_id)}**")
        detail = ctx.query(population.person_detail, resident_id)  # a view: audited
        if detail is None:
            st.warning(t("watchlist.not_in_scope"))
            return
        may_reveal = ctx.audience.may_reveal
        if may_reveal and st.toggle(
            t("watchlist.reveal"), key=f"reveal_{resident_id}", help=t("watchlist.reveal_help")
        ):
            detail = ctx.query(population.person_detail, resident_id, reveal=True)  # a reveal: audited
            if detail is None:  # left the scope between the two reads
                st.warning(t("watchlist.not_in_scope"))
                return
        st.text(f"{detail['name']} · {detail['phone']} · {detail['address']}")  # personal data: plain text
        memberships = detail["categories"]
        if len(memberships):
            st.text(
                " · ".join(
                    t(
                        "watchlist.membership",
                        category=formatting.name_of(category_names, c),
                        risk=formatting.name_of({}, r),
                    )
                    for c, r in zip(memberships["category_code"], memberships["risk_level"], strict=True)
                )
            )
        if not may_reveal:
            st.caption(t("watchlist.reveal_not_allowed"))
        st.caption(t("watchlist.timeline", count=len(detail["timeline"])))
        if detail["timeline"].empty:
            st.info(t("watchlist.timeline_empty"))
        else:
            text_table(timeline_rows(detail["timeline"]), {})


def panel_here(where: str) -> None:
    if source == where and opened is not None:
        person_panel(opened)


def selectable(table: pd.DataFrame | pd.io.formats.style.Styler, key: str) -> None:
    """A table (text cells) whose row, clicked, opens that person."""
    st.dataframe(table, hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row", key=key)


def alerts_section() -> None:
    st.subheader(t("watchlist.alerts_count", count=formatting.number(alert_count)))
    if alerts.empty:
        st.success(t("watchlist.no_alerts"))
    else:
        minutes = targets.alert_dispatch_minutes
        states = population.dispatch_states(alerts, minutes)
        table = pd.DataFrame(
            {
                t("watchlist.col.severity"): [t(f"watchlist.severity.{s}") for s in alerts["severity"]],
                t("watchlist.col.waiting"): [formatting.hours(h, ctx.lang) for h in alerts["hours_open"]],
                t("watchlist.col.dispatched"): [
                    t("watchlist.never_dispatched")
                    if pd.isna(d)
                    else f"{formatting.local_datetime(d, ctx.lang)} · {formatting.name_of({}, o)}"
                    for d, o in zip(alerts["dispatched_at"], alerts["dispatched_officer"], strict=True)
                ],
                t("watchlist.col.kind"): [ctx.label("alert.", k) for k in alerts["kind"]],
                t("watchlist.col.name"): alerts["name"],
                t("watchlist.col.address"): alerts["address"],
                t("watchlist.col.raised"): [formatting.local_datetime(v, ctx.lang) for v in alerts["raised_at"]],
            }
        )
        marks = {
            t("watchlist.col.severity"): ["below" if s == 3 else None for s in alerts["severity"]],
            t("watchlist.col.waiting"): [STATE_JUDGEMENT[s] for s in states],
        }
        st.caption(t("watchlist.click_hint"))
        selectable(judged_styler(table, marks), ALERT_TABLE)
        st.caption(t("watchlist.legend_title"))
        map_legend(
            [
                (TABLE_COLORS["below"], t("watchlist.legend.late"), t("watchlist.legend.late_means", minutes=minutes)),
                (TABLE_COLORS["near"], t("watchlist.legend.slow"), t("watchlist.legend.slow_means", minutes=minutes)),
                (
                    TABLE_COLORS["met"],
                    t("watchlist.legend.on_time"),
                    t("watchlist.legend.on_time_means", minutes=minutes),
                ),
            ]
        )
        if len(alerts) < alert_count:
            st.caption(
                t("watchlist.rows_shown", shown=formatting.number(len(alerts)), total=formatting.number(alert_count))
            )
        panel_here("alerts")
        table_downloads(ctx, table, "watchlist_open_alerts_masked")
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
                (maps.ALERT_OTHER, f"{t('watchlist.severity.1')} / {t('watchlist.severity.2')}", ""),
                (maps.COMMUNITY_LINE, t("map.legend.community"), ""),
            ]
        )

    cols = st.columns(3)
    kpi(cols[0], t("watchlist.median_dispatch"), formatting.minutes(response["median_minutes_to_dispatch"], ctx.lang))
    kpi(cols[1], t("watchlist.p90_dispatch"), formatting.minutes(response["p90_minutes_to_dispatch"], ctx.lang))
    kpi(cols[2], t("watchlist.median_resolve"), formatting.hours(response["median_hours_to_resolve"], ctx.lang))
    st.caption(t("watchlist.response_note", alerts=response["alerts"], dispatched=response["dispatched"]))


def visits_section() -> None:
    if first == "overdue":
        st.subheader(t("watchlist.overdue_list", count=formatting.number(overdue_count)))
        total = overdue_count
    else:
        st.subheader(t("watchlist.visits"))
        total = people
    table = pd.DataFrame(
        {
            t("watchlist.col.resident"): worklist["resident_id"],
            t("watchlist.col.name"): worklist["name"],
            t("watchlist.col.phone"): worklist["phone"],
            t("watchlist.col.address"): worklist["address"],
            t("watchlist.col.category"): [formatting.name_of(category_names, c) for c in worklist["category_code"]],
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
    if worklist.empty:
        st.success(t("watchlist.no_overdue") if first == "overdue" else t("watchlist.nobody"))
    else:
        st.caption(t("watchlist.click_hint"))
        selectable(table, visit_table)
        panel_here("visits")
    if len(worklist) < total:
        st.caption(t("watchlist.rows_shown", shown=formatting.number(len(worklist)), total=formatting.number(total)))
    if no_interval and first != "overdue":
        st.warning(t("watchlist.no_interval_warning", count=no_interval))
    table_name = "watchlist_overdue_visits_masked" if first == "overdue" else "watchlist_visits_masked"
    table_downloads(ctx, table, table_name, {"masked": True})


# The page. ------------------------------------------------------------------------------------

panel_here("link")
if first == "overdue":
    visits_section()
elif first == "alerts":
    alerts_section()

cols = st.columns(4)
kpi(cols[0], t("watchlist.people"), formatting.number(people))
kpi(cols[1], t("todo.overdue_visits"), formatting.number(overdue_count), inverse=True)
kpi(cols[2], t("todo.open_alerts"), formatting.number(alert_count), inverse=True)
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

if first != "alerts":
    alerts_section()
if first != "overdue":
    visits_section()

# A resident by number (the same as a click on their row).
st.subheader(t("watchlist.person"))
st.selectbox(
    t("watchlist.pick"),
    [None, *choices],
    key=PICKER,
    format_func=lambda r: t("watchlist.pick_none") if r is None else str(r),
)
panel_here("picker")
