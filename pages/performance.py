"""考核 (street officials): per officer and per department, handling speed and quality against the street,
and a printable monthly report per officer or department made from the same figures.

The period (and the month, for a monthly review) is kept in the URL (?period=, ?month=), so a link
opens the same review; a value the page does not offer falls back to the default, and the visitor
is told (app/url_state.py)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app import charts, formatting, monthly_report, staff_review, url_state
from app.context import page_context
from app.exports import audit_export, table_downloads
from app.staff_review import DEPARTMENT_METRICS, METRICS, MONTH
from app.widgets import chart, goal, judged_table, kpi, map_legend, month_axis, page_header, period_caption
from data_access import issues, periods
from data_access.filters import IssueFilters

PERIODS = ("90d", "180d", "12m", MONTH)  # their meaning: data_access/periods.py; MONTH: app/staff_review.py
DEFAULT_PERIOD = "180d"

ctx = page_context("performance")
t = ctx.t
page_header(ctx, "page.performance", t("performance.subtitle"))

as_of = ctx.as_of
months = {staff_review.month_key(m): m for m in staff_review.review_months(as_of, ctx.zone)}
month_keys = list(months)
row = st.container(horizontal=True, wrap=True, vertical_alignment="bottom")
url_state.seed("perf_period", url_state.choice("period", PERIODS, DEFAULT_PERIOD))
period = (
    row.segmented_control(
        t("filter.period"), list(PERIODS), key="perf_period", format_func=lambda p: t("performance.periods." + p)
    )
    or DEFAULT_PERIOD
)
if period == MONTH:
    last_complete = month_keys[min(1, len(month_keys) - 1)]  # what a review meeting looks at
    url_state.seed("perf_month", url_state.choice("month", month_keys, last_complete))
    month = row.selectbox(
        t("performance.month"),
        month_keys,
        key="perf_month",
        format_func=lambda k: staff_review.month_label(ctx, months[k]),
    )
    span = months[month]
else:
    span = periods.period(period, as_of, ctx.zone)
url_state.write({"lang": ctx.lang, "period": period} | ({"month": month} if period == MONTH else {}))
period_caption(ctx, span)
shown_period = {"month": staff_review.month_key(span)} if period == MONTH else {"period": period}  # for the audit log
figures = staff_review.figures_for(ctx, span, monthly=period == MONTH)
targets = ctx.settings.targets
street = figures.street_values

# A street official's own view is the whole street: the baseline every officer is compared with.
cols = st.columns(3)
kpi(cols[0], t("metric.received"), staff_review.text(METRICS[0], street["received"], ctx.lang))
kpi(
    cols[1],
    t("metric.resolution_rate"),
    formatting.share(street["resolution_rate"]),
    against=goal(ctx, "resolution_rate", street["resolution_rate"]),
)
kpi(
    cols[2],
    t("metric.on_time_share"),
    formatting.share(street["on_time_share"]),
    against=goal(ctx, "on_time_share", street["on_time_share"]),
)
cols = st.columns(3)
kpi(cols[0], t("metric.median_time"), formatting.hours(street["median_hours"], ctx.lang))
kpi(cols[1], t("metric.satisfaction"), formatting.number(street["satisfaction"], ctx.lang, 2))
kpi(
    cols[2],
    t("performance.col.patrols"),
    formatting.share(street["patrol_compliance"]),
    against=goal(ctx, "patrol_compliance", street["patrol_compliance"]),
)
st.caption(t("performance.baseline_note") + " " + staff_review.weeks_text(ctx, figures))


def judgements(frame: pd.DataFrame, metrics: tuple) -> dict[str, list]:
    """Every figure a target exists for, judged per row (app/targets.py)."""
    return {
        t(m.label_key): [targets.judge(m.target, v) for v in frame[m.column]] for m in metrics if m.target is not None
    }


def legend() -> None:
    map_legend([(charts.JUDGED[j], t(f"target.judgements.{j}"), "") for j in ("met", "near", "below")])


st.subheader(t("performance.officers"))
people = figures.officers
handled = people[people["received"].fillna(0) > 0].copy()
handled["vs_street"] = handled["on_time_share"] - street["on_time_share"]
handled = handled.sort_values(["on_time_share", "received"], ascending=[False, False], na_position="last")
names = [staff_review.officer_label(ctx, i, n) for i, n in zip(handled["officer_id"], handled["name"], strict=True)]
officer_table = pd.DataFrame(
    {
        t("patrols.col.officer"): names,
        t("patrols.col.role"): [ctx.label("role.", r) for r in handled["role"]],
        t("performance.col.area"): staff_review.area_labels(ctx, handled["grid_id"], handled["community_id"]),
    }
)
for metric in METRICS:
    officer_table[t(metric.label_key)] = [staff_review.table_value(metric, v, ctx.lang) for v in handled[metric.column]]
    if metric.column == "on_time_share":
        officer_table[t("performance.col.vs_street")] = [
            formatting.change(v, 0, True) or formatting.MISSING for v in handled["vs_street"]
        ]
# Each officer's count opens their issues of the same period on the map (a shareable link).
issues_column = t("performance.col.issues")
officer_links = officer_table.assign(
    **{
        issues_column: [
            f"issue_map?lang={ctx.lang}&officer={int(o)}&period=custom&from={span.first_day}&to={span.last_day}"
            for o in handled["officer_id"]
        ]
    }
)
judged_table(officer_links, judgements(handled, METRICS), {issues_column: t("performance.open_issues")})
legend()
st.caption(staff_review.targets_line(ctx))
idle = len(people) - len(handled)
for note in (
    staff_review.gaps_note(ctx, figures),
    t("performance.idle", count=idle) if idle else None,
):
    if note:
        st.caption(note)
table_downloads(ctx, officer_table, "staff_performance_officers", shown_period)

st.subheader(t("performance.trend"))
choices = dict(zip(handled["officer_id"].astype(int), names, strict=True))
picked = st.selectbox(t("performance.pick"), list(choices), format_func=choices.get, key="perf_officer")
twelve = periods.months(periods.today(as_of, ctx.zone), ctx.zone)  # whole months, this one so far
year = IssueFilters(since=twelve.since, until=twelve.until)
street_months = ctx.query(issues.resolution_figures, year, "month", percentiles=False)
if picked is not None:
    mine = ctx.query(
        issues.resolution_figures,
        IssueFilters(since=year.since, until=year.until, officer_ids=(int(picked),)),
        "month",
        percentiles=False,
    )
    chart(
        charts.officer_trend(
            street_months,
            mine,
            t("transparency.baseline"),
            choices[picked],
            t("metric.on_time_share"),
            month_axis(ctx, twelve),
            targets.on_time_share,
            t("target.line", target=formatting.share(targets.on_time_share, 0)),
        ),
        "perf_trend",
    )

st.subheader(t("performance.departments"))
departments = figures.departments
department_table = pd.DataFrame(
    {t("performance.col.department"): [staff_review.department_label(ctx, d) for d in departments["department"]]}
)
for metric in DEPARTMENT_METRICS:
    department_table[t(metric.label_key)] = [
        staff_review.table_value(metric, v, ctx.lang) for v in departments[metric.column]
    ]
judged_table(department_table, judgements(departments, DEPARTMENT_METRICS))
legend()
note = staff_review.departmentless_note(ctx, figures)
if note:
    st.caption(note)
table_downloads(ctx, department_table, "staff_performance_departments", shown_period)

# The monthly report: the same figures, for one month and one officer or department. -------------------
st.subheader(t("performance.report.heading"))
st.caption(t("performance.report.about"))
if period == MONTH:
    report_figures = figures
    st.caption(t("performance.report.same_month", month=staff_review.month_label(ctx, span)))
    report_row = st.container(horizontal=True, wrap=True, vertical_alignment="bottom")
else:
    report_row = st.container(horizontal=True, wrap=True, vertical_alignment="bottom")
    report_month = report_row.selectbox(
        t("performance.month"),
        month_keys,
        index=min(1, len(month_keys) - 1),
        key="perf_report_month",
        format_func=lambda k: staff_review.month_label(ctx, months[k]),
    )
    report_figures = staff_review.figures_for(ctx, months[report_month], monthly=True)
kind = (
    report_row.segmented_control(
        t("performance.report.kind"),
        ["officer", "department"],
        default="officer",
        key="perf_report_kind",
        format_func=lambda k: t("performance.report.kinds." + k),
    )
    or "officer"
)
report = None
if kind == "officer":
    staff_list = report_figures.officers
    labels = {
        int(i): staff_review.officer_label(ctx, i, n)
        for i, n in zip(staff_list["officer_id"], staff_list["name"], strict=True)
    }
    handled_in_month = dict(zip(staff_list["officer_id"].astype(int), staff_list["received"].fillna(0), strict=True))
    ordered = sorted(labels, key=lambda i: (-handled_in_month[i], labels[i]))  # the busiest first
    officer_id = report_row.selectbox(t("performance.pick"), ordered, format_func=labels.get, key="perf_report_officer")
    if officer_id is not None:
        report = staff_review.officer_report(ctx, report_figures, int(officer_id))
        audit_filters = {"month": staff_review.month_key(report_figures.span), "officer_id": int(officer_id)}
        name = staff_review.file_name(report_figures.span, "officer", int(officer_id))
else:
    named = [d for d in report_figures.departments["department"] if isinstance(d, str) and d.strip()]
    options = [staff_review.ALL_DEPARTMENTS, *named]
    department = report_row.selectbox(
        t("performance.report.kinds.department"),
        options,
        format_func=lambda d: (
            t("performance.report.all_departments")
            if d == staff_review.ALL_DEPARTMENTS
            else staff_review.department_label(ctx, d)
        ),
        key="perf_report_department",
    )
    if department == staff_review.ALL_DEPARTMENTS or department is None:
        report = staff_review.all_departments_report(ctx, report_figures)
        choice = "all"
    else:
        report = staff_review.department_report(ctx, report_figures, department)
        choice = str(options.index(department))
    audit_filters = {"month": staff_review.month_key(report_figures.span), "department": department or "all"}
    name = staff_review.file_name(report_figures.span, "department", choice)

if report is None:
    st.info(t("performance.report.nobody"))
else:
    preview = report.tables[0]
    frame = pd.DataFrame([[cell.text for cell in row] for row in preview.rows], columns=list(preview.columns))
    judged_table(
        frame,
        {column: [row[i].judgement for row in preview.rows] for i, column in enumerate(preview.columns)},
    )
    st.caption(" · ".join(t("performance.report.meta_item", label=label, value=value) for label, value in report.meta))
    document = monthly_report.build_html(report)
    st.container(horizontal=True).download_button(
        t("performance.report.download"),
        document.encode("utf-8"),
        file_name=name,
        mime="text/html",
        icon=":material/print:",
        key="perf_report_download",
        on_click=audit_export if ctx.audience.audited else "ignore",
        args=(ctx, "monthly_report", "html", report.rows, audit_filters) if ctx.audience.audited else None,
    )
    st.caption(t("performance.report.print_hint"))

with st.expander(t("transparency.definitions")):
    st.markdown(t("performance.definitions"))
