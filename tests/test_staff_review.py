"""考核 and its monthly report: the report holds the page's figures for the same month, names are
escaped, nobody and no department is blank or "unknown", uncovered issues are counted, every judged
figure is judged against its target, the download is audited."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import date, datetime
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from app import monthly_report, staff_review
from app.i18n import translate
from app.monthly_report import Cell, MonthlyReport, ReportTable
from app.targets import Targets
from data_access import staff
from data_access.engine import make_readonly_engine
from data_access.filters import IssueFilters
from data_access.localtime import SHANGHAI
from data_access.scope import Scope
from tests.apptest_helpers import USERS, rendered, run_app, texts

pytestmark = pytest.mark.usefixtures("app_env")

OCTOBER = "2026-10"
OCT_SINCE, OCT_UNTIL = datetime(2026, 9, 30, 16), datetime(2026, 10, 31, 16)  # October, Shanghai, in UTC
OCT_WEEKS = (date(2026, 10, 26), 4)  # the Mondays 5, 12, 19, 26 October: ended by 29 November
TARGETS = Targets()  # the app's defaults: the tests run without a targets setting


def zh(key: str, **params: object) -> str:
    return translate("zh", key, **params)


def report_html(drawn: list[tuple]) -> str:
    found = [data for name, data, _, _ in drawn if name and name.startswith("monthly_report_")]
    assert found, "no report download drawn"
    data = found[-1]() if callable(found[-1]) else found[-1]
    return data.decode("utf-8") if isinstance(data, bytes) else data


class _Tables(HTMLParser):
    """The report's tables as rows of cell texts (header row first), and each cell's class."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[tuple[str, str]]]] = []
        self._cell: list[str] | None = None
        self._class = ""

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell, self._class = [], dict(attrs).get("class") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append(("".join(self._cell), self._class))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def tables_of(document: str) -> list[list[list[tuple[str, str]]]]:
    parser = _Tables()
    parser.feed(document)
    return parser.tables


def month_view(at):  # noqa: ANN001, ANN201
    at.segmented_control(key="perf_period").set_value(staff_review.MONTH).run()
    at.selectbox(key="perf_month").set_value(OCTOBER).run()
    assert not at.exception, at.exception
    return at


def kpis(at) -> dict[str, str]:  # noqa: ANN001
    return {m.label: rendered(m.value) for m in at.metric}


def october_officers(url: str) -> pd.DataFrame:
    """The data layer asked directly, as the page documents it: October, its four ended weeks."""
    engine = make_readonly_engine(url)
    try:
        return staff.officer_performance(engine, Scope.street(), IssueFilters(OCT_SINCE, OCT_UNTIL), *OCT_WEEKS)
    finally:
        engine.dispose()


def test_the_officer_report_holds_the_page_figures_for_the_same_month(downloads, raw, tiny_sqlite_url) -> None:
    at = month_view(run_app("performance", USERS["street_official"]))
    table = at.dataframe[0].value
    tiles = kpis(at)
    departments = at.dataframe[1].value
    expected = october_officers(tiny_sqlite_url).set_index("officer_id")
    picker = at.selectbox(key="perf_report_officer")
    busiest = picker.value
    names = raw["officers"].set_index("officer_id")["name"]
    unique = [int(i) for i in expected.index if expected.loc[i, "received"] > 0 and (names == names[i]).sum() == 1]
    chosen = [busiest, *[i for i in unique if i != busiest][:2]]
    street_kpi = {
        "received": tiles[zh("metric.received")],
        "resolution_rate": tiles[zh("metric.resolution_rate")],
        "median_hours": tiles[zh("metric.median_time")],
        "on_time_share": tiles[zh("metric.on_time_share")],
        "satisfaction": tiles[zh("metric.satisfaction")],
        "patrol_compliance": tiles[zh("performance.col.patrols")],
        "resolved": f"{departments[zh('performance.col.resolved')].sum():,}",
    }
    checked = 0
    for officer_id in chosen:
        at.selectbox(key="perf_report_officer").set_value(officer_id).run()
        assert not at.exception
        document = report_html(downloads)
        (report,) = tables_of(document)
        header, *rows = report
        assert [c for c, _ in header] == [
            zh(f"performance.report.col.{c}") for c in ("metric", "value_officer", "street", "target", "verdict")
        ]
        page_row = table[table[zh("patrols.col.officer")] == names[officer_id]]
        assert len(page_row) == 1, names[officer_id]
        page_row = page_row.iloc[0]
        assert [r[0][0] for r in rows] == [zh(m.label_key) for m in staff_review.METRICS]
        for metric, row in zip(staff_review.METRICS, rows, strict=True):
            (label, _), (mine, mine_class), (street, _), (target, _), (verdict, _) = row
            shown = page_row[label]
            assert (mine.replace(",", "") if metric.kind == "count" else mine) == str(shown), (officer_id, label)
            if metric.column in street_kpi:
                assert street == street_kpi[metric.column], label
            judgement = TARGETS.judge(metric.target, expected.loc[officer_id, metric.column]) if metric.target else None
            assert verdict == (zh(f"performance.report.verdict.{judgement}") if judgement else "—"), label
            assert (f"j-{judgement}" in mine_class) if judgement else "j-" not in mine_class
            assert target == (staff_review.target_text(TARGETS.of(metric.target)) if metric.target else "—")
            checked += 1
        assert "2026年10月01日 至 2026年10月31日" in document  # the period's first and last day
        assert "2026年10月05日 至 2026年11月01日（4 周）" in document  # the patrol weeks
        assert "数据截至" in document and "2026年11月29日 08:00" in document and "生成时间" in document
    assert checked == 8 * len(chosen) and len(chosen) == 3

    # The street's reopen rate, counted from the raw rows.
    issues = raw["issues"]
    cohort = issues[
        (issues["reported_at"] >= OCT_SINCE)
        & (issues["reported_at"] < OCT_UNTIL)
        & ~issues["status"].isin(["rejected", "duplicate"])
    ]
    reopen_row = next(r for r in rows if r[0][0] == zh("performance.col.reopen"))
    assert reopen_row[2][0] == f"{(cohort['reopened_count'] > 0).mean() * 100:.1f}%"
    assert street_kpi["received"] == f"{len(cohort):,}"


