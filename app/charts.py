"""Pure builders for plotly figures: data and labels in, a Figure out. No Streamlit here.

Every figure passes through `styled`, which also escapes every text its traces carry (category
names, community names, officer names come from the database; plotly would render <a href> or
<b> in them as markup)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative

from app import plotly_paths, safe_text
from app.targets import judge
from app.trend_months import Months, on_months

plotly_paths.install()  # every figure's property paths parsed once each (app/plotly_paths.py)

BLUE, ORANGE, TEAL, RED, GREY = "#1d4f91", "#e0803a", "#2e9d8f", "#c0392b", "#8a96a3"
# One colour per group of a stacked chart: the ten the charts drew before (D3's), then five darker
# ones (D3's category20b), so twelve topics never share a colour (ten alone start over at the eleventh).
GROUP_COLORS = (*qualitative.D3, "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173")
FONT = "Noto Sans CJK SC, PingFang SC, Microsoft YaHei, sans-serif"


TEXT_PROPERTIES = ("x", "y", "labels", "text", "hovertext", "name")


def _as_text(figure: go.Figure) -> None:
    """Database text in a trace is shown as written, never as plotly's HTML subset."""
    for trace in figure.data:
        for prop in TEXT_PROPERTIES:
            value = getattr(trace, prop, None) if prop in trace else None
            if isinstance(value, str):
                trace[prop] = safe_text.chart(value)
            elif isinstance(value, tuple | list | np.ndarray) and any(isinstance(v, str) for v in value):
                trace[prop] = [safe_text.chart(v) if isinstance(v, str) else v for v in value]
    for annotation in figure.layout.annotations or ():
        if isinstance(annotation.text, str):
            annotation.text = safe_text.chart(annotation.text)


def styled(figure: go.Figure, height: int = 340, legend: bool = True) -> go.Figure:
    """The suite's chart look (CJK font, light grid, tight margins), text as text. The legend sits
    above the plot and grows upwards: plotly widens the top margin for its rows, so a legend of many
    groups never covers the bars."""
    _as_text(figure)
    figure.update_layout(
        height=height,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        font={"family": FONT, "size": 13},
        showlegend=legend,
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},  # above the plot, growing up
        plot_bgcolor="white",
        hoverlabel={"font_family": FONT},
    )
    figure.update_xaxes(gridcolor="#eef2f7")
    figure.update_yaxes(gridcolor="#eef2f7")
    return figure


OPEN_BAR_OPACITY = 0.45  # the month still going on: its bars paler than whole months


def mark_months(figure: go.Figure, months: Months) -> None:
    """Every month in its place, and the open one marked: its tick says "so far", a light band lies
    behind it, its bars are paler and the lines reach it dotted, from the last whole month."""
    keys = list(months.keys)
    ticks = [months.tick(k) for k in keys]
    figure.update_xaxes(type="category", categoryorder="array", categoryarray=keys, tickvals=keys, ticktext=ticks)
    if months.open not in keys:
        return
    where = keys.index(months.open)
    figure.add_vrect(x0=where - 0.5, x1=where + 0.5, fillcolor=GREY, opacity=0.12, line_width=0, layer="below")
    for trace in list(figure.data):
        x = list(trace.x) if trace.x is not None else []
        if trace.type == "bar":
            trace.marker.opacity = [OPEN_BAR_OPACITY if k == months.open else 1.0 for k in x]
        elif trace.type == "scatter" and "lines" in (trace.mode or "") and months.open in x:
            _dotted_into_open(figure, trace, x.index(months.open))


def _dotted_into_open(figure: go.Figure, trace: go.Scatter, at: int) -> None:
    """The line stops at the last whole month; a dotted piece of the same colour goes on to the open one."""
    y = list(trace.y)
    if pd.isna(y[at]):
        return
    before = next((i for i in range(at - 1, -1, -1) if not pd.isna(y[i])), None)
    points = [i for i in (before, at) if i is not None]
    piece = go.Scatter(
        x=[trace.x[i] for i in points],
        y=[y[i] for i in points],
        mode="lines+markers",
        line={"color": trace.line.color, "width": trace.line.width, "dash": "dot"},
        marker={
            "size": [0] * (len(points) - 1) + [10],
            "color": "white",
            "line": {"color": trace.line.color, "width": 2},
        },
        yaxis=trace.yaxis,
        showlegend=False,
        hovertemplate=trace.hovertemplate,
        name=trace.name,
    )
    y[at] = None
    trace.y = y
    figure.add_trace(piece)


def flow_by_month(frame: pd.DataFrame, received: str, resolved: str, months: Months) -> go.Figure:
    """Issues received (bars) and resolved (line) by month."""
    frame = on_months(frame, "month", months, ("received", "resolved"))
    figure = go.Figure()
    figure.add_bar(x=frame["month"], y=frame["received"], name=received, marker_color=BLUE)
    figure.add_scatter(
        x=frame["month"], y=frame["resolved"], name=resolved, mode="lines+markers", line={"color": ORANGE, "width": 3}
    )
    mark_months(figure, months)
    return styled(figure)


