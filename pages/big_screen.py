"""大屏: the meeting-room display. Public data only; rotates panels; survives the database going away.

/big_screen?community=C01&lang=zh&rotate=15&refresh=5
"""

from __future__ import annotations

import calendar
import time
from datetime import UTC, date, datetime

import pandas as pd
import streamlit as st

from app import big_screen_data, formatting, url_state
from app import big_screen_html as ui
from app import big_screen_svg as svg
from app.context import page_context
from app.trend_months import Months, on_months
from data_access import geometry, patrols, periods
from data_access import themes as ehome_themes
from data_access.privacy import SUPPRESSED

PANELS = ("wall", "map", "areas", "volunteers", "patrols", "ehome")  # ehome: only with 社区E家 data

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


targets = ctx.settings.targets


def span(period) -> str:  # noqa: ANN001 - a data_access.periods.Period
    return t("period.span", first=formatting.calendar_day(period.first_day, ctx.lang),
             last=formatting.calendar_day(period.last_day, ctx.lang))


def month_label(month: str) -> str:
    """"2026-11" as 11月 / Nov."""
    number = int(str(month)[5:7])
    return f"{number}月" if ctx.lang == "zh" else calendar.month_abbr[number]


def volunteer_month(snap: big_screen_data.Snapshot) -> str:
    """Which month the volunteer figures are of: this one, or the last while this one has none yet."""
    return t("bigscreen.last_month") if big_screen_data.shows_last_month(snap) else t("bigscreen.this_month")


def trend_months(snap: big_screen_data.Snapshot) -> Months:
    """The last twelve months, this one so far (app/trend_months.py)."""
    return Months.over(snap.periods["months"], periods.today(snap.as_of, snap.zone), month_label)


def month_trend(months: Months, series: list[svg.Series], width_vh: float, height_vh: float, **kwargs) -> str:  # noqa: ANN003
    """A monthly line chart of the screen: month names, the month still going on marked "so far"."""
    note = t("period.so_far_short") if months.open else ""  # the open month is always the last (periods.open_month)
    return svg.trend([month_label(m) for m in months.keys], series, width_vh, height_vh, open_note=note, **kwargs)


def goal_note(note: str, metric: str, value: object) -> tuple[str, str | None]:
    """A tile's note with its target, and the tile's judgement against it."""
    target = targets.of(metric)
    return f"{note} · {t('target.short', target=formatting.share(target, 0))}", targets.judge(metric, value)


def tile(label: str, value: str, note: str, metric: str | None = None, figure: object = None) -> ui.Tile:
    if metric is None:
        return ui.Tile(label, value, note)
    note, judgement = goal_note(note, metric, figure)
    return ui.Tile(label, value, note, judgement)


def wall(snap: big_screen_data.Snapshot) -> str:
    figures = snap.figures
    last_30 = t("bigscreen.last_30")
    patrolled = patrols.compliance(snap.last_week)
    tiles = [
        tile(t("metric.received"), formatting.number(figures.get("received"), ctx.lang), last_30),
        tile(t("metric.resolution_rate"), formatting.share(figures.get("resolution_rate")), last_30,
             "resolution_rate", figures.get("resolution_rate")),
        tile(t("metric.on_time_share"), formatting.share(figures.get("on_time_share")), last_30,
             "on_time_share", figures.get("on_time_share")),
        tile(t("metric.median_time"), formatting.hours(figures.get("median_hours"), ctx.lang), last_30),
        tile(t("metric.satisfaction"), formatting.number(figures.get("satisfaction"), ctx.lang, 2),
             t("bigscreen.out_of_5")),
        tile(t("metric.backlog"), formatting.number(snap.backlog, ctx.lang), t("bigscreen.now")),
        tile(t("volunteers.points"), formatting.number(snap.volunteer_totals.get("points"), ctx.lang),
             t("bigscreen.this_month")),
        tile(t("bigscreen.patrolled"), formatting.share(patrolled), t("bigscreen.last_week"),
             "patrol_compliance", patrolled),
    ]
    months = trend_months(snap)
    flow = on_months(snap.flow, "month", months, ("received", "resolved"))
    chart = month_trend(
        months,
        [svg.Series(t("transparency.received"), flow["received"].tolist(), "#3b78c4"),
         svg.Series(t("transparency.resolved"), flow["resolved"].tolist(), "#e0a83a")],
        168, 21,
    )
    return ui.wall(tiles) + f"<h3>{ui.esc(t('bigscreen.flow_trend'))}</h3>{chart}"


