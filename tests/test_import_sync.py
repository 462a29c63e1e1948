"""Sync, not append: a later 12345 export updates what changed and keeps the history; a Chinese export in
GB18030 lands in the street's own categories, communities and grids and every page shows it; the other
offices' registers load and sync the same way."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import create_engine

from fixtures.import_mapping import load_mapping
from fixtures.importer import import_file
from fixtures.samples import hotline_export, hotline_orders, write_registers

ROOT = Path(__file__).resolve().parent.parent
MAPPINGS = ROOT / "fixtures" / "mappings"
HOTLINE = load_mapping(MAPPINGS / "hotline12345.yaml")
FIRST, SECOND, THIRD = datetime(2026, 11, 28, 1), datetime(2026, 11, 29, 1), datetime(2026, 11, 29, 3)


def _write(orders: pd.DataFrame, path: Path) -> Path:
    hotline_export(orders, faults=False).to_csv(path, index=False, encoding="gb18030")
    return path


def _issues(db: Path) -> pd.DataFrame:
    with sqlite3.connect(db) as conn:
        return pd.read_sql_query(
            "SELECT i.source_ref, i.status, c.name_zh AS category, i.resolved_at, i.closed_at, i.reopened_count, "
            "i.updated_at, i.satisfaction, i.issue_id FROM issues i LEFT JOIN issue_categories c "
            "ON c.code = i.category_code WHERE i.source = 'hotline12345' ORDER BY i.source_ref", conn)


def _changed(orders: pd.DataFrame, as_of: datetime) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """The next day's export: some orders closed, some reopened, some re-categorised, some new."""
    later = orders.copy()
    open_now = later.index[later["status"].isin(["in_progress", "assigned"])][:5]
    later.loc[open_now, "status"] = "resolved"
    later.loc[open_now, "closed_at"] = [later.at[i, "reported_at"] + timedelta(hours=30) for i in open_now]
    done = later.index[later["status"] == "resolved"].difference(open_now)[:3]
    later.loc[done, "status"] = "in_progress"
    later.loc[done, "closed_at"] = None
    rest = later.index.difference(open_now).difference(done)
    moved = rest[:4]
    later.loc[moved, "category"] = [("噪音扰民" if c != "噪音扰民" else "违规停车") for c in later.loc[moved, "category"]]
    extra = hotline_orders_like(later, as_of)
    changes = {"closed": later.loc[open_now, "order"].tolist(), "reopened": later.loc[done, "order"].tolist(),
               "recategorised": later.loc[moved, "order"].tolist(), "added": extra["order"].tolist()}
    return pd.concat([later, extra], ignore_index=True), changes


def hotline_orders_like(orders: pd.DataFrame, as_of: datetime) -> pd.DataFrame:
    extra = orders.head(6).copy()
    extra["order"] = [f"GD-NEW-{i}" for i in range(6)]
    extra["reported_at"] = as_of - timedelta(hours=5)
    extra["status"] = "submitted"
    extra["closed_at"] = None
    extra["satisfaction"] = None
    return extra


@pytest.fixture
def street(sqlite_copy, tiny_sqlite_url) -> tuple[Path, pd.DataFrame, datetime]:
    engine = create_engine(tiny_sqlite_url)
    orders = hotline_orders(engine, count=80, seed=3)
    engine.dispose()
    return sqlite_copy, orders, datetime(2026, 11, 29)


