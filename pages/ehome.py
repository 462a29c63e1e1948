"""社区E家: the street's WeChat service — shared parking, online dialogue, government services online
and gate traffic — for residents (aggregates, small groups withheld) and staff (their scope, each
space and each waiting question; complaints about staff for street officials only).

URL: `?period=` (month, 30d, 90d, 12m), `?community=` (street and public views), `?tab=` (parking,
dialogue, services, needs, gates). The needs tab sets what residents ask for (themes of their reports
and questions) beside the activities held, and ranks the activities to hold next.
A database of contract version 2 lacks these tables: the page says which.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app import charts, formatting, registry, url_state
from app.context import page_context
from app.data import engine_for, segmenter_loading
from app.ehome_gates import render_gates
from app.ehome_services import render_services
from app.exports import shown_table
from app.safe_text import md
from app.widgets import chart, kpi, month_axis, page_header, period_caption
from data_access import consultations, faq, feedback, parking, periods, themes
from data_access.contract import lacks_ehome
from data_access.filters import EVERYWHERE, IssueFilters
from data_access.privacy import SUPPRESSED, count_text
from data_access.reference import consultation_topic_list

PERIODS = ("month", "30d", "90d", "12m")
TABS = registry.EHOME_TABS

ctx = page_context("ehome")
t = ctx.t
page_header(ctx, "page.ehome", t("ehome.subtitle"))

missing = lacks_ehome(engine_for(ctx.url))
if missing:
    st.info(t("ehome.lacks", tables=", ".join(missing)))
    st.stop()
segmenter_loading(ctx.url)  # the themes tab's dictionary, loading while this tab is read

as_of = ctx.as_of
community_names = ctx.community_names
staff = ctx.audience.is_staff
street_wide = not staff or ctx.audience.scope.kind == "street"
url_state.seed("eh_period", url_state.choice("period", PERIODS, "90d"))
url_state.seed("eh_community", url_state.choice("community", community_names, "") if street_wide else "")
url_state.seed("eh_tab", url_state.choice("tab", TABS, "parking"))
row = st.columns([2, 1.4])
period_key = (
    row[0].segmented_control(
        t("ehome.period"), PERIODS, key="eh_period", format_func=lambda p: t("ehome.periods." + p)
    )
    or "90d"
)
community = None
if street_wide:
    community = (
        row[1].selectbox(
            t("filter.community"),
            ["", *community_names],
            key="eh_community",
            format_func=lambda c: community_names.get(c, t("filter.all")),
        )
        or None
    )
tab = st.segmented_control(
    t("ehome.part"), TABS, key="eh_tab", format_func=lambda p: t("ehome.tabs." + p), label_visibility="collapsed"
) or "parking"
url_state.write(
    {"lang": ctx.lang, "period": period_key, "tab": tab} | ({"community": community} if community else {})
)
span = periods.period(period_key, as_of, ctx.zone)
since, until = span.since, min(span.until, as_of)
area = IssueFilters(community_ids=(community,)) if community else EVERYWHERE
period_caption(ctx, span)
k = ctx.settings.small_cell_k
number = lambda n, digits=0: formatting.number(n, ctx.lang, digits)  # noqa: E731


def hours_text(hours: object) -> str:
    """Hours as hours up to two days, then as days (a question waiting 16,598 hours waits 692 days)."""
    if hours is None or pd.isna(hours):
        return formatting.MISSING
    if float(hours) >= 48:
        return t("ehome.days", days=number(float(hours) / 24, 1))
    return t("ehome.hours", hours=number(hours, 1))


def hours_number(hours: object) -> str:
    """A KPI tile's hours, the unit in its label."""
    return formatting.MISSING if hours is None or pd.isna(hours) else number(hours, 1)


