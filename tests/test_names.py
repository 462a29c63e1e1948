"""Names in English: grids.name_en (optional in the contract), its pinyin fallback, the importer
filling it, and users seeing names, never raw codes, in English as in Chinese."""

from __future__ import annotations

import re
import sqlite3

import pytest
from sqlalchemy import create_engine, select

from app import formatting
from app.i18n import translate
from data_access import analytical
from data_access.contract import check_contract, ensure_usable
from data_access.engine import make_readonly_engine
from data_access.names import english_name, english_or_given
from data_access.reference import category_list, community_list, grid_list
from data_access.schema import grids
from data_access.scope import Scope
from fixtures.target import check_target, import_transaction
from tests.apptest_helpers import open_page, payload

HAN = re.compile(r"[\u3400-\u9fff]")


@pytest.mark.parametrize(
    ("chinese", "english"),
    [
        ("虎头岩社区第1网格", "Hutouyan Grid 1"),
        ("嘉华社区第十二网格", "Jiahua Grid 12"),
        ("金银湾社区第２网格", "Jinyinwan Grid 2"),  # a full-width digit, as Excel exports type it
        ("第3网格", "Grid 3"),
        ("长江社区", "Changjiang Community"),
        ("石油路街道", "Shiyoulu Street"),
        ("渝州路", "Yuzhou Road"),
        ("解放碑", "Jiefangbei"),
        ("Mission", "Mission"),  # already Latin: kept
        ("市政所", "Shizheng Office"),  # a department the feed gave no English name
        ("城管执法中队", "Chengguanzhifa Squad"),
        ("", ""),
    ],
)
def test_english_form_of_chinese_area_names(chinese, english) -> None:
    assert english_name(chinese) == english


def test_a_given_english_name_wins_over_the_fallback() -> None:
    assert english_or_given("Tiger Rock 1", "虎头岩社区第1网格") == "Tiger Rock 1"
    for missing in (None, float("nan"), "", "  "):
        assert english_or_given(missing, "虎头岩社区第1网格") == "Hutouyan Grid 1"


def test_the_demo_street_names_every_grid_in_english(raw) -> None:
    frame = raw["grids"]
    assert frame["name_en"].notna().all()
    assert not frame["name_en"].str.contains(HAN).any()
    assert frame["name_en"].is_unique


def test_pinyin_is_loaded_only_for_a_name_without_english() -> None:
    """pypinyin holds about 55 MB per process: names read from a feed that gives English names, in both
    languages, do not load it; the first name that needs romanising does."""
    import subprocess
    import sys
    from pathlib import Path

    script = (
        "import sys\n"
        "from data_access.names import english_name, english_or_given\n"
        "assert english_or_given('Hutouyan Grid 1', '虎头岩社区第1网格') == 'Hutouyan Grid 1'\n"
        "assert english_name('Mission') == 'Mission'\n"
        "assert 'pypinyin' not in sys.modules\n"
        "assert english_name('长江社区') == 'Changjiang Community'\n"
        "assert 'pypinyin' in sys.modules\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False,
                          cwd=Path(__file__).resolve().parent.parent)
    assert done.returncode == 0, done.stderr


def _without_english_names(path) -> None:  # noqa: ANN001
    with sqlite3.connect(path) as conn:
        conn.execute("ALTER TABLE grids DROP COLUMN name_en")
        conn.execute("ALTER TABLE issue_categories DROP COLUMN department_en")


def test_a_database_without_grids_name_en_still_works_in_both_languages(sqlite_copy) -> None:
    _without_english_names(sqlite_copy)
    engine = make_readonly_engine(f"sqlite:///{sqlite_copy}")
    report = ensure_usable(engine)  # not refused: the columns are optional
    assert set(report.missing_optional) == {"grids.name_en", "issue_categories.department_en"}
    categories = category_list(engine)
    assert list(categories["department_en"]) == [english_name(d) if d else None for d in categories["department"]]
    frame = grid_list(engine, Scope.street())
    assert list(frame["name_en"]) == [english_name(n) for n in frame["name"]]
    assert not frame["name_en"].str.contains(HAN).any()
    # The analytical copy builds without it too, and answers the same grids.
    copy = analytical.AnalyticalCopy(engine, refresh_seconds=float("inf"), strict=True)
    copy.load_now()
    routed = analytical.RoutedEngine(engine, copy)
    assert list(grid_list(routed, Scope.street())["name_en"]) == list(frame["name_en"])


def test_the_importer_adds_and_fills_english_names_and_keeps_those_given(sqlite_copy) -> None:
    _without_english_names(sqlite_copy)
    target = check_target(f"sqlite:///{sqlite_copy}")
    with import_transaction(target):  # what every import run does first
        pass
    writable = create_engine(f"sqlite:///{sqlite_copy}")
    with writable.begin() as conn:
        rows = dict(conn.execute(select(grids.c.grid_id, grids.c.name_en)).all())
        assert all(rows.values()) and not any(HAN.search(v) for v in rows.values())
        first, second = sorted(rows)[:2]
        conn.execute(grids.update().where(grids.c.grid_id == first).values(name_en="Tiger Rock One"))
        conn.execute(grids.update().where(grids.c.grid_id == second).values(name_en=None))
    writable.dispose()
    with import_transaction(check_target(f"sqlite:///{sqlite_copy}")):
        pass
    with sqlite3.connect(sqlite_copy) as conn:
        after = dict(conn.execute("SELECT grid_id, name_en FROM grids").fetchall())
    assert after[first] == "Tiger Rock One"  # the feed's own name is never replaced
    assert after[second] == rows[second]  # an emptied one is filled again
    with sqlite3.connect(sqlite_copy) as conn:
        departments = conn.execute("SELECT department, department_en FROM issue_categories").fetchall()
    assert departments and all(en == english_name(zh) for zh, en in departments if zh)
    assert check_contract(make_readonly_engine(f"sqlite:///{sqlite_copy}")).missing_optional == ()


