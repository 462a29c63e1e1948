"""政务办理 as a section of the 社区E家 page: the period's tiles, the monthly trend of applications
made online ("数据跑腿" instead of residents running to the counter), the figures per service type,
and for staff each application sent back or refused (never the resident). data_access/services.py
decides what every figure means (docs/metrics.md "政务办理")."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from app import charts, formatting
from app.context import PageContext
from app.exports import shown_table
from app.trend_months import Months, on_months
from app.widgets import chart, kpi, month_axis
from data_access import periods, services
from data_access.filters import IssueFilters
from data_access.privacy import SUPPRESSED, count_text
from data_access.schema import SERVICE_CHANNELS, SERVICE_OUTCOMES

KINDS = ("certificate", "subsidy", "elderly_care", "social_security", "employment")
CHANNELS = SERVICE_CHANNELS
OUTCOMES = SERVICE_OUTCOMES
EARLIEST = datetime(2000, 1, 1)  # "all time" for a period without a first day


def _bounds(ctx: PageContext, since: datetime | None, until: datetime | None) -> tuple[datetime, datetime]:
    """The period as instants: no first day is the beginning of the data, no last day the data's now."""
    return since or EARLIEST, until or ctx.as_of + timedelta(seconds=1)


def render_services(ctx: PageContext, since: datetime | None, until: datetime | None, area: IssueFilters) -> None:
    """The 政务办理 section for applications submitted in [since, until) within `area` (naive UTC; None:
    unbounded), in the visitor's own view (the public: the whole street, small types withheld)."""
    t = ctx.t
    since, until = _bounds(ctx, since, until)
    st.subheader(t("services.title"))
    st.caption(t("services.intro"))
    if area.grid_ids:
        st.caption(t("services.community_note"))
    figures = ctx.query(services.service_figures, since, until, ctx.as_of, area)
    if not figures["applications"]:
        st.info(t("services.none"))
        return
    _tiles(ctx, figures)
    _trend(ctx, until, area)
    _by_type(ctx, since, until, area)
    if ctx.audience.is_staff:
        _returned(ctx, since, until, area)


def _coded(ctx: PageContext, prefix: str, code: object, known: tuple[str, ...]) -> str:
    """A code's catalogue name; a code the catalogue does not know is shown as the text it is."""
    if code is None or pd.isna(code):
        return formatting.MISSING
    return ctx.t(prefix + code) if code in known else str(code)


def details(area: IssueFilters) -> dict[str, object]:
    """What an audited download of the section was narrowed to."""
    return {k: ",".join(v) for k, v in (("community", area.community_ids), ("grid", area.grid_ids)) if v}


def _days(ctx: PageContext, value: object) -> str:
    if value is None or pd.isna(value):
        return formatting.MISSING
    return ctx.t("services.days", days=formatting.number(value, ctx.lang, 1))


def _tiles(ctx: PageContext, figures: dict) -> None:
    t = ctx.t
    number = lambda n: formatting.number(n, ctx.lang)  # noqa: E731
    top = st.columns(4)
    kpi(top[0], t("services.applications"), number(figures["applications"]))
    kpi(
        top[1],
        t("services.online_share"),
        formatting.share(figures["online_share"]),
        help_text=t("services.online_share_help", online=number(figures["online"])),
    )
    kpi(
        top[2],
        t("services.median_days"),
        _days(ctx, figures["median_days"]),
        help_text=t("services.median_days_help", p90=_days(ctx, figures["p90_days"])),
    )
    kpi(
        top[3],
        t("services.on_target_share"),
        formatting.share(figures["on_target_share"]),
        help_text=t("services.on_target_help", count=number(figures["with_target"])),
    )
    bottom = st.columns(4)
    kpi(
        bottom[0],
        t("services.pending"),
        number(figures["pending"]),
        help_text=t("services.pending_help", at=formatting.local_datetime(ctx.as_of, ctx.lang)),
        neutral=True,
    )
    kpi(
        bottom[1],
        t("services.returned_share"),
        formatting.share(figures["returned_share"]),
        help_text=t("services.returned_help"),
        inverse=True,
    )
    kpi(
        bottom[2],
        t("services.refused_share"),
        formatting.share(figures["refused_share"]),
        help_text=t("services.refused_help"),
        inverse=True,
    )
    if figures["invalid_durations"]:
        bottom[3].caption(t("services.invalid_durations", count=number(figures["invalid_durations"])))


