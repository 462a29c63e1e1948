"""The issue filter bar shared by the map and the transparency page; its state lives in the URL.

Every choice is read from the query string on arrival and written back on
every run, so a copied link reopens the same view. Values from the URL are
checked against the allowed options (a hand-edited link cannot widen a scope:
the data layer applies the user's scope whatever the filters say).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pandas as pd
import streamlit as st

from app import url_state
from app.context import PageContext
from app.formatting import LOCAL_OFFSET
from data_access.filters import IssueFilters
from data_access.schema import CHANNELS

PERIODS = ("7d", "30d", "90d", "12m", "custom")
PERIOD_DAYS = {"7d": 7, "30d": 30, "90d": 90, "12m": 365}
SHOW = ("all", "open", "resolved")
EARLIEST = date(2000, 1, 1)
ALL = ""  # the "no narrowing" choice of a selectbox (None would show Streamlit's placeholder)


@dataclass(frozen=True)
class IssueView:
    period: str
    since: datetime  # naive UTC
    until: datetime
    categories: tuple[str, ...]
    channels: tuple[str, ...]
    show: str
    community: str | None
    grid: str | None

    @property
    def filters(self) -> IssueFilters:
        return IssueFilters(
            since=self.since,
            until=self.until,
            categories=self.categories,
            channels=self.channels,
            community_ids=(self.community,) if self.community else (),
            grid_ids=(self.grid,) if self.grid else (),
        )

    def previous(self) -> IssueFilters:
        """The same filters over the period of equal length just before."""
        length = self.until - self.since
        return IssueFilters(
            since=self.since - length,
            until=self.since,
            categories=self.categories,
            channels=self.channels,
            community_ids=(self.community,) if self.community else (),
            grid_ids=(self.grid,) if self.grid else (),
        )

    def as_dict(self) -> dict[str, str]:
        return {
            "period": self.period,
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "categories": ",".join(self.categories),
            "channels": ",".join(self.channels),
            "show": self.show,
            "community": self.community or "",
            "grid": self.grid or "",
        }


def _local_day_start(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time()) - LOCAL_OFFSET


def filter_bar(
    ctx: PageContext,
    as_of: datetime,
    categories: pd.DataFrame,
    communities: pd.DataFrame,
    grids: pd.DataFrame,
    key: str,
    show_status: bool = True,
) -> IssueView:
    """Render the filters (seeded from the URL), write them back to the URL, return the view."""
    t = ctx.t
    name_col = "name_zh" if ctx.lang == "zh" else "name_en"
    category_names = dict(zip(categories["code"], categories[name_col], strict=True))
    community_names = dict(zip(communities["community_id"], communities[name_col], strict=True))
    grid_names = dict(zip(grids["grid_id"], grids["name"], strict=True))
    grid_community = dict(zip(grids["grid_id"], grids["community_id"], strict=True))
    today = (as_of + LOCAL_OFFSET).date()

    url_state.seed_choice(f"{key}_period", "period", PERIODS, "30d")
    url_state.seed(f"{key}_cats", [c for c in url_state.from_url("cat").split(",") if c in category_names])
    url_state.seed(f"{key}_channels", [c for c in url_state.from_url("channel").split(",") if c in CHANNELS])
    url_state.seed_choice(f"{key}_show", "show", SHOW, "all")
    url_state.seed_choice(f"{key}_community", "community", community_names, ALL)
    url_state.seed_choice(f"{key}_grid", "grid", grid_names, ALL)
    try:
        end = min(date.fromisoformat(url_state.from_url("to")), today)  # a link may outlive the data
        custom = (min(date.fromisoformat(url_state.from_url("from")), end), end)
    except ValueError:
        custom = (today - timedelta(days=29), today)
    url_state.seed(f"{key}_range", custom)

    with st.container(border=True):
        row = st.columns([1.1, 1.6, 1.3, 1.2, 1.2])
        period = row[0].selectbox(
            t("filter.period"), PERIODS, key=f"{key}_period", format_func=lambda p: t("filter.periods." + p)
        )
        chosen_categories = row[1].multiselect(
            t("filter.category"),
            list(category_names),
            key=f"{key}_cats",
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
        if period == "custom":
            picked = st.date_input(t("filter.range"), key=f"{key}_range", min_value=EARLIEST, max_value=today)
            start, end = picked if isinstance(picked, tuple) and len(picked) == 2 else (today, today)
            since, until = _local_day_start(start), _local_day_start(end + timedelta(days=1))
        else:
            until = _local_day_start(today + timedelta(days=1))
            since = until - timedelta(days=PERIOD_DAYS[period])
        show = "all"
        if show_status:
            show = (
                st.segmented_control(
                    t("filter.show"), SHOW, key=f"{key}_show", format_func=lambda s: t("filter.shows." + s)
                )
                or "all"
            )

    view = IssueView(
        period, since, until, tuple(chosen_categories), tuple(chosen_channels), show, community or None, grid or None
    )
    _write_url(ctx, view)
    return view


def _write_url(ctx: PageContext, view: IssueView) -> None:
    params = {"lang": ctx.lang, "period": view.period}
    if view.categories:
        params["cat"] = ",".join(view.categories)
    if view.channels:
        params["channel"] = ",".join(view.channels)
    if view.show != "all":
        params["show"] = view.show
    if view.community:
        params["community"] = view.community
    if view.grid:
        params["grid"] = view.grid
    if view.period == "custom":
        params["from"] = (view.since + LOCAL_OFFSET).date().isoformat()
        params["to"] = (view.until + LOCAL_OFFSET - timedelta(days=1)).date().isoformat()
    url_state.write(params)
