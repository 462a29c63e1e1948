"""The issue filter bar shared by the map and the transparency page; its state lives in the URL.

Every choice is read from the query string on arrival (through app/url_state's validators) and
written back on every run, so a copied link reopens the same view. The filters are declared once,
as the fields of IssueView: the URL, the audit entry, the data layer's IssueFilters and the
previous period all follow from that declaration, so a new filter is one new field (and its
widget). Narrowing never widens what the visitor may see: the audience's scope applies whatever
the filters say.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime, timedelta
from typing import Any

import streamlit as st

from app import url_state
from app.context import PageContext
from data_access import periods
from data_access.filters import IssueFilters
from data_access.localtime import local_date
from data_access.periods import Period
from data_access.schema import CHANNELS

PERIODS = ("7d", "30d", "90d", "12m", "custom")  # their meaning: data_access/periods.py
ALL_TIME = (*PERIODS[:-1], "all", "custom")  # lists that may reach back to the first report (the map)
SHOW = ("all", "open", "resolved", "overdue")  # overdue: open past the category's time limit, at the data's now
EARLIEST = date(2000, 1, 1)
ALL = ""  # the "no narrowing" choice of a selectbox (None would show Streamlit's placeholder)


def narrowing(url: str, filter_field: str | None = None, default: Any = ALL) -> Any:
    """A filter field: its URL parameter and the IssueFilters field it narrows (if any)."""
    return field(default=default, metadata={"url": url, "filter": filter_field})


@dataclass(frozen=True)
class IssueView:
    span: Period  # the period chosen (its key, days and instants)
    categories: tuple[str, ...] = narrowing("cat", "categories", ())
    channels: tuple[str, ...] = narrowing("channel", "channels", ())
    show: str = narrowing("show", None, "all")
    community: str = narrowing("community", "community_ids")
    grid: str = narrowing("grid", "grid_ids")
    at: datetime | None = None  # the data's "now": the instant "overdue" is judged at

    @classmethod
    def narrowings(cls) -> list:
        return [f for f in fields(cls) if "url" in f.metadata]

    @property
    def period(self) -> str:
        return self.span.key

    @property
    def since(self) -> datetime | None:
        return self.span.since  # None: "all" reaches back to the first report

    @property
    def until(self) -> datetime | None:
        return self.span.until

    @property
    def filters(self) -> IssueFilters:
        values: dict[str, Any] = {"since": self.since, "until": self.until}
        if self.show == "overdue":
            values["overdue_at"] = self.at
        for item in self.narrowings():
            value = getattr(self, item.name)
            if item.metadata["filter"]:
                values[item.metadata["filter"]] = value if isinstance(value, tuple) else ((value,) if value else ())
        return IssueFilters(**values)

    def previous(self) -> IssueFilters:
        """The same filters over the period just before (data_access/periods.py says which)."""
        return replace(self, span=self.span.previous()).filters

    def as_dict(self) -> dict[str, str]:
        """Every field as text (the audit entry of a view or an export)."""
        first, last = self.span.first_day, self.span.last_day
        out = {"period": self.period, "first_day": str(first or ""), "last_day": str(last or "")}
        return out | {item.name: _text(getattr(self, item.name)) for item in self.narrowings()}

    def url_params(self, lang: str) -> dict[str, str]:
        """The query string of this view (defaults left out)."""
        params = {"lang": lang, "period": self.period}
        for item in self.narrowings():
            value = getattr(self, item.name)
            if value != item.default and value != ():
                params[item.metadata["url"]] = _text(value)
        if self.period == "custom":
            params["from"] = str(self.span.first_day)
            params["to"] = str(self.span.last_day)
        return params


def _text(value: object) -> str:
    return ",".join(value) if isinstance(value, tuple) else str(value or "")


def _seed_from_url(key: str, allowed: dict[str, Any], today: date, periods_offered: tuple[str, ...]) -> None:
    """Seed every filter widget from its validated URL parameter (first run of the session only)."""
    url_state.seed(f"{key}_period", url_state.choice("period", periods_offered, "30d"))
    for item in IssueView.narrowings():
        name, options = item.metadata["url"], allowed[item.name]
        if item.default == ():
            url_state.seed(f"{key}_{item.name}", list(url_state.choices(name, options)))
        else:
            url_state.seed(f"{key}_{item.name}", url_state.choice(name, options, item.default))
    if f"{key}_range" not in st.session_state:
        end = url_state.day("to", today, EARLIEST, today)
        start = url_state.day("from", end - timedelta(days=29), EARLIEST, end)
        st.session_state[f"{key}_range"] = (min(start, end), end)


def filter_bar(
    ctx: PageContext,
    key: str,
    grid_community: dict[str, str],
    show_status: bool = True,
    periods_offered: tuple[str, ...] = PERIODS,
    write_url: bool = True,
) -> IssueView:
    """Render the filters (seeded from the URL), write them back to the URL, return the view.
    `grid_community`: the grids offered (grid id -> its community id). A page that keeps more in
    its URL (the map's chosen issue) passes write_url=False and writes view.url_params itself."""
    t = ctx.t
    category_names = ctx.category_names
    community_names = {c: n for c, n in ctx.community_names.items() if c in set(grid_community.values())}
    grid_names = {g: ctx.grid_names.get(g, g) for g in grid_community}
    today = local_date(ctx.as_of, ctx.zone)
    allowed = {
        "categories": category_names,
        "channels": CHANNELS,
        "show": SHOW,
        "community": community_names,
        "grid": grid_names,
    }
    _seed_from_url(key, allowed, today, periods_offered)

    with st.container(border=True):
        row = st.columns([1.1, 1.5, 1.2, 1.1, 1.5])  # a grid's full name fits at 1366 px
        period = row[0].selectbox(
            t("filter.period"), periods_offered, key=f"{key}_period", format_func=lambda p: t("filter.periods." + p)
        )
        chosen_categories = row[1].multiselect(
            t("filter.category"),
            list(category_names),
            key=f"{key}_categories",
            format_func=category_names.get,
            placeholder=t("filter.all"),
        )
        chosen_channels = row[2].multiselect(
            t("filter.channel"),
            list(CHANNELS),
            key=f"{key}_channels",
            format_func=lambda c: t("channel." + c),
            placeholder=t("filter.all"),
        )
        community = row[3].selectbox(
            t("filter.community"),
            [ALL, *community_names],
            key=f"{key}_community",
            format_func=lambda c: community_names.get(c, t("filter.all")),
        )
        in_community = [g for g in grid_names if not community or grid_community[g] == community]
        if st.session_state.get(f"{key}_grid") not in in_community:
            st.session_state[f"{key}_grid"] = ALL
        grid = row[4].selectbox(
            t("filter.grid"),
            [ALL, *in_community],
            key=f"{key}_grid",
            format_func=lambda g: grid_names.get(g, t("filter.all")),
        )
        start = end = None
        if period == "custom":
            picked = st.date_input(t("filter.range"), key=f"{key}_range", min_value=EARLIEST, max_value=today)
            start, end = picked if isinstance(picked, tuple) and len(picked) == 2 else (today, today)
        span = periods.period(period, ctx.as_of, ctx.zone, start, end)
        show = "all"
        if show_status:
            show = (
                st.segmented_control(
                    t("filter.show"), SHOW, key=f"{key}_show", format_func=lambda s: t("filter.shows." + s)
                )
                or "all"
            )

    view = IssueView(
        span, tuple(chosen_categories), tuple(chosen_channels), show, community or ALL, grid or ALL, ctx.as_of
    )
    if write_url:
        url_state.write(view.url_params(ctx.lang))
    return view
