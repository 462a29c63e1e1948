"""Hostile links: every page with every parameter set to junk shows its defaults, never an error box,
tells the visitor once, and adds no cache entry that the default view did not already have."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from app import big_screen_data, registry, state
from app.i18n import translate
from tests.apptest_helpers import ROOT, USERS, open_url_path, signed_in, texts

pytestmark = pytest.mark.usefixtures("app_env")

PARAMETERS = ("lang", "period", "cat", "channel", "show", "community", "grid", "from", "to",
              "rotate", "refresh", "panel", "week", "list", "person", "issue", "building", "officer", "month",
              "no_such_parameter")
JUNK = {
    "nan": "nan", "inf": "inf", "minus-inf": "-inf", "negative": "-1", "huge": "1e308",
    "big-int": "99999999999999999999", "unknown-code": "ZZZ", "ten-kb": "x" * 10_240,
    "year-one": "0001-01-01", "year-9999": "9999-12-31", "bad-date": "2026-13-45",
    "markup": "<script>alert(1)</script>", "many-codes": ",".join(["C01"] * 200 + ["ZZZ"]),
    "separators": ",,,", "unicode": "社区\u202e\u0000",
}


@pytest.fixture
def cache_keys(monkeypatch):
    """Every (function, arguments) a run asked the query cache for."""
    import app.context

    keys: set[tuple] = set()
    real = app.context.query

    def spy(function, url, *args, **kwargs):
        keys.add((function.__name__, repr(args), repr(sorted(kwargs.items()))))
        return real(function, url, *args, **kwargs)

    monkeypatch.setattr(app.context, "query", spy)
    return keys


def _open(page: str, params: dict[str, str], user=None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=60)
    if user is not None:
        at.session_state[state._LOGIN] = signed_in(user)  # noqa: SLF001
    for name, value in params.items():
        at.query_params[name] = value
    at.run()
    at.notices = [toast.value for toast in at.toast]  # the first run (the language is settled there)
    if page != "overview":
        open_url_path(at, page).run()
        at.notices += [toast.value for toast in at.toast]
    return at


def _healthy(at: AppTest, lang: str = "zh") -> None:
    assert not at.exception, [e.value for e in at.exception]
    shown = texts(at)
    assert translate(lang, "error.unexpected") not in shown
    assert "Traceback" not in shown


PAGES = [(spec.id, "admin" if "public" not in spec.roles else role)
         for spec in registry.PAGES for role in ("public", "street_official") if spec.id != "login"]


@pytest.mark.parametrize(("page", "role"), PAGES, ids=[f"{p}-{r}" for p, r in PAGES])
def test_junk_in_every_parameter_falls_back_to_the_default_view(page, role, cache_keys) -> None:
    user = USERS.get(role)
    big_screen_data.store.clear()
    default = _open(page, {"lang": "zh"}, user)
    _healthy(default)
    wanted = set(cache_keys)
    for name, value in JUNK.items():
        at = _open(page, dict.fromkeys(PARAMETERS, value), user)
        _healthy(at)
        notices = at.notices
        assert notices, f"{name}: the visitor was not told the link was not valid"
        assert all(value not in notice for notice in notices if len(value) > 3)  # names, never the value
    assert cache_keys == wanted, "a junk parameter reached a cache key: " + str(cache_keys - wanted)
    if page == "big_screen":
        assert len(big_screen_data.store()) == 1  # one snapshot, the street's, however many junk links


def test_valid_parameters_still_work_after_junk(cache_keys) -> None:
    at = _open("transparency", {"lang": "en", "period": "custom", "from": "2026-01-01", "to": "2026-03-31",
                                "community": "C02", "cat": "garbage,ZZZ"})
    _healthy(at, "en")
    assert at.query_params["from"] in ("2026-01-01", ["2026-01-01"])
    assert at.query_params["cat"] in ("garbage", ["garbage"])  # the unknown code dropped, the known kept
    assert at.notices  # and the visitor told about the one dropped


def test_dates_outside_the_data_fall_back_instead_of_failing() -> None:
    """Issue 12: /transparency?period=custom&from=0001-01-01 showed the generic error page."""
    for start, end in (("0001-01-01", "2026-03-31"), ("2026-01-01", "9999-12-31"), ("2026-05-01", "2026-01-01")):
        at = _open("transparency", {"period": "custom", "from": start, "to": end})
        _healthy(at)
        assert at.metric


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "0", "-5", "1e-9", "601", "1e308", "", "abc"])
def test_numbers_must_be_finite_and_in_range(value) -> None:
    """Issue 12: ?rotate=nan passed the clamp (NaN compares false) and the big screen reran in a loop."""
    from app import url_state

    with pytest.raises(ValueError):
        url_state.parse_number(value, 3, 600)
    assert url_state.parse_number("15", 3, 600) == 15


def test_big_screen_with_junk_timing_still_rotates() -> None:
    for value in ("nan", "inf", "0", "-5"):
        at = _open("big_screen", {"rotate": value, "refresh": value})
        _healthy(at)
        assert any('class="bs bs-panel"' in block.proto.body for block in at.get("html"))


def test_big_screen_title_never_echoes_the_link(cache_keys) -> None:
    big_screen_data.store.clear()
    at = _open("big_screen", {"community": "<b>我的社区</b>", "panel": "wall"})
    _healthy(at)
    html = "\n".join(block.proto.body for block in at.get("html"))
    assert "我的社区" not in html and translate("zh", "scope.street") in html
    named = _open("big_screen", {"community": "C03", "panel": "wall"})
    assert "虎头岩社区" in "\n".join(block.proto.body for block in named.get("html"))


def test_the_screenshot_tool_keeps_a_hostile_query_inside_its_folder(tmp_path) -> None:
    from scripts.screenshots import file_name

    assert file_name("issue_map?period=12m&community=C01", "zh", "1366x900") == (
        "issue_map-period_12m_community_C01-zh-1366x900.png"
    )
    for hostile in ("watchlist?person=../../etc&list=<b>x</b>", "../../x", "a/b?c=/d"):
        name = file_name(hostile, "en", "390x844")
        assert "/" not in name and (tmp_path / name).resolve().parent == tmp_path.resolve(), name