def on_time_trend(snap: big_screen_data.Snapshot, height: float) -> str:
    months = trend_months(snap)
    shown = on_months(snap.by_month[~snap.by_month[SUPPRESSED]], "key", months)  # a withheld month: a gap
    target = targets.on_time_share
    chart = month_trend(
        months,
        [svg.Series(t("metric.on_time_share"), shown["on_time_share"].tolist(), "#3b78c4")],
        74, height, share=True, target=target, target_label=t("target.line", target=formatting.share(target, 0)),
    )
    return f"<h3>{ui.esc(t('bigscreen.on_time_trend'))}</h3>{chart}"


def judged_keys(extra: list[tuple[str, str]]) -> str:
    return ui.keys([(j, t(f"target.judgements.{j}")) for j in ("met", "near", "below")] + extra)


def areas(snap: big_screen_data.Snapshot, names: dict) -> str:
    rows = big_screen_data.shown_areas(snap).sort_values("on_time_share", ascending=False)
    target = targets.on_time_share
    reference = snap.street_figures.get("on_time_share") if community else None
    bars = ui.bars(
        [ui.Bar(names.get(r.key, r.key), r.on_time_share, formatting.share(r.on_time_share),
                targets.judge("on_time_share", r.on_time_share)) for r in rows.itertuples()],
        target,
        reference,
    )
    extra = [("target", t("target.line", target=formatting.share(target, 0)))]
    if reference is not None and not pd.isna(reference):
        extra.append(("reference", f"{t('transparency.baseline')} {formatting.share(reference)}"))
    withheld = int(snap.by_area[SUPPRESSED].sum())
    note = ui.note(t("transparency.areas_withheld", count=withheld, k=k)) if withheld else ""
    return ui.split(bars + judged_keys(extra) + note, on_time_trend(snap, 58))


def heat_map(snap: big_screen_data.Snapshot, label_col: str) -> str:
    if community:  # one community: its grids, named without the community's name in front of each
        own = snap.communities[snap.communities["community_id"] == community]
        prefix = str(own[label_col].iloc[0]) if len(own) else ""
        labels = svg.area_labels(snap.grids, "name" if ctx.lang == "zh" else "name_en", strip=prefix)
        outlines = own
    else:
        labels, outlines = svg.area_labels(snap.communities, label_col), snap.communities
    rings = [r for r in (geometry.ring_of(g) for g in snap.grids["boundary_geojson"]) if r]
    bold = [r for r in (geometry.ring_of(g) for g in outlines["boundary_geojson"]) if r]
    picture = svg.heat_map(rings, bold, snap.cells, labels, *snap.cell_size, 110, 64)
    top = int(snap.cells["reports"].max()) if len(snap.cells) else 0
    side = ui.ramp_legend(
        t("bigscreen.fewer", count=k), t("bigscreen.more", count=formatting.number(top, ctx.lang)),
        t("bigscreen.map_legend", k=k),
    )
    shown = int(snap.cells["reports"].sum()) if len(snap.cells) else 0
    side += ui.note(t("bigscreen.map_count", count=formatting.number(shown, ctx.lang)))
    return ui.split(picture, side, 54)


