"""The importer on bad inputs, as a street's data clerk meets them: each case checks the exit code, the
one line the clerk reads, that no traceback is printed, and that a failed import left the database
exactly as it was (on SQLite, the same bytes)."""

from __future__ import annotations

import codecs
import hashlib
import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import create_engine

from fixtures import importer
from fixtures.samples import hotline_export, hotline_orders

ROOT = Path(__file__).resolve().parent.parent
MAPPING = ROOT / "fixtures" / "mappings" / "hotline12345.yaml"
OPEN311 = ROOT / "fixtures" / "mappings" / "open311.yaml"


@pytest.fixture(scope="module")
def export(tiny_sqlite_url) -> pd.DataFrame:
    """A clean 12345 export of the tiny street (30 orders), as a table of text cells."""
    engine = create_engine(tiny_sqlite_url)
    frame = hotline_export(hotline_orders(engine, count=30, seed=5), faults=False)
    engine.dispose()
    return frame.astype(str).replace("nan", "")


def _digest(path: Path) -> str:
    if path.is_dir():
        return "a folder"
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else "absent"


@dataclass
class Case:
    name: str
    write: Callable[[Path, pd.DataFrame], Path]  # writes the input into a folder, returns its path
    code: int
    says: str  # what the clerk reads (stdout + stderr)
    args: tuple[str, ...] = ()
    db: Callable[[Path, Path], str] | None = None  # (folder, the street's copy) -> --db; default the copy
    mapping: Callable[[Path], Path] | None = None


def _csv(rows: pd.DataFrame, encoding: str = "gb18030", name: str = "export.csv") -> Callable:
    def write(folder: Path, frame: pd.DataFrame) -> Path:
        path = folder / name
        (rows if rows is not None else frame).to_csv(path, index=False, encoding=encoding)
        return path

    return write


def _changed(change: Callable[[pd.DataFrame], pd.DataFrame], encoding: str = "gb18030") -> Callable:
    def write(folder: Path, frame: pd.DataFrame) -> Path:
        path = folder / "export.csv"
        change(frame.copy()).to_csv(path, index=False, encoding=encoding)
        return path

    return write


def _bytes(content: bytes, name: str = "export.csv") -> Callable:
    def write(folder: Path, frame: pd.DataFrame) -> Path:
        path = folder / name
        path.write_bytes(content)
        return path

    return write


def _text_with(edit: Callable[[str], str], encoding: str = "gb18030") -> Callable:
    def write(folder: Path, frame: pd.DataFrame) -> Path:
        path = folder / "export.csv"
        path.write_bytes(edit(frame.to_csv(index=False)).encode(encoding))
        return path

    return write


def _xlsx(folder: Path, frame: pd.DataFrame) -> Path:
    path = folder / "export.xlsx"
    excel = frame.copy()
    excel["受理时间"] = pd.to_datetime(excel["受理时间"], format="%Y/%m/%d %H:%M")  # real date cells
    excel.to_excel(path, index=False, sheet_name="工单", engine="openpyxl")
    return path


def _mapping_text(text: str) -> Callable[[Path], Path]:
    def write(folder: Path) -> Path:
        path = folder / "mapping.yaml"
        path.write_text(text, encoding="utf-8")
        return path

    return write


def _mapping_edit(old: str, new: str) -> Callable[[Path], Path]:
    return _mapping_text(MAPPING.read_text(encoding="utf-8").replace(old, new))


def _other_app(folder: Path, street: Path) -> str:
    path = folder / "invoices.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER)")
    return f"sqlite:///{path}"


def _lacking_column(folder: Path, street: Path) -> str:
    with sqlite3.connect(street) as conn:
        conn.execute("ALTER TABLE issues DROP COLUMN satisfaction")
    return f"sqlite:///{street}"


def _text_file_db(folder: Path, street: Path) -> str:
    path = folder / "notes.txt"
    path.write_text("not a database", encoding="utf-8")
    return f"sqlite:///{path}"


