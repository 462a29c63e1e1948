"""The analytical copy on disk, shared by app processes: a restart answers from it at once, N
processes build one copy, a moved watermark rebuilds it once, and a damaged store is rebuilt."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from data_access import analytical, copy_build
from data_access.analytical import AnalyticalCopy, RoutedEngine
from data_access.copy_store import MANIFEST, CopyStore, folder_for
from data_access.engine import PROJECT_ROOT, make_readonly_engine
from tests.test_analytical import _received, _writable_change


@pytest.fixture
def store(tmp_path: Path) -> CopyStore:
    return CopyStore(tmp_path / "store")


def _no_builds(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise AssertionError("this process must not build a copy")

    monkeypatch.setattr(analytical, "load_snapshot", refuse)
    monkeypatch.setattr(analytical, "load_snapshot_in_child", refuse)


def _copies(store: CopyStore) -> list[str]:
    return sorted(p.name for p in store.folder.glob("copy-*.duckdb"))


def test_a_restarted_process_answers_from_the_copy_on_disk_at_once(sqlite_copy, store, monkeypatch) -> None:
    ro = make_readonly_engine(f"sqlite:///{sqlite_copy}")
    built = AnalyticalCopy(ro, refresh_seconds=float("inf"), strict=True, store=store).load_now()
    assert _copies(store) == [built.path.name]

    _no_builds(monkeypatch)  # "after the restart": nothing may be built again
    restarted = AnalyticalCopy(ro, refresh_seconds=float("inf"), strict=True, store=store)
    restarted.start()
    assert restarted.snapshot is not None, "served before the background check has run"
    assert restarted.snapshot.path == built.path
    restarted.wait(30)
    assert restarted.last_error is None and restarted.snapshot.path == built.path  # same watermark: kept
    routed = RoutedEngine(ro, restarted)
    assert _received(routed) == _received(ro)
    assert restarted.answered > 0


def test_a_moved_watermark_serves_the_old_copy_while_one_new_copy_is_built(sqlite_copy, store) -> None:
    ro = make_readonly_engine(f"sqlite:///{sqlite_copy}")
    first = AnalyticalCopy(ro, refresh_seconds=float("inf"), strict=True, store=store).load_now()
    before = _received(ro)
    _writable_change(sqlite_copy)  # the feed wrote while the app was down

    restarted = AnalyticalCopy(ro, refresh_seconds=float("inf"), strict=True, store=store)
    restarted.start()
    assert restarted.snapshot is not None  # the old copy, at once
    assert restarted.wait(60), restarted.last_error
    assert restarted.snapshot.path != first.path
    assert _received(RoutedEngine(ro, restarted)) == before + 1
    assert _copies(store) == [restarted.snapshot.path.name], "the superseded copy is removed"
    assert first.connection.execute("SELECT count(*) FROM issues").fetchone()[0] > 0  # still readable


def test_processes_sharing_a_store_build_one_copy(tiny_sqlite_url, store) -> None:
    """Three processes start together with no copy: one builds, two wait for it and open it."""
    script = textwrap.dedent(
        f"""
        import json, sys
        from pathlib import Path
        from data_access import analytical, copy_build
        from data_access.analytical import AnalyticalCopy
        from data_access.copy_store import CopyStore
        from data_access.engine import make_readonly_engine
        builds = []
        real = analytical.load_snapshot
        def counted(*args, **kwargs):
            builds.append(1)
            return real(*args, **kwargs)
        analytical.load_snapshot = counted
        copy = AnalyticalCopy(make_readonly_engine({tiny_sqlite_url!r}), refresh_seconds=float("inf"),
                              store=CopyStore(Path({str(store.folder)!r})))
        snapshot = copy.load_now()
        print(json.dumps({{"builds": len(builds), "file": snapshot.path.name}}))
        """
    )
    processes = [
        subprocess.Popen(  # noqa: S603 - our own interpreter and script
            [sys.executable, "-c", script], cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(3)
    ]
    results = []
    for process in processes:
        out, err = process.communicate(timeout=180)
        assert process.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    assert sum(r["builds"] for r in results) == 1
    assert len({r["file"] for r in results}) == 1
    assert _copies(store) == [results[0]["file"]]


@pytest.mark.parametrize("damage", ["manifest", "copy file", "missing file"])
def test_a_damaged_store_is_rebuilt_not_served(tiny_sqlite_url, store, damage) -> None:
    ro = make_readonly_engine(tiny_sqlite_url)
    first = AnalyticalCopy(ro, refresh_seconds=float("inf"), store=store).load_now()
    first.connection.close()
    if damage == "manifest":
        (store.folder / MANIFEST).write_text("{not json", encoding="utf-8")
    elif damage == "copy file":
        first.path.write_bytes(b"\0garbage" * 1000)
    else:
        first.path.unlink()
    restarted = AnalyticalCopy(ro, refresh_seconds=float("inf"), strict=True, store=store)
    restarted.start()
    assert restarted.wait(60), restarted.last_error
    assert restarted.snapshot.path != first.path
    assert _received(RoutedEngine(ro, restarted)) == _received(ro)
    assert _copies(store) == [restarted.snapshot.path.name]


def test_a_copy_of_another_layout_is_not_served(sqlite_copy, store) -> None:
    """A copy built before the database gained the 社区E家 tables (or lost them) is rebuilt."""
    from data_access.contract import V3_TABLES
    from tests.test_analytical import as_version_2

    ro = make_readonly_engine(f"sqlite:///{sqlite_copy}")
    AnalyticalCopy(ro, refresh_seconds=float("inf"), store=store).load_now()
    as_version_2(sqlite_copy)
    version_2 = make_readonly_engine(f"sqlite:///{sqlite_copy}")
    restarted = AnalyticalCopy(version_2, refresh_seconds=float("inf"), strict=True, store=store)
    assert restarted.open_published() is None
    restarted.start()
    assert restarted.wait(60), restarted.last_error
    assert not set(V3_TABLES) & set(restarted.snapshot.rows)


def test_each_database_has_its_own_folder_named_without_its_password(tmp_path) -> None:
    one = folder_for(tmp_path, "postgresql://reader:secret@db/street")
    assert one == folder_for(tmp_path, "postgresql://reader:other@db/street")
    assert one != folder_for(tmp_path, "postgresql://reader:secret@db/city")
    assert "secret" not in str(one)


# --- refresh in place ----------------------------------------------------------------------------


def _full_copy(url: str, folder: Path) -> dict:
    from tests.test_analytical import _tables

    engine = make_readonly_engine(url)
    path = folder / "fresh.duckdb"
    copy_build.build_copy(engine, path)
    return _tables(path)


def test_a_refresh_merges_what_changed_and_equals_a_fresh_build(sqlite_copy, store, tmp_path, monkeypatch) -> None:
    import sqlite3

    monkeypatch.setattr(copy_build, "SMALL_TABLE_ROWS", 0)  # even small tables only when moved
    url = f"sqlite:///{sqlite_copy}"
    ro = make_readonly_engine(url)
    first = AnalyticalCopy(ro, refresh_seconds=float("inf"), strict=True, store=store).load_now()
    with sqlite3.connect(sqlite_copy) as conn:
        conn.execute(
            "UPDATE issues SET status = 'closed', satisfaction = 1, updated_at = '2026-11-29 09:00:00.000000'"
            " WHERE issue_id = 17"
        )
        conn.execute("DELETE FROM issues WHERE issue_id = 23")
        columns = [row[1] for row in conn.execute("PRAGMA table_info(patrols)") if row[1] != "patrol_id"]
        listed = ", ".join(columns)
        conn.execute(
            f"INSERT INTO patrols (patrol_id, {listed}) SELECT (SELECT max(patrol_id) + 1 FROM patrols), {listed}"
            " FROM patrols WHERE patrol_id = (SELECT min(patrol_id) FROM patrols)"
        )
    _writable_change(sqlite_copy)  # one more issue, with no updated_at, and a new data_as_of

    _no_builds(monkeypatch)  # a refresh, not a build
    later = AnalyticalCopy(ro, refresh_seconds=float("inf"), strict=True, store=store)
    snapshot = later.load_now()
    assert snapshot.refreshed and snapshot.path != first.path
    con = snapshot.connection
    names = [row[0] for row in con.execute("SELECT table_name FROM information_schema.tables").fetchall()]
    merged = {name: con.execute(f'SELECT * FROM "{name}" ORDER BY ALL').fetchall() for name in names}
    assert merged == _full_copy(url, tmp_path)
    status = snapshot.connection.execute("SELECT status FROM issues WHERE issue_id = 17").fetchone()
    assert status == ("closed",)
    assert snapshot.connection.execute("SELECT count(*) FROM issues WHERE issue_id = 23").fetchone()[0] == 0
    assert _copies(store) == [snapshot.path.name]


def test_without_change_times_or_after_a_day_the_copy_is_built_afresh(sqlite_copy, store, monkeypatch) -> None:
    import sqlite3

    ro = make_readonly_engine(f"sqlite:///{sqlite_copy}")
    AnalyticalCopy(ro, refresh_seconds=float("inf"), store=store).load_now()
    _writable_change(sqlite_copy)
    monkeypatch.setattr(analytical, "FULL_BUILD_HOURS", 0)
    assert not AnalyticalCopy(ro, refresh_seconds=float("inf"), store=store).load_now().refreshed

    monkeypatch.setattr(analytical, "FULL_BUILD_HOURS", 24)
    with sqlite3.connect(sqlite_copy) as conn:
        conn.execute("UPDATE issues SET updated_at = NULL")  # a feed that never says when a row changed
    AnalyticalCopy(ro, refresh_seconds=float("inf"), store=store).load_now()
    _writable_change(sqlite_copy)
    assert not AnalyticalCopy(ro, refresh_seconds=float("inf"), store=store).load_now().refreshed


def test_a_failed_refresh_falls_back_to_a_fresh_build(sqlite_copy, store, monkeypatch) -> None:
    ro = make_readonly_engine(f"sqlite:///{sqlite_copy}")
    AnalyticalCopy(ro, refresh_seconds=float("inf"), store=store).load_now()
    _writable_change(sqlite_copy)

    def broken(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise OSError("disk full")

    monkeypatch.setattr(analytical, "refresh_copy", broken)
    copy = AnalyticalCopy(ro, refresh_seconds=float("inf"), strict=True, store=store)
    snapshot = copy.load_now()
    assert not snapshot.refreshed
    assert _received(RoutedEngine(ro, copy)) == _received(ro)
    assert _copies(store) == [snapshot.path.name]


def test_the_store_is_readable_by_the_app_alone(tmp_path) -> None:
    """A copy holds special-population membership by resident id and building."""
    store = CopyStore(folder_for(tmp_path / "analytical", "sqlite:///x.sqlite"))
    assert store.folder.stat().st_mode & 0o777 == 0o700


def test_the_app_refreshes_in_a_child_process(sqlite_copy, store, tmp_path) -> None:
    """As the server does: the refresh runs in a child process, so its memory is not the pages'."""
    url = f"sqlite:///{sqlite_copy}"
    ro = make_readonly_engine(url)
    first = AnalyticalCopy(ro, url=url, refresh_seconds=float("inf"), store=store)
    first.start()
    assert first.wait(120), first.last_error
    _writable_change(sqlite_copy)
    later = AnalyticalCopy(ro, url=url, refresh_seconds=float("inf"), strict=True, store=store)
    later.start()
    assert later.wait(120), later.last_error
    snapshot = later.snapshot
    assert snapshot.refreshed and snapshot.marks and snapshot.path != first.snapshot.path
    assert store.current().marks == snapshot.marks
    assert _received(RoutedEngine(ro, later)) == _received(ro)