def volunteer_panel(snap: big_screen_data.Snapshot) -> str:
    if snap.top_volunteers.empty:
        board = f'<div class="bs bs-empty">{ui.esc(t("volunteers.empty"))}</div>'
    else:
        board = ui.ranking(snap.top_volunteers, t("volunteers.points"))
    totals = snap.star_totals
    month = volunteer_month(snap)
    small = ui.wall(
        [
            ui.Tile(t("volunteers.points"), formatting.number(totals.get("points"), ctx.lang), month),
            ui.Tile(t("volunteers.hours"), formatting.number(totals.get("hours"), ctx.lang), month),
            ui.Tile(t("volunteers.people"), formatting.number(totals.get("volunteers"), ctx.lang), month),
            ui.Tile(t("volunteers.check_ins"), formatting.number(totals.get("check_ins"), ctx.lang), month),
        ],
        columns=2,
        small=True,
    )
    months = trend_months(snap)
    taking_part = on_months(snap.volunteer_months, "month", months, ("volunteers",))
    chart = month_trend(
        months,
        [svg.Series(t("volunteers.people"), taking_part["volunteers"].tolist(), "#2e9d8f")],
        74, 24,
    )
    return ui.split(board, small + f"<h3>{ui.esc(t('bigscreen.volunteer_trend'))}</h3>{chart}")


def patrol_panel(snap: big_screen_data.Snapshot, names: dict) -> str:
    week = snap.last_week
    target = targets.patrol_compliance
    if community:  # one community: each grid's patrols against its requirement
        rows = [
            ui.Bar(names.get(r.grid_id, r.name), min(r.patrols / r.required, 1.0) if r.required else 1.0,
                   f"{r.patrols}/{r.required}", "met" if r.met else "below")
            for r in week.sort_values("grid_id").itertuples()
        ]
        bars, extra = ui.bars(rows), []
    else:
        shares = week.groupby("community_id")["met"].mean() if len(week) else pd.Series(dtype=float)
        rows = [ui.Bar(names.get(c, c), v, formatting.share(v), targets.judge("patrol_compliance", v))
                for c, v in shares.sort_values(ascending=False).items()]
        bars = ui.bars(rows, target)
        extra = [("target", t("target.line", target=formatting.share(target, 0)))]
    now = snap.this_week
    counts = now["state"].value_counts()
    progress = (
        f'<div class="bs-progress">{ui.esc(t("bigscreen.this_week"))} '
        f'<b>{snap.week_progress.days_gone}/7</b> {ui.esc(t("bigscreen.days_gone"))}</div>'
    )
    states = ui.wall(
        [ui.Tile(t(f"patrols.states.{s}"), formatting.number(int(counts.get(s, 0)), ctx.lang),
                 t("bigscreen.grids")) for s in ("done", "on_pace", "behind")],
        columns=3,
        small=True,
    )
    weekly = snap.weekly_compliance
    chart = svg.trend(
        [formatting.month_day(date.fromisoformat(w), ctx.lang) for w in weekly["week"]],
        [svg.Series(t("bigscreen.patrolled"), weekly["value"].tolist(), "#3b78c4")],
        74, 24, share=True, target=target, target_label=t("target.line", target=formatting.share(target, 0)),
    )
    totals = snap.device_totals
    online = (
        f'<div class="bs-progress">{ui.esc(t("bigscreen.devices_online"))} '
        f'<b>{formatting.number(int(totals["devices"].sum() - totals["offline"].sum()), ctx.lang)}'
        f'/{formatting.number(int(totals["devices"].sum()), ctx.lang)}</b></div>'
        if int(totals["devices"].sum())
        else ""
    )  # the whole street's gates and cameras: a total, never a place
    side = progress + states + online + f"<h3>{ui.esc(t('bigscreen.patrol_trend'))}</h3>{chart}"
    return ui.split(bars + judged_keys(extra), side)


