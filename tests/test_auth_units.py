"""Login throttle, tokens, tickets, sign-outs and the users file, without Streamlit."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import jwt
import pytest

from app import client, tokens
from app.audience import Audience
from app.startup import StartupError, check_cookie_key
from app.throttle import LoginThrottle
from app.users import UsersFileError, load_users

KEY = "k" * 20 + "0123456789abcdefghij"
USERS = {"street", "admin"}
NOW = 1_800_000_000.0
DAY = 8 * 3600


def token(payload: dict, key: str = KEY, algorithm: str = "HS256") -> str:
    return jwt.encode(payload, key, algorithm=algorithm)


# The throttle. --------------------------------------------------------------------------------


def test_throttle_waits_grow_cap_and_expire() -> None:
    gate = LoginThrottle(free_attempts=3, max_wait_s=60, forget_after_s=900)
    for i in range(3):
        assert gate.wait_seconds("u", "a", False, NOW + i) == 0
        gate.failed("u", "a", False, NOW + i)
    assert gate.wait_seconds("u", "a", False, NOW + 2) == pytest.approx(2)
    gate.failed("u", "a", False, NOW + 10)
    assert gate.wait_seconds("u", "a", False, NOW + 10) == pytest.approx(4)
    for i in range(20):
        gate.failed("u", "a", False, NOW + 20 + i)
    assert gate.wait_seconds("u", "a", False, NOW + 39) == pytest.approx(60)  # capped, never a lock
    assert gate.wait_seconds("u", "a", False, NOW + 39 + 60) == 0
    assert gate.wait_seconds("u", "a", False, NOW + 39 + 901) == 0  # forgotten
    assert gate.wait_seconds("other", "a", False, NOW + 39) == 0


def test_throttle_is_per_client_and_success_resets() -> None:
    gate = LoginThrottle(free_attempts=1, max_wait_s=60)
    gate.failed("u", "attacker", False, NOW)
    gate.failed("u", "attacker", False, NOW)
    assert gate.wait_seconds("u", "attacker", False, NOW) > 0
    assert gate.wait_seconds("u", "owner", False, NOW) == 0  # another browser is not slowed
    gate.succeeded("u", "attacker")
    assert gate.wait_seconds("u", "attacker", False, NOW) == 0


def test_records_are_bounded() -> None:
    gate = LoginThrottle(max_records=100)
    for i in range(1000):
        gate.failed(f"name{i}", f"client{i}", False, NOW + i)
    assert gate.record_counts() == (100, 100)
    assert gate.wait_seconds("name999", "client999", False, NOW + 999) == 0  # one failure: no wait yet
    for _ in range(5):
        gate.failed("name999", "client999", False, NOW + 1000)
    assert gate.wait_seconds("name999", "client999", False, NOW + 1000) > 0  # the newest were kept


def test_processes_share_one_count_through_the_file(tmp_path) -> None:
    """Two app processes behind the load balancer: failures on one make the other wait."""
    path = tmp_path / "login_throttle.sqlite"
    first, second = LoginThrottle(free_attempts=2, max_wait_s=60, path=path), LoginThrottle(free_attempts=2, path=path)
    first.failed("u", "address:203.0.113.9", False, NOW)
    second.failed("u", "address:203.0.113.9", False, NOW + 1)
    first.failed("u", "address:203.0.113.9", False, NOW + 2)
    assert second.wait_seconds("u", "address:203.0.113.9", False, NOW + 2) == pytest.approx(4)
    assert first.wait_seconds("u", "address:10.0.0.7", False, NOW + 2) == 0
    second.succeeded("u", "address:203.0.113.9")
    assert first.wait_seconds("u", "address:203.0.113.9", False, NOW + 2) == 0
    assert path.stat().st_mode & 0o077 == 0  # nobody else reads who tried which name


def _fail_many(path: str, times: int, start, errors) -> None:
    gate = LoginThrottle(free_attempts=1000, path=Path(path), busy_timeout_s=30)
    start.wait()
    try:
        for i in range(times):
            gate.failed("street", "address:198.51.100.1", False, NOW + i)
    except Exception as exc:  # noqa: BLE001 - reported to the parent
        errors.put(repr(exc))


def test_concurrent_processes_lose_no_failure(tmp_path) -> None:
    """Four processes counting the same client at once: every failure is counted once (a read and
    its write are one transaction, so no process counts from another's stale value)."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    path = tmp_path / "login_throttle.sqlite"
    LoginThrottle(path=path)  # the schema, once
    start, errors = context.Event(), context.Queue()
    workers = [context.Process(target=_fail_many, args=(str(path), 400, start, errors)) for _ in range(4)]
    for worker in workers:
        worker.start()
    start.set()
    for worker in workers:
        worker.join(60)
    assert [worker.exitcode for worker in workers] == [0] * 4 and errors.empty()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT failures FROM client_failures").fetchall() == [(1600,)]
        assert db.execute("SELECT COUNT(*) FROM unknown_failures").fetchone()[0] == 30  # the user_limit newest


def test_a_locked_file_lets_the_try_through_and_says_so(tmp_path, caplog) -> None:
    path = tmp_path / "login_throttle.sqlite"
    gate = LoginThrottle(free_attempts=0, path=path, busy_timeout_s=0.05)
    gate.failed("u", "a", False, NOW)
    assert gate.wait_seconds("u", "a", False, NOW) > 0
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another process stuck inside a write
    try:
        assert gate.wait_seconds("u", "a", False, NOW) == 0  # never a lock-out because of the file
        gate.failed("u", "a", False, NOW)  # and no exception reaches the login form
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert "login throttle" in caplog.text and "let through" in caplog.text
    assert gate.wait_seconds("u", "a", False, NOW) > 0  # the file works again: the count is back


def _attack(gate: LoginThrottle, clients: list[str], hours: float, owner_client: str, owner_known: bool) -> list[float]:
    """Attackers try `street` each time their own wait ends (a refused try counts too); the owner
    tries 200 times at random moments. Returns the waits the owner met."""
    rng = random.Random(12)
    owner_times = sorted(NOW + rng.uniform(0, hours * 3600) for _ in range(200))
    next_try = dict.fromkeys(clients, NOW)
    owner_waits = []
    for at in owner_times:
        while True:  # every attacker try due before the owner's moment
            attacker, when = min(next_try.items(), key=lambda item: item[1])
            if when > at:
                break
            wait = gate.wait_seconds("street", attacker, False, when)
            gate.failed("street", attacker, False, when)  # wrong password or refused: both count
            next_try[attacker] = when + max(wait, 0.5) + 0.01
        owner_waits.append(gate.wait_seconds("street", owner_client, owner_known, at))
    return owner_waits


def test_one_attacker_at_its_own_pace_never_keeps_the_owner_out() -> None:
    """Issue 12: one wrong try each time the wait ended kept `street` out for good (0 of 200 in 6 h)."""
    for owner, known in (("address:10.0.0.7", False), ("device:abc", True)):
        gate = LoginThrottle(free_attempts=3, max_wait_s=300)
        waits = _attack(gate, ["address:203.0.113.9"], 6, owner, known)
        assert waits == [0.0] * 200, (owner, max(waits))


def test_many_attackers_slow_unknown_browsers_boundedly_and_never_the_owners_own() -> None:
    attackers = [f"address:198.51.100.{i}" for i in range(200)]
    gate = LoginThrottle(free_attempts=3, max_wait_s=300)
    assert _attack(gate, attackers, 2, "device:abc", True) == [0.0] * 200
    gate = LoginThrottle(free_attempts=3, max_wait_s=300)
    waits = _attack(gate, attackers, 2, "address:10.0.0.7", False)
    assert max(waits) <= 300  # a new browser waits at most the longest wait, never for good
    assert any(w > 0 for w in waits)  # and a guessing crowd does slow new browsers down


def test_a_damaged_or_unwritable_throttle_file_never_stops_logins(tmp_path, caplog) -> None:
    from app import session

    damaged = tmp_path / "login_throttle.sqlite"
    damaged.write_bytes(b"not a database at all" * 100)
    gate = session._throttle(str(damaged), 1, 60)  # noqa: SLF001
    assert gate.path == damaged  # started afresh, still shared
    gate.failed("u", "a", False, NOW)
    gate.failed("u", "a", False, NOW)
    assert LoginThrottle(path=damaged, free_attempts=1).wait_seconds("u", "a", False, NOW) > 0
    blocked = tmp_path / "a file, not a folder"
    blocked.write_text("x")
    alone = session._throttle(str(blocked / "login_throttle.sqlite"), 1, 60)  # noqa: SLF001
    assert alone.path is None  # counts in this process
    alone.failed("u", "a", False, NOW)
    alone.failed("u", "a", False, NOW)
    assert alone.wait_seconds("u", "a", False, NOW) > 0
    assert "damaged" in caplog.text and "counting in this process only" in caplog.text


# Session tokens, tickets, device tokens. ------------------------------------------------------


def test_issued_token_verifies() -> None:
    raw, claims = tokens.issue("street", KEY, NOW, 8)
    found = tokens.verify(raw, KEY, NOW + 10, USERS, DAY)
    assert found == claims and found.expires_at == NOW + DAY


@pytest.mark.parametrize(
    "raw",
    [
        None, "", "garbage", "a.b.c", "x" * 10_000,
        token({"sub": "street", "iat": NOW, "exp": NOW + 3600, "jti": "j"}, key="another-key-" * 4),
        token({"sub": "street", "iat": NOW, "exp": NOW + 3600, "jti": "j"}, algorithm="HS512"),
        jwt.encode({"sub": "street", "iat": NOW, "exp": NOW + 3600, "jti": "j"}, None, algorithm="none"),
        token({"sub": "street", "iat": NOW - 7200, "exp": NOW - 1, "jti": "j"}),  # expired
        token({"sub": "street", "iat": NOW, "exp": NOW + 30 * 86400, "jti": "j"}),  # lives longer than we issue
        token({"sub": "street", "iat": NOW, "jti": "j"}),  # no expiry
        token({"sub": "street", "iat": NOW, "exp": "tomorrow", "jti": "j"}),
        token({"sub": ["street"], "iat": NOW, "exp": NOW + 3600, "jti": "j"}),
        token({"sub": "ghost", "iat": NOW, "exp": NOW + 3600, "jti": "j"}),  # no longer in the users file
        token({"username": "street", "exp_date": NOW + 3600}),  # the old library format
        token({"purpose": "device", "sub": "street", "iat": NOW, "exp": NOW + 3600, "jti": "j"}),  # not a login
    ],
    ids=["none", "empty", "garbage", "dots", "huge", "other-key", "hs512", "alg-none", "expired", "too-long",
         "no-exp", "exp-text", "user-list", "unknown-user", "old-format", "device-token"],
)
def test_bad_tokens_are_refused_without_raising(raw) -> None:
    assert tokens.verify(raw, KEY, NOW, USERS, DAY) is None


def test_tampered_token_is_refused() -> None:
    raw, _ = tokens.issue("street", KEY, NOW, 8)
    header, _, signature = raw.split(".")
    forged = tokens.issue("admin", KEY, NOW, 8)[0].split(".")[1]
    assert tokens.verify(f"{header}.{forged}.{signature}", KEY, NOW, USERS, DAY) is None


def test_ticket_is_good_once_for_its_client_and_a_minute() -> None:
    raw, _ = tokens.issue("street", KEY, NOW, 8)
    used = tokens.UsedTickets()
    ticket = tokens.ticket(raw, KEY, NOW, "203.0.113.9")
    assert tokens.redeem(ticket, KEY, NOW + 5, "198.51.100.1", used) is None  # another client
    assert tokens.redeem(ticket, KEY, NOW + 5, "203.0.113.9", used) == raw
    assert tokens.redeem(ticket, KEY, NOW + 6, "203.0.113.9", used) is None  # used
    late = tokens.ticket(raw, KEY, NOW - 120, "203.0.113.9")
    assert tokens.redeem(late, KEY, NOW, "203.0.113.9", tokens.UsedTickets()) is None  # expired
    assert tokens.redeem(raw, KEY, NOW, "203.0.113.9", tokens.UsedTickets()) is None  # a login is no ticket


def test_device_token_is_bound_to_its_user() -> None:
    raw = tokens.device("street", KEY, NOW)
    assert tokens.device_id(raw, KEY, "street", NOW)
    assert tokens.device_id(raw, KEY, "admin", NOW) is None
    assert tokens.device_id(raw, "another-key-" * 4, "street", NOW) is None
    assert tokens.device_id(raw, KEY, "street", NOW + 91 * 86400) is None  # expired
    assert tokens.verify(raw, KEY, NOW, USERS, DAY) is None  # it never signs anyone in


def test_sign_out_voids_every_earlier_token_of_that_user(tmp_path) -> None:
    sign_outs = tokens.SignOuts(tmp_path / "sign_outs.jsonl")
    assert sign_outs.signed_out_at("street") == 0
    sign_outs.add("street", NOW)
    assert sign_outs.signed_out_at("street") == NOW and sign_outs.signed_out_at("admin") == 0
    other_process = tokens.SignOuts(tmp_path / "sign_outs.jsonl")  # a second app process sees it
    assert other_process.signed_out_at("street") == NOW
    (tmp_path / "sign_outs.jsonl").open("a").write("not json\n")
    assert tokens.SignOuts(tmp_path / "sign_outs.jsonl").signed_out_at("street") == NOW
    assert oct((tmp_path / "sign_outs.jsonl").stat().st_mode & 0o777) == "0o600"


@pytest.mark.parametrize(
    ("address", "expected"),
    [("::ffff:127.0.0.1", "local"), ("127.0.0.1", "local"), ("::1", "local"), (None, "local"),
     ("::ffff:203.0.113.9", "203.0.113.9"), ("203.0.113.9", "203.0.113.9"), ("2001:db8::1", "2001:db8::1")],
)
def test_addresses_are_spelt_alike_by_the_session_and_the_route(address, expected) -> None:
    assert client.normalise(address) == expected


def test_proxy_header_is_used_only_when_configured() -> None:
    headers = {"X-Forwarded-For": "203.0.113.9, 10.0.0.1"}
    assert client.address("10.0.0.1", headers, "x-forwarded-for") == "203.0.113.9"
    assert client.address("10.0.0.1", headers, "") == "10.0.0.1"  # spoofable: ignored unless configured


# The users file and the cookie key. -------------------------------------------------------------


def test_demo_users_file_is_valid_and_scopes_follow_roles() -> None:
    users = load_users("app/demo_users.yaml").users
    assert {u.role for u in users.values()} == {"grid_officer", "community_staff", "street_official", "admin"}
    assert Audience(users["officer_c02"], 5).scope.grid_ids == ("C02-G1", "C02-G2")
    assert Audience(users["c01staff"], 5).scope.community_id == "C01"
    assert Audience(users["street"], 5).scope.may_reveal and not Audience(users["admin"], 5).scope.may_reveal
    assert Audience(None, 5).scope.public


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


def test_demo_key_is_one_key_for_processes_that_start_together(tmp_path) -> None:
    """Two app processes behind one proxy start at once: both must sign with the key on disk."""
    from concurrent.futures import ProcessPoolExecutor

    from app.startup import _demo_key

    path = tmp_path / "data" / ".cookie_key"
    with ProcessPoolExecutor(4) as pool:
        keys = list(pool.map(_demo_key, [path] * 8))
    assert len(set(keys)) == 1 and len(keys[0]) >= 32
    assert keys[0] == path.read_text(encoding="utf-8").strip()
    assert [p.name for p in path.parent.iterdir()] == [".cookie_key"]  # no drafts left behind
    assert path.stat().st_mode & 0o777 == 0o600


def test_demo_key_replaces_a_short_one(tmp_path) -> None:
    from app.startup import _demo_key

    path = tmp_path / ".cookie_key"
    path.write_text("short", encoding="utf-8")
    key = _demo_key(path)
    assert len(key) >= 32 and _demo_key(path) == key


def test_a_password_check_lets_other_sessions_run() -> None:
    """Logins under load: the bcrypt check (cost 12, ~0.25 s) runs in the signing-in session's
    script thread; it must release the interpreter, so every other session's rerun goes on."""
    import threading
    import time

    import bcrypt
    import streamlit_authenticator as stauth

    stored = bcrypt.hashpw(b"pw", bcrypt.gensalt(12)).decode()

    def spins(seconds: float) -> int:
        count, end = 0, time.perf_counter() + seconds
        while time.perf_counter() < end:
            count += 1
        return count

    alone = spins(0.4)
    checking = threading.Thread(target=lambda: [stauth.Hasher.check_pw("pw", stored) for _ in range(4)])
    checking.start()
    beside = spins(0.4)
    checking.join()
    assert beside > 0.2 * alone  # holding the interpreter would leave next to nothing