def show_parking() -> None:
    figures = ctx.query(parking.parking_figures, since, until, area)
    if not staff and 0 < figures["spaces"] < k:  # one or two spaces: their use is their owners' use
        kpi(st.columns(4)[0], t("ehome.parking.unmet"), number(figures["unmet"]))
        st.info(t("ehome.parking.too_few", k=k))
        return
    cols = st.columns(4)
    kpi(cols[0], t("ehome.parking.spaces"), number(figures["spaces"]), help_text=t("ehome.parking.spaces_help"))
    kpi(cols[1], t("ehome.parking.offered_hours"), number(figures["offered_hours"]))
    kpi(
        cols[2],
        t("ehome.parking.utilisation"),
        formatting.share(figures["utilisation"]),
        help_text=t("ehome.parking.utilisation_help"),
    )
    kpi(
        cols[3],
        t("ehome.parking.unmet"),
        number(figures["unmet"]),
        help_text=t("ehome.parking.unmet_help", share=formatting.share(figures["unmet_share"])),
    )
    if not figures["windows"] and not figures["unmet"]:
        st.info(t("ehome.parking.empty"))
        return
    left, right = st.columns([1.5, 1])
    with left:
        st.subheader(t("ehome.parking.by_hour"))
        by_hour = ctx.query(parking.parking_by_hour, since, until, area)
        days = [t(f"ehome.weekdays.{d}") for d in range(7)]
        chart(charts.week_hour_heatmap(by_hour, "utilisation", days, t("ehome.parking.utilisation")), "eh_heat")
        unmet_hours = by_hour.groupby("hour")["unmet"].sum()
        st.caption(
            t("ehome.parking.peak", hour=f"{int(unmet_hours.idxmax()):02d}:00", count=number(unmet_hours.max()))
            if unmet_hours.max() > 0
            else t("ehome.parking.no_unmet")
        )
    with right:
        st.subheader(t("ehome.parking.new_spaces"))
        months = periods.months(periods.today(as_of, ctx.zone), ctx.zone, 12)
        new = ctx.query(parking.new_spaces_by_month, months.since, months.until, area)
        if new.empty:
            st.info(t("ehome.parking.no_new"))
        else:
            chart(charts.month_bars(new, "new_spaces", month_axis(ctx, months), charts.TEAL), "eh_new")
    st.subheader(t("ehome.parking.by_community"))
    frame = ctx.query(parking.parking_by_community, since, until, area)
    hidden = frame[SUPPRESSED] if SUPPRESSED in frame else pd.Series(False, index=frame.index)
    table = pd.DataFrame(
        {
            t("filter.community"): [ctx.community_name(c) for c in frame["community_id"]],
            t("ehome.parking.spaces"): count_text(frame["spaces"], hidden, k),
            t("ehome.parking.offered"): ["" if h else number(v) for v, h in zip(frame["offered_hours"], hidden)],
            t("ehome.parking.booked"): ["" if h else number(v) for v, h in zip(frame["booked_hours"], hidden)],
            t("ehome.parking.utilisation"): [
                "" if h else formatting.share(v) for v, h in zip(frame["utilisation"], hidden)
            ],
            t("ehome.parking.bookings"): ["" if h else number(v) for v, h in zip(frame["bookings"], hidden)],
            t("ehome.parking.unmet"): ["" if h else number(v) for v, h in zip(frame["unmet"], hidden)],
            t("ehome.parking.unmet_share"): [
                "" if h else formatting.share(v) for v, h in zip(frame["unmet_share"], hidden)
            ],
        }
    )
    shown_table(ctx, table, "ehome_parking_by_community", {"period": period_key, "community": community})
    if hidden.any():
        st.caption(t("ehome.small_groups", k=k))
    st.subheader(t("ehome.parking.demand"))
    st.caption(t("ehome.parking.demand_help"))
    demand = ctx.query(parking.demand_by_grid, since, until, area)
    if SUPPRESSED in demand:
        demand = demand[~demand[SUPPRESSED]]
    demand = demand[demand["unmet"] > 0].head(10)
    if demand.empty:
        st.info(t("ehome.parking.no_unmet"))
    else:
        shown_table(
            ctx,
            pd.DataFrame(
                {
                    t("filter.grid"): [ctx.grid_name(g) for g in demand["grid_id"]],
                    t("ehome.parking.requests"): [number(v) for v in demand["requests"]],
                    t("ehome.parking.unmet"): [number(v) for v in demand["unmet"]],
                    t("ehome.parking.unmet_share"): [formatting.share(v) for v in demand["unmet_share"]],
                    t("ehome.parking.spaces"): [number(v) for v in demand["spaces"]],
                }
            ),
            "ehome_parking_demand",
            {"period": period_key, "community": community},
        )
    if not staff:
        return
    st.subheader(t("ehome.parking.per_space"))
    st.caption(t("ehome.parking.per_space_help"))
    spaces = ctx.query(parking.parking_spaces, since, until, area)
    shown_table(
        ctx,
        pd.DataFrame(
            {
                t("ehome.parking.space"): spaces["space_ref"],
                t("filter.grid"): [ctx.grid_name(g) for g in spaces["grid_id"]],
                t("ehome.parking.owner"): spaces["owner"],
                t("ehome.parking.offered"): [number(v) for v in spaces["offered_hours"]],
                t("ehome.parking.utilisation"): [formatting.share(v) for v in spaces["utilisation"]],
                t("ehome.parking.bookings"): spaces["bookings"],
                t("ehome.parking.no_shows"): spaces["no_shows"],
                t("ehome.parking.disputes"): spaces["disputes"],
                t("ehome.parking.cancelled"): spaces["cancelled"],
            }
        ),
        "ehome_parking_spaces",
        {"period": period_key, "community": community},
    )
    st.subheader(t("ehome.parking.per_owner"))
    owners = ctx.query(parking.parking_owners, since, until, area)
    shown_table(
        ctx,
        pd.DataFrame(
            {
                t("ehome.parking.owner"): owners["owner"],
                t("ehome.parking.spaces"): owners["spaces"],
                t("ehome.parking.offered"): [number(v) for v in owners["offered_hours"]],
                t("ehome.parking.utilisation"): [formatting.share(v) for v in owners["utilisation"]],
                t("ehome.parking.no_shows"): owners["no_shows"],
                t("ehome.parking.disputes"): owners["disputes"],
            }
        ),
        "ehome_parking_owners",
        {"period": period_key, "community": community},
    )


