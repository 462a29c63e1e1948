"""The engine cannot write, and bad URLs or databases give typed, explained errors."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, OperationalError

from data_access.contract import check_contract, ensure_usable
from data_access.engine import check_reachable, make_readonly_engine, resolve_database_url
from data_access.errors import DatabaseMissing, DatabaseUnreachable, EmptyDatabase, SchemaMismatch, UnsupportedDatabase
from data_access.schema import metadata

WRITES = [
    "INSERT INTO meta (key, value) VALUES ('x', 'y')",
    "UPDATE issues SET status = 'closed'",
    "DELETE FROM residents",
    "CREATE TABLE sneaky (id INTEGER)",
]


@pytest.mark.parametrize("statement", WRITES)
def test_writes_fail_on_both_backends(engine, statement) -> None:
    with pytest.raises(DBAPIError), engine.begin() as conn:
        conn.execute(text(statement))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM meta WHERE key = 'x'")).scalar() == 0


def test_postgres_sessions_default_to_read_only(tiny_postgres_url) -> None:
    engine = make_readonly_engine(tiny_postgres_url)
    with engine.connect() as conn:
        assert conn.execute(text("SHOW default_transaction_read_only")).scalar() == "on"
        assert conn.execute(text("SHOW statement_timeout")).scalar() == "15s"
    engine.dispose()


def test_sqlite_runaway_query_is_stopped(tiny_sqlite_url) -> None:
    engine = make_readonly_engine(tiny_sqlite_url, statement_timeout_s=0.2)
    forever = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n"
    with pytest.raises(OperationalError, match="interrupted"), engine.connect() as conn:
        conn.execute(text(forever))
    with engine.connect() as conn:  # the next statement gets a fresh deadline
        assert conn.execute(text("SELECT count(*) FROM grids")).scalar() == 28
    engine.dispose()


def test_missing_file_names_the_command_that_builds_it(tmp_path: Path) -> None:
    with pytest.raises(DatabaseMissing) as caught:
        make_readonly_engine(f"sqlite:///{tmp_path / 'absent.sqlite'}")
    assert "python -m fixtures.generate" in str(caught.value)
    assert caught.value.params["command"].startswith("python -m fixtures.generate")
    assert not (tmp_path / "absent.sqlite").exists()  # opening read-only never creates the file


def test_unreachable_postgres_is_reported() -> None:
    engine = make_readonly_engine("postgresql://nobody:secret@127.0.0.1:1/none")
    with pytest.raises(DatabaseUnreachable) as caught:
        check_reachable(engine)
    assert "secret" not in str(caught.value)


@pytest.mark.parametrize("url", ["mysql://x@localhost/db", "not a url", "sqlite://"])
def test_unsupported_urls_are_refused(url) -> None:
    with pytest.raises(UnsupportedDatabase):
        make_readonly_engine(url)


def test_url_resolution_order(monkeypatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "sqlite:///from-env.sqlite")
    assert resolve_database_url() == "sqlite:///from-env.sqlite"
    assert resolve_database_url("sqlite:///explicit.sqlite") == "sqlite:///explicit.sqlite"
    monkeypatch.delenv("DATABASE_URL")
    assert resolve_database_url().endswith("demo.sqlite") or "secrets" in resolve_database_url()


def test_contract_matches_generated_database(engine) -> None:
    report = ensure_usable(engine)
    assert report.matches and report.schema_version == "3" and report.missing_v3 == ()


def test_database_of_another_application(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER)")
    with pytest.raises(SchemaMismatch, match="none of the suite's tables"):
        ensure_usable(make_readonly_engine(f"sqlite:///{path}"))


def test_missing_column_is_named(sqlite_copy: Path) -> None:
    with sqlite3.connect(sqlite_copy) as conn:
        conn.execute("ALTER TABLE issues DROP COLUMN satisfaction")
        conn.execute("DROP TABLE parking_shares")
    engine = make_readonly_engine(f"sqlite:///{sqlite_copy}")
    report = check_contract(engine)
    assert report.missing_columns == ("issues.satisfaction",)
    assert report.missing_tables == ("parking_shares",)
    with pytest.raises(SchemaMismatch) as caught:
        ensure_usable(engine)
    assert "issues.satisfaction" in caught.value.params["missing"]


def test_empty_database_is_reported(tmp_path: Path) -> None:
    from sqlalchemy import create_engine

    path = tmp_path / "empty.sqlite"
    metadata.create_all(create_engine(f"sqlite:///{path}"))
    with pytest.raises(EmptyDatabase) as caught:
        ensure_usable(make_readonly_engine(f"sqlite:///{path}"))
    assert "communities" in caught.value.params["tables"]


def test_version_1_database_is_told_how_to_migrate(sqlite_copy: Path) -> None:
    with sqlite3.connect(sqlite_copy) as conn:
        conn.execute("DROP INDEX ix_issues_updated_at")
        conn.execute("ALTER TABLE issues DROP COLUMN updated_at")
        conn.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    with pytest.raises(SchemaMismatch) as caught:
        ensure_usable(make_readonly_engine(f"sqlite:///{sqlite_copy}"))
    assert "From version 1" in caught.value.params["missing"]
    with sqlite3.connect(sqlite_copy) as conn:  # the migration docs/schema.md gives
        conn.executescript(
            "ALTER TABLE issues ADD COLUMN updated_at TIMESTAMP;"
            "CREATE INDEX ix_issues_updated_at ON issues (updated_at);"
            "UPDATE meta SET value = '2' WHERE key = 'schema_version';"
        )
    assert ensure_usable(make_readonly_engine(f"sqlite:///{sqlite_copy}")).matches


def _make_version_2(path: Path) -> None:
    """Take a generated database back to contract version 2: no 社区E家 tables, no parking owner."""
    from data_access.contract import V3_TABLES

    with sqlite3.connect(path) as conn:
        for table in V3_TABLES:
            conn.execute(f"DROP TABLE {table}")
        conn.execute("ALTER TABLE parking_shares DROP COLUMN owner_resident_id")
        conn.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")


def test_version_2_database_works_and_says_what_ehome_lacks(sqlite_copy: Path) -> None:
    from data_access.contract import V3_TABLES, lacks_ehome

    _make_version_2(sqlite_copy)
    engine = make_readonly_engine(f"sqlite:///{sqlite_copy}")
    report = ensure_usable(engine)
    assert report.matches and report.schema_version == "2"
    assert set(report.missing_v3) == {*V3_TABLES, "parking_shares.owner_resident_id"}
    assert set(lacks_ehome(engine)) == set(report.missing_v3)


def test_version_2_database_migrated_by_the_documented_statements(sqlite_copy: Path) -> None:
    from data_access.contract import lacks_ehome

    _make_version_2(sqlite_copy)
    statements = (Path(__file__).resolve().parents[1] / "docs" / "schema.md").read_text(encoding="utf-8")
    block = statements.split("### From version 2")[1].split("```sql")[1].split("```")[0]
    with sqlite3.connect(sqlite_copy) as conn:
        conn.executescript(block)
    engine = make_readonly_engine(f"sqlite:///{sqlite_copy}")
    report = ensure_usable(engine)
    assert report.schema_version == "3" and report.missing_v3 == () and lacks_ehome(engine) == ()


def test_wrong_schema_version_is_reported(sqlite_copy: Path) -> None:
    with sqlite3.connect(sqlite_copy) as conn:
        conn.execute("UPDATE meta SET value = '0' WHERE key = 'schema_version'")
    with pytest.raises(SchemaMismatch, match="version"):
        ensure_usable(make_readonly_engine(f"sqlite:///{sqlite_copy}"))
