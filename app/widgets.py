"""Shared page pieces: the header with data freshness, KPI tiles, safe tables."""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import streamlit as st
from pandas.io.formats.style import Styler

from app import formatting, layout, maps
from app.context import PageContext
from app.safe_text import md
from app.targets import Judgement, judge
from app.trend_months import Months
from data_access.periods import Period, today
from data_access.reference import data_as_of

# The width the browser really gives a map: measured in the page (a Streamlit v2 component, our own
# fixed script, no data in it) and sent back, so the server fits the area to it instead of a guess.
_MEASURE_JS = """
export default function(component) {
  const { setStateValue, parentElement } = component;
  const host = parentElement.closest('[data-testid="stVerticalBlock"]') || parentElement;
  let last = 0, timer = null;
  const send = () => {
    const width = Math.round(host.getBoundingClientRect().width / 10) * 10;
    if (width > 0 && Math.abs(width - last) >= 40) { last = width; setStateValue('width', width); }
  };
  send();
  const observer = new ResizeObserver(() => { clearTimeout(timer); timer = setTimeout(send, 300); });
  observer.observe(host);
  return () => { observer.disconnect(); clearTimeout(timer); };
}
"""
_measure = st.components.v2.component("syl_map_width", js=_MEASURE_JS, isolate_styles=False)
MAP_WIDTHS = (200, 8000)  # what a browser may claim; anything else is ignored


def map_width(key: str) -> int | None:
    """The map's width in CSS pixels as the visitor's browser reports it (None until it has: the
    first run of a page fits a 640 px guess, the next the real width)."""
    result = _measure(key=key, on_width_change=lambda: None)
    width = getattr(result, "width", None) if result is not None else None
    if isinstance(width, bool) or not isinstance(width, int | float):
        return None
    return int(width) if MAP_WIDTHS[0] <= width <= MAP_WIDTHS[1] else None


def fitted_map(
    ctx: PageContext,
    layers: list,
    bounds: tuple[float, float, float, float] | None,
    tooltip: dict | None,
    height: int,
    key: str,
    on_select: Callable[[], None] | None = None,
) -> None:
    """A pydeck map whose opening view fits `bounds` to the width the browser gives it, with the
    labels that would collide at that view left out (app/maps.py). With `on_select`, a click on a
    pickable object calls it (the selection is in st.session_state[key].selection)."""
    width = map_width(f"{key}_width")
    view = maps.view_for(bounds, width, height)
    settings = ctx.settings
    style = maps.basemap(settings.map_style, settings.map_tiles, settings.map_tiles_attribution)
    deck = maps.deck(maps.declutter(layers, view, width, height), view, style, tooltip)
    if on_select is None:
        st.pydeck_chart(deck, height=height, key=key)
    else:
        st.pydeck_chart(deck, height=height, key=key, on_select=on_select, selection_mode="single-object")


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


def month_axis(ctx: PageContext, span: Period) -> Months:
    """The months of a monthly trend over `span`, the one still going on marked "so far"."""
    return Months.over(span, today(ctx.as_of, ctx.zone), lambda month: ctx.t("period.so_far", month=month))


@dataclass(frozen=True)
class Goal:
    """A figure against its target: how it is judged and the short text saying so."""

    judgement: Judgement | None
    text: str


JUDGEMENT_COLORS = {"met": "green", "near": "orange", "below": "red"}  # Streamlit's Markdown colours


def goal(ctx: PageContext, metric: str, value: object, category: object = None) -> Goal | None:
    """`value` of `metric` against the street's target (app/targets.py); None where none applies."""
    target = ctx.settings.targets.of(metric, category)
    if target is None:
        return None
    judgement = judge(value, target)
    mark = {"met": " ✓", "near": " ✗", "below": " ✗"}.get(judgement or "", "")
    whole = abs(target * 100 - round(target * 100)) < 1e-9
    return Goal(judgement, ctx.t("target.short", target=formatting.share(target, 0 if whole else 1)) + mark)


def kpi(
    column,  # noqa: ANN001 - a Streamlit column or container
    label: str,
    value: str,
    delta: str | None = None,
    help_text: str | None = None,
    inverse: bool = False,
    neutral: bool = False,
    against: Goal | None = None,
) -> None:
    """A bordered metric tile; `inverse` when a rise is bad, `neutral` when it is neither good nor bad;
    `against` a target: the value coloured by the judgement and the target written under it.
    Streamlit renders a metric's value as Markdown, and a value can be a name from the database (the
    most reported category): it is escaped. Deltas are our own numbers (their sign sets the arrow)."""
    color = "off" if neutral else "inverse" if inverse else "normal"
    shown = md(value)
    if against is not None and against.judgement is not None:
        shown = f":{JUDGEMENT_COLORS[against.judgement]}[{shown}]"
    column.metric(
        label,
        shown,
        delta=delta,
        help=help_text,
        delta_color=color,
        border=True,
        delta_description=against.text if against is not None else None,
    )


