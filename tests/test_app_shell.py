"""The app shell under AppTest: who sees which page, login, language, audit, error pages."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from app import registry
from app.i18n import translate
from tests.apptest_helpers import DEMO, USERS, open_url_path, rendered, run_app, session_user, texts

pytestmark = pytest.mark.usefixtures("app_env")


@pytest.fixture
def query_calls(monkeypatch):
    """Every data_access function a page's own code asks for in this test (the router's sidebar
    lookups are not the page's)."""
    import inspect

    import app.context

    calls: list[str] = []
    real = app.context.query
    pages = str(Path(__file__).resolve().parent.parent / "pages")

    def spy(function, url, *args, **kwargs):
        if any(frame.filename.startswith(pages) for frame in inspect.stack()):
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
    if (role if role in spec.roles else None) is not None:
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
    assert session_user(at) == DEMO["c01staff"]
    events = [(e["event"], e["user"], e["success"]) for e in _audit(app_env / "audit.jsonl")]
    assert events == [("login_failure", "c01staff", False), ("login_success", "c01staff", True)]


def test_unknown_user_is_refused_like_a_wrong_password(app_env) -> None:
    at = _login(run_app("login"), "nobody", "whatever")
    assert translate("zh", "login.failed") in texts(at)
    assert session_user(at) is None


def test_repeated_failures_slow_down_without_locking_out(app_env, monkeypatch) -> None:
    import types

    import app.session

    monkeypatch.setenv("SYL_LOGIN_FREE_ATTEMPTS", "2")
    frozen = 1_900_000_000.0  # the clock stands still: the third try falls inside the wait
    monkeypatch.setattr(app.session, "time", types.SimpleNamespace(time=lambda: frozen))
    at = run_app("login")
    _login(at, "throttle_probe", "bad")
    _login(at, "throttle_probe", "bad")
    _login(at, "throttle_probe", "bad")  # third try inside the wait: refused before any password check
    assert "秒后再试" in texts(at)
    events = [e["event"] for e in _audit(app_env / "audit.jsonl")]
    assert events == ["login_failure", "login_failure", "login_throttled"]
    # The counts sit beside the audit log, where every other app process reads them.
    with sqlite3.connect(app_env / "login_throttle.sqlite") as shared:
        rows = shared.execute("SELECT username, failures FROM client_failures").fetchall()
    assert rows == [("throttle_probe", 3)]
    _login(at, "c01staff", "c01-demo-2026")  # other accounts are unaffected
    assert session_user(at) == DEMO["c01staff"]


def test_logout_clears_the_session_and_is_audited(app_env) -> None:
    at = run_app("login", USERS["street_official"])
    at.button(key="logout_page_button").click().run()
    assert not at.exception
    assert session_user(at) is None
    assert _audit(app_env / "audit.jsonl")[-1]["event"] == "logout"
    # The browser is sent through the route that removes the HttpOnly cookie, then back to login.
    assert any("/_auth/signout" in block.proto.body for block in at.get("html"))
    at.run()
    assert translate("zh", "login.submit") in [b.label for b in at.get("form_submit_button")]


def test_admin_reads_the_audit_log(app_env) -> None:
    from app import audit

    audit.record(app_env / "audit.jsonl", user="street", role="street_official", event="export", page="x", rows=12)
    at = run_app("audit_log", USERS["admin"])
    assert not at.exception
    frame = at.dataframe[0].value
    assert "street" in frame.iloc[:, 1].tolist()


@pytest.mark.parametrize("case", ["missing", "other_app", "empty", "unreachable", "bad_url", "corrupt"])
def test_database_problems_give_a_friendly_page(case, monkeypatch, tmp_path) -> None:
    import sqlite3

    from sqlalchemy import create_engine

    from data_access.schema import metadata

    urls = {"missing": f"sqlite:///{tmp_path / 'none.sqlite'}", "unreachable": "postgresql://x:pw@127.0.0.1:1/none",
            "bad_url": "mysql://x@y/z", "corrupt": f"sqlite:///{tmp_path / 'corrupt.sqlite'}"}
    if case == "other_app":
        with sqlite3.connect(tmp_path / "other.sqlite") as conn:
            conn.execute("CREATE TABLE invoices (id INTEGER)")
        urls[case] = f"sqlite:///{tmp_path / 'other.sqlite'}"
    if case == "empty":
        metadata.create_all(create_engine(f"sqlite:///{tmp_path / 'empty.sqlite'}"))
        urls[case] = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    if case == "corrupt":
        (tmp_path / "corrupt.sqlite").write_bytes(b"this is no database " * 500)
    monkeypatch.setenv("DATABASE_URL", urls[case])
    for lang, title in (("zh", "暂时无法显示数据"), ("en", "The data cannot be shown right now")):
        at = run_app(lang=lang)  # a visitor: told it is temporary, never told where the database is
        assert not at.exception
        assert at.title[0].value == title
        assert at.error[0].value == translate(lang, "error.unavailable")
        assert str(tmp_path) not in texts(at) and "127.0.0.1" not in texts(at)
        staff = run_app(lang=lang, user=USERS["community_staff"])  # the sidebar copes without names
        assert not staff.exception and staff.error[0].value == translate(lang, "error.unavailable")
        admin = run_app(lang=lang, user=USERS["admin"])  # the administrator: what and how to fix it
        assert admin.title[0].value == title and admin.error and admin.info
        assert admin.error[0].value != translate(lang, "error.unavailable")
        if case == "missing":
            assert "python -m fixtures.generate --db sqlite:///data/demo.sqlite" in rendered(admin.info[0].value)
        if case == "corrupt":
            assert admin.error[0].value.startswith(translate(lang, "error.db_corrupt").split("（")[0].split("(")[0])
        assert "pw" not in texts(admin)  # never a password


