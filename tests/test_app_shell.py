"""The app shell under AppTest: who sees which page, login, language, audit, error pages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app import registry
from app.i18n import translate
from tests.apptest_helpers import DEMO, USERS, open_url_path, run_app, texts

pytestmark = pytest.mark.usefixtures("app_env")


@pytest.fixture
def query_calls(monkeypatch):
    """Every data_access function a page asks for in this test."""
    import app.context

    calls: list[str] = []
    real = app.context.query

    def spy(function, url, *args, **kwargs):
        calls.append(function.__name__)
        return real(function, url, *args, **kwargs)

    monkeypatch.setattr(app.context, "query", spy)
    return calls


def _audit(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


MATRIX = [(role, spec.id) for role in USERS for spec in registry.PAGES]


@pytest.mark.parametrize(("role", "page"), MATRIX, ids=[f"{r}-{p}" for r, p in MATRIX])
def test_role_page_matrix(role, page, query_calls) -> None:
    spec = registry.by_id(page)
    at = run_app(user=USERS[role])
    query_calls.clear()
    open_url_path(at, page).run()
    assert not at.exception
    shown = texts(at)
    assert translate("zh", "error.unexpected") not in shown, "the page failed"
    if spec.id == "big_screen":  # a kiosk: its own full-screen markup instead of a page title
        assert any('class="bs bs-top"' in block.proto.body for block in at.get("html"))
    else:
        assert translate("zh", spec.title_key) in [t.value for t in at.title]
    denied = translate("zh", "access.denied")
    if registry.allowed(spec, role):
        assert denied not in shown
    else:
        assert denied in shown
        assert query_calls == [], "a denied page must run none of its queries"
        assert not at.dataframe and not at.metric and not at.table


def test_menu_lists_only_allowed_pages() -> None:
    at = run_app(user=USERS["community_staff"])
    labels = [link.label for link in at.get("page_link")]
    assert translate("zh", "page.audit") not in labels
    at = run_app(user=USERS["admin"])
    labels = [link.label for link in at.get("page_link")]
    assert translate("zh", "page.audit") in labels and translate("zh", "page.data_health") in labels


def test_public_overview_shows_headline_figures_and_no_todo() -> None:
    at = run_app()
    assert not at.exception
    labels = [m.label for m in at.metric]
    assert translate("zh", "metric.resolution_rate") in labels
    assert translate("zh", "todo.overdue_visits") not in labels
    assert "数据截至" in texts(at)


def test_staff_overview_shows_todo_counts_of_own_scope() -> None:
    at = run_app(user=USERS["grid_officer"])
    labels = {m.label: m.value for m in at.metric}
    assert translate("zh", "todo.open_alerts") in labels
    street = run_app(user=USERS["street_official"])
    street_labels = {m.label: m.value for m in street.metric}
    officer_visits = int(labels[translate("zh", "todo.overdue_visits")].replace(",", ""))
    street_visits = int(street_labels[translate("zh", "todo.overdue_visits")].replace(",", ""))
    assert officer_visits < street_visits


def test_english_on_request_and_kept_in_the_url() -> None:
    at = run_app(lang="en")
    assert at.title[0].value == "Overview"
    assert at.query_params["lang"] == ["en"] or at.query_params["lang"] == "en"
    open_url_path(at, "login").run()
    assert at.title[0].value == "Staff login"


def _login(at, username: str, password: str):
    at.text_input[0].input(username)
    at.text_input[1].input(password)
    at.get("form_submit_button")[0].click()
    return at.run()


def test_login_success_and_failure_are_audited(app_env) -> None:
    at = run_app("login")
    assert not at.exception
    _login(at, "c01staff", "wrong-password")
    assert translate("zh", "login.failed") in texts(at)
    _login(at, "c01staff", "c01-demo-2026")
    assert not at.exception
    assert at.session_state["user"] == DEMO["c01staff"]
    events = [(e["event"], e["user"], e["success"]) for e in _audit(app_env / "audit.jsonl")]
    assert events == [("login_failure", "c01staff", False), ("login_success", "c01staff", True)]


def test_unknown_user_is_refused_like_a_wrong_password(app_env) -> None:
    at = _login(run_app("login"), "nobody", "whatever")
    assert translate("zh", "login.failed") in texts(at)
    assert "user" not in at.session_state


def test_repeated_failures_slow_down_without_locking_out(app_env, monkeypatch) -> None:
    monkeypatch.setenv("SYL_LOGIN_FREE_ATTEMPTS", "2")
    at = run_app("login")
    _login(at, "throttle_probe", "bad")
    _login(at, "throttle_probe", "bad")
    _login(at, "throttle_probe", "bad")  # third try inside the wait: refused before any password check
    assert "秒后再试" in texts(at)
    events = [e["event"] for e in _audit(app_env / "audit.jsonl")]
    assert events == ["login_failure", "login_failure", "login_throttled"]
    _login(at, "c01staff", "c01-demo-2026")  # other accounts are unaffected
    assert at.session_state["user"] == DEMO["c01staff"]


def test_logout_clears_the_session_and_is_audited(app_env) -> None:
    at = run_app("login", USERS["street_official"])
    at.button(key="logout_page_button").click().run()
    assert not at.exception
    assert "user" not in at.session_state
    assert _audit(app_env / "audit.jsonl")[-1]["event"] == "logout"
    assert translate("zh", "login.submit") in [b.label for b in at.get("form_submit_button")]


def test_admin_reads_the_audit_log(app_env) -> None:
    from app import audit

    audit.record(app_env / "audit.jsonl", user="street", role="street_official", event="export", page="x", rows=12)
    at = run_app("audit_log", USERS["admin"])
    assert not at.exception
    frame = at.dataframe[0].value
    assert "street" in frame.iloc[:, 1].tolist()


@pytest.mark.parametrize("case", ["missing", "other_app", "empty", "unreachable", "bad_url"])
def test_database_problems_give_a_friendly_page(case, monkeypatch, tmp_path) -> None:
    import sqlite3

    from sqlalchemy import create_engine

    from data_access.schema import metadata

    urls = {"missing": f"sqlite:///{tmp_path / 'none.sqlite'}", "unreachable": "postgresql://x@127.0.0.1:1/none",
            "bad_url": "mysql://x@y/z"}
    if case == "other_app":
        with sqlite3.connect(tmp_path / "other.sqlite") as conn:
            conn.execute("CREATE TABLE invoices (id INTEGER)")
        urls[case] = f"sqlite:///{tmp_path / 'other.sqlite'}"
    if case == "empty":
        metadata.create_all(create_engine(f"sqlite:///{tmp_path / 'empty.sqlite'}"))
        urls[case] = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    monkeypatch.setenv("DATABASE_URL", urls[case])
    for lang, title in (("zh", "暂时无法显示数据"), ("en", "The data cannot be shown right now")):
        at = run_app(lang=lang)
        assert not at.exception
        assert at.title[0].value == title
        assert at.error and at.info
        if case == "missing":
            assert "fixtures.generate" in at.info[0].value


@pytest.mark.parametrize(
    ("users_yaml", "key"),
    [
        ("credentials:\n  usernames:\n    a:\n      password: plain\n      roles: [admin]\n", "startup.users_plain_password"),
        ("credentials:\n  usernames:\n    a:\n      password: '$2b$12$" + "a" * 53 + "'\n", "startup.users_bad_role"),
        ("credentials:\n  usernames:\n    a:\n      password: '$2b$12$" + "a" * 53 + "'\n      roles: [grid_officer]\n",
         "startup.users_no_scope"),
        ("not: [valid", "startup.users_unreadable"),
    ],
)
def test_bad_users_file_stops_with_a_named_problem(users_yaml, key, monkeypatch, tmp_path) -> None:
    path = tmp_path / "users.yaml"
    path.write_text(users_yaml, encoding="utf-8")
    monkeypatch.setenv("SYL_USERS_FILE", str(path))
    at = run_app()
    assert not at.exception
    assert at.title[0].value == translate("zh", "startup.title")
    assert at.error[0].value.startswith(translate("zh", key).split("{")[0][:8])


@pytest.mark.parametrize(("key_value", "message"), [(None, "startup.cookie_key_missing"), ("short-key-1234", "startup.cookie_key_short"),
                                                    ("some_key", "startup.cookie_key_default")])
def test_weak_cookie_key_refused_outside_demo_mode(key_value, message, monkeypatch, tmp_path) -> None:
    users = (Path(__file__).resolve().parent.parent / "app" / "demo_users.yaml").read_text(encoding="utf-8")
    path = tmp_path / "production_users.yaml"
    path.write_text(users, encoding="utf-8")
    monkeypatch.setenv("SYL_USERS_FILE", str(path))
    if key_value is None:
        monkeypatch.delenv("SYL_COOKIE_KEY")
    else:
        monkeypatch.setenv("SYL_COOKIE_KEY", key_value)
    at = run_app()
    assert at.title[0].value == translate("zh", "startup.title")
    assert at.error[0].value.split("（")[0][:6] == translate("zh", message).split("（")[0][:6]


def test_cookie_lifetime_longer_than_a_working_day_is_refused(monkeypatch) -> None:
    monkeypatch.setenv("SYL_COOKIE_EXPIRY_HOURS", "72")
    at = run_app()
    assert at.title[0].value == translate("zh", "startup.title")


def test_invalid_setting_value_is_named(monkeypatch) -> None:
    monkeypatch.setenv("SYL_CACHE_TTL_SECONDS", "five minutes")
    at = run_app()
    assert not at.exception
    assert at.title[0].value == translate("zh", "startup.title")
    assert "SYL_CACHE_TTL_SECONDS" in at.error[0].value


def test_every_page_shows_data_freshness() -> None:
    for page in ("login", "audit_log"):
        at = run_app(page, USERS["admin"])
        assert any("数据截至" in c.value for c in at.sidebar.caption), page