def ehome_panel(snap: big_screen_data.Snapshot) -> str:
    """社区E家 in one screen: shared parking, online dialogue and services of the last 30 days, and the
    three themes residents raised most in the last 90 with the activity each suggests."""
    figures = snap.ehome or {}
    parked, asked, applied = figures.get("parking", {}), figures.get("dialogue", {}), figures.get("services", {})
    last_30 = t("bigscreen.last_30")
    number = lambda n: formatting.number(n, ctx.lang)  # noqa: E731
    tiles = [
        tile(t("ehome.parking.spaces"), number(parked.get("spaces")), last_30),
        tile(t("ehome.parking.utilisation"), formatting.share(parked.get("utilisation")), last_30),
        tile(t("ehome.parking.unmet"), number(parked.get("unmet")), last_30),
        tile(t("ehome.dialogue.asked"), number(asked.get("asked")), last_30),
        tile(t("ehome.dialogue.median"), formatting.hours(asked.get("median_hours"), ctx.lang), last_30),
        tile(t("bigscreen.online_share"), formatting.share(applied.get("online_share")), last_30),
    ]
    themes = figures.get("themes")
    items = ""
    if themes is not None and len(themes):
        by_code = {theme.code: theme for theme in ehome_themes.themes()}
        for rank, row in enumerate(themes.itertuples(index=False), start=1):
            theme = by_code[row.theme]
            zh = ctx.lang == "zh"
            name, activity = (theme.name_zh, theme.activity_zh) if zh else (theme.name_en, theme.activity_en)
            items += (f'<div class="bs-progress">{rank}. <b>{ui.esc(name)}</b> · '
                      f'{ui.esc(t("bigscreen.texts", count=number(row.texts)))} → {ui.esc(activity)}</div>')
    return ui.split(ui.wall(tiles, columns=2, small=True), f"<h3>{ui.esc(t('bigscreen.residents_ask'))}</h3>" + items,
                    side_vh=80)


def panel_html(name: str, snap: big_screen_data.Snapshot, label_col: str) -> tuple[str, str]:
    """(the days the panel covers, its body)."""
    communities = dict(zip(snap.communities["community_id"], snap.communities[label_col], strict=True))
    grid_names = dict(zip(snap.grids["grid_id"], snap.grids["name" if ctx.lang == "zh" else "name_en"], strict=True))
    names = grid_names if community else communities
    if name == "wall":
        return span(snap.periods["30d"]), wall(snap)
    if name == "map":
        return span(snap.periods["90d"]), heat_map(snap, label_col)
    if name == "areas":
        return span(snap.periods["30d"]), areas(snap, names)
    if name == "volunteers":
        return span(snap.periods["volunteers"]), volunteer_panel(snap)
    if name == "ehome":
        return span(snap.periods["30d"]), ehome_panel(snap)
    last = snap.periods["last_week"]
    return span(last), patrol_panel(snap, names)


def title_of(name: str, snap: big_screen_data.Snapshot | None) -> str:
    if community and name in ("areas", "patrols"):
        return t(f"bigscreen.titles.{name}_grids")
    if name == "volunteers" and snap is not None and big_screen_data.shows_last_month(snap):
        return t("bigscreen.titles.volunteers_last_month")
    return t(f"bigscreen.titles.{name}")


@st.fragment(run_every=rotate)
def screen() -> None:
    snap, failed_since = big_screen_data.current(ctx.url, community, refresh_s, k)
    if snap is not None:  # a fragment rerun has a fresh context: the clock's zone again
        formatting.use_zone(snap.zone)
    shown = PANELS if snap is None or snap.ehome is not None else PANELS[:-1]  # no 社区E家 data: no panel
    index = shown.index(pinned) if pinned in shown else int(time.time() // rotate) % len(shown)
    name = shown[index]
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
        period, body = "", f'<div class="bs bs-empty">{ui.esc(t("bigscreen.waiting"))}</div>'
    else:
        period, body = panel_html(name, snap, label_col)
    st.html(ui.panel(title_of(name, snap), period, body))
    st.html(ui.footer(index, len(shown), ctx.settings.public_url, t("bigscreen.qr")))


screen()
