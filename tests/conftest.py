"""Shared fixtures: one tiny generated street on SQLite and one in a fresh PostgreSQL schema.

Both are built once per test session from the same seed and as-of, so every
data-layer test runs on both backends against identical rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from data_access.analytical import AnalyticalCopy, RoutedEngine
from data_access.engine import make_readonly_engine
from data_access.schema import metadata
from fixtures.generate import generate
from fixtures.scales import TINY

AS_OF = pd.Timestamp("2026-11-29")
SEED = 42


@pytest.fixture(scope="session", autouse=True)
def _copies_in_a_private_folder(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Analytical copies the app publishes during tests go to a folder of this run, not data/."""
    os.environ["SYL_ANALYTICAL_COPY_DIR"] = str(tmp_path_factory.mktemp("analytical"))
    os.environ["SYL_THEME_FILL"] = "off"  # no themes in advance after each publish (tests/test_theme_fill.py: on)
PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _postgres_available() -> str | None:
    try:
        engine = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means "not available"
        return f"PostgreSQL at {PG_ADMIN_URL} is not reachable ({type(exc).__name__})"


@pytest.fixture(scope="session")
def tiny_sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("db") / "tiny.sqlite"
    generate(f"sqlite:///{path}", TINY, SEED, AS_OF)
    return f"sqlite:///{path}"


@contextmanager
def fresh_postgres_schema(prefix: str) -> Iterator[tuple[str, str]]:
    """(a URL whose search_path is a new, empty schema, the schema's name); the schema is dropped after."""
    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{PG_ADMIN_URL}?options=-csearch_path%3D{schema}", schema
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="session")
def tiny_postgres_url() -> Iterator[str]:
    reason = _postgres_available()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(reason + "; CI must test PostgreSQL")
        pytest.skip(reason)
    with fresh_postgres_schema("t") as (url, _):
        generate(url, TINY, SEED, AS_OF)
        yield url


@pytest.fixture
def empty_postgres_schema() -> Iterator[tuple[str, str]]:
    """A new, empty PostgreSQL schema for one test: (its URL, its name)."""
    reason = _postgres_available()
    if reason:
        pytest.skip(reason)
    with fresh_postgres_schema("imp") as found:
        yield found


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend_url(request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue("tiny_sqlite_url" if request.param == "sqlite" else "tiny_postgres_url")


@pytest.fixture(scope="session", params=["sqlite", "postgresql", "columnar"])
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """The read-only engine on each backend; "columnar" is SQLite behind the app's DuckDB copy, in
    strict mode (a query DuckDB cannot run fails the test instead of quietly using SQLite)."""
    url = request.getfixturevalue("tiny_postgres_url" if request.param == "postgresql" else "tiny_sqlite_url")
    ro = make_readonly_engine(url)
    if request.param == "columnar":
        copy = AnalyticalCopy(ro, refresh_seconds=float("inf"), strict=True)
        copy.load_now()
        yield RoutedEngine(ro, copy)  # type: ignore[misc] - it stands in for an Engine
    else:
        yield ro
    ro.dispose()


@pytest.fixture(scope="session")
def raw(tiny_sqlite_url: str) -> dict[str, pd.DataFrame]:
    """Every table of the tiny street as raw rows, for independent pandas computations."""
    writable = create_engine(tiny_sqlite_url)
    frames = {}
    with writable.connect() as conn:
        for name, table in metadata.tables.items():
            frame = pd.read_sql_table(name, conn)
            for column in table.columns:
                if column.type.python_type.__name__ == "datetime":
                    frame[column.name] = pd.to_datetime(frame[column.name])
            frames[name] = frame
    writable.dispose()
    return frames


@pytest.fixture
def sqlite_copy(tmp_path: Path, tiny_sqlite_url: str) -> Path:
    """A private, writable copy of the tiny database for tests that damage it."""
    import shutil

    source = Path(tiny_sqlite_url.removeprefix("sqlite:///"))
    target = tmp_path / "copy.sqlite"
    shutil.copy(source, target)
    return target


@pytest.fixture
def app_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, tiny_sqlite_url: str) -> Path:
    """The app over the tiny street, with its audit log in a fresh folder (returned)."""
    import secrets

    monkeypatch.setenv("DATABASE_URL", tiny_sqlite_url)
    monkeypatch.setenv("SYL_AUDIT_LOG_PATH", str(tmp_path / "audit.jsonl"))
    monkeypatch.setenv("SYL_COOKIE_KEY", secrets.token_urlsafe(48))
    return tmp_path


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    """Every download button a run drew: (file name, data, on_click, args)."""
    from streamlit.delta_generator import DeltaGenerator

    drawn: list[tuple] = []
    real = DeltaGenerator.download_button

    def spy(self, label, data, file_name=None, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        drawn.append((file_name, data, kwargs.get("on_click"), kwargs.get("args")))
        return real(self, label, data, file_name, *args, **kwargs)

    monkeypatch.setattr(DeltaGenerator, "download_button", spy)
    return drawn
