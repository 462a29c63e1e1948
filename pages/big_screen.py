"""大屏: the meeting-room display. Public data only; rotates panels; survives the database going away.

/big_screen?community=C01&lang=zh&rotate=15&refresh=5
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from app import big_screen_data, formatting, url_state
from app import big_screen_html as ui
from app.context import page_context

PANELS = ("wall", "map", "areas", "volunteers", "patrols")

ctx = page_context("big_screen")
t = ctx.t
k = ctx.settings.small_cell_k

# Every parameter validated (app/url_state): a bad one falls back to the default, so a link can only
# pick what the screen could show anyway, and one snapshot exists per real community at most.
rotate = url_state.number("rotate", min(max(ctx.settings.big_screen_rotate_seconds, 3), 600), 3, 600)
refresh_s = url_state.number("refresh", min(max(ctx.settings.big_screen_refresh_minutes, 0.05), 240), 0.05, 240) * 60
pinned = url_state.choice("panel", PANELS, "")  # ?panel=map keeps one panel up (a meeting discussing it)
known = big_screen_data.known_communities(ctx.url)
if known is None:  # the database cannot say which communities exist: keep to a screen already shown
    asked = url_state.raw("community") or ""
    community = asked if asked and big_screen_data.store().shows(asked) else None
else:
    community = url_state.choice("community", known, "") or None
st.html(ui.CSS)


def panel_html(name: str, snap: big_screen_data.Snapshot, label_col: str) -> str:
    figures = snap.figures
    if name == "wall":
        done = snap.patrol_week["met"].mean() if len(snap.patrol_week) else None
        return ui.wall(
            [
                (t("metric.received"), formatting.number(figures.get("received"), ctx.lang), t("bigscreen.last_30")),
                (t("metric.resolution_rate"), formatting.share(figures.get("resolution_rate")), t("bigscreen.last_30")),
                (t("metric.on_time_share"), formatting.share(figures.get("on_time_share")), t("bigscreen.last_30")),
                (
                    t("metric.median_time"),
                    formatting.hours(figures.get("median_hours"), ctx.lang),
                    t("bigscreen.last_30"),
                ),
                (
                    t("metric.satisfaction"),
                    formatting.number(figures.get("satisfaction"), ctx.lang, 2),
                    t("bigscreen.out_of_5"),
                ),
                (t("metric.backlog"), formatting.number(snap.backlog, ctx.lang), t("bigscreen.now")),
                (
                    t("volunteers.points"),
                    formatting.number(snap.volunteer_totals.get("points"), ctx.lang),
                    t("bigscreen.this_month"),
                ),
                (t("bigscreen.patrolled"), formatting.share(done), t("bigscreen.last_week")),
            ]
        )
    if name == "map":
        svg = ui.heat_map_svg(snap.grids, snap.communities, snap.cells, label_col, *snap.cell_size)
        legend = ui.esc(t("bigscreen.map_legend", k=k))
        return f'<div class="bs bs-map">{svg}<div class="bs-legend">{legend}</div></div>'
    if name == "areas":
        rows = big_screen_data.shown_communities(snap)
        names = dict(zip(snap.communities["community_id"], snap.communities[label_col], strict=True))
        rows = rows.sort_values("on_time_share", ascending=False)
        return ui.bars(
            [(names.get(r.key, r.key), r.on_time_share, formatting.share(r.on_time_share)) for r in rows.itertuples()],
            figures.get("on_time_share"),
        )
    if name == "volunteers":
        if snap.top_volunteers.empty:
            return f'<div class="bs bs-empty">{ui.esc(t("volunteers.empty"))}</div>'
        return ui.ranking(snap.top_volunteers, t("volunteers.points"))
    week = snap.patrol_week
    shares = week.groupby("community_id")["met"].mean() if len(week) else pd.Series(dtype=float)
    names = dict(zip(snap.communities["community_id"], snap.communities[label_col], strict=True))
    return ui.bars(
        [(names.get(c, c), v, formatting.share(v)) for c, v in shares.items()],
        week["met"].mean() if len(week) else None,
    )


@st.fragment(run_every=rotate)
def screen() -> None:
    snap, failed_since = big_screen_data.current(ctx.url, community, refresh_s, k)
    if snap is not None:  # a fragment rerun has a fresh context: the clock's zone again
        formatting.use_zone(snap.zone)
    index = PANELS.index(pinned) if pinned in PANELS else int(time.time() // rotate) % len(PANELS)
    name = PANELS[index]
    label_col = "name_zh" if ctx.lang == "zh" else "name_en"
    now_local = datetime.now(UTC).replace(tzinfo=None)
    scope_name = t("scope.street")
    if snap is not None and community:  # a validated id: its name comes from the database, never the URL
        scope_name = formatting.name_of(
            dict(zip(snap.communities["community_id"], snap.communities[label_col], strict=True)), community
        )
    freshness = t("app.data_as_of", when=formatting.local_datetime(snap.as_of, ctx.lang)) if snap else ""
    stale = None
    if failed_since:
        stale = t("bigscreen.stale", since=formatting.local_time(datetime.fromtimestamp(failed_since, UTC)))
    st.html(
        ui.top_bar(
            f"{t('app.title')} · {scope_name}",
            t(f"bigscreen.panels.{name}"),
            formatting.local_datetime(now_local, ctx.lang),
            freshness,
            stale,
        )
    )
    if snap is None:
        body = f'<div class="bs bs-empty">{ui.esc(t("bigscreen.waiting"))}</div>'
    else:
        body = panel_html(name, snap, label_col)
    st.html(f'<div class="bs bs-panel"><h2>{ui.esc(t(f"bigscreen.titles.{name}"))}</h2>{body}</div>')
    st.html(ui.footer(index, len(PANELS), ctx.settings.public_url, t("bigscreen.qr")))


screen()
