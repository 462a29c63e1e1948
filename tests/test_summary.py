"""The summary command: its JSON against the independent reference, and its errors."""

from __future__ import annotations

import json
from datetime import date

import pytest

from data_access.localtime import SHANGHAI, local_day_start
from data_access.summary import build_summary, main
from tests import reference


def test_summary_matches_reference(backend_url, raw) -> None:
    summary = build_summary(backend_url, since=date(2026, 1, 1), until=date(2026, 6, 30))
    since, until = local_day_start(date(2026, 1, 1), SHANGHAI), local_day_start(date(2026, 7, 1), SHANGHAI)
    issues = raw["issues"]
    period = issues[(issues["reported_at"] >= since) & (issues["reported_at"] < until)]
    assert summary["total"] == len(period)
    assert summary["by_status"] == period["status"].value_counts().to_dict()
    expected = reference.figures(reference.cohort(issues, since, until), raw["issue_categories"])
    assert summary["resolution_rate"] == pytest.approx(expected["resolution_rate"], abs=1e-4)
    assert summary["median_hours_to_resolve"] == pytest.approx(expected["median_hours"], abs=1e-4)
    assert summary["p90_hours_to_resolve"] == pytest.approx(expected["p90_hours"], abs=1e-4)
    assert summary["on_time_share"] == pytest.approx(expected["on_time_share"], abs=1e-4)
    assert sum(row["received"] for row in summary["by_category"]) == expected["received"]
    assert {row["community"] for row in summary["by_community"]} >= {f"C0{i}" for i in range(1, 8)}
    for row in summary["by_category"]:
        assert set(row) >= {"resolution_rate", "median_hours_to_resolve", "p90_hours_to_resolve", "on_time_share"}


def test_cli_prints_one_json_object(tiny_sqlite_url, capsys) -> None:
    assert main(["--db", tiny_sqlite_url, "--since", "2026-10-01", "--json"]) == 0
    out = capsys.readouterr().out
    data = json.loads(out)
    assert out.count("\n") == 1 and data["since"] == "2026-10-01" and data["total"] > 0


def test_cli_missing_database_exits_with_a_message(tmp_path, capsys) -> None:
    assert main(["--db", f"sqlite:///{tmp_path / 'none.sqlite'}", "--json"]) == 2
    err = capsys.readouterr().err
    assert "does not exist" in err and "fixtures.generate" in err and "Traceback" not in err


def test_empty_period_gives_nulls_not_errors(tiny_sqlite_url) -> None:
    summary = build_summary(tiny_sqlite_url, since=date(2030, 1, 1))
    assert summary["total"] == 0 and summary["resolution_rate"] is None and summary["by_category"] == []