def time_by_category(frame: pd.DataFrame, median: str, p90: str, hours: str) -> go.Figure:
    """Median and P90 hours to resolve per category, slowest at the top."""
    frame = frame.sort_values("median_hours")
    figure = go.Figure()
    figure.add_bar(y=frame["label"], x=frame["median_hours"], name=median, orientation="h", marker_color=BLUE)
    figure.add_scatter(
        y=frame["label"],
        x=frame["p90_hours"],
        name=p90,
        mode="markers",
        marker={"color": ORANGE, "size": 10, "symbol": "diamond"},
    )
    figure.update_xaxes(title=hours)
    return styled(figure, height=max(300, 28 * len(frame) + 80))


JUDGED = {"met": TEAL, "near": ORANGE, "below": RED}  # a figure against its target (app/targets.py)


def _target_line(figure: go.Figure, target: float | None, label: str, vertical: bool, layer: str = "above") -> None:
    """The target as a solid red line; `layer="below"` draws it behind bars (shown between them)."""
    if target is None:
        return
    line = {"line_color": RED, "line_width": 2, "annotation_text": label, "annotation_font_color": RED, "layer": layer}
    if vertical:
        figure.add_vline(x=target, annotation_position="bottom right", **line)
    else:
        figure.add_hline(y=target, annotation_position="bottom left", **line)


def shares_by_area(
    frame: pd.DataFrame,
    reference: float | None,
    reference_label: str,
    target: float | None,
    target_label: str,
    value: str = "on_time_share",
) -> go.Figure:
    """A share per area (communities, or one community's grids), ranked; bars coloured against the
    target, the street as a dashed reference line, the target as a solid one."""
    frame = frame.sort_values(value)
    colors = [JUDGED.get(judge(v, target) or "", BLUE) for v in frame[value]]
    figure = go.Figure(
        go.Bar(
            y=frame["label"],
            x=frame[value],
            orientation="h",
            marker_color=colors,
            text=[f"{v:.0%}" for v in frame[value]],
            # Each share inside its bar's end, white, so the lines never run through a number; a bar
            # too short for it has it just outside (near zero, far from the lines).
            textposition="auto",
            insidetextanchor="end",
            insidetextfont_color="white",
            cliponaxis=False,
        )
    )
    if reference is not None:
        figure.add_vline(
            x=reference,
            line_dash="dash",
            line_color=GREY,
            annotation_text=f"{reference_label} {reference:.0%}",
            annotation_position="top",
            layer="below",
        )
    _target_line(figure, target, target_label, vertical=True, layer="below")
    figure.update_xaxes(tickformat=".0%", range=[0, 1.1])
    return styled(figure, height=max(280, 34 * len(frame) + 90), legend=False)


def share_trend(frame: pd.DataFrame, target: float | None, target_label: str, name: str, months: Months) -> go.Figure:
    """A share by month (`key`, `value`) against its target, each month's marker coloured by whether
    it met the target; the hover gives the month's score, share / target (as Boston's CityScore).
    A month without a share (none due, or withheld) is a gap in the line."""
    frame = on_months(frame, "key", months)
    figure = go.Figure()
    colors = [JUDGED.get(judge(v, target) or "", BLUE) for v in frame["value"]]
    score = [f"{v / target:.2f}" if target and pd.notna(v) else "—" for v in frame["value"]]
    figure.add_scatter(
        x=frame["key"],
        y=frame["value"],
        name=name,
        mode="lines+markers",
        line={"color": BLUE, "width": 3},
        marker={"color": colors, "size": 11, "line": {"color": "white", "width": 1}},
        customdata=score,
        hovertemplate="%{x}: %{y:.1%} (%{customdata})<extra></extra>",
    )
    _target_line(figure, target, target_label, vertical=False)
    figure.update_yaxes(tickformat=".0%", range=[max(0.0, min([*frame["value"].dropna(), target or 1]) - 0.1), 1.02])
    mark_months(figure, months)
    return styled(figure, legend=False)


def backlog_by_age(frame: pd.DataFrame) -> go.Figure:
    colors = [TEAL, BLUE, ORANGE, RED][: len(frame)]
    figure = go.Figure(
        go.Bar(
            x=frame["label"], y=frame["count"], marker_color=colors, text=frame["count"], textposition="outside",
            cliponaxis=False,  # the tallest bar's number is drawn above the plot, not cut off
        )
    )
    return styled(figure, height=300, legend=False)


def channel_mix(frame: pd.DataFrame) -> go.Figure:
    figure = go.Figure(
        go.Pie(
            labels=frame["label"],
            values=frame["received"],
            hole=0.55,
            sort=False,
            marker={"colors": [BLUE, ORANGE, TEAL, RED, GREY, "#7b5ea7"][: len(frame)]},
        )
    )
    figure.update_traces(textinfo="percent+label")
    return styled(figure, height=300, legend=False)


