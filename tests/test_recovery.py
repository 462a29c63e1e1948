"""The read database goes away under open pages and comes back: the pages recover by themselves.

A real app process over PostgreSQL, connected as a role of its own; "away" is that role refused
at login and its connections ended (what a replica's restart does to the app), "back" is the
role allowed again. Visitors are tabs that speak Streamlit's websocket protocol.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import time
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import create_engine, text

from app.stream_client import Tab, run
from deploy.local import free_port
from deploy.supervise import app_command
from tests.conftest import PG_ADMIN_URL

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def reader(tiny_postgres_url):
    """(the app's URL as a role of its own, a function that turns that role away or lets it back)."""
    schema = parse_qs(urlsplit(tiny_postgres_url).query)["options"][0].split("=", 1)[1]
    role = f"away_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE ROLE "{role}" LOGIN'))
        conn.execute(text(f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"'))
        conn.execute(text(f'GRANT SELECT ON ALL TABLES IN SCHEMA "{schema}" TO "{role}"'))

    def away(gone: bool) -> None:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER ROLE "{role}" {"NOLOGIN" if gone else "LOGIN"}'))
            if gone:
                conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = :r"),
                             {"r": role})

    url = tiny_postgres_url.replace("postgres@", f"{role}@", 1)
    try:
        yield url, away
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER ROLE "{role}" NOLOGIN'))
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = :r"),
                         {"r": role})
            conn.execute(text(f'DROP OWNED BY "{role}"'))
            conn.execute(text(f'DROP ROLE "{role}"'))
        admin.dispose()


@pytest.fixture(scope="module")
def server(reader, tmp_path_factory):
    url, _ = reader
    state = tmp_path_factory.mktemp("recovery")
    port = free_port()
    env = os.environ | {"DATABASE_URL": url, "SYL_COOKIE_KEY": secrets.token_urlsafe(48),
                        "SYL_AUDIT_LOG_PATH": str(state / "audit.jsonl"),
                        "SYL_ANALYTICAL_COPY_DIR": str(state / "analytical")}
    process = subprocess.Popen(app_command(port), cwd=ROOT, env=env,  # noqa: S603 - our own server
                               stdout=(state / "server.log").open("w"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2):
                break
        except OSError:
            time.sleep(0.3)
    try:
        yield base
    finally:
        process.terminate()
        process.wait(10)


def _headings(view) -> list[str]:
    return [element.heading.body for element in view.kinds("heading")]


def test_pages_say_the_data_is_away_and_come_back_by_themselves(server, reader) -> None:
    _, away = reader

    async def visit():
        official, visitor = Tab(server), Tab(server)
        first = await official.open("transparency")
        assert _headings(first)[0] == "办理公开" and not first.errors
        away(True)
        try:
            english = await visitor.open("volunteers", "lang=en")  # nothing of it is cached yet
            gone = await official.navigate("volunteers")
            await asyncio.sleep(1.1)  # the timer's first try comes RETRY_SECONDS later; a second will do here
            still = await official.tick(gone.auto_rerun[1]) if gone.auto_rerun else None
        finally:
            away(False)
        back = await official.tick(gone.auto_rerun[1]) if gone.auto_rerun else None
        english_back = await visitor.tick(english.auto_rerun[1]) if english.auto_rerun else None
        return gone, still, english, back, english_back

    gone, still, english, back, english_back = run(visit())
    # away: the visitor's language, no address or reason (that is for administrators), a timed retry
    assert "暂时无法显示数据" in _headings(gone) and gone.has_text("数据暂时无法读取")
    assert not any("127.0.0.1" in body or "away_" in body for body in gone.texts())
    assert gone.auto_rerun is not None and gone.auto_rerun[0] == 10
    assert english.has_text("The data cannot be read at the moment") and english.auto_rerun is not None
    assert still is not None and still.finished and not still.kinds("heading")  # a try while away: no rerun
    # back: the retry finds the database and the page shows itself, with nobody at the keyboard
    assert back is not None and back.finished
    assert _headings(back)[0] == "志愿积分榜" and "暂时无法显示数据" not in _headings(back) and not back.errors
    assert back.kinds("dataframe")  # the leaderboard itself
    assert english_back is not None and _headings(english_back)[0] == "Volunteer leaderboard" and not english_back.errors
