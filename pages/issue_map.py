"""问题地图: where problems are reported. Public: ~100 m cells of at least k reports, never a point.
Staff: the issues of their scope as points, with details and history; buildings and places on request."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import streamlit as st

from app import formatting, maps, url_state
from app.context import page_context
from app.exports import open311_requests, table_downloads
from app.issue_filters import ALL_TIME, filter_bar
from app.widgets import fitted_map, kpi, map_legend, page_header, text_table
from data_access import geometry, issue_map
from data_access.privacy import HIDDEN
from data_access.quality import area_bounds
from data_access.reference import community_list, grid_list
from data_access.schema import OPEN_STATUSES

MAX_POINTS = 3000

ctx = page_context("issue_map")
t = ctx.t
staff = ctx.audience.is_staff  # staff see their own scope's issues as points; the public sees cells
street_bounds = ctx.query(area_bounds)
cell_metres = issue_map.cell_metres_for(street_bounds)  # 100 m on a street, more over a city
subtitle = t("map.subtitle_staff") if staff else t("map.subtitle_public", metres=int(cell_metres))
page_header(ctx, "page.issue_map", subtitle)

as_of = ctx.as_of
grids = ctx.query(grid_list, True)
communities = ctx.query(community_list, True)
communities = communities[communities["community_id"].isin(grids["community_id"])]
view = filter_bar(ctx, "map", dict(zip(grids["grid_id"], grids["community_id"], strict=True)), True, ALL_TIME, False)
filters = view.filters

# Staff choose one issue (a map point, a table row or ?issue= in a shared link) and one building
# (its map dot, its row, or ?building=); both live in the URL beside the filters. A link to an issue
# or a building outside the visitor's scope shows nothing of it: the data layer answers in scope only.
PICKED, BUILDING, OFFICER = "map_picked_issue", "map_building", "map_officer"
ID_RANGE = (1, 2**53)
WRITTEN = "map_url_written"  # the query string this page last wrote
if staff:
    # These are not widgets, so they outlive a visit to another page: a link followed (a URL this page
    # did not write) decides them afresh, a rerun of the page keeps what was clicked.
    followed = st.query_params.to_dict() != st.session_state.get(WRITTEN)
    for key, name in ((PICKED, "issue"), (BUILDING, "building"), (OFFICER, "officer")):
        if followed or key not in st.session_state:
            st.session_state[key] = int(url_state.number(name, 0, 0, ID_RANGE[1])) or None
    building, officer = st.session_state.get(BUILDING), st.session_state.get(OFFICER)
    if building:
        filters = replace(filters, building_ids=(int(building),))
    if officer:  # an officer's issues (the 考核 page's links); the scope still decides which
        filters = replace(filters, officer_ids=(int(officer),))
else:
    building = officer = None


def pick_from_map() -> None:
    """A click on the map: an issue point opens its panel, a building dot lists its issues."""
    chosen = st.session_state["issue_map_chart"].selection.get("objects", {})
    for point in chosen.get("issues", [])[:1]:
        st.session_state[PICKED] = int(point["issue_id"])
    for place in chosen.get("buildings", [])[:1]:
        st.session_state[BUILDING] = int(place["building_id"])


def pick_from_table() -> None:
    rows = st.session_state["issue_table"].selection.rows
    ids = st.session_state.get("issue_table_ids", [])
    if rows and rows[0] < len(ids):
        st.session_state[PICKED] = int(ids[rows[0]])


def pick_building() -> None:
    rows = st.session_state["building_table"].selection.rows
    ids = st.session_state.get("building_table_ids", [])
    if rows and rows[0] < len(ids):
        st.session_state[BUILDING] = int(ids[rows[0]])


def forget(key: str) -> None:
    st.session_state[key] = None


written = (
    view.url_params(ctx.lang)
    | ({"issue": str(st.session_state[PICKED])} if staff and st.session_state.get(PICKED) else {})
    | ({"building": str(building)} if building else {})
    | ({"officer": str(officer)} if officer else {})
)
url_state.write(written)
st.session_state[WRITTEN] = written
name_col = ctx.name_column
category_names = ctx.category_names
k = ctx.settings.small_cell_k

counts = ctx.query(issue_map.category_counts, filters, view.show)
reports = int(counts["reports"].sum())
cols = st.columns(3)
kpi(cols[0], t("map.reports"), formatting.number(reports, ctx.lang))
# Only open (or only finished) issues: their resolution rate is 0 % (or 100 %) by definition, a
# figure that says nothing; the tile says why it is empty instead.
everything = reports and view.show == "all"
resolved_share = (counts["reports"] * counts["share_resolved"]).sum() / reports if everything else None
resolved_help = t("map.resolved_help") if view.show == "all" else t("map.resolved_not_applicable")
kpi(cols[1], t("metric.resolution_rate"), formatting.share(resolved_share), help_text=resolved_help)
top = ctx.category_name(counts["category_code"].iloc[0]) if reports else formatting.MISSING
kpi(cols[2], t("map.top_category"), str(top))
if not reports:
    st.info(t("map.empty"))


def legend_items(mode: str, color_by: str, top: int) -> list[tuple[list[int], str, str]]:
    """What every colour on the map means (the colours come from app/maps.py)."""
    legend = "map.legend."
    if mode == "points":
        items = [([224, 128, 58, 220], t(legend + "open"), ""), ([80, 110, 150, 150], t(legend + "done"), "")]
    elif color_by == "resolved":
        items = [
            (maps.resolved_color(v), t(legend + name), "")
            for v, name in ((0, "resolved_none"), (0.5, "resolved_half"), (1, "resolved_all"))
        ]
    elif color_by == "age":
        full = int(maps.AGE_FULL_DAYS)
        items = [
            (maps.age_color(0), t(legend + "age_new"), ""),
            (maps.age_color(full / 2), t(legend + "age_half", days=full // 2), ""),
            (maps.age_color(full), t(legend + "age_old", days=full), ""),
            (maps.NO_OPEN, t(legend + "no_open"), ""),
        ]
    elif top:
        items = [(maps.ramp(0), t(legend + "few"), ""), (maps.ramp(1), t(legend + "many", top=top), "")]
    else:  # nothing drawn: no scale to explain
        items = []
    items.append((maps.COMMUNITY_LINE, t(legend + "community"), ""))
    if view.community or view.grid:
        items.append((maps.SELECTED_FILL, t(legend + "selected"), ""))
    return items


# The map: boundaries from the database, then the data layer.
selected = {view.grid} if view.grid else set(grids.loc[grids["community_id"] == view.community, "grid_id"])
if view.grid:
    focus = [geometry.ring_of(g) for g in grids.loc[grids["grid_id"] == view.grid, "boundary_geojson"]]
elif view.community:
    focus = [
        geometry.ring_of(c) for c in communities.loc[communities["community_id"] == view.community, "boundary_geojson"]
    ]
else:
    focus = [geometry.ring_of(g) for g in grids["boundary_geojson"]]
layers = []  # data first, boundaries and labels drawn on top

if staff:
    options = st.columns([1.2, 2.8])
    mode = (
        options[0].segmented_control(
            t("map.mode"),
            ["points", "cells"],
            default="points",
            key="map_mode",
            format_func=lambda m: t("map.modes." + m),
        )
        or "points"
    )
    extra = options[1].pills(
        t("map.layers"),
        ["buildings", "shop", "facility"],
        selection_mode="multi",
        key="map_layers",
        format_func=lambda x: t("map.layer." + x),
    )
else:
    mode, extra = "cells", []
points_fall_back = mode == "points" and reports > MAX_POINTS  # past a few thousand points, send aggregates
if points_fall_back:
    mode = "cells"
# Colours that can say something about what is shown: only open issues are all 0 % resolved, and
# only finished ones have no open age.
pointless = (("resolved", "open"), ("resolved", "overdue"), ("age", "resolved"))
color_modes = [c for c in maps.COLOR_MODES if (c, view.show) not in pointless]
if st.session_state.get("map_color") not in color_modes:
    st.session_state["map_color"] = "count"
color_by = (
    st.segmented_control(
        t("map.color_by"),
        color_modes,
        key="map_color",  # its value is set just above: a default too would make Streamlit warn in the log
        format_func=lambda c: t("map.colors." + c),
    )
    if mode == "cells"
    else "count"
) or "count"

SHOWN_ENOUGH = 0.5  # the public map shows cells while they hold at least half of the selection's reports


def coarser_areas(cells_shown: int, total: int) -> tuple[str, object, int] | None:
    """Public map: when most of the selection's reports sit in cells under k, the finest area
    (grid, then community) that shows at least half of them, else the one that shows most;
    None when cells already show enough or no area shows more than they do."""
    if not total or cells_shown >= total * SHOWN_ENOUGH:
        return None
    best = None
    for by in ("grid", "community"):
        areas = ctx.query(issue_map.area_counts, filters, view.show, by, as_of)
        shown = int(areas["reports"].sum())
        if best is None or shown > best[2]:
            best = (by, areas, shown)
        if shown >= total * SHOWN_ENOUGH:
            break
    return best if best is not None and best[2] > cells_shown else None


tooltip: dict | None = None
hidden = 0
fallback = None
top_count = 0
if mode == "cells":
    # Staff see every cell of their own scope; the public only cells of at least k reports, or whole
    # grids or communities when the cells would hide most of what was chosen.
    cells = ctx.query(issue_map.issue_cells, filters, view.show, cell_metres, street_bounds, as_of)
    hidden = cells.attrs.get(HIDDEN, 0)
    shown_in_cells = int(cells["reports"].sum())
    fallback = None if staff else coarser_areas(shown_in_cells, shown_in_cells + hidden)
    if fallback:
        by, areas, _ = fallback
        frame = grids if by == "grid" else communities
        key = "grid_id" if by == "grid" else "community_id"
        names = ctx.grid_names if by == "grid" else ctx.community_names
        polygons = dict(zip(frame[key], frame["boundary_geojson"], strict=True))
        layers.append(maps.area_layer(areas, polygons, names, color_by))
        tooltip = {"text": t("map.area_tooltip")}
        top_count = int(areas["reports"].max()) if len(areas) else 0
    else:
        layers.append(maps.cell_layer(cells, cell_metres, color_by))
        tooltip = {"text": t("map.cell_tooltip_age" if color_by == "age" else "map.cell_tooltip")}
        top_count = int(cells["reports"].max()) if len(cells) else 0
else:
    points = ctx.query(issue_map.issue_points, filters, as_of, view.show)
    points = points.assign(
        is_open=points["status"].isin(OPEN_STATUSES),
        category=[ctx.category_name(c) for c in points["category_code"]],
        state=[ctx.label("status.", s) for s in points["status"]],
        age=[formatting.number(a, ctx.lang, 1) for a in points["age_days"]],
        officer=points["officer"].fillna("—"),
    )[["issue_id", "lon", "lat", "is_open", "category", "state", "age", "officer"]]
    layers.append(maps.point_layer(points))
    tooltip = {"text": t("map.point_tooltip")}
per_building = None
if "buildings" in (extra or []) or building:
    per_building = ctx.query(issue_map.building_counts, view.filters, view.show)  # every building, not only the chosen
if "buildings" in (extra or []):
    layers.append(maps.building_layer(per_building))
shown_places = tuple(x for x in (extra or []) if x in ("shop", "facility"))
if shown_places:
    layers.append(maps.place_layer(ctx.query(issue_map.place_points, shown_places)))

# A whole city's grid outlines are clutter: draw the chosen (or the chosen grid's) community's grids.
grid_community = grids.loc[grids["grid_id"] == view.grid, "community_id"]
drawn_grids = maps.outlined_grids(grids, view.community or next(iter(grid_community), None))
layers += maps.boundary_layers(drawn_grids, communities, name_col, selected if view.community or view.grid else None)
picked_id = st.session_state.get(PICKED) if staff else None
detail = ctx.query(issue_map.issue_detail, int(picked_id)) if picked_id else None
if detail and detail.get("lon") is not None and detail.get("lat") is not None:
    layers.append(maps.picked_layer(float(detail["lon"]), float(detail["lat"])))  # on top of everything
# Without grid polygons (an imported export) the view fits the reports themselves.
view_bounds = geometry.bounds_of(r for r in focus if r) or street_bounds
if staff:
    map_side, panel = st.columns([3, 2], gap="medium")
else:
    map_side, panel = st.container(), None
clickable = staff and (mode == "points" or "buildings" in (extra or []))
with map_side:
    fitted_map(ctx, layers, view_bounds, tooltip, 520, "issue_map_chart", pick_from_map if clickable else None)
    map_legend(legend_items(mode, color_by, top_count))
    total = reports
    if points_fall_back:
        st.caption(t("map.too_many_points", count=formatting.number(reports, ctx.lang), max=MAX_POINTS))
    elif mode == "cells" and staff:
        st.caption(t("map.cells_note_staff", metres=int(cell_metres)))
    elif fallback:
        by, areas, shown = fallback
        level = t(f"map.levels.{by}")
        number = lambda n: formatting.number(n, ctx.lang)  # noqa: E731
        st.caption(t("map.fallback", k=k, level=level, shown=number(shown), total=number(total)))
        if total > shown:
            st.caption(t("map.fallback_rest", rest=number(total - shown), level=level, k=k))
    elif mode == "cells" and reports and hidden >= reports:
        st.info(t("map.nothing_shown", total=formatting.number(reports, ctx.lang), k=k))
    elif mode == "cells":
        st.caption(t("map.cells_note", metres=int(cell_metres), k=k, hidden=formatting.number(hidden, ctx.lang)))
    else:
        st.caption(t("map.points_note"))


def issue_panel(issue_id: int, found: dict | None) -> None:
    """The chosen issue beside the map: what it is, and its timeline from report to rating."""
    head = st.columns([4, 1], vertical_alignment="center")
    head[0].markdown(f"**{t('map.detail_title', id=issue_id)}**")
    head[1].button(t("map.close"), key="close_issue", on_click=forget, args=(PICKED,))
    if found is None:
        st.warning(t("map.issue_not_found", id=issue_id))
        return
    facts = [
        ctx.category_name(found.get("category_code")),
        ctx.label("status.", found.get("status")),
        ctx.grid_name(found.get("grid_id")),
    ]
    st.text(" · ".join(str(f) for f in facts))  # names from the feed: text, never Markdown
    if found.get("title"):
        st.text(str(found["title"]))
    st.text(found.get("description") or "")  # free text: shown as text, never as HTML or Markdown
    steps = issue_map.timeline(found, ctx.query(issue_map.issue_history, issue_id))
    rows = pd.DataFrame(
        {
            "at": [
                formatting.local_datetime(v, ctx.lang) if not pd.isna(v) else formatting.MISSING for v in steps["at"]
            ],
            "step": [
                t("map.steps.rated", stars=n)
                if s == "rated"
                else t("map.steps." + s)
                if s in issue_map.TIMELINE_STEPS
                else ctx.label("status.", s)
                for s, n in zip(steps["step"], steps["note"], strict=True)
            ],
            "officer": [formatting.name_of({}, o) for o in steps["officer"]],
            "note": [
                "" if s == "rated" or n is None or pd.isna(n) else str(n)
                for s, n in zip(steps["step"], steps["note"], strict=True)
            ],
        }
    )
    if not rows["note"].str.len().any():
        rows = rows.drop(columns=["note"])  # a narrow panel: no empty column
    text_table(rows, {c: t("map.history." + c) for c in rows.columns})
    sla = found.get("sla_hours")
    if sla is not None and not pd.isna(sla):
        st.caption(t("map.sla_note", hours=formatting.number(sla, ctx.lang)))


if panel is not None:
    with panel, st.container(border=True):
        if picked_id:
            issue_panel(int(picked_id), detail)
        else:
            st.caption(t("map.pick_hint"))

# Issues per building (staff, when the layer is on): a row lists that building's issues below.
if staff and per_building is not None and "buildings" in (extra or []):
    with st.expander(t("map.per_building"), expanded=bool(building)):
        busiest = per_building[per_building["reports"] > 0].sort_values(["reports", "open"], ascending=False).head(50)
        st.session_state["building_table_ids"] = list(busiest["building_id"])
        shown = busiest.assign(grid_id=[ctx.grid_name(g) for g in busiest["grid_id"]])  # names, not codes
        columns = ("address", "grid_id", "households", "reports", "open")
        labelled = shown[list(columns)].rename(columns={c: t("map.columns." + c) for c in columns})
        st.dataframe(
            labelled,
            hide_index=True,
            width="stretch",
            on_select=pick_building,
            selection_mode="single-row",
            key="building_table",
        )
        st.caption(t("map.per_building_note"))
        table_downloads(ctx, labelled, "issues_per_building", view.as_dict())

# The matching table, with export.
st.subheader(t("map.table"))
if building:
    where = per_building.loc[per_building["building_id"] == building, "address"] if per_building is not None else []
    label = str(next(iter(where), f"#{building}"))
    chip = st.columns([4, 1], vertical_alignment="center")
    chip[0].text(t("map.building_chosen", address=label))
    chip[1].button(t("map.building_clear"), key="clear_building", on_click=forget, args=(BUILDING,))
rows = ctx.query(issue_map.issue_table, filters, view.show)
if officer:
    names = rows["officer"].dropna()
    chip = st.columns([4, 1], vertical_alignment="center")
    chip[0].text(t("map.officer_chosen", name=str(names.iloc[0]) if len(names) else f"#{officer}"))
    chip[1].button(t("map.building_clear"), key="clear_officer", on_click=forget, args=(OFFICER,))
community_names = ctx.community_names
grid_names = ctx.grid_names
table = rows.assign(
    reported_at=[formatting.local_datetime(v, ctx.lang) for v in rows["reported_at"]],
    resolved_at=[formatting.local_datetime(v, ctx.lang) for v in rows["resolved_at"]],
    category_code=[ctx.category_name(c) for c in rows["category_code"]],
    status=[ctx.label("status.", s) for s in rows["status"]],
    community_id=[ctx.community_name(c) for c in rows["community_id"]],
    grid_id=[ctx.grid_name(g) for g in rows["grid_id"]],
    description=rows["description"].fillna(t("map.description_private") if not staff else ""),
)
if staff:
    table["channel"] = [ctx.label("channel.", c) for c in rows["channel"]]
labels = {c: t("map.columns." + c) for c in table.columns}
if staff:
    st.session_state["issue_table_ids"] = list(rows["issue_id"])
    st.dataframe(
        table.rename(columns=labels),
        hide_index=True,
        width="stretch",
        on_select=pick_from_table,
        selection_mode="single-row",
        key="issue_table",
    )
else:
    text_table(table, labels)
number = lambda n: formatting.number(n, ctx.lang)  # noqa: E731
st.caption(t("map.table_note", total=number(reports), count=number(len(table))))
requests = open311_requests(rows, category_names, {**community_names, **grid_names}, staff, ctx.zone)
chosen = {"building": str(building or ""), "officer": str(officer or "")}
table_downloads(ctx, table.rename(columns=labels), "issues", view.as_dict() | chosen, open311=requests)