def monthly_participation(frame: pd.DataFrame, volunteers: str, hours: str, months: Months) -> go.Figure:
    """Hours (bars, right axis) and volunteers taking part (line, left axis) by month."""
    frame = on_months(frame, "month", months, ("hours", "volunteers"))
    figure = go.Figure()
    figure.add_bar(x=frame["month"], y=frame["hours"], name=hours, marker_color=TEAL, yaxis="y2", opacity=0.6)
    figure.add_scatter(
        x=frame["month"], y=frame["volunteers"], name=volunteers, mode="lines+markers", line={"color": BLUE, "width": 3}
    )
    figure.update_layout(
        yaxis={"title": volunteers, "rangemode": "tozero"},
        yaxis2={"overlaying": "y", "side": "right", "showgrid": False, "title": hours, "rangemode": "tozero"},
    )
    mark_months(figure, months)
    return styled(figure)


def ranked_bars(frame: pd.DataFrame, value: str, label: str, number_format: str = ",.0f") -> go.Figure:
    frame = frame.sort_values(value)
    figure = go.Figure(
        go.Bar(
            y=frame[label],
            x=frame[value],
            orientation="h",
            marker_color=BLUE,
            text=[format(v, number_format) for v in frame[value]],
            textposition="outside",
            cliponaxis=False,
        )
    )
    top = float(frame[value].max()) if len(frame) else 1.0
    figure.update_xaxes(range=[0, top * 1.18])
    return styled(figure, height=max(260, 32 * len(frame) + 60), legend=False)


def officer_trend(
    street: pd.DataFrame,
    officer: pd.DataFrame,
    street_label: str,
    officer_label: str,
    axis: str,
    months: Months,
    target: float | None = None,
    target_label: str = "",
) -> go.Figure:
    """One officer's on-time share by month against the street's (dashed) and the target (solid)."""
    street, officer = on_months(street, "key", months), on_months(officer, "key", months)
    figure = go.Figure()
    figure.add_scatter(
        x=street["key"], y=street["on_time_share"], name=street_label, line={"color": GREY, "dash": "dash"}
    )
    figure.add_scatter(
        x=officer["key"],
        y=officer["on_time_share"],
        name=officer_label,
        mode="lines+markers",
        line={"color": BLUE, "width": 3},
    )
    _target_line(figure, target, target_label, vertical=False)
    figure.update_yaxes(tickformat=".0%", range=[0, 1.05], title=axis)
    mark_months(figure, months)
    return styled(figure)


def week_hour_heatmap(frame: pd.DataFrame, value: str, day_names: list[str], label: str) -> go.Figure:
    """A local weekday × hour grid of `value` (0 .. 1 shares, NaN where nothing was offered)."""
    grid = frame.pivot(index="weekday", columns="hour", values=value).reindex(index=range(7), columns=range(24))
    figure = go.Figure(
        go.Heatmap(
            z=grid.to_numpy(dtype=float),
            x=[f"{h:02d}" for h in range(24)],
            y=day_names,
            colorscale=[[0, "#f1f5fb"], [1, BLUE]],
            zmin=0,
            zmax=1,
            colorbar={"title": label, "tickformat": ".0%"},
            hovertemplate="%{y} %{x}:00 · %{z:.0%}<extra></extra>",
        )
    )
    figure.update_yaxes(autorange="reversed")
    return styled(figure, height=300, legend=False)


def stacked_by_month(
    frame: pd.DataFrame, month: str, group: str, value: str, names: dict[str, str], months: Months
) -> go.Figure:
    """Bars per month, one colour per group (topics, kinds), largest groups at the bottom."""
    order = frame.groupby(group)[value].sum().sort_values(ascending=False).index
    figure = go.Figure()
    for i, code in enumerate(order):
        part = on_months(frame[frame[group] == code], month, months, (value,))
        color = GROUP_COLORS[i % len(GROUP_COLORS)]
        figure.add_bar(x=part[month], y=part[value], name=names.get(code, str(code)), marker_color=color)
    figure.update_layout(barmode="stack")
    mark_months(figure, months)
    return styled(figure, height=340)


def month_bars(frame: pd.DataFrame, value: str, months: Months, color: str = BLUE) -> go.Figure:
    """One count by month (`month`), its value on top of each bar."""
    frame = on_months(frame, "month", months, (value,))
    figure = go.Figure(
        go.Bar(
            x=frame["month"], y=frame[value], marker_color=color, texttemplate="%{y:,.0f}", textposition="outside",
            cliponaxis=False,
        )
    )
    mark_months(figure, months)
    return styled(figure, height=300, legend=False)


def bars(labels: list[str], values: list[float], color: str = BLUE, number_format: str = ",.0f") -> go.Figure:
    """Plain vertical bars with their values on top."""
    figure = go.Figure(
        go.Bar(
            x=labels, y=values, marker_color=color, texttemplate=f"%{{y:{number_format}}}", textposition="outside",
            cliponaxis=False,
        )
    )
    return styled(figure, height=300, legend=False)
