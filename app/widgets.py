"""Shared page pieces: the header with data freshness, KPI tiles, safe tables."""

from __future__ import annotations

import html

import pandas as pd
import streamlit as st

from app import formatting, layout
from app.context import PageContext
from app.safe_text import md
from data_access.periods import Period
from data_access.reference import data_as_of


def page_header(ctx: PageContext, title_key: str, subtitle: str | None = None) -> None:
    st.title(ctx.t(title_key))
    if subtitle:
        st.caption(subtitle)
    layout.freshness(ctx, ctx.query(data_as_of))


def period_caption(ctx: PageContext, span: Period) -> None:
    """The days a figure covers, written under it (data_access/periods.py defines them)."""
    if span.first_day is None or span.last_day is None:
        st.caption(ctx.t("period.all"))
        return
    first, last = (formatting.calendar_day(d, ctx.lang) for d in (span.first_day, span.last_day))
    st.caption(ctx.t("period.span", first=first, last=last))


def kpi(
    column,  # noqa: ANN001 - a Streamlit column or container
    label: str,
    value: str,
    delta: str | None = None,
    help_text: str | None = None,
    inverse: bool = False,
    neutral: bool = False,
) -> None:
    """A bordered metric tile; `inverse` when a rise is bad, `neutral` when it is neither good nor bad.
    Streamlit renders a metric's value as Markdown, and a value can be a name from the database (the
    most reported category): it is escaped. Deltas are our own numbers (their sign sets the arrow)."""
    color = "off" if neutral else "inverse" if inverse else "normal"
    column.metric(label, md(value), delta=delta, help=help_text, delta_color=color, border=True)


def _swatch(color: list[int]) -> str:
    red, green, blue, *alpha = color
    opacity = (alpha[0] if alpha else 255) / 255
    return (
        f'<span style="width:1em;height:1em;border-radius:2px;flex:none;'
        f'background:rgba({red},{green},{blue},{max(opacity, 0.35):.2f});border:1px solid rgb({red},{green},{blue})">'
        "</span>"
    )


def map_legend(items: list[tuple[list[int], str, str]]) -> None:
    """Under a map: a swatch per colour, its name and what it means (catalogue text, escaped all
    the same)."""
    entries = "".join(
        f'<span style="display:inline-flex;align-items:center;gap:.4em;margin:0 1.2em .3em 0">{_swatch(color)}'
        f'<b>{html.escape(name)}</b><span style="color:#5b6b7b">{html.escape(meaning)}</span></span>'
        for color, name, meaning in items
    )
    st.html(f'<div class="syl-legend" style="font-size:.85rem;display:flex;flex-wrap:wrap">{entries}</div>')


def text_table(frame: pd.DataFrame, column_labels: dict[str, str], **kwargs) -> None:  # noqa: ANN003
    """A table whose cells are shown as text (st.dataframe never interprets HTML or Markdown)."""
    st.dataframe(frame.rename(columns=column_labels), hide_index=True, width="stretch", **kwargs)


def first_row(frame: pd.DataFrame) -> pd.Series:
    """The single row of an ungrouped figure query; all-missing when the period holds nothing."""
    if len(frame):
        return frame.iloc[0]
    return pd.Series({column: float("nan") for column in frame.columns}, dtype=object)


def chart(figure, key: str) -> None:  # noqa: ANN001 - a plotly Figure
    """A plotly chart the way every page shows one: full width, no mode bar (clutter on phones)."""
    st.plotly_chart(figure, key=key, config={"displayModeBar": False, "responsive": True})
