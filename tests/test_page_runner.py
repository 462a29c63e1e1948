"""app/page_runner.py: a page's data dies with its run; what its functions can still reach stays."""

from __future__ import annotations

import gc
import os
import textwrap
import weakref

import pytest

from app import page_runner
from tests.apptest_helpers import ROOT, USERS, open_page


class Table:
    """Stands for a page's DataFrame: weakly referenceable, so a test sees when it is gone."""

    def __init__(self, name: str) -> None:
        self.name = name


ALIVE: dict[str, weakref.ref] = {}  # name -> the Table the page made
HELD: list = []  # what Streamlit keeps of a run: the widgets' format functions, a fragment


@pytest.fixture(autouse=True)
def _fresh() -> None:
    ALIVE.clear()
    HELD.clear()


def _page(tmp_path, body: str):  # noqa: ANN202
    path = tmp_path / "page.py"
    path.write_text(body, encoding="utf-8")
    return path


def _alive() -> set[str]:
    gc.collect()
    return {name for name, ref in ALIVE.items() if ref() is not None}


PAGE = textwrap.dedent("""
    from tests.test_page_runner import ALIVE, HELD, Table
    import weakref

    def make(name):
        table = Table(name)
        ALIVE[name] = weakref.ref(table)
        return table

    labels = make("labels")            # a format function reads it later
    big = make("big")                  # drawn once, then needed by nobody
    rows = [make(f"row{i}") for i in range(3)]
    counted = len([r for r in rows if r.name])   # a comprehension the run executes
    HELD.append(lambda value: f"{labels.name}:{value}")
    def later():
        return helper.name
    helper = make("helper")
    HELD.append(later)
    buttons = [lambda n=n: (n, suffix.name) for n in range(2)]   # lambdas made in a comprehension
    suffix = make("suffix")
    HELD.extend(buttons)
""")


def test_globals_no_function_needs_are_dropped_and_the_rest_still_works(tmp_path) -> None:
    page_runner.runner(_page(tmp_path, PAGE))()
    assert _alive() == {"labels", "helper", "suffix"}
    format_func, later, first, second = HELD
    assert format_func(3) == "labels:3"  # what a widget asks of its format function at the next rerun
    assert later() == "helper"
    assert (first(), second()) == ((0, "suffix"), (1, "suffix"))


def test_without_the_runner_the_whole_namespace_stays(tmp_path) -> None:
    """What the runner is for: a held lambda keeps every global alive when the page runs as a plain script."""
    path = _page(tmp_path, PAGE)
    exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), {"__name__": "__main__"})  # noqa: S102
    assert _alive() == {"labels", "big", "row0", "row1", "row2", "helper", "suffix"}


def test_a_run_that_stops_half_way_is_cleaned_too(tmp_path) -> None:
    path = _page(tmp_path, PAGE + "\nraise RuntimeError('st.stop() or a data error')\n")
    with pytest.raises(RuntimeError):
        page_runner.runner(path)()
    assert _alive() == {"labels", "helper", "suffix"}


def test_a_changed_page_file_is_compiled_again(tmp_path) -> None:
    path = _page(tmp_path, "from tests.test_page_runner import HELD\nHELD.append(1)\n")
    run = page_runner.runner(path)
    run()
    path.write_text("from tests.test_page_runner import HELD\nHELD.append(2)\n", encoding="utf-8")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    run()
    assert HELD == [1, 2]


def _page_namespaces(page_id: str) -> list[dict]:
    gc.collect()
    wanted = str(ROOT / "pages" / f"{page_id}.py")
    return [thing for thing in gc.get_objects() if type(thing) is dict and thing.get("__file__") == wanted]


@pytest.mark.parametrize(
    ("page", "user", "params"),
    [
        ("ehome", "public", {"tab": "needs"}),
        ("issue_map", "public", {"period": "12m"}),
        ("patrols", "street_official", {}),
        ("grid", "community_staff", {}),
        ("big_screen", "public", {}),
    ],
)
def test_a_finished_page_keeps_only_what_its_functions_read(app_env, page, user, params) -> None:
    """The real pages through the real entry point: after a run, what the page's widgets and
    fragments still hold of its namespace is only the names its own functions read. (Widgets
    answering later, with those names, is what every page test's clicks go through.)"""
    import pandas as pd

    at = open_page(page, params, USERS[user])  # holds the session, as Streamlit does until it expires
    path = ROOT / "pages" / f"{page}.py"
    _, read_later = page_runner.compiled(str(path), path.stat().st_mtime_ns)
    namespaces = _page_namespaces(page)
    assert namespaces, "the page's widgets hold its namespace (else there is nothing to test)"
    for namespace in namespaces:
        left = {name for name in namespace if not name.startswith("__")}
        assert left <= read_later, left - read_later
        tables = {name for name, value in namespace.items() if isinstance(value, pd.DataFrame)}
        assert len(tables) <= 1, tables  # the page's tables, maps and figures are gone
    assert not at.exception
