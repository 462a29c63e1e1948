"""门禁通行 as a section of the 社区E家 page. The public sees one chart: the street's entries and exits
per day by local hour. Staff see each gate of their area by hour of day (a heatmap) and the gates
that misbehave, each with its reason in words. The gate system exports counts only: nothing here
names a person. data_access/gates.py decides what every figure and flag means (docs/metrics.md
"门禁通行")."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from app import charts, formatting
from app.context import PageContext
from app.ehome_services import details
from app.exports import shown_table
from app.widgets import chart, kpi
from data_access import gates
from data_access.filters import IssueFilters

EARLIEST = datetime(2000, 1, 1)


def render_gates(ctx: PageContext, since: datetime | None, until: datetime | None, area: IssueFilters) -> None:
    """The 门禁通行 section for counts in [since, until) (naive UTC; None: unbounded): the public the
    whole street's hours (`area` does not narrow it), staff their area's gates and anomalies."""
    t = ctx.t
    since, until = since or EARLIEST, until or ctx.as_of + timedelta(seconds=1)
    st.subheader(t("gates.title"))
    st.caption(t("gates.intro"))
    if ctx.audience.is_staff:
        _staff(ctx, since, until, area)
    else:
        _public(ctx, since, until)


def hours_figure(frame: pd.DataFrame, entries: str, exits: str, hour_axis: str, per_day_axis: str) -> go.Figure:
    """Entries and exits per day by local hour of day (0-23)."""
    figure = go.Figure()
    for column, name, color in (("entries_per_day", entries, charts.BLUE), ("exits_per_day", exits, charts.ORANGE)):
        figure.add_scatter(
            x=frame["hour"], y=frame[column], name=name, mode="lines+markers", line={"color": color, "width": 3}
        )
    figure.update_xaxes(title=hour_axis, tickmode="linear", dtick=2, range=[-0.5, 23.5])
    figure.update_yaxes(title=per_day_axis, rangemode="tozero")
    return charts.styled(figure)


def heatmap_figure(frame: pd.DataFrame, labels: dict[int, str], hour_axis: str, per_day: str) -> go.Figure:
    """One row per gate, one column per local hour: the average entries a day (blank: no count)."""
    table = frame.pivot_table(index="device_id", columns="hour", values="entries_per_day", aggfunc="sum")
    table = table.reindex(columns=range(24))
    rows = [labels.get(d, f"#{d}") for d in table.index]
    figure = go.Figure(
        go.Heatmap(
            z=table.to_numpy(),
            x=list(range(24)),
            y=rows,
            colorscale="Blues",
            colorbar={"title": {"text": per_day}},
            hovertemplate="%{y} · %{x}:00 · %{z:.1f}<extra></extra>",
        )
    )
    figure.update_xaxes(title=hour_axis, tickmode="linear", dtick=2)
    figure.update_yaxes(autorange="reversed", type="category")
    return charts.styled(figure, height=max(260, 20 * len(rows) + 110), legend=False)


def _public(ctx: PageContext, since: datetime, until: datetime) -> None:
    t = ctx.t
    totals = ctx.query(gates.street_gate_totals, since, until, ctx.zone)
    if not totals["days"]:
        st.info(t("gates.none"))
        return
    st.markdown(f"**{t('gates.public_chart')}**")
    figure = hours_figure(
        totals["by_hour"], t("gates.entries"), t("gates.exits"), t("gates.hour_axis"), t("gates.per_day_axis")
    )
    chart(figure, "gates_street_hours")
    number = lambda n: formatting.number(n, ctx.lang)  # noqa: E731
    st.caption(
        t(
            "gates.public_total",
            days=number(totals["days"]),
            entries=number(totals["entries"]),
            exits=number(totals["exits"]),
        )
    )


def _staff(ctx: PageContext, since: datetime, until: datetime, area: IssueFilters) -> None:
    t = ctx.t
    number = lambda n, digits=0: formatting.number(n, ctx.lang, digits)  # noqa: E731
    hourly = ctx.query(gates.gate_hourly, since, until, ctx.zone, area)
    anomalies = ctx.query(gates.gate_anomalies, ctx.as_of, ctx.zone, area)
    flagged = anomalies[anomalies["flagged"]]
    cols = st.columns(3)
    kpi(cols[0], t("gates.kpi_entries"), number(hourly["entries_per_day"].sum()), help_text=t("gates.kpi_entries_help"))
    kpi(
        cols[1],
        t("gates.kpi_gates"),
        f"{number(hourly['device_id'].nunique())} / {number(len(anomalies))}",
        help_text=t("gates.kpi_gates_help"),
    )
    kpi(cols[2], t("gates.kpi_flagged"), number(len(flagged)), inverse=True, help_text=t("gates.kpi_flagged_help"))

    st.markdown(f"**{t('gates.heatmap')}**")
    if hourly.empty:
        st.info(t("gates.none"))
    else:
        grid_of = dict(zip(hourly["device_id"], hourly["grid_id"], strict=False))
        labels = {d: t("gates.gate_label", device=d, grid=ctx.grid_name(g)) for d, g in grid_of.items()}
        figure = heatmap_figure(hourly, labels, t("gates.hour_axis"), t("gates.per_day_axis"))
        chart(figure, "gates_heatmap")
        st.caption(t("gates.heatmap_note"))

    st.markdown(f"**{t('gates.anomalies')}**")
    st.caption(t("gates.as_of", at=formatting.local_datetime(ctx.as_of, ctx.lang)))
    if flagged.empty:
        st.success(t("gates.no_anomalies"))
    else:
        table = pd.DataFrame(
            {
                t("gates.col.device"): [f"#{d}" for d in flagged["device_id"]],
                t("gates.col.grid"): [ctx.grid_name(g) for g in flagged["grid_id"]],
                t("gates.col.status"): [
                    t("gates.status." + s) if s in ("online", "offline") else str(s) for s in flagged["status"]
                ],
                t("gates.col.entries_24h"): [int(n) for n in flagged["entries_24h"]],
                t("gates.col.baseline"): [number(v, 1) for v in flagged["baseline_per_day"]],
                t("gates.col.night_7d"): [number(v, 1) for v in flagged["night_7d"]],
                t("gates.col.night_baseline"): [number(v, 1) for v in flagged["night_baseline"]],
                t("gates.col.reason"): [reasons(ctx, row) for _, row in flagged.iterrows()],
            }
        )
        shown_table(ctx, table, "gate_anomalies", details(area))
    st.caption(
        t(
            "gates.anomaly_note",
            silent=gates.SILENT_MIN_BASELINE,
            ratio=formatting.number(gates.NIGHT_PEAK_RATIO, ctx.lang),
            night=gates.NIGHT_PEAK_MIN,
        )
    )


def reasons(ctx: PageContext, row: pd.Series) -> str:
    """Why a gate is flagged, in words (one sentence per flag)."""
    t = ctx.t
    number = lambda v: formatting.number(v, ctx.lang, 1)  # noqa: E731
    said = []
    if row["silent"]:
        if row["silent_reason"] == "no_counts":
            said.append(t("gates.reason.no_counts"))
        else:
            said.append(t("gates.reason.no_entries", baseline=number(row["baseline_per_day"])))
    if row["night_peak"]:
        said.append(t("gates.reason.night_peak", night=number(row["night_7d"]), before=number(row["night_baseline"])))
    return t("gates.reason.separator").join(said)
