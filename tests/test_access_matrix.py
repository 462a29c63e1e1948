"""Role x page x action: every download on every page is audited for staff (never for the public),
only a street official can reveal, one reveal is one entry; plus the pieces of sign-in and of the
audit log that a visitor cannot see but an attacker would probe."""

from __future__ import annotations

import json
import shutil
import stat
from pathlib import Path

import pytest

from app import audit, data, registry
from app.i18n import translate
from tests.apptest_helpers import USERS, run_app, texts

pytestmark = pytest.mark.usefixtures("app_env")


def _audit(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


MATRIX = [(role, spec.id) for role in USERS for spec in registry.PAGES
          if (role == "public" and "public" in spec.roles) or role in spec.roles]


@pytest.mark.parametrize(("role", "page"), MATRIX, ids=[f"{r}-{p}" for r, p in MATRIX])
def test_every_download_is_audited_for_staff_and_never_for_the_public(role, page, downloads, app_env) -> None:
    at = run_app(page, USERS[role])
    assert not at.exception
    for file_name, _, on_click, args in downloads:
        if role == "public":
            assert on_click == "ignore", file_name
            continue
        assert callable(on_click), f"{page}: {file_name} is not audited"
        before = len(_audit(app_env / "audit.jsonl"))
        on_click(*args)  # what Streamlit runs when the button is clicked
        entry = _audit(app_env / "audit.jsonl")[before]
        assert entry["event"] == "export" and entry["user"] == USERS[role].username and entry["page"] == page
        assert entry["filters"]["table"] and entry["rows"] is not None


def test_public_and_staff_pages_offer_downloads(downloads) -> None:
    """The matrix above is not vacuous: the pages do draw download buttons."""
    run_app("transparency")
    public = len(downloads)
    run_app("patrols", USERS["grid_officer"])
    assert public >= 4 and len(downloads) > public


@pytest.mark.parametrize("role", ["grid_officer", "community_staff", "street_official", "admin"])
def test_only_a_street_official_can_reveal_and_once_is_one_entry(role, app_env) -> None:
    at = run_app("watchlist", USERS[role])
    picker = at.selectbox(key="watch_person")
    picker.set_value(picker.options[1]).run()
    toggles = [t for t in at.toggle if t.key == f"reveal_{picker.value}"]
    if role != "street_official":
        assert not toggles
        assert translate("zh", "watchlist.reveal_not_allowed") in texts(at)
        assert not [e for e in _audit(app_env / "audit.jsonl") if e["event"] == "reveal"]
        return
    toggles[0].set_value(True).run()
    for _ in range(3):
        at.run()
    reveals = [e for e in _audit(app_env / "audit.jsonl") if e["event"] == "reveal"]
    assert len(reveals) == 1 and reveals[0]["filters"]["resident_id"] == int(picker.value)


def test_unknown_names_cost_a_bcrypt_check_like_real_ones(monkeypatch) -> None:
    """Issue 12: unknown usernames answered 0.15 s faster, so names could be guessed. (Tests do not
    time things: they count the bcrypt checks.)"""
    import bcrypt

    from app import session
    from app.settings import load_settings
    from app.startup import auth_config

    checks: list[bytes] = []
    real = bcrypt.checkpw
    monkeypatch.setattr(bcrypt, "checkpw", lambda secret, hashed: checks.append(hashed) or real(secret, hashed))
    config = auth_config(load_settings())
    assert not session._password_matches(config, "no-such-user", "guess")  # noqa: SLF001
    assert not session._password_matches(config, "street", "guess")  # noqa: SLF001
    assert not session._password_matches(config, "street", "x" * 500)  # over bcrypt's limit: refused, still checked
    assert len(checks) == 3 and checks[0] == config.decoy_hash
    assert checks[0][:7] == config.users_file.hashes["street"].encode()[:7]  # same algorithm and cost


def test_audit_entries_are_bounded_and_the_file_private(tmp_path) -> None:
    path = tmp_path / "audit.jsonl"
    for _ in range(5):
        audit.record(path, user="x" * 200_000, role="public", event="login_failure", page="login",
                     filters={f"k{i}": "v" * 10_000 for i in range(100)}, success=False)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 5 and all(len(line) < 8_000 for line in lines)  # five 200 KB names added 1 MB before
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_vanished_database_gives_our_message_and_comes_back_by_itself(sqlite_copy, monkeypatch) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{sqlite_copy}")
    at = run_app("transparency")
    assert at.metric and not at.exception
    kept = sqlite_copy.with_suffix(".kept")
    shutil.move(sqlite_copy, kept)
    data.forget_answers()  # the cached answers have expired
    at.run()
    assert not at.exception
    assert at.title[0].value == translate("zh", "error.title")
    assert at.error[0].value == translate("zh", "error.unavailable")
    shutil.move(kept, sqlite_copy)
    data.forget_answers()
    at.run()
    assert not at.exception and at.metric  # no restart needed
    assert at.title[0].value == translate("zh", "page.transparency")