def test_the_department_reports_hold_the_page_table(downloads) -> None:
    at = month_view(run_app("performance", USERS["street_official"]))
    page = at.dataframe[1].value
    at.segmented_control(key="perf_report_kind").set_value("department").run()
    assert not at.exception
    (report,) = tables_of(report_html(downloads))
    header, *rows = report
    assert [c for c, _ in header] == list(page.columns)
    street, rows = rows[-1], rows[:-1]
    assert street[0][0] == zh("performance.report.street_row")
    assert len(rows) == len(page)
    for page_row, row in zip(page.itertuples(index=False), rows, strict=True):
        for shown, (cell, css) in zip(page_row, row, strict=True):
            plain = re.sub(r"（(达标|接近|未达标)）$", "", cell)
            assert plain.replace(",", "") == str(shown)
            if plain != cell:  # judged: the word and the colour agree
                word = cell[len(plain) + 1 : -1]
                assert css.split()[0] == "j-" + {"达标": "met", "接近": "near", "未达标": "below"}[word]

    department = page.iloc[0, 0]
    at.selectbox(key="perf_report_department").set_value(department).run()
    (single,) = tables_of(report_html(downloads))
    values = {row[0][0]: row[1][0] for row in single[1:]}
    assert values[zh("performance.col.handled")].replace(",", "") == str(page.iloc[0][zh("performance.col.handled")])
    assert values[zh("metric.on_time_share")] == page.iloc[0][zh("metric.on_time_share")]
    assert zh("performance.col.patrols") not in values  # departments have no patrols


def test_a_month_chosen_for_the_report_alone_gives_the_same_report(downloads) -> None:
    at = month_view(run_app("performance", USERS["street_official"]))
    officer = at.selectbox(key="perf_report_officer").value
    from_month_view = tables_of(report_html(downloads))
    other = run_app("performance", USERS["street_official"])  # the page on 180 days
    other.selectbox(key="perf_report_month").set_value(OCTOBER).run()
    other.selectbox(key="perf_report_officer").set_value(officer).run()
    assert not other.exception
    assert tables_of(report_html(downloads)) == from_month_view


def test_the_review_period_and_month_come_from_the_link_and_go_back_into_it() -> None:
    chosen = month_view(run_app("performance", USERS["street_official"]))
    assert chosen.query_params["period"] in (staff_review.MONTH, [staff_review.MONTH])
    assert chosen.query_params["month"] in (OCTOBER, [OCTOBER])
    linked = run_app("performance", USERS["street_official"], params={"period": "month", "month": OCTOBER})
    assert not linked.exception, linked.exception
    assert linked.segmented_control(key="perf_period").value == staff_review.MONTH
    assert linked.selectbox(key="perf_month").value == OCTOBER
    assert kpis(linked) == kpis(chosen)
    assert not linked.toast  # a valid link is not questioned
    linked.segmented_control(key="perf_period").set_value("12m").run()
    assert linked.query_params["period"] in ("12m", ["12m"])
    assert "month" not in linked.query_params


@pytest.mark.parametrize("params", [{"period": "month", "month": "2019-01"}, {"period": "<b>7d</b>"},
                                    {"period": "month", "month": "../../etc"}])