def test_a_copy_folder_that_cannot_be_made_leaves_the_app_working(app_env, monkeypatch, tmp_path) -> None:
    """A wrong analytical_copy_dir (a file, a read-only disk) costs the shared copy, not the pages."""
    from app.data import engine_for
    from app.i18n import translate
    from tests.apptest_helpers import texts
    from tests.test_public_pages import _open

    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("SYL_ANALYTICAL_COPY_DIR", str(blocker / "analytical"))
    monkeypatch.setenv("SYL_ANALYTICAL_COPY", "on")
    engine_for.clear()
    try:
        at = _open("transparency", "")
        assert translate("zh", "error.title") not in texts(at)
        assert not at.exception
    finally:
        engine_for.clear()


def test_the_build_command_makes_the_copy_the_app_opens(tiny_sqlite_url, tmp_path) -> None:
    """`python -m data_access.analytical --build`, run before the app starts: the app then opens that
    copy at once; run again with nothing changed, it builds nothing."""
    command = [
        sys.executable,
        "-m",
        "data_access.analytical",
        "--build",
        "--db",
        tiny_sqlite_url,
        "--dir",
        str(tmp_path),
    ]
    first = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)  # noqa: S603
    again = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)  # noqa: S603
    built = first.stdout.split(":")[0]
    assert built.endswith(".duckdb") and again.stdout.split(":")[0] == built
    store = CopyStore(folder_for(tmp_path, tiny_sqlite_url))
    copy = AnalyticalCopy(make_readonly_engine(tiny_sqlite_url), refresh_seconds=float("inf"), store=store)
    assert copy.open_published() is not None and str(copy.snapshot.path) == built


