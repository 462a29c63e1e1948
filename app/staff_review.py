"""考核 figures as the performance page shows them, and the monthly report made from the same ones.

The page's tables and the printable report (app/monthly_report.py) both come from `figures_for`
(the same data_access.staff / issues queries, through the page context) and are written with the
same `METRICS`: the same column, label, formatting and target for each figure. So a report cannot
disagree with the page for the same month and officer or department.

Months: the current local month (so far) and the 11 before it. Patrol compliance over a month
covers the ISO weeks whose Monday lies in that month and that have ended by the data's day (a week
is judged once it is over); over a rolling period, the last 12 ended weeks.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pandas as pd

from app import formatting
from app.context import PageContext
from app.monthly_report import Cell, MonthlyReport, ReportTable
from app.widgets import first_row
from data_access import issues, periods, staff
from data_access.filters import IssueFilters
from data_access.localtime import Zone
from data_access.periods import Period

MONTH = "month"  # the page's period choice "by month"
ROLLING_WEEKS = 12
ALL_DEPARTMENTS = ""  # the report's "every department" choice


@dataclass(frozen=True)
class Metric:
    column: str  # in officer_performance / department_performance / resolution_figures
    label_key: str
    kind: str  # count, share, hours, score
    target: str | None = None  # the Targets metric judging it (app/targets.py), None: not judged
    officers_only: bool = False


METRICS = (
    Metric("received", "performance.col.handled", "count"),
    Metric("resolved", "performance.col.resolved", "count"),
    Metric("resolution_rate", "metric.resolution_rate", "share", "resolution_rate"),
    Metric("median_hours", "metric.median_time", "hours"),
    Metric("on_time_share", "metric.on_time_share", "share", "on_time_share"),
    Metric("reopen_rate", "performance.col.reopen", "share"),
    Metric("satisfaction", "metric.satisfaction", "score"),
    Metric("patrol_compliance", "performance.col.patrols", "share", "patrol_compliance", officers_only=True),
)
DEPARTMENT_METRICS = tuple(m for m in METRICS if not m.officers_only)


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)


def text(metric: Metric, value: object, lang: str) -> str:
    """A figure as the page writes it."""
    if metric.kind == "count":
        return formatting.number(0 if _missing(value) else value, lang)  # no issues: none received
    if metric.kind == "share":
        return formatting.share(value)
    if metric.kind == "hours":
        return formatting.hours(value, lang)
    return formatting.number(value, lang, 2)


def table_value(metric: Metric, value: object, lang: str) -> object:
    """A table cell: counts stay numbers (so the column sorts), the rest as `text`."""
    if metric.kind == "count":
        return 0 if _missing(value) else int(value)  # type: ignore[call-overload]
    return text(metric, value, lang)


# Months and weeks. --------------------------------------------------------------------------------


def _month_end(first: date) -> date:
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def review_months(as_of: datetime, zone: Zone, count: int = 12) -> list[Period]:
    """The current local month (up to the data's day) and the `count` - 1 complete ones before it,
    newest first."""
    day = periods.today(as_of, zone)
    first = day.replace(day=1)
    found = []
    for _ in range(count):
        found.append(Period("custom", first, min(_month_end(first), day), zone))
        first = (first - timedelta(days=1)).replace(day=1)
    return found


def month_key(span: Period) -> str:
    return periods.month_key(span.first_day)  # type: ignore[arg-type]


def is_whole_month(span: Period) -> bool:
    return span.first_day is not None and span.last_day == _month_end(span.first_day)


def month_label(ctx: PageContext, span: Period) -> str:
    first = span.first_day
    name = f"{first.year}年{first.month}月" if ctx.lang == "zh" else first.strftime("%B %Y")  # type: ignore[union-attr]
    if is_whole_month(span):
        return name
    return ctx.t("performance.month_so_far", month=name, last=formatting.month_day(span.last_day, ctx.lang))


def patrol_weeks(span: Period, as_of: datetime, zone: Zone, monthly: bool) -> tuple[date, int]:
    """(the last Monday, how many weeks) patrol compliance covers for `span` (see the module)."""
    last_ended = periods.last_complete_week(as_of, zone)
    if not monthly or span.first_day is None:
        return last_ended, ROLLING_WEEKS
    month_end = _month_end(span.first_day)
    mondays = [
        span.first_day + timedelta(days=offset)
        for offset in range((month_end - span.first_day).days + 1)
        if (span.first_day + timedelta(days=offset)).weekday() == 0
    ]
    ended = [monday for monday in mondays if monday <= last_ended]
    return (ended[-1], len(ended)) if ended else (last_ended, 0)


# The figures, once per period. -------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    span: Period
    last_monday: date
    weeks: int  # patrol weeks covered (0: none ended)
    street: pd.Series  # resolution_figures of the whole street
    street_reopened: int  # reopen_counts of the whole street
    street_patrol: float | None
    officers: pd.DataFrame  # officer_performance: one row per officer on record
    departments: pd.DataFrame  # department_performance
    gaps: pd.DataFrame  # officer_gaps: issues no officer row holds
    departmentless: pd.DataFrame  # issues_without_department

    @property
    def street_values(self) -> dict[str, object]:
        values = {metric.column: self.street.get(metric.column) for metric in METRICS}
        received = self.street.get("received")
        reopened = self.street_reopened
        values["reopen_rate"] = reopened / received if not _missing(received) and received else None
        values["patrol_compliance"] = self.street_patrol
        return values


def figures_for(ctx: PageContext, span: Period, monthly: bool) -> Figures:
    """Everything the page's KPIs and tables, and the report, show for `span`."""
    filters = IssueFilters(since=span.since, until=span.until)
    last_monday, weeks = patrol_weeks(span, ctx.as_of, ctx.zone, monthly)
    reopened = ctx.query(issues.reopen_counts, filters)
    return Figures(
        span=span,
        last_monday=last_monday,
        weeks=weeks,
        street=first_row(ctx.query(issues.resolution_figures, filters)),
        street_reopened=int(reopened["reopened"].fillna(0).sum()),
        street_patrol=ctx.query(staff.street_patrol_compliance, last_monday, weeks),
        officers=ctx.query(staff.officer_performance, filters, last_monday, weeks),
        departments=ctx.query(staff.department_performance, filters),
        gaps=ctx.query(staff.officer_gaps, filters),
        departmentless=ctx.query(staff.issues_without_department, filters),
    )


# Names: nobody and no department is ever blank or "unknown". --------------------------------------


def officer_label(ctx: PageContext, officer_id: object, name: object) -> str:
    if isinstance(name, str) and name.strip():
        return name.strip()
    return ctx.t("performance.officer_unnamed", id=int(officer_id))  # type: ignore[call-overload]


def department_label(ctx: PageContext, department: object) -> str:
    """A department's name; "no department on record" for the row of issues whose category has
    none (both decided by ctx.department_name)."""
    return ctx.department_name(department)


def area_labels(ctx: PageContext, grid_ids: Iterable[object], community_ids: Iterable[object]) -> list[str]:
    """Each officer's area: their grid's name, or their community's for staff with no grid (the
    name tables merged once: a city's officer table asks 1,100 times)."""
    names = {**ctx.community_names, **ctx.grid_names}
    return [
        formatting.name_of(names, community if _missing(grid) else grid)
        for grid, community in zip(grid_ids, community_ids, strict=True)
    ]


def area_label(ctx: PageContext, grid_id: object, community_id: object) -> str:
    return area_labels(ctx, [grid_id], [community_id])[0]


def target_text(target: float | None) -> str:
    if target is None:
        return formatting.MISSING
    whole = abs(target * 100 - round(target * 100)) < 1e-9
    return formatting.share(target, 0 if whole else 1)


def targets_list(ctx: PageContext, metrics: tuple[Metric, ...] = METRICS) -> str:
    """ "办结率 90%，按时办结率 85%, ...": the target of every figure that has one."""
    targets = ctx.settings.targets
    parts = [
        ctx.t("performance.target_item", metric=ctx.t(m.label_key), target=target_text(targets.of(m.target)))
        for m in metrics
        if m.target
    ]
    return ctx.t("performance.list_separator").join(parts)


def targets_line(ctx: PageContext, metrics: tuple[Metric, ...] = METRICS) -> str:
    return ctx.t("performance.targets_line", targets=targets_list(ctx, metrics))


def _weeks_bounds(figures: Figures) -> tuple[date, date]:
    return figures.last_monday - timedelta(weeks=figures.weeks - 1), figures.last_monday + timedelta(days=6)


def weeks_text(ctx: PageContext, figures: Figures) -> str:
    """The sentence under the KPIs: which weeks patrol compliance covers."""
    if figures.weeks <= 0:
        return ctx.t("performance.patrol_no_weeks")
    first, last = (formatting.calendar_day(d, ctx.lang) for d in _weeks_bounds(figures))
    return ctx.t("performance.patrol_weeks", first=first, last=last, weeks=figures.weeks)


def weeks_span(ctx: PageContext, figures: Figures) -> str:
    """The same weeks, for the report's list of facts."""
    if figures.weeks <= 0:
        return ctx.t("performance.patrol_no_weeks")
    first, last = (formatting.calendar_day(d, ctx.lang) for d in _weeks_bounds(figures))
    return ctx.t("performance.report.weeks_span", first=first, last=last, weeks=figures.weeks)


def span_text(ctx: PageContext, span: Period) -> str:
    return ctx.t(
        "performance.report.span",
        first=formatting.calendar_day(span.first_day, ctx.lang),
        last=formatting.calendar_day(span.last_day, ctx.lang),
    )


def departmentless_note(ctx: PageContext, figures: Figures) -> str | None:
    """Under the department table: what its unnamed row holds and why."""
    frame = figures.departmentless
    if frame.empty or int(frame["received"].sum()) == 0:
        return None
    by_reason = frame.groupby("reason")["received"].sum()
    reasons = [
        ctx.t(f"performance.departmentless.{reason}", count=formatting.number(by_reason[reason], ctx.lang))
        for reason in ("no_department", "unknown_category", "no_category")
        if by_reason.get(reason, 0)
    ]
    return ctx.t(
        "performance.departmentless.note",
        name=ctx.t("performance.no_department"),
        count=formatting.number(frame["received"].sum(), ctx.lang),
        reasons=ctx.t("performance.list_separator").join(reasons),
    )


def gaps_note(ctx: PageContext, figures: Figures) -> str | None:
    """Under the officer table: the issues it does not cover (assigned to nobody, or to an id not on
    record)."""
    gaps = figures.gaps
    if gaps.empty:
        return None
    nobody = int(gaps.loc[gaps["officer_id"].isna(), "received"].sum())
    unknown = gaps[gaps["officer_id"].notna()]
    parts = []
    if nobody:
        received = figures.street.get("received")
        share = nobody / received if not _missing(received) and received else None
        parts.append(
            ctx.t(
                "performance.gaps.unassigned",
                count=formatting.number(nobody, ctx.lang),
                share=formatting.share(share),
            )
        )
    if len(unknown):
        ids = ctx.t("performance.list_separator").join(f"#{int(i)}" for i in unknown["officer_id"].head(10))
        parts.append(
            ctx.t(
                "performance.gaps.unknown_ids",
                count=formatting.number(unknown["received"].sum(), ctx.lang),
                ids=ids + ("…" if len(unknown) > 10 else ""),
            )
        )
    return ctx.t("performance.gaps.note", parts=ctx.t("performance.list_separator").join(parts)) if parts else None


# The report. ----------------------------------------------------------------------------------------


def _judged_cell(ctx: PageContext, metric: Metric, value: object, with_word: bool) -> Cell:
    judgement = ctx.settings.targets.judge(metric.target, value) if metric.target else None
    shown = text(metric, value, ctx.lang)
    if with_word and judgement:
        shown = ctx.t(
            "performance.report.judged", value=shown, judgement=ctx.t(f"performance.report.verdict.{judgement}")
        )
    return Cell(shown, judgement, numeric=True)


def _figure_table(
    ctx: PageContext, figures: Figures, values: dict[str, object], metrics: tuple[Metric, ...], subject: str
) -> ReportTable:
    """One subject's figures against the street's and the target, judged."""
    targets = ctx.settings.targets
    street = figures.street_values
    rows = []
    for metric in metrics:
        value = values.get(metric.column)
        judgement = targets.judge(metric.target, value) if metric.target else None
        verdict = ctx.t(f"performance.report.verdict.{judgement}") if judgement else formatting.MISSING
        rows.append(
            (
                Cell(ctx.t(metric.label_key)),
                Cell(text(metric, value, ctx.lang), judgement, numeric=True),
                Cell(text(metric, street.get(metric.column), ctx.lang), numeric=True),
                Cell(target_text(targets.of(metric.target)) if metric.target else formatting.MISSING, numeric=True),
                Cell(verdict, judgement),
            )
        )
    columns = tuple(
        ctx.t(f"performance.report.col.{c}") for c in ("metric", f"value_{subject}", "street", "target", "verdict")
    )
    return ReportTable(ctx.t("performance.report.figures"), columns, tuple(rows))


def _meta(ctx: PageContext, figures: Figures, with_weeks: bool) -> tuple[tuple[str, str], ...]:
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    items = [
        (ctx.t("performance.report.period"), span_text(ctx, figures.span)),
    ]
    if with_weeks:
        items.append((ctx.t("performance.report.weeks"), weeks_span(ctx, figures)))
    items += [
        (ctx.t("performance.report.targets"), targets_list(ctx, METRICS if with_weeks else DEPARTMENT_METRICS)),
        (ctx.t("performance.report.generated"), formatting.local_datetime(now, ctx.lang)),
        (ctx.t("performance.report.as_of"), formatting.local_datetime(ctx.as_of, ctx.lang)),
    ]
    return tuple(items)


def _report(
    ctx: PageContext,
    figures: Figures,
    subject: str,
    tables: tuple[ReportTable, ...],
    notes: list[str],
    with_weeks: bool,
) -> MonthlyReport:
    title = ctx.t("performance.report.title", month=month_label(ctx, figures.span))
    notes = [*notes, ctx.t("performance.report.legend"), ctx.t("performance.report.definitions")]
    return MonthlyReport(
        lang=ctx.lang,
        issuer=ctx.t("app.title"),
        title=title,
        subject=subject,
        meta=_meta(ctx, figures, with_weeks),
        tables=tables,
        notes=tuple(notes),
        footer=ctx.t("performance.report.footer"),
        file_title=f"{title} · {subject}",
    )


def officer_report(ctx: PageContext, figures: Figures, officer_id: int) -> MonthlyReport:
    row = figures.officers[figures.officers["officer_id"] == officer_id].iloc[0]
    subject = ctx.t(
        "performance.report.officer",
        name=officer_label(ctx, officer_id, row["name"]),
        role=ctx.label("role.", row["role"]),
        area=area_label(ctx, row["grid_id"], row["community_id"]),
    )
    values = {metric.column: row.get(metric.column) for metric in METRICS}
    table = _figure_table(ctx, figures, values, METRICS, "officer")
    return _report(ctx, figures, subject, (table,), [], with_weeks=True)


def department_report(ctx: PageContext, figures: Figures, department: str) -> MonthlyReport:
    rows = figures.departments[figures.departments["department"] == department]
    values = {metric.column: (rows.iloc[0].get(metric.column) if len(rows) else None) for metric in DEPARTMENT_METRICS}
    subject = ctx.t("performance.report.department", name=department_label(ctx, department))
    table = _figure_table(ctx, figures, values, DEPARTMENT_METRICS, "department")
    return _report(ctx, figures, subject, (table,), [], with_weeks=False)


def all_departments_report(ctx: PageContext, figures: Figures) -> MonthlyReport:
    columns = (ctx.t("performance.col.department"), *(ctx.t(m.label_key) for m in DEPARTMENT_METRICS))
    rows = [
        (
            Cell(department_label(ctx, row["department"])),
            *(_judged_cell(ctx, m, row[m.column], with_word=True) for m in DEPARTMENT_METRICS),
        )
        for _, row in figures.departments.iterrows()
    ]
    street = figures.street_values
    rows.append(
        (
            Cell(ctx.t("performance.report.street_row")),
            *(Cell(text(m, street.get(m.column), ctx.lang), numeric=True) for m in DEPARTMENT_METRICS),
        )
    )
    table = ReportTable(ctx.t("performance.report.departments"), columns, tuple(rows), baseline_rows=(len(rows) - 1,))
    note = departmentless_note(ctx, figures)
    subject = ctx.t("performance.report.all_departments")
    return _report(ctx, figures, subject, (table,), [note] if note else [], with_weeks=False)


def file_name(span: Period, kind: str, choice: object) -> str:
    """An ASCII file name: the month, and the officer's id or the department's position."""
    return f"monthly_report_{month_key(span)}_{kind}_{choice}.html"