def test_a_review_link_the_page_does_not_offer_opens_the_default_and_says_so(params) -> None:
    at = run_app("performance", USERS["street_official"], params=params)
    assert not at.exception, at.exception
    assert at.toast, "the visitor was not told the link was not valid"
    if params["period"] == "month":
        box = at.selectbox(key="perf_month")
        assert box.index == min(1, len(box.options) - 1)  # the last complete month, as without a link
    else:
        assert at.segmented_control(key="perf_period").value == "180d"


def test_the_report_download_is_audited(downloads, app_env) -> None:
    at = month_view(run_app("performance", USERS["street_official"]))
    officer = at.selectbox(key="perf_report_officer").value
    name, data, on_click, args = next(d for d in reversed(downloads) if d[0].startswith("monthly_report_"))
    assert name == f"monthly_report_{OCTOBER}_officer_{officer}.html"
    on_click(*args)  # what Streamlit runs on the click
    entry = json.loads((app_env / "audit.jsonl").read_text(encoding="utf-8").splitlines()[-1])
    assert entry["event"] == "export" and entry["user"] == "street" and entry["page"] == "performance"
    assert entry["filters"] == {"month": OCTOBER, "officer_id": officer, "table": "monthly_report", "format": "html"}
    assert entry["rows"] == len(staff_review.METRICS)


@pytest.fixture
def damaged_url(sqlite_copy: Path) -> tuple[str, dict]:
    """The tiny street with a name that is markup, a nameless officer, issues assigned to nobody and
    to an id not on record, and a category whose department is empty."""
    planted = {}
    with sqlite3.connect(sqlite_copy) as conn:
        window = "reported_at >= ? AND reported_at < ? AND status NOT IN ('rejected', 'duplicate')"
        bounds = (OCT_SINCE.isoformat(" "), OCT_UNTIL.isoformat(" "))
        busiest = conn.execute(
            f"SELECT assigned_officer_id FROM issues WHERE {window} AND assigned_officer_id IS NOT NULL"  # noqa: S608
            " GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 2",
            bounds,
        ).fetchall()
        planted["script"], planted["nameless"] = busiest[0][0], busiest[1][0]
        conn.execute(
            "UPDATE officers SET name = '<script>alert(1)</script>王' WHERE officer_id = ?", (planted["script"],)
        )
        conn.execute("UPDATE officers SET name = '  ' WHERE officer_id = ?", (planted["nameless"],))
        others = [
            r[0]
            for r in conn.execute(
                f"SELECT issue_id FROM issues WHERE {window} AND assigned_officer_id NOT IN (?, ?) ORDER BY issue_id",  # noqa: S608
                (*bounds, planted["script"], planted["nameless"]),
            )
        ]
        conn.execute(
            f"UPDATE issues SET assigned_officer_id = NULL WHERE issue_id IN ({others[0]}, {others[1]}, {others[2]})"
        )  # noqa: S608, E501
        conn.execute(f"UPDATE issues SET assigned_officer_id = 9999 WHERE issue_id IN ({others[3]}, {others[4]})")  # noqa: S608
        conn.execute("UPDATE issue_categories SET department = NULL, department_en = NULL WHERE code = 'pets'")
        conn.execute(f"UPDATE issues SET category_code = 'gone_code' WHERE issue_id IN ({others[5]}, {others[6]})")  # noqa: S608
        planted["departmentless"] = conn.execute(
            f"SELECT count(*) FROM issues WHERE {window} AND (category_code = 'pets' OR category_code IS NULL"  # noqa: S608
            " OR category_code NOT IN (SELECT code FROM issue_categories))",
            bounds,
        ).fetchone()[0]
        planted["unknown_code"] = conn.execute(
            f"SELECT count(*) FROM issues WHERE {window} AND category_code NOT IN (SELECT code FROM issue_categories)",  # noqa: S608
            bounds,
        ).fetchone()[0]
    return f"sqlite:///{sqlite_copy}", planted