CASES = [
    # The file itself.
    Case("empty", _bytes(b""), 2, "the file is empty"),
    Case("header-only", _text_with(lambda t: t.splitlines()[0] + "\n"), 1, "header and no rows"),
    Case("binary", _bytes(bytes(range(256)) * 20), 2, "not a text file"),
    Case("neither-utf8-nor-gb18030", _bytes("工单编号,受理时间\n".encode() + b"\x80\x80\x80,x\n"), 2,
         "neither UTF-8 nor GB18030"),
    Case("gb18030-from-excel", _csv(None, "gb18030"), 0, "30 new"),
    Case("gbk", _csv(None, "gbk"), 0, "30 new"),
    Case("utf8-bom", _csv(None, "utf-8-sig"), 0, "30 new"),
    Case("utf8", _csv(None, "utf-8"), 0, "30 new"),
    Case("crlf-line-ends", _text_with(lambda t: t.replace("\n", "\r\n")), 0, "30 new"),
    Case("xlsx-with-date-cells", _xlsx, 0, "30 new"),
    Case("xlsx-missing-sheet", _xlsx, 2, "no sheet", ("--sheet", "Sheet9")),
    Case("missing-file", lambda folder, frame: folder / "nope.csv", 2, "no such file"),
    Case("a-folder", lambda folder, frame: folder, 2, "a folder, not a file"),
    Case("json-given-as-csv", _bytes(b'[{"id": 1}]'), 2, "this is JSON"),
    Case("truncated-json", _bytes(b'[{"service_request_id": "A", "status": "open"'), 2, "not valid JSON",
         mapping=lambda folder: OPEN311),
    Case("csv-given-as-json", _csv(None), 2, "reads Open311 JSON", mapping=lambda folder: OPEN311),
    # Columns and rows.
    Case("misspelt-id-column", _changed(lambda f: f.rename(columns={"工单编号": "工单号"})), 2,
         "does not have: 工单编号"),
    Case("missing-status-column", _changed(lambda f: f.drop(columns=["工单状态"])), 2, "工单状态"),
    Case("extra-columns", _changed(lambda f: f.assign(备注="x", 承办单位="石油路街道")), 0, "30 new"),
    Case("all-bad-dates", _changed(lambda f: f.assign(受理时间="明天")), 1, "no row of the file could be imported"),
    Case("some-bad-dates", _changed(lambda f: f.assign(受理时间=["2026/13/45 99:99", *f["受理时间"][1:]])), 0,
         "bad_created_date"),
    Case("duplicate-ids", _changed(lambda f: pd.concat([f, f.head(3)])), 0, "duplicate_id"),
    Case("unknown-statuses", _changed(lambda f: f.assign(工单状态="待核实")), 1, "unknown_status"),
    Case("impossible-coordinates", _changed(lambda f: f.assign(纬度="123.4", 经度="999")), 0,
         "impossible_coordinates"),
    Case("coordinates-of-another-city", _changed(lambda f: f.assign(纬度="39.9042", 经度="116.4074")), 0,
         "outside_bounds"),
    Case("swapped-coordinates", _changed(lambda f: f.assign(纬度=f["经度"], 经度=f["纬度"])), 0,
         "swapped_coordinates"),
    Case("huge-field", _text_with(lambda t: t.replace("请尽快处理。", "长" * 1_200_000, 1)), 0, "malformed_csv"),
    Case("unbalanced-quote", _text_with(lambda t: t.replace("\nGD", '\n"GD', 1)), 0,
         "29 new, 0 updated, 0 unchanged, 1 rejected"),  # the one line, not the rest of the file
    Case("wrong-field-count", _text_with(lambda t: t.replace(",12345热线,", ",12345热线,,,", 1)), 0,
         "wrong_field_count"),
    Case("nul-in-a-late-row", _text_with(lambda t: t + "\n" * 70_000 + "GD9,\x00\n"), 0, "wrong_field_count"),
    Case("huge-id", _changed(lambda f: f.assign(工单编号=["X" * 300, *f["工单编号"][1:]])), 0, "id_too_long"),
    # The mapping and the time zone.
    Case("invalid-yaml-mapping", _csv(None), 2, "cannot read mapping", mapping=_mapping_text("source: [x\n")),
    Case("unknown-status-target", _csv(None), 2, "not ours", mapping=_mapping_edit("已办结: resolved", "已办结: done")),
    Case("mapping-names-a-missing-column", _csv(None), 2, "does not have: 处理部门",
         mapping=_mapping_edit("description: 诉求内容", "description: 处理部门")),
    Case("bad-time-zone", _csv(None), 2, "time zone", ("--timezone", "Mars/Olympus")),
    Case("bad-encoding-option", _csv(None), 2, "unknown encoding", ("--encoding", "klingon")),
    # The database.
    Case("db-not-a-database", _csv(None), 2, "is not a SQLite database", db=_text_file_db),
    Case("db-folder-missing", _csv(None), 2, "does not exist",
         db=lambda folder, street: f"sqlite:///{folder / 'nowhere' / 'x.sqlite'}"),
    Case("db-is-a-folder", _csv(None), 2, "is a folder", db=lambda folder, street: f"sqlite:///{folder}"),
    Case("db-not-a-url", _csv(None), 2, "not a database URL", db=lambda folder, street: "a file somewhere"),
    Case("db-unsupported", _csv(None), 2, "not supported", db=lambda folder, street: "mysql://x@localhost/db"),
    Case("db-unreachable", _csv(None), 2, "cannot reach",
         db=lambda folder, street: "postgresql://nobody:pw@127.0.0.1:1/none"),
    Case("db-of-another-application", _csv(None), 2, "another application", db=_other_app),
    Case("db-lacking-a-column", _csv(None), 2, "issues.satisfaction", db=_lacking_column),
    Case("db-new-file", _csv(None), 0, "30 new", db=lambda folder, street: f"sqlite:///{folder / 'new.sqlite'}"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input(case, export, sqlite_copy, tmp_path, capsys) -> None:
    source = case.write(tmp_path, export)
    db = case.db(tmp_path, sqlite_copy) if case.db else f"sqlite:///{sqlite_copy}"
    target = Path(db.removeprefix("sqlite:///")) if db.startswith("sqlite:///") else None
    before = _digest(target) if target else None
    mapping = case.mapping(tmp_path) if case.mapping else MAPPING
    code = importer.main(["--db", db, "--mapping", str(mapping), "--rejects", str(tmp_path / "rejects.csv"),
                          *case.args, str(source)])
    out = capsys.readouterr()
    said = out.out + out.err
    assert code == case.code, said
    assert case.says in said, said
    assert "Traceback" not in said
    assert len([line for line in out.err.splitlines() if line.startswith("error:")]) <= 1
    if code != 0 and target is not None:
        assert _digest(target) == before, "a failed import changed the database"


def test_there_are_at_least_thirty_bad_inputs() -> None:
    assert len(CASES) >= 30


def test_rejects_name_the_line_and_keep_the_row(export, sqlite_copy, tmp_path) -> None:
    source = _changed(lambda f: f.assign(工单状态=["待核实", *f["工单状态"][1:]]))(tmp_path, export)
    code = importer.main(["--db", f"sqlite:///{sqlite_copy}", "--mapping", str(MAPPING), str(source)])
    assert code == 0
    written = list(tmp_path.glob("export.rejects-*.csv"))  # beside the input, with the run's time
    assert len(written) == 1
    rejected = pd.read_csv(written[0], dtype=str, encoding="utf-8-sig")
    assert rejected.loc[0, "line"] == "2" and rejected.loc[0, "reason"] == "unknown_status"
    assert rejected.loc[0, "工单编号"] == export.loc[0, "工单编号"]


@pytest.mark.parametrize("new_file", [False, True], ids=["existing-database", "new-file"])
def test_an_interrupted_import_changes_nothing(new_file, export, sqlite_copy, tmp_path, monkeypatch, capsys) -> None:
    from fixtures.sync_issues import IssueSync

    big = pd.concat([export] * 400, ignore_index=True)  # 12,000 rows: three chunks
    big["工单编号"] = [f"GD{i:07d}" for i in range(len(big))]
    source = tmp_path / "big.csv"
    big.to_csv(source, index=False, encoding="gb18030")
    target = tmp_path / "new.sqlite" if new_file else sqlite_copy
    before = _digest(target)
    real, calls = IssueSync.add, []

    def interrupted(self, chunk):  # noqa: ANN001
        calls.append(len(chunk))
        if len(calls) == 2:  # Ctrl-C while the second chunk is written
            raise KeyboardInterrupt
        return real(self, chunk)

    monkeypatch.setattr(IssueSync, "add", interrupted)
    code = importer.main(["--db", f"sqlite:///{target}", "--mapping", str(MAPPING), str(source)])
    said = capsys.readouterr().err
    assert code == 130 and "nothing was changed" in said
    assert _digest(target) == before  # the first chunk was written, then rolled back (or the file removed)


def test_a_database_refusal_mid_import_changes_nothing(export, sqlite_copy, tmp_path, monkeypatch, capsys) -> None:
    from sqlalchemy.exc import IntegrityError

    from fixtures.sync_issues import IssueSync

    def refused(self, rows):  # noqa: ANN001
        raise IntegrityError("INSERT INTO issues ...", {}, Exception("UNIQUE constraint failed: issues.issue_id"))

    monkeypatch.setattr(IssueSync, "_insert", refused)
    source = _csv(None)(tmp_path, export)
    before = _digest(sqlite_copy)
    code = importer.main(["--db", f"sqlite:///{sqlite_copy}", "--mapping", str(MAPPING), str(source)])
    said = capsys.readouterr().err
    assert code == 2 and "UNIQUE constraint failed" in said and "nothing was changed" in said
    assert "Traceback" not in said and _digest(sqlite_copy) == before


def test_a_version_1_database_is_brought_to_version_3(export, sqlite_copy, tmp_path) -> None:
    with sqlite3.connect(sqlite_copy) as conn:
        for table in ("places", "devices", "residents", "patrols"):
            conn.execute(f"DROP INDEX ux_{table}_source_ref")
            conn.execute(f"ALTER TABLE {table} DROP COLUMN source_ref")
            conn.execute(f"ALTER TABLE {table} DROP COLUMN source")
        conn.execute("DROP INDEX ix_issues_updated_at")
        conn.execute("ALTER TABLE issues DROP COLUMN updated_at")
        conn.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    source = _csv(None)(tmp_path, export)
    assert importer.main(["--db", f"sqlite:///{sqlite_copy}", "--mapping", str(MAPPING), str(source)]) == 0
    from data_access.contract import ensure_usable
    from data_access.engine import make_readonly_engine

    assert ensure_usable(make_readonly_engine(f"sqlite:///{sqlite_copy}")).schema_version == "3"


def test_a_version_2_database_is_brought_to_version_3(export, sqlite_copy, tmp_path) -> None:
    from data_access.contract import V3_TABLES, ensure_usable, lacks_ehome
    from data_access.engine import make_readonly_engine

    with sqlite3.connect(sqlite_copy) as conn:
        for table in V3_TABLES:
            conn.execute(f"DROP TABLE {table}")
        conn.execute("ALTER TABLE parking_shares DROP COLUMN owner_resident_id")
        conn.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    source = _csv(None)(tmp_path, export)
    assert importer.main(["--db", f"sqlite:///{sqlite_copy}", "--mapping", str(MAPPING), str(source)]) == 0
    engine = make_readonly_engine(f"sqlite:///{sqlite_copy}")
    assert ensure_usable(engine).schema_version == "3" and lacks_ehome(engine) == ()


def test_postgresql_import_failure_leaves_the_schema_as_it_was(
    export, tmp_path, monkeypatch, capsys, empty_postgres_schema
) -> None:
    from sqlalchemy import inspect

    from fixtures.sync_issues import IssueSync

    url, schema = empty_postgres_schema
    monkeypatch.setattr(IssueSync, "_insert", lambda self, rows: (_ for _ in ()).throw(KeyboardInterrupt))
    source = _csv(None)(tmp_path, export)
    assert importer.main(["--db", url, "--mapping", str(MAPPING), str(source)]) == 130
    engine = create_engine(url)
    with engine.connect() as conn:
        assert inspect(conn).get_table_names(schema=schema) == []  # not even the tables stayed
    engine.dispose()


def test_open311_json_needs_no_encoding_guess(tmp_path, sqlite_copy) -> None:
    source = tmp_path / "requests.json"
    source.write_bytes(codecs.BOM_UTF8 + json.dumps([{
        "service_request_id": "A-1", "status": "open", "service_name": "路灯不亮",
        "requested_datetime": "2026-11-02T09:30:00+08:00"}], ensure_ascii=False).encode())
    assert importer.main(["--db", f"sqlite:///{sqlite_copy}", "--mapping", str(OPEN311), str(source)]) == 0
