"""Login throttle, cookie tokens and the users file, without Streamlit."""

from __future__ import annotations

import time

import jwt
import pytest

from app.startup import StartupError, check_cookie_key
from app.throttle import LoginThrottle
from app.tokens import RevokedTokens, verify_token
from app.users import UsersFileError, load_users

KEY = "k" * 20 + "0123456789abcdefghij"
USERS = {"street", "admin"}
NOW = 1_800_000_000.0
DAY = 8 * 3600


def token(payload: dict, key: str = KEY, algorithm: str = "HS256") -> str:
    return jwt.encode(payload, key, algorithm=algorithm)


def test_throttle_waits_grow_cap_and_expire() -> None:
    gate = LoginThrottle(free_attempts=3, max_wait_s=60, forget_after_s=900)
    for i in range(3):
        assert gate.wait_seconds("u", NOW + i) == 0
        gate.failed("u", NOW + i)
    assert gate.wait_seconds("u", NOW + 2) == pytest.approx(2)
    gate.failed("u", NOW + 10)
    assert gate.wait_seconds("u", NOW + 10) == pytest.approx(4)
    for i in range(20):
        gate.failed("u", NOW + 20 + i)
    assert gate.wait_seconds("u", NOW + 39) == pytest.approx(60)  # capped, never a lock
    assert gate.wait_seconds("u", NOW + 39 + 60) == 0
    assert gate.wait_seconds("u", NOW + 39 + 901) == 0  # forgotten
    assert gate.wait_seconds("other", NOW + 39) == 0


def test_throttle_success_resets() -> None:
    gate = LoginThrottle(free_attempts=1, max_wait_s=60)
    gate.failed("u", NOW)
    gate.failed("u", NOW)
    assert gate.wait_seconds("u", NOW) > 0
    gate.succeeded("u")
    assert gate.wait_seconds("u", NOW) == 0


def test_valid_token_is_accepted() -> None:
    raw = token({"username": "street", "exp_date": NOW + 3600})
    assert verify_token(raw, KEY, NOW, USERS, DAY, set()) == ("street", NOW + 3600)


@pytest.mark.parametrize(
    "raw",
    [
        None, "", "garbage", "a.b.c",
        token({"username": "street", "exp_date": NOW + 3600}, key="another-key-" * 4),
        token({"username": "street", "exp_date": NOW + 3600}, algorithm="HS512"),
        jwt.encode({"username": "street", "exp_date": NOW + 3600}, None, algorithm="none"),
        token({"username": "street", "exp_date": NOW - 1}),  # expired
        token({"username": "street", "exp_date": NOW + 30 * 86400}),  # lives longer than we issue
        token({"username": "street"}),  # no expiry
        token({"username": "street", "exp_date": "tomorrow"}),
        token({"username": ["street"], "exp_date": NOW + 3600}),
        token({"username": "ghost", "exp_date": NOW + 3600}),  # no longer in the users file
    ],
    ids=["none", "empty", "garbage", "dots", "other-key", "hs512", "alg-none", "expired", "too-long", "no-exp",
         "exp-text", "user-list", "unknown-user"],
)
def test_bad_tokens_are_refused_without_raising(raw) -> None:
    assert verify_token(raw, KEY, NOW, USERS, DAY, set()) is None


def test_tampered_token_is_refused() -> None:
    raw = token({"username": "street", "exp_date": NOW + 3600})
    header, payload, signature = raw.split(".")
    forged = token({"username": "admin", "exp_date": NOW + 3600}).split(".")[1]
    assert verify_token(f"{header}.{forged}.{signature}", KEY, NOW, USERS, DAY, set()) is None


def test_logged_out_token_is_refused(tmp_path) -> None:
    revoked = RevokedTokens(tmp_path / "revoked.jsonl")
    raw = token({"username": "street", "exp_date": NOW + 3600})
    revoked.add("street", NOW + 3600)
    assert verify_token(raw, KEY, NOW, USERS, DAY, revoked.load(NOW)) is None
    assert revoked.load(NOW + 7200) == set()  # expired entries drop out


def test_streamlit_authenticator_cookie_format_is_understood() -> None:
    """The cookie the library writes (its _token_encode) passes our check."""
    from streamlit_authenticator.models.cookie_model import CookieModel

    model = CookieModel.__new__(CookieModel)
    model.cookie_key, model.exp_date = KEY, time.time() + 3600
    import streamlit as st

    st.session_state["username"] = "street"
    raw = model._token_encode()
    assert verify_token(raw, KEY, time.time(), USERS, DAY, set())[0] == "street"


def test_demo_users_file_is_valid() -> None:
    users = load_users("app/demo_users.yaml").users
    assert {u.role for u in users.values()} == {"grid_officer", "community_staff", "street_official", "admin"}
    assert users["officer_c02"].scope.grid_ids == ("C02-G1", "C02-G2")
    assert users["c01staff"].scope.community_id == "C01"


def test_missing_users_file(tmp_path) -> None:
    with pytest.raises(UsersFileError) as caught:
        load_users(tmp_path / "nope.yaml")
    assert caught.value.key == "startup.users_missing"


@pytest.mark.parametrize(("key", "demo", "error"), [
    (None, False, "startup.cookie_key_missing"), ("abc", False, "startup.cookie_key_short"),
    ("changeme", False, "startup.cookie_key_default"), ("ab" * 20, False, "startup.cookie_key_default"),
])
def test_cookie_key_rules(key, demo, error) -> None:
    with pytest.raises(StartupError) as caught:
        check_cookie_key(key, demo)
    assert caught.value.key == error


def test_good_cookie_key_passes() -> None:
    assert check_cookie_key(KEY, demo=False) == KEY