def trend_figure(frame: pd.DataFrame, applications: str, online_share: str, months: Months) -> go.Figure:
    """Applications by month (bars, left axis) and the share made online (line, right axis)."""
    frame = on_months(frame, "month", months, ("applications",))
    figure = go.Figure()
    figure.add_bar(x=frame["month"], y=frame["applications"], name=applications, marker_color=charts.GREY)
    figure.add_scatter(
        x=frame["month"],
        y=frame["online_share"],
        name=online_share,
        mode="lines+markers",
        line={"color": charts.BLUE, "width": 3},
        yaxis="y2",
        hovertemplate="%{x}: %{y:.1%}<extra></extra>",
    )
    figure.update_layout(yaxis2={"overlaying": "y", "side": "right", "tickformat": ".0%", "range": [0, 1.02]})
    charts.mark_months(figure, months)
    return charts.styled(figure)


def _trend(ctx: PageContext, until: datetime, area: IssueFilters) -> None:
    t = ctx.t
    last_day = periods.today(min(until - timedelta(seconds=1), ctx.as_of), ctx.zone)
    year = periods.months(last_day, ctx.zone)
    months = ctx.query(services.online_share_by_month, ctx.zone, year.since, year.until, area)
    st.markdown(f"**{t('services.trend')}**")
    if months.empty:
        st.info(t("services.none"))
        return
    figure = trend_figure(months, t("services.applications"), t("services.online_share"), month_axis(ctx, year))
    chart(figure, "services_trend")


def _by_type(ctx: PageContext, since: datetime, until: datetime, area: IssueFilters) -> None:
    t = ctx.t
    st.markdown(f"**{t('services.by_type')}**")
    frame = ctx.query(services.services_by_type, since, until, area, at=ctx.as_of)
    hidden = frame[SUPPRESSED] if SUPPRESSED in frame.columns else pd.Series(False, index=frame.index)
    k = ctx.audience.threshold("own")
    names = [t("services.unknown_type") if pd.isna(name) else str(name) for name in frame[ctx.name_column]]
    table = pd.DataFrame(
        {
            t("services.col.type"): names,
            t("services.col.kind"): [
                t("services.kinds." + kind) if kind in KINDS else t("services.kinds.other") for kind in frame["kind"]
            ],
            t("services.col.applications"): count_text(frame["applications"], hidden, k),
            t("services.col.online_share"): [formatting.share(v) for v in frame["online_share"]],
            t("services.col.median_days"): [formatting.number(v, ctx.lang, 1) for v in frame["median_days"]],
            t("services.col.target_days"): [formatting.number(v, ctx.lang) for v in frame["target_days"]],
            t("services.col.on_target_share"): [formatting.share(v) for v in frame["on_target_share"]],
            t("services.col.returned_share"): [formatting.share(v) for v in frame["returned_share"]],
            t("services.col.refused_share"): [formatting.share(v) for v in frame["refused_share"]],
        }
    )
    shown_table(ctx, table, "services_by_type", details(area))
    if hidden.any():
        st.caption(t("services.withheld", k=k))


def _returned(ctx: PageContext, since: datetime, until: datetime, area: IssueFilters) -> None:
    t = ctx.t
    st.markdown(f"**{t('services.returned')}**")
    rows = ctx.query(services.returned_applications, since, until, area)
    if rows.empty:
        st.success(t("services.returned_none"))
        return
    table = pd.DataFrame(
        {
            t("services.col.id"): [f"#{i}" for i in rows["application_id"]],
            t("services.col.type"): [
                t("services.unknown_type") if pd.isna(name) else str(name) for name in rows[ctx.name_column]
            ],
            t("services.col.community"): [ctx.community_name(c) for c in rows["community_id"]],
            t("services.col.channel"): [_coded(ctx, "services.channels.", c, CHANNELS) for c in rows["channel"]],
            t("services.col.submitted"): [formatting.local_datetime(v, ctx.lang) for v in rows["submitted_at"]],
            t("services.col.decided"): [formatting.local_datetime(v, ctx.lang) for v in rows["decided_at"]],
            t("services.col.outcome"): [
                t("services.outcomes.pending") if pd.isna(o) else _coded(ctx, "services.outcomes.", o, OUTCOMES)
                for o in rows["outcome"]
            ],
            t("services.col.returned_count"): [int(n) for n in rows["returned_count"]],
        }
    )
    shown_table(ctx, table, "services_returned", details(area))
    st.caption(t("services.returned_note"))
