"""The 审计日志 page in words: page names, details as "期间：近 30 天 · 社区：…", never None, nan or
JSON; it still works (with codes) without the read database, and its own export is still audited."""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest

from app import audit, registry
from app.i18n import translate
from data_access import staff
from data_access.filters import IssueFilters
from data_access.scope import Scope
from tests.apptest_helpers import USERS, run_app

pytestmark = pytest.mark.usefixtures("app_env")


def zh(key: str, **params: object) -> str:
    return translate("zh", key, **params)


@pytest.fixture
def log(app_env):
    """A log with the entries the app writes, and a few odd ones: no user, no row count, a page
    that no longer exists, missing values written as text, a line that is not JSON."""
    path = app_env / "audit.jsonl"

    def write(**entry) -> None:
        audit.record(path, **({"user": "admin", "role": "admin", "page": "overview"} | entry))

    view = audit.describe(
        staff.officer_performance,
        (Scope.street(), IssueFilters(datetime(2026, 6, 3, 16), datetime(2026, 11, 29, 16)), date(2026, 11, 16), 12),
        {},
    )
    write(user="street", role="street_official", event="view", page="performance", filters=view, rows=40)
    write(
        user="c01staff",
        role="community_staff",
        event="export",
        page="transparency",
        filters={"period": "30d", "community": "C01", "table": "resolution_by_community", "format": "csv"},
        rows=12,
    )
    write(
        event="export",
        page="issue_map",
        filters={
            "period": "custom",
            "first_day": "None",
            "last_day": "nan",
            "categories": "garbage,no_such_code",
            "channels": "wechat",
            "grid": "C02-G1",
            "show": "open",
            "table": "issues",
            "format": "json",
        },
        rows=3,
    )
    write(
        event="reveal",
        page="watchlist",
        user="street",
        role="street_official",
        filters={"query": "person_detail", "resident_id": 7, "reveal": True},
        rows=1,
    )
    write(
        event="export",
        page="performance",
        user="street",
        role="street_official",
        filters={"month": "2026-10", "officer_id": 12, "table": "monthly_report", "format": "html"},
        rows=8,
    )
    write(user=None, role="public", event="login_throttled", page="login", success=False)
    write(user="someone", role="public", event="login_failure", page="login", success=False)
    write(event="logout", page="old_page_gone")
    with path.open("a", encoding="utf-8") as handle:
        handle.write("not json at all\n")
    return path


def table_of(at):  # noqa: ANN001, ANN201
    assert not at.exception, at.exception
    (frame,) = [d.value for d in at.dataframe]
    return frame


def test_the_audit_log_is_in_words(log, raw) -> None:
    at = run_app("audit_log", USERS["admin"])
    frame = table_of(at)
    column = {name: zh(f"audit.columns.{name}") for name in audit.COLUMNS}
    cells = frame.astype(str).to_csv(index=False)  # every entry, the app's own (the overview's views) too
    for bad in ("None", "nan", "NaN", "NaT", "{", "}", "null", '"query"', "officer_performance", "C01"):
        assert bad not in cells, bad
    titles = {zh(spec.title_key) for spec in registry.PAGES}
    assert set(frame[column["page"]]) - titles == {"old_page_gone"}  # an id the registry no longer knows, as text

    mine = frame.tail(8).iloc[::-1].reset_index(drop=True)  # the log's first eight lines, oldest first
    assert list(mine[column["page"]]) == [
        zh("page.performance"),
        zh("page.transparency"),
        zh("page.issue_map"),
        zh("page.watchlist"),
        zh("page.performance"),
        zh("page.login"),
        zh("page.login"),
        "old_page_gone",
    ]
    c01 = raw["communities"].set_index("community_id").loc["C01", "name_zh"]
    grid = raw["grids"].set_index("grid_id").loc["C02-G1", "name"]
    garbage = raw["issue_categories"].set_index("code").loc["garbage", "name_zh"]
    assert list(mine[column["filters"]]) == [
        "查询：人员办理情况 · 起：2026年06月04日 00:00 · 止（不含）：2026年11月30日 00:00"
        " · 最后一周：2026年11月16日 · 周数：12",
        f"期间：近 30 天 · 社区：{c01} · 表格：各社区办理情况 · 格式：CSV",
        f"期间：自定义 · 类别：{garbage}、no_such_code · 渠道：微信公众号 · 网格：{grid} · 显示：仍未办结"
        " · 表格：问题列表 · 格式：JSON",
        "查询：个人详情 · 居民编号：7 · 查看完整信息：是",
        "月份：2026年10月 · 人员编号：12 · 表格：月度考核报告 · 格式：HTML",
        "—",  # sign-in and sign-out entries have no details
        "—",
        "—",
    ]
    assert list(mine[column["user"]]) == ["street", "c01staff", "admin", "street", "street", "—", "someone", "admin"]
    assert list(mine[column["rows"]]) == ["40", "12", "3", "1", "8", "—", "—", "—"]
    success, failure = zh("audit.outcomes.success"), zh("audit.outcomes.failure")
    assert list(mine[column["success"]]) == [success] * 5 + [failure, failure, success]
    assert list(mine[column["role"]])[:2] == [zh("role.street_official"), zh("role.community_staff")]
    assert list(mine[column["event"]])[:4] == [zh(f"audit.events.{e}") for e in ("view", "export", "export", "reveal")]
    assert all("年" in when and ":" in when for when in frame[column["at"]])