def _damage(path: Path, how: str) -> None:
    """What a failing disk or a careless copy does to a file a process has open: in place."""
    size = path.stat().st_size
    with path.open("r+b") as file:
        if how == "overwritten":
            file.seek(4096 * 3)
            file.write(b"\x5a" * (size - 4096 * 3))
        else:
            file.truncate(4096 * 4)


@pytest.mark.parametrize("how", ["overwritten", "cut short"])
def test_a_copy_damaged_under_running_processes_is_replaced_by_a_new_one(tiny_sqlite_url, store, how) -> None:
    """Answers stay right throughout (the read database answers while there is no good copy); the
    process that finds the damage builds a new copy, one that shares the store opens that one."""
    ro = make_readonly_engine(tiny_sqlite_url)
    expected = _received(ro)
    first = AnalyticalCopy(ro, refresh_seconds=float("inf"), store=store)
    damaged = first.load_now().path
    other = AnalyticalCopy(ro, refresh_seconds=float("inf"), store=store)
    assert other.open_published().path == damaged  # a second process serving the same file
    _damage(damaged, how)

    assert _received(RoutedEngine(ro, first)) == expected  # the damage found: the read database answered
    assert first.snapshot is None or first.snapshot.path != damaged
    assert first.wait(60), first.last_error
    assert first.snapshot.path != damaged and "damaged" in (first.last_error or "damaged")
    before = first.answered
    assert _received(RoutedEngine(ro, first)) == expected and first.answered > before  # the copy again

    assert _received(RoutedEngine(ro, other)) == expected  # the other process finds it too …
    assert other.wait(60)
    assert other.snapshot.path == first.snapshot.path  # … and opens the new copy, it builds none
    assert _copies(store) == [first.snapshot.path.name]  # the damaged file is gone