def show_dialogue() -> None:
    topics = ctx.query(consultation_topic_list)
    topic_names = dict(zip(topics["code"], topics[ctx.name_column]))
    topic_name = lambda code: topic_names.get(code) or t("ehome.dialogue.no_topic")  # noqa: E731
    figures = ctx.query(consultations.consultation_figures, since, until, area)
    cols = st.columns(5)
    kpi(cols[0], t("ehome.dialogue.asked"), number(figures["asked"]))
    kpi(cols[1], t("ehome.dialogue.median_hours"), hours_number(figures["median_hours"]),
        help_text=t("ehome.dialogue.median_help"))
    kpi(cols[2], t("ehome.dialogue.p90_hours"), hours_number(figures["p90_hours"]))
    kpi(cols[3], t("ehome.dialogue.within_target"), formatting.share(figures["within_target_share"]),
        help_text=t("ehome.dialogue.within_target_help"))
    kpi(cols[4], t("ehome.dialogue.became_issues"), number(figures["became_issues"]),
        help_text=t("ehome.dialogue.became_issues_help"))
    left, right = st.columns([1, 1.4])
    with left:
        st.subheader(t("ehome.dialogue.backlog"))
        backlog = ctx.query(consultations.backlog_by_age, as_of, area)
        chart(
            charts.bars([t("ehome.ages." + b) for b in backlog["bucket"]], list(backlog["waiting"]), charts.ORANGE),
            "eh_backlog",
        )
        st.caption(t("ehome.dialogue.backlog_help", count=number(backlog["waiting"].sum())))
    with right:
        st.subheader(t("ehome.dialogue.by_month"))
        months = periods.months(periods.today(as_of, ctx.zone), ctx.zone, 12)
        by_month = ctx.query(consultations.topics_by_month, months.since, months.until, area)
        if by_month.empty:
            st.info(t("ehome.dialogue.empty"))
        else:
            names = {code: topic_name(code) for code in by_month["topic_code"].unique()}
            figure = charts.stacked_by_month(by_month, "month", "topic_code", "asked", names, month_axis(ctx, months))
            chart(figure, "eh_topics")
    st.subheader(t("ehome.dialogue.by_topic"))
    frame = ctx.query(consultations.response_by_topic, since, until, area)
    hidden = frame[SUPPRESSED] if SUPPRESSED in frame else pd.Series(False, index=frame.index)
    shown_table(
        ctx,
        pd.DataFrame(
            {
                t("ehome.dialogue.topic"): [topic_name(c) for c in frame["topic_code"]],
                t("ehome.dialogue.asked"): count_text(frame["asked"], hidden, k),
                t("ehome.dialogue.median"): ["" if h else hours_text(v) for v, h in zip(frame["median_hours"], hidden)],
                t("ehome.dialogue.p90"): ["" if h else hours_text(v) for v, h in zip(frame["p90_hours"], hidden)],
                t("ehome.dialogue.within_target"): [
                    "" if h else formatting.share(v) for v, h in zip(frame["within_target_share"], hidden)
                ],
                t("ehome.dialogue.satisfaction"): [
                    "" if h or pd.isna(v) else number(v, 2) for v, h in zip(frame["satisfaction"], hidden)
                ],
            }
        ),
        "ehome_dialogue_topics",
        {"period": period_key, "community": community},
    )
    if not staff:
        return
    st.subheader(t("ehome.dialogue.waiting"))
    waiting = ctx.query(consultations.waiting_consultations, as_of, area)
    if waiting.empty:
        st.success(t("ehome.dialogue.none_waiting"))
    else:
        shown_table(
            ctx,
            pd.DataFrame(
                {
                    t("ehome.dialogue.number"): waiting["consultation_id"],
                    t("ehome.dialogue.topic"): [topic_name(c) for c in waiting["topic_code"]],
                    t("filter.grid"): [ctx.grid_name(g) for g in waiting["grid_id"]],
                    t("ehome.dialogue.asked_at"): [formatting.local_datetime(v, ctx.lang)
                                                   for v in waiting["asked_at"]],
                    t("ehome.dialogue.waited"): [hours_text(v) for v in waiting["waiting_hours"]],
                    t("ehome.dialogue.office"): [ctx.department_name(o) for o in waiting["answering_office"]],
                    t("ehome.dialogue.past_target"): [t("ehome.mark_yes") if p else "" for p in waiting["past_target"]],
                }
            ),
            "ehome_dialogue_waiting",
            {"community": community},
        )
    st.subheader(t("ehome.dialogue.faq"))
    st.caption(t("ehome.dialogue.faq_help"))
    asked_most = ctx.query(faq.frequent_questions, since, until, area)
    if asked_most.empty:
        st.info(t("ehome.dialogue.empty"))
    else:
        shown_table(
            ctx,
            pd.DataFrame(
                {
                    t("ehome.dialogue.question"): asked_most["question"],
                    t("ehome.dialogue.times"): [number(v) for v in asked_most["asked"]],
                    t("ehome.dialogue.topic"): [topic_name(c) for c in asked_most["topic_code"]],
                    t("ehome.dialogue.last_asked"): [formatting.local_datetime(v, ctx.lang)
                                                     for v in asked_most["last_asked"]],
                }
            ),
            "ehome_dialogue_faq",
            {"period": period_key, "community": community},
        )
    if ctx.audience.scope.kind != "street":
        return
    st.subheader(t("ehome.complaints.title"))
    st.caption(t("ehome.complaints.help"))
    complaints = ctx.query(consultations.staff_complaints, since, until, as_of)
    numbers = complaints["figures"]
    cols = st.columns(4)
    kpi(cols[0], t("ehome.dialogue.asked"), number(numbers["asked"]))
    kpi(cols[1], t("ehome.dialogue.median_hours"), hours_number(numbers["median_hours"]))
    kpi(cols[2], t("ehome.dialogue.within_target"), formatting.share(numbers["within_target_share"]))
    kpi(cols[3], t("ehome.complaints.waiting"), number(numbers["waiting"]), inverse=True)
    rows = complaints["rows"]
    if len(rows):
        shown_table(
            ctx,
            pd.DataFrame(
                {
                    t("ehome.dialogue.number"): rows["consultation_id"],
                    t("filter.community"): [ctx.community_name(c) for c in rows["community_id"]],
                    t("ehome.dialogue.asked_at"): [formatting.local_datetime(v, ctx.lang)
                                                   for v in rows["asked_at"]],
                    t("ehome.complaints.answered_at"): [formatting.local_datetime(v, ctx.lang)
                                                        for v in rows["first_answered_at"]],
                    t("ehome.dialogue.office"): [ctx.department_name(o) for o in rows["answering_office"]],
                    t("ehome.dialogue.satisfaction"): [
                        formatting.MISSING if pd.isna(v) else str(int(v)) for v in rows["satisfaction"]
                    ],
                }
            ),
            "ehome_staff_complaints",
            {"period": period_key},
        )