def test_the_audit_log_in_english(log, raw) -> None:
    frame = table_of(run_app("audit_log", USERS["admin"], lang="en"))
    c01 = raw["communities"].set_index("community_id").loc["C01", "name_en"]
    assert translate("en", "page.transparency") in set(frame["Page"])
    assert f"Period: Last 30 days · Community: {c01} · Table: Handling by community · Format: CSV" in set(
        frame[translate("en", "audit.columns.filters")]
    )


def test_without_the_database_codes_are_shown_and_nothing_breaks(log, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'no_such.sqlite'}")
    frame = table_of(run_app("audit_log", USERS["admin"]))
    details = set(frame[zh("audit.columns.filters")])
    assert "期间：近 30 天 · 社区：C01 · 表格：各社区办理情况 · 格式：CSV" in details
    assert "None" not in frame.to_csv(index=False)


def test_its_export_stays_audited(log, downloads, app_env) -> None:
    drawn = downloads
    at = run_app("audit_log", USERS["admin"])
    frame = table_of(at)
    csv = next(d for d in drawn if d[0] == "audit_log.csv")
    assert csv[1]().decode("utf-8-sig").splitlines()[0].split(",")[0] == zh("audit.columns.at")
    assert "{" not in csv[1]().decode("utf-8-sig")  # the file holds the words the page shows
    csv[2](*csv[3])
    entry = json.loads(log.read_text(encoding="utf-8").splitlines()[-1])
    assert entry["event"] == "export" and entry["user"] == "admin" and entry["page"] == "audit_log"
    assert entry["filters"] == {"user": "", "event": "", "days": 7, "table": "audit_log", "format": "csv"}
    assert entry["rows"] == len(frame)
    # ... and that entry reads as words too
    again = table_of(run_app("audit_log", USERS["admin"]))
    exported = again[again[zh("audit.columns.filters")].str.contains("表格：审计日志")]
    assert list(exported[zh("audit.columns.filters")]) == ["时间范围：近 7 天 · 表格：审计日志 · 格式：CSV"]
    assert list(exported[zh("audit.columns.page")]) == [zh("page.audit")]


def _audited_tables() -> set[str]:
    """Every table name a page passes to shown_table or table_downloads (what export entries name)."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    names = set()
    for path in [*root.glob("pages/*.py"), *root.glob("app/*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            called = getattr(node, "func", None)
            name = getattr(called, "id", getattr(called, "attr", None))
            at = {"shown_table": 2, "table_downloads": 2, "offline_section": 3}.get(name or "")
            if isinstance(node, ast.Call) and at is not None and len(node.args) > at:
                table = node.args[at]
                if isinstance(table, ast.Constant) and isinstance(table.value, str):
                    names.add(table.value)
    return names


def test_every_audited_query_and_table_has_a_name_in_both_languages() -> None:
    """The log names what was read in words: every person-level query function and every table a
    page exports has a catalogue entry (a new one without it would show its code)."""
    import importlib
    import pkgutil

    import data_access

    queries = set()
    for module in pkgutil.iter_modules(data_access.__path__):
        for value in vars(importlib.import_module(f"data_access.{module.name}")).values():
            access = getattr(value, "__access__", None)
            if access is not None and access.person_level:
                queries.add(value.__name__)
    tables = _audited_tables()
    assert {"grid_signals", "visit_worklist"} <= queries and {"devices_offline", "issues"} <= tables
    for lang in ("zh", "en"):
        missing = [q for q in queries if translate(lang, f"audit.queries.{q}") == f"audit.queries.{q}"]
        missing += [n for n in tables if translate(lang, f"audit.tables.{n}") == f"audit.tables.{n}"]
        assert not missing, (lang, sorted(missing))