def test_a_copy_deleted_under_a_running_process_keeps_answering_until_the_next_one(tiny_sqlite_url, store) -> None:
    ro = make_readonly_engine(tiny_sqlite_url)
    copy = AnalyticalCopy(ro, refresh_seconds=float("inf"), strict=True, store=store)
    deleted = copy.load_now().path
    deleted.unlink()  # the open file outlives its name
    before = copy.answered
    assert _received(RoutedEngine(ro, copy)) == _received(ro) and copy.answered > before
    restarted = AnalyticalCopy(ro, refresh_seconds=float("inf"), strict=True, store=store)
    restarted.start()  # a process started now cannot open it, and builds another
    assert restarted.wait(60), restarted.last_error
    assert restarted.snapshot.path != deleted and restarted.snapshot.path.exists()


def test_only_the_copys_own_damage_gives_it_up(tmp_path) -> None:
    import duckdb

    from data_access.analytical import is_damage

    copy = tmp_path / "copy-1.duckdb"
    assert is_damage(duckdb.Error("Corrupt database file: computed checksum 1 does not match"), copy)
    assert is_damage(duckdb.IOException(f'IO Error: Could not read enough bytes from file "{copy}"'), copy)
    assert is_damage(duckdb.InternalException("INTERNAL Error: dict-surviving cache"), copy)
    assert not is_damage(duckdb.IOException(f'IO Error: No files found that match "{tmp_path}/record-themes"'), copy)
    assert not is_damage(duckdb.BinderException("Binder Error: column not found"), copy)