def test_login_works_while_the_database_is_away(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'none.sqlite'}")
    at = run_app("login")
    assert not at.exception
    assert translate("zh", "login.submit") in [b.label for b in at.get("form_submit_button")]


BAD_USERS = [
    ("credentials:\n  usernames:\n    a:\n      password: plain\n      roles: [admin]\n", "startup.users_plain_password"),
    ("credentials:\n  usernames:\n    a:\n      password: '$2b$12$" + "a" * 53 + "'\n", "startup.users_bad_role"),
    ("credentials:\n  usernames:\n    a:\n      password: '$2b$12$" + "a" * 53 + "'\n      roles: [grid_officer]\n",
     "startup.users_no_scope"),
    ("not: [valid", "startup.users_unreadable"),
    ("credentials: 5\n", "startup.users_empty"),
    ("credentials:\n  usernames:\n    a: 5\n", "startup.users_bad_entry"),
    ("credentials:\n  usernames:\n    a:\n      password: '$2b$12$" + "a" * 53 + "'\n      roles: [grid_officer]\n"
     "      grid_ids: 5\n", "startup.users_bad_scope"),
    ("credentials:\n  usernames:\n    '" + "x" * 300 + "':\n      password: p\n", "startup.users_bad_name"),
    ("\x00\xff binary", "startup.users_unreadable"),
]


@pytest.mark.parametrize(("users_yaml", "key"), BAD_USERS, ids=[k.split(".")[1] + str(i) for i, (_, k) in enumerate(BAD_USERS)])
def test_bad_users_file_keeps_public_pages_and_names_the_problem(users_yaml, key, monkeypatch, tmp_path) -> None:
    path = tmp_path / "users.yaml"
    path.write_bytes(users_yaml.encode("utf-8", "surrogateescape") if "\xff" not in users_yaml else b"\x00\xff\xfe")
    monkeypatch.setenv("SYL_USERS_FILE", str(path))
    at = run_app()
    assert not at.exception
    assert at.title[0].value == translate("zh", "page.overview")  # the public pages go on
    assert at.metric
    login = open_url_path(at, "login").run()
    assert login.error[0].value == translate("zh", "login.unavailable")
    problem = translate("zh", key).split("{")[0][:6]
    assert any(c.value.startswith(problem) for c in login.caption), [c.value for c in login.caption]
    assert str(tmp_path) not in texts(login)  # the file is named, its folder is not
    assert not login.get("form_submit_button")


@pytest.mark.parametrize(("key_value", "message"), [(None, "startup.cookie_key_missing"), ("short-key-1234", "startup.cookie_key_short"),
                                                    ("some_key", "startup.cookie_key_default")])
def test_weak_cookie_key_disables_staff_sign_in_outside_demo_mode(key_value, message, monkeypatch, tmp_path) -> None:
    users = (Path(__file__).resolve().parent.parent / "app" / "demo_users.yaml").read_text(encoding="utf-8")
    path = tmp_path / "production_users.yaml"
    path.write_text(users, encoding="utf-8")
    monkeypatch.setenv("SYL_USERS_FILE", str(path))
    if key_value is None:
        monkeypatch.delenv("SYL_COOKIE_KEY")
    else:
        monkeypatch.setenv("SYL_COOKIE_KEY", key_value)
    at = run_app()
    assert at.title[0].value == translate("zh", "page.overview")
    login = open_url_path(at, "login").run()
    assert login.error[0].value == translate("zh", "login.unavailable")
    assert any(c.value.split("（")[0][:6] == translate("zh", message).split("（")[0][:6] for c in login.caption)


def test_cookie_lifetime_longer_than_a_working_day_is_refused(monkeypatch) -> None:
    monkeypatch.setenv("SYL_COOKIE_EXPIRY_HOURS", "72")
    login = run_app("login")
    assert login.error[0].value == translate("zh", "login.unavailable")


def test_invalid_setting_value_falls_back_and_is_named_to_the_admin(monkeypatch) -> None:
    monkeypatch.setenv("SYL_CACHE_TTL_SECONDS", "five minutes")
    at = run_app()
    assert not at.exception
    assert at.title[0].value == translate("zh", "page.overview")
    assert "SYL_CACHE_TTL_SECONDS" not in texts(at)  # visitors are not told
    admin = run_app("data_health", USERS["admin"])
    assert any("SYL_CACHE_TTL_SECONDS" in rendered(e.value) for e in admin.error)
    assert any(translate("zh", "startup.problems_admin", count=1) == w.value for w in admin.sidebar.warning)


def test_broken_secrets_file_keeps_the_public_pages(monkeypatch, tmp_path) -> None:
    import app.settings

    broken = tmp_path / "secrets.toml"
    broken.write_text('[app]\ncookie_key = "unterminated\n', encoding="utf-8")
    monkeypatch.setattr(app.settings, "SECRETS_PATH", broken)
    for lang in ("zh", "en"):
        at = run_app(lang=lang)
        assert not at.exception and at.metric
        assert at.title[0].value == translate(lang, "page.overview")
        admin = run_app("data_health", USERS["admin"], lang=lang)
        assert admin.error[0].value.startswith(translate(lang, "startup.secrets_unreadable").split("{")[0])


def test_every_page_shows_data_freshness() -> None:
    for page in ("login", "audit_log"):
        at = run_app(page, USERS["admin"])
        assert any("数据截至" in c.value for c in at.sidebar.caption), page