def todo_card(
    ctx: PageContext,
    column,  # noqa: ANN001 - a Streamlit column or container
    label: str,
    count: int,
    page_id: str,
    params: dict[str, str],
    help_text: str | None = None,
    detail: str | None = None,
) -> None:
    """A to-do count with a link to the list behind it (that page, filtered by `params`)."""
    with column.container(border=True):
        st.metric(label, formatting.number(count, ctx.lang), help=help_text)
        if detail:
            st.caption(detail)
        ctx.link(page_id, ctx.t("todo.open_list"), ":material/arrow_forward:", params)


def _swatch(color: list[int] | str) -> str:
    if isinstance(color, str):  # "#rrggbb", a chart colour
        color = [int(color[i : i + 2], 16) for i in (1, 3, 5)]
    red, green, blue, *alpha = color
    opacity = (alpha[0] if alpha else 255) / 255
    return (
        f'<span style="width:1em;height:1em;border-radius:2px;flex:none;'
        f'background:rgba({red},{green},{blue},{max(opacity, 0.35):.2f});border:1px solid rgb({red},{green},{blue})">'
        "</span>"
    )


def map_legend(items: list[tuple[list[int] | str, str, str]]) -> None:
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


TABLE_COLORS = {"met": "#1e7d6f", "near": "#b8651f", "below": "#b03a2e"}


def judged_styler(frame: pd.DataFrame, judged: dict[str, list]) -> Styler:
    """`frame` (text cells) with its judged cells in their judgement's colour, bold (`judged`:
    column -> one judgement or None per row).

    A plain `frame.style.apply(...)` costs Streamlit a pass of pandas' HTML renderer over every
    cell on every run: half of the performance page's run with a city's 1,100 officers. This
    Styler carries the same CSS, worked out once per judged cell, and no per-cell display values
    (the cells are text already), so Streamlit sends what the slow path sends, for 1,100 x 11
    cells in 4 ms instead of 180-190 ms. tests/test_widgets.py holds it to the slow path's output, byte for byte, so a
    pandas or Streamlit upgrade that changes the contract fails there, not on a page."""
    selectors: dict[str, list[str]] = {}
    columns = list(frame.columns)
    marks = [(index, judged[column]) for index, column in enumerate(columns) if judged.get(column) is not None]
    for row in range(len(frame)):
        for index, column_marks in marks:
            if column_marks[row]:
                selectors.setdefault(column_marks[row], []).append(f"row{row}_col{index}")
    cellstyle = [
        {"props": [("color", TABLE_COLORS[mark]), ("font-weight", "600")], "selectors": cells}
        for mark, cells in selectors.items()
    ]
    styler = frame.style
    # What Streamlit's marshall_styler reads: _compute() (applies styles; nothing left to apply,
    # and its result is not used) and _translate() (here: the rules above, no body, so the frame's
    # own text is shown). Neither refers back to the styler, so it is freed without the collector.
    styler._compute = lambda: None
    styler._translate = lambda *_args, **_kwargs: {"cellstyle": cellstyle}
    return styler


def judged_table(frame: pd.DataFrame, judged: dict[str, list], links: dict[str, str] | None = None) -> None:
    """A text table whose rate cells are coloured by their judgement against the target
    (`judged`: column -> one judgement or None per row); `links`: column -> the text its link cells
    show (the column holds each row's relative URL)."""
    config = {column: st.column_config.LinkColumn(display_text=text) for column, text in (links or {}).items()}
    st.dataframe(judged_styler(frame, judged), hide_index=True, width="stretch", column_config=config)


def first_row(frame: pd.DataFrame) -> pd.Series:
    """The single row of an ungrouped figure query; all-missing when the period holds nothing."""
    if len(frame):
        return frame.iloc[0]
    return pd.Series({column: float("nan") for column in frame.columns}, dtype=object)


def chart(figure, key: str) -> None:  # noqa: ANN001 - a plotly Figure
    """A plotly chart the way every page shows one: full width, no mode bar (clutter on phones)."""
    st.plotly_chart(figure, key=key, config={"displayModeBar": False, "responsive": True})