def trend_known(rising: object) -> bool:
    """A theme's trend is unknown (None) when the texts read do not reach back far enough."""
    return rising is not None and not pd.isna(rising)


def trend_label(rising: object) -> str:
    if not trend_known(rising):
        return t("ehome.needs.trend_unknown")
    return t("ehome.needs.rising") if rising else t("ehome.needs.steady")


def show_needs() -> None:
    st.caption(t("ehome.needs.help", k=k))
    with st.spinner(t("ehome.needs.reading")):
        table = ctx.query(feedback.theme_table, since, until, area)
    if SUPPRESSED in table:
        table = table[~table[SUPPRESSED]]
    if table.empty:
        st.info(t("ehome.needs.empty", k=k))
        return
    cut = ctx.query(feedback.counted_from, since, until, area)
    if cut is not None:  # more texts than are read at once: say what the figures cover
        st.warning(
            t("ehome.needs.sampled", count=number(feedback.MAX_TEXTS), date=formatting.local_date(cut, ctx.lang)),
            icon=":material/info:",
        )
    by_code = {theme.code: theme for theme in themes.themes()}
    name = lambda code: by_code[code].name_zh if ctx.lang == "zh" else by_code[code].name_en  # noqa: E731
    activity = lambda code: by_code[code].activity_zh if ctx.lang == "zh" else by_code[code].activity_en  # noqa: E731
    st.subheader(t("ehome.needs.suggested"))
    for rank, item in enumerate(table.head(3).itertuples(index=False), start=1):
        with st.container(border=True):
            st.markdown(f"**{rank}. {md(activity(item.theme))}**")
            st.caption(
                t(
                    "ehome.needs.evidence" if trend_known(item.rising) else "ehome.needs.evidence_no_trend",
                    theme=name(item.theme),
                    texts=number(item.texts),
                    groups=number(item.groups),
                    trend=trend_label(item.rising),
                    recent=number(item.recent),
                    previous=number(item.previous),
                    held=number(item.activities),
                )
            )
            if staff:
                samples = ctx.query(feedback.theme_samples, since, until, item.theme, area, 3)
                for text in samples["text"]:
                    st.text("“" + str(text)[:160] + "”")
    st.subheader(t("ehome.needs.themes"))
    shown_table(
        ctx,
        pd.DataFrame(
            {
                t("ehome.needs.theme"): [name(c) for c in table["theme"]],
                t("ehome.needs.texts"): [number(v) for v in table["texts"]],
                t("ehome.needs.from_issues"): [number(v) for v in table["issues"]],
                t("ehome.needs.from_questions"): [number(v) for v in table["consultations"]],
                t("ehome.needs.trend"): [trend_label(r) for r in table["rising"]],
                t("ehome.needs.held"): [number(v) for v in table["activities"]],
                t("ehome.needs.participants"): [number(v) for v in table["participants"]],
                t("ehome.needs.activity"): [activity(c) for c in table["theme"]],
            }
        ),
        "ehome_needs_themes",
        {"period": period_key, "community": community},
    )
    top = list(table["theme"].head(6))
    by_community = ctx.query(feedback.theme_by_community, since, until, area)
    if SUPPRESSED in by_community:
        by_community = by_community[~by_community[SUPPRESSED]]
    by_community = by_community[by_community["theme"].isin(top)]
    if len(by_community):
        st.subheader(t("ehome.needs.by_community"))
        grid = by_community.pivot_table(index="community_id", columns="theme", values="texts", aggfunc="sum")
        grid = grid.reindex(columns=[c for c in top if c in grid.columns])
        shown_table(
            ctx,
            pd.DataFrame(
                {t("filter.community"): [ctx.community_name(c) for c in grid.index]}
                | {name(c): [formatting.MISSING if pd.isna(v) else number(v) for v in grid[c]] for c in grid.columns}
            ),
            "ehome_needs_by_community",
            {"period": period_key, "community": community},
        )
        if not staff:
            st.caption(t("ehome.needs.by_community_help", k=k))
    months = periods.months(periods.today(as_of, ctx.zone), ctx.zone, 12)
    # Up to the data's "now", as the period's texts: the page's texts are then read once for both.
    by_month = ctx.query(feedback.theme_months, months.since, min(months.until, as_of), area)
    by_month = by_month[by_month["theme"].isin(top)]
    if len(by_month):
        st.subheader(t("ehome.needs.by_month"))
        names = {c: name(c) for c in top}
        chart(charts.stacked_by_month(by_month, "month", "theme", "texts", names, month_axis(ctx, months)), "eh_themes")


if tab == "parking":
    show_parking()
elif tab == "dialogue":
    show_dialogue()
elif tab == "services":
    render_services(ctx, since, until, area)
elif tab == "needs":
    show_needs()
else:
    render_gates(ctx, since, until, area)
st.caption(md(t("ehome.about")))