def test_a_later_export_updates_what_changed_and_keeps_the_history(street, tmp_path) -> None:
    db, orders, as_of = street
    url = f"sqlite:///{db}"
    first = import_file(url, _write(orders, tmp_path / "day1.csv"), HOTLINE, tmp_path / "r1.csv", now=FIRST)
    assert (first.new, first.updated, first.unchanged, first.rejected) == (80, 0, 0, 0)
    later, changes = _changed(orders, as_of)
    second = import_file(url, _write(later, tmp_path / "day2.csv"), HOTLINE, tmp_path / "r2.csv", now=SECOND)
    touched = len(changes["closed"]) + len(changes["reopened"]) + len(changes["recategorised"])
    assert (second.new, second.updated, second.unchanged) == (len(changes["added"]), touched, 80 - touched)

    # The database now says what the later file says, row by row.
    stored = _issues(db).set_index("source_ref")
    expected = later.set_index("order")
    assert set(stored.index) == set(expected.index)
    assert (stored["status"] == expected["status"].reindex(stored.index)).all()
    assert (stored["category"] == expected["category"].reindex(stored.index)).all()
    resolved = pd.to_datetime(stored["resolved_at"]).dt.floor("min")
    wanted = pd.to_datetime(expected["closed_at"].reindex(stored.index)).dt.floor("min")
    done = stored["status"].isin(["resolved", "closed"])
    assert (resolved[done] == wanted[done]).all() and resolved[~done].isna().all()
    # Reopening is counted, and only changed rows carry the second import's time.
    assert (stored.loc[changes["reopened"], "reopened_count"] == 1).all()
    changed = changes["closed"] + changes["reopened"] + changes["recategorised"] + changes["added"]
    assert set(stored.index[pd.to_datetime(stored["updated_at"]) == SECOND]) == set(changed)
    # The history holds each status change, dated by the source where it says when.
    with sqlite3.connect(db) as conn:
        history = pd.read_sql_query(
            "SELECT i.source_ref, e.at, e.from_status, e.to_status, e.note FROM issue_events e "
            "JOIN issues i ON i.issue_id = e.issue_id WHERE i.source = 'hotline12345'", conn)
    for ref in changes["reopened"]:
        moves = history[history["source_ref"] == ref]
        assert ("resolved", "in_progress") in set(zip(moves["from_status"], moves["to_status"], strict=True))
    for ref in changes["recategorised"]:  # a change of category is history too
        notes = history.loc[(history["source_ref"] == ref) & (history["from_status"] == history["to_status"]), "note"]
        assert notes.str.startswith("sync: hotline12345: category").any(), ref  # (its title names it too)
    for ref in changes["closed"]:
        move = history[(history["source_ref"] == ref) & (history["to_status"] == "resolved")]
        assert pd.Timestamp(move["at"].iloc[-1]).floor("min") == pd.Timestamp(expected.at[ref, "closed_at"]).floor("min")


def test_after_a_sync_the_figures_equal_a_fresh_import_of_the_full_export(street, sqlite_copy, tmp_path,
                                                                           tiny_sqlite_url) -> None:
    import shutil

    from data_access.engine import make_readonly_engine
    from data_access.filters import IssueFilters
    from data_access.issues import resolution_figures
    from data_access.scope import Scope

    db, orders, as_of = street
    later, _ = _changed(orders, as_of)
    import_file(f"sqlite:///{db}", _write(orders, tmp_path / "day1.csv"), HOTLINE, tmp_path / "r1.csv", now=FIRST)
    import_file(f"sqlite:///{db}", _write(later, tmp_path / "day2.csv"), HOTLINE, tmp_path / "r2.csv", now=SECOND)
    fresh = tmp_path / "fresh.sqlite"
    shutil.copy(Path(tiny_sqlite_url.removeprefix("sqlite:///")), fresh)
    import_file(f"sqlite:///{fresh}", tmp_path / "day2.csv", HOTLINE, tmp_path / "r3.csv", now=SECOND)
    window = IssueFilters(since=as_of - timedelta(days=90), until=as_of + timedelta(days=1))
    for by in (None, "category", "community", "grid", "channel", "month"):
        synced = resolution_figures(make_readonly_engine(f"sqlite:///{db}"), Scope.street(), window, by)
        again = resolution_figures(make_readonly_engine(f"sqlite:///{fresh}"), Scope.street(), window, by)
        pd.testing.assert_frame_equal(synced, again, check_exact=False)


def test_a_rolling_window_export_leaves_the_other_rows_as_they_were(street, tmp_path) -> None:
    db, orders, as_of = street
    url = f"sqlite:///{db}"
    import_file(url, _write(orders, tmp_path / "day1.csv"), HOTLINE, tmp_path / "r1.csv", now=FIRST)
    before = _issues(db).set_index("source_ref")
    window = orders.tail(10).copy()
    window.loc[window.index[:2], "status"] = "closed"
    window.loc[window.index[:2], "closed_at"] = as_of
    result = import_file(url, _write(window, tmp_path / "window.csv"), HOTLINE, tmp_path / "r2.csv", now=THIRD)
    assert (result.new, result.updated, result.unchanged) == (0, 2, 8)
    after = _issues(db).set_index("source_ref")
    untouched = before.index.difference(window["order"].iloc[:2])
    pd.testing.assert_frame_equal(after.loc[untouched], before.loc[untouched])


