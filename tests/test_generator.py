"""The demo generator: deterministic, coherent, the right size, refuses to overwrite."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from fixtures.generate import main as generate_main
from fixtures.scales import STREET
from tests.conftest import AS_OF, SEED

INTEGRITY = {
    "grid without community": "SELECT count(*) FROM grids WHERE community_id NOT IN (SELECT community_id FROM communities)",
    "building without grid": "SELECT count(*) FROM buildings WHERE grid_id NOT IN (SELECT grid_id FROM grids)",
    "resident without building": "SELECT count(*) FROM residents WHERE building_id NOT IN (SELECT building_id FROM buildings)",
    "issue grid unknown": "SELECT count(*) FROM issues WHERE grid_id IS NOT NULL AND grid_id NOT IN (SELECT grid_id FROM grids)",
    "issue grid not in its community": "SELECT count(*) FROM issues i JOIN grids g ON g.grid_id = i.grid_id WHERE g.community_id <> i.community_id",
    "event of no issue": "SELECT count(*) FROM issue_events WHERE issue_id NOT IN (SELECT issue_id FROM issues)",
    "last event is not the status": """SELECT count(*) FROM issues i JOIN issue_events e ON e.issue_id = i.issue_id
        WHERE e.event_id = (SELECT max(event_id) FROM issue_events x WHERE x.issue_id = i.issue_id)
        AND e.to_status <> i.status AND NOT i.resolved_at < i.reported_at""",  # the damaged rows' history is impossible by design
    "patrol of unknown officer": "SELECT count(*) FROM patrols WHERE officer_id NOT IN (SELECT officer_id FROM officers)",
    "hazard issue of no patrol": "SELECT count(*) FROM issues WHERE source_patrol_id IS NOT NULL AND source_patrol_id NOT IN (SELECT patrol_id FROM patrols)",
    "participation of unknown volunteer": "SELECT count(*) FROM participations WHERE volunteer_id NOT IN (SELECT volunteer_id FROM volunteers)",
    "member of unknown category": "SELECT count(*) FROM special_population WHERE category_code NOT IN (SELECT code FROM special_categories)",
    "visit of unknown resident": "SELECT count(*) FROM welfare_visits WHERE resident_id NOT IN (SELECT resident_id FROM residents)",
    "issue resolved while open": "SELECT count(*) FROM issues WHERE status IN ('submitted','accepted','assigned','in_progress') AND resolved_at IS NOT NULL",
    "closed before resolved": "SELECT count(*) FROM issues WHERE closed_at < resolved_at",
}


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    with sqlite3.connect(path) as conn:
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"):
            for row in conn.execute(f'SELECT * FROM "{name}" ORDER BY 1, 2'):  # noqa: S608 - names from the catalogue
                digest.update(json.dumps(row, ensure_ascii=False, default=str).encode())
    return digest.hexdigest()


def _build(path: Path, seed: int = SEED, *extra: str) -> int:
    return generate_main(
        [
            "--db",
            f"sqlite:///{path}",
            "--scale",
            "tiny",
            "--seed",
            str(seed),
            "--as-of",
            AS_OF.date().isoformat(),
            *extra,
        ]
    )


def test_same_seed_same_content(tmp_path: Path, tiny_sqlite_url: str) -> None:
    assert _build(tmp_path / "a.sqlite") == 0
    assert _digest(tmp_path / "a.sqlite") == _digest(Path(tiny_sqlite_url.removeprefix("sqlite:///")))
    assert _build(tmp_path / "b.sqlite", seed=7) == 0
    assert _digest(tmp_path / "b.sqlite") != _digest(tmp_path / "a.sqlite")


def test_refuses_to_overwrite_without_force(tmp_path: Path, capsys) -> None:
    path = tmp_path / "a.sqlite"
    assert _build(path) == 0
    assert _build(path) == 2
    assert "--force" in capsys.readouterr().err
    assert _build(path, SEED, "--force") == 0


@pytest.mark.parametrize("check", list(INTEGRITY))
def test_referential_integrity(tiny_sqlite_url: str, check: str) -> None:
    with sqlite3.connect(tiny_sqlite_url.removeprefix("sqlite:///")) as conn:
        assert conn.execute(INTEGRITY[check]).fetchone()[0] == 0


def test_street_scale_sizes_and_shape(tmp_path_factory) -> None:
    path = tmp_path_factory.mktemp("street") / "street.sqlite"
    assert generate_main(["--db", f"sqlite:///{path}", "--scale", "street", "--as-of", "2026-11-29"]) == 0
    with sqlite3.connect(path) as conn:
        count = lambda table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: E731,S608
        assert count("communities") == 7 and count("grids") == 28
        assert count("residents") == STREET.residents
        assert count("issues") == STREET.issues
        assert count("special_categories") >= 10 and count("issue_categories") >= 10
        assert 1000 <= count("special_population") <= 5000
        assert 500 <= count("volunteers") <= 3000
        statuses = dict(conn.execute("SELECT status, count(*) FROM issues GROUP BY status").fetchall())
        assert set(statuses) == {
            "submitted",
            "accepted",
            "assigned",
            "in_progress",
            "resolved",
            "closed",
            "rejected",
            "duplicate",
        } or set(statuses) >= {"in_progress", "resolved", "closed", "rejected", "duplicate"}
        channels = {r[0] for r in conn.execute("SELECT DISTINCT channel FROM issues WHERE channel IS NOT NULL")}
        assert channels == {"app", "wechat", "hotline", "patrol", "volunteer"}
        span = conn.execute("SELECT min(reported_at), max(reported_at) FROM issues").fetchone()
        assert pd.Timestamp(span[1]) - pd.Timestamp(span[0]) > pd.Timedelta(days=700)
        assert count("issues WHERE reopened_count > 0") > 100
        assert count("issues WHERE description LIKE '%<script>%'") >= 1
        assert count("issues WHERE length(description) > 1000") >= 3
        assert count("volunteers WHERE on_leaderboard = 0") > 0
        lat, lon = conn.execute("SELECT avg(lat), avg(lon) FROM buildings").fetchone()
        assert abs(lat - 29.54) < 0.02 and abs(lon - 106.52) < 0.02