def test_community_names_fall_back_across_languages(sqlite_copy) -> None:
    with sqlite3.connect(sqlite_copy) as conn:
        conn.execute("UPDATE communities SET name_en = '' WHERE community_id = 'C01'")
        conn.execute("UPDATE communities SET name_zh = '' WHERE community_id = 'C02'")
    frame = community_list(make_readonly_engine(f"sqlite:///{sqlite_copy}")).set_index("community_id")
    assert frame.loc["C01", "name_en"] == english_name(frame.loc["C01", "name_zh"]) != ""
    assert frame.loc["C02", "name_zh"] == frame.loc["C02", "name_en"] != ""


# --- pages -------------------------------------------------------------------------------------


def _open(page: str, query: dict[str, str], lang: str = "en"):  # noqa: ANN202
    return open_page(page, query, lang=lang)


@pytest.mark.usefixtures("app_env")
@pytest.mark.parametrize(
    ("page", "query"),
    [
        ("overview", {}),
        ("transparency", {"period": "12m"}),
        ("transparency", {"period": "12m", "community": "C02"}),  # its grids, by name
        ("big_screen", {"panel": "areas", "community": "C02"}),
        ("big_screen", {"panel": "map", "community": "C02"}),
        ("big_screen", {"panel": "patrols", "community": "C02"}),
    ],
)
def test_english_pages_hold_no_chinese_and_no_raw_codes(page, query, raw) -> None:
    sent = payload(_open(page, query))
    if page == "big_screen":
        from tests.test_big_screen import _html

        sent += _html(_open(page, query))
    assert not HAN.findall(sent), sorted(set(HAN.findall(sent)))[:10]
    for word in ("None", "nan", "NaN", "legacy_unknown"):
        assert not re.search(rf"\b{word}\b", sent), word
    grid_codes = set(raw["grids"]["grid_id"])
    assert not {code for code in grid_codes if re.search(rf"\b{re.escape(code)}\b", sent)}


@pytest.mark.usefixtures("app_env")
def test_performance_names_departments_in_english(raw) -> None:
    from tests.apptest_helpers import USERS

    at = open_page("performance", user=USERS["street_official"], lang="en")
    column = translate("en", "performance.col.department")
    table = next(frame.value for frame in at.dataframe if column in frame.value.columns)
    english = set(raw["issue_categories"]["department_en"])
    assert set(table[column]) - {translate("en", "performance.no_department")} <= english
    assert not any(HAN.search(str(v)) for v in table[column])


@pytest.mark.usefixtures("app_env")
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_unknown_category_code_is_named_as_unknown(lang, raw) -> None:
    known = set(raw["issue_categories"]["code"])
    planted = set(raw["issues"]["category_code"].dropna()) - known
    assert planted, "the demo street plants issues of a category the table does not hold"
    everything = {"period": "custom", "from": "2020-01-01", "to": "2026-11-29"}
    sent = payload(_open("transparency", everything, lang))
    assert not {code for code in planted if code in sent}
    assert translate(lang, "names.unknown_category") in sent


@pytest.mark.usefixtures("app_env")
def test_activities_are_listed_by_their_english_title_in_english() -> None:
    at = _open("volunteers", {}, "en")
    column = translate("en", "volunteers.col.activity")
    listed = [v for frame in at.dataframe if column in frame.value.columns for v in frame.value[column]]
    assert listed and not [v for v in listed if HAN.search(v)]  # nicknames are names; titles are English


def test_activities_without_english_titles_keep_their_own(sqlite_copy) -> None:
    from datetime import datetime

    from data_access.volunteers import activities_between

    with sqlite3.connect(sqlite_copy) as conn:
        conn.execute("ALTER TABLE activities DROP COLUMN title_en")
    engine = make_readonly_engine(f"sqlite:///{sqlite_copy}")
    listing = activities_between(engine, datetime(2020, 1, 1), datetime(2030, 1, 1), None, 20)
    assert len(listing) == 20 and listing["title_en"].isna().all() and listing["title"].notna().all()


@pytest.mark.parametrize(
    ("name", "prefix", "shown"),
    [
        ("石油路社区第3网格", "石油路社区", "第3网格"),
        ("Shiyoulu Grid 3", "Shiyoulu", "Grid 3"),
        ("Shiyoulu · Grid 3", "Shiyoulu", "Grid 3"),
        ("Huaxin Grid 1", "Hua", "Huaxin Grid 1"),  # not a word in front
        ("石油路社区", "石油路社区", "石油路社区"),  # nothing would be left
        ("第3网格", "石油路社区", "第3网格"),
        ("第3网格", "", "第3网格"),
    ],
)
def test_a_grid_is_named_without_its_communitys_name_in_front(name: str, prefix: str, shown: str) -> None:
    assert formatting.without_prefix(name, prefix) == shown