def test_names_are_escaped_nobody_is_blank_and_uncovered_issues_are_counted(
    downloads, damaged_url, monkeypatch
) -> None:
    url, planted = damaged_url
    monkeypatch.setenv("DATABASE_URL", url)
    at = month_view(run_app("performance", USERS["street_official"]))
    officers, departments = at.dataframe[0].value, at.dataframe[1].value
    names = officers[zh("patrols.col.officer")]
    assert all(isinstance(n, str) and n.strip() for n in names)
    assert zh("performance.officer_unnamed", id=planted["nameless"]) in set(names)
    shown = texts(at)
    assert "上表未包括：3 件问题未分派给任何人员" in shown
    assert "2 件分派给了人员名册中没有的编号（#9999）" in shown
    assert zh("transparency.unknown") not in set(departments[zh("performance.col.department")])
    assert zh("performance.no_department") in set(departments[zh("performance.col.department")])
    no_department = departments[departments[zh("performance.col.department")] == zh("performance.no_department")]
    assert int(no_department[zh("performance.col.handled")].sum()) == planted["departmentless"]
    assert f"“未登记部门”一行共 {planted['departmentless']} 件" in shown
    assert planted["unknown_code"] >= 2
    assert f"{planted['unknown_code']} 件的类别代码不在类别表中" in shown
    pets = planted["departmentless"] - planted["unknown_code"]
    assert pets > 0 and f"{pets} 件的类别在类别表中没有填写部门" in shown

    at.selectbox(key="perf_report_officer").set_value(planted["script"]).run()
    document = report_html(downloads)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;王" in document
    assert "<script" not in document.lower() and "src=" not in document and "href=" not in document
    at.selectbox(key="perf_report_officer").set_value(planted["nameless"]).run()
    assert zh("performance.officer_unnamed", id=planted["nameless"]) in report_html(downloads)

    at.segmented_control(key="perf_report_kind").set_value("department").run()
    document = report_html(downloads)
    assert (
        zh("performance.no_department") in document and f"“未登记部门”一行共 {planted['departmentless']} 件" in document
    )

    english = month_view(run_app("performance", USERS["street_official"], lang="en"))
    names = set(english.dataframe[0].value[translate("en", "patrols.col.officer")])
    assert f"officer #{planted['nameless']} (no name on record)" in names
    assert "No department on record" in set(english.dataframe[1].value[translate("en", "performance.col.department")])


def test_every_figure_with_a_target_is_judged_and_the_tiles_carry_their_targets() -> None:
    at = month_view(run_app("performance", USERS["street_official"]))
    judged = {m.target for m in staff_review.METRICS if m.target}
    assert judged == {"resolution_rate", "on_time_share", "patrol_compliance"}  # every share of Targets shown here
    assert all(TARGETS.of(m.column) is None for m in staff_review.METRICS if not m.target)
    tiles = {m.label: m for m in at.metric}
    for label in (zh("metric.resolution_rate"), zh("metric.on_time_share"), zh("performance.col.patrols")):
        assert tiles[label].proto.delta_description.startswith("目标 "), label
    for label in (zh("metric.received"), zh("metric.median_time"), zh("metric.satisfaction")):
        assert not tiles[label].proto.delta_description, label


def test_the_builder_escapes_everything_and_prints_on_a4() -> None:
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    report = MonthlyReport(
        lang="zh",
        issuer=evil,
        title="月度考核报告 · " + evil,
        subject="人员：" + evil,
        meta=(("统计期", evil),),
        tables=(ReportTable(evil, (evil, "本人"), ((Cell(evil), Cell(evil, "below", numeric=True)),)),),
        notes=(evil,),
        footer=evil,
    )
    document = monthly_report.build_html(report)
    assert "<script" not in document.lower() and "<img" not in document.lower()
    assert (
        document.count(html_escaped(evil)) == 11
    )  # issuer, title twice, subject, meta, caption, head, 2 cells, note, footer
    assert "@page" in document and "size: A4" in document and "Noto Sans CJK SC" in document
    assert "default-src 'none'" in document  # nothing runs and nothing loads, whatever the data says
    assert 'class="j-below num"' in document


def html_escaped(text: str) -> str:
    import html

    return html.escape(text)


def test_months_and_their_patrol_weeks() -> None:
    as_of = datetime(2026, 11, 29)  # Sunday 29 November, 08:00 in Shanghai
    months = staff_review.review_months(as_of, SHANGHAI)
    assert len(months) == 12
    assert (months[0].first_day, months[0].last_day) == (date(2026, 11, 1), date(2026, 11, 29))
    assert (months[1].first_day, months[1].last_day) == (date(2026, 10, 1), date(2026, 10, 31))
    assert (months[-1].first_day, months[-1].last_day) == (date(2025, 12, 1), date(2025, 12, 31))
    assert staff_review.patrol_weeks(months[1], as_of, SHANGHAI, monthly=True) == OCT_WEEKS
    # November: the week of the 23rd is still in progress on Sunday morning
    assert staff_review.patrol_weeks(months[0], as_of, SHANGHAI, monthly=True) == (date(2026, 11, 16), 3)
    december = staff_review.review_months(datetime(2026, 12, 3), SHANGHAI)[0]
    assert staff_review.patrol_weeks(december, datetime(2026, 12, 3), SHANGHAI, monthly=True)[1] == 0
    assert staff_review.patrol_weeks(months[1], as_of, SHANGHAI, monthly=False) == (date(2026, 11, 16), 12)