def test_a_chinese_export_lands_in_the_streets_own_names_and_every_page_shows_it(street, tmp_path, monkeypatch) -> None:
    import secrets
    import shutil

    from app.i18n import translate
    from tests.apptest_helpers import USERS, texts
    from tests.test_public_pages import _open

    db, orders, _ = street
    street_before = tmp_path / "before.sqlite"
    shutil.copy(db, street_before)
    with sqlite3.connect(db) as conn:
        categories_before = conn.execute("SELECT count(*) FROM issue_categories").fetchone()[0]
        communities_before = conn.execute("SELECT count(*) FROM communities").fetchone()[0]
    source = tmp_path / "12345.csv"
    hotline_export(orders).to_csv(source, index=False, encoding="gb18030")  # with the real-life faults
    assert source.read_bytes().decode("gb18030") and not _utf8(source)
    result = import_file(f"sqlite:///{db}", source, HOTLINE, tmp_path / "r.csv")
    assert result.new == 80 - 1 and result.reasons == {"duplicate_id": 1, "unknown_status": 1}
    assert result.flags["swapped_coordinates"] == 1 and result.flags["outside_bounds"] == 1
    with sqlite3.connect(db) as conn:  # categories, communities and grids matched by name: nothing new
        assert conn.execute("SELECT count(*) FROM issue_categories").fetchone()[0] == categories_before
        assert conn.execute("SELECT count(*) FROM communities").fetchone()[0] == communities_before
        assert conn.execute("SELECT count(*) FROM issues WHERE source = 'hotline12345' AND grid_id IS NULL").fetchone()[0] == 0
        assert conn.execute("SELECT value FROM meta WHERE key = 'timezone'").fetchone()[0] == "Asia/Shanghai"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{db}")
    monkeypatch.setenv("SYL_AUDIT_LOG_PATH", str(tmp_path / "audit.jsonl"))
    monkeypatch.setenv("SYL_COOKIE_KEY", secrets.token_urlsafe(48))
    for page, user in (("overview", None), ("issue_map", None), ("transparency", None), ("big_screen", None),
                       ("issue_map", USERS["street_official"]), ("patrols", USERS["grid_officer"]),
                       ("performance", USERS["street_official"])):
        at = _open(page, "period=90d", user=user)
        assert translate("zh", "error.title") not in texts(at), page
    # The published figures count them: received over 90 days grew by the orders the file brought.
    with sqlite3.connect(db) as conn:
        counted = conn.execute("SELECT count(*) FROM issues WHERE source = 'hotline12345' "
                               "AND status NOT IN ('rejected', 'duplicate')").fetchone()[0]
    after = _received(_open("transparency", "period=90d"))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{street_before}")
    assert after == _received(_open("transparency", "period=90d")) + counted > counted > 0


def _received(at) -> int:  # noqa: ANN001
    from app.i18n import translate
    from tests.apptest_helpers import rendered

    return int(rendered(next(m.value for m in at.metric if m.label == translate("zh", "metric.received"))).replace(",", ""))


def _utf8(path: Path) -> bool:
    try:
        path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def test_every_register_loads_then_syncs_and_stays_off_public_pages(sqlite_copy, tmp_path, monkeypatch) -> None:
    import secrets

    from tests.test_public_pages import _open

    engine = create_engine(f"sqlite:///{sqlite_copy}")
    files = write_registers(engine, tmp_path / "registers")
    engine.dispose()
    url = f"sqlite:///{sqlite_copy}"
    for table, path in files.items():
        mapping = load_mapping(MAPPINGS / f"{table}.yaml")
        first = import_file(url, path, mapping, tmp_path / f"{table}.1.csv")
        assert first.new > 0 and first.rejected == 0, (table, first)
        again = import_file(url, path, mapping, tmp_path / f"{table}.2.csv")
        assert again.new == 0 and again.updated == 0 and again.unchanged == first.new, (table, again)
    with sqlite3.connect(sqlite_copy) as conn:
        people = conn.execute("SELECT name FROM residents WHERE source = 'civil_affairs'").fetchall()
        assert len(people) == 12
        members = conn.execute("SELECT count(*) FROM special_population sp JOIN residents r USING (resident_id) "
                               "WHERE r.source = 'civil_affairs'").fetchone()[0]
        assert members == 12
        assert conn.execute("SELECT count(*) FROM places WHERE source = 'business_register'").fetchone()[0] == 10
        assert conn.execute("SELECT count(*) FROM devices WHERE status = 'offline' AND source = 'device_platform'"
                            ).fetchone()[0] == 2
    # A register person's phone changes in the next list: updated, not added.
    changed = pd.read_csv(files["special_population"], dtype=str, encoding="utf-8-sig")
    changed.loc[0, "联系电话"] = "13900000000"
    changed.to_csv(files["special_population"], index=False, encoding="utf-8-sig")
    result = import_file(url, files["special_population"], load_mapping(MAPPINGS / "special_population.yaml"),
                         tmp_path / "sp.3.csv")
    assert (result.new, result.updated) == (0, 1)
    # Person-level registers never reach a public page.
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("SYL_AUDIT_LOG_PATH", str(tmp_path / "audit.jsonl"))
    monkeypatch.setenv("SYL_COOKIE_KEY", secrets.token_urlsafe(48))
    sent = "".join(_payload(_open(page, "period=12m")) for page in ("overview", "issue_map", "transparency"))
    assert not [name for (name,) in people if name in sent]
    assert "13900000000" not in sent


def _payload(at) -> str:  # noqa: ANN001
    from tests.apptest_helpers import payload

    return payload(at)
