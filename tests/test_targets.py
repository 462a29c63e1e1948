"""Targets: one setting, read the same way everywhere; figures judged and coloured against it;
Transparency's drill-down from the street to one community's grids, with the street as reference."""

from __future__ import annotations

import json
import re

import pytest

from app.i18n import translate
from app.settings import load_settings
from app.targets import Targets, judge, parse_targets
from app.widgets import JUDGEMENT_COLORS
from tests.apptest_helpers import open_page, rendered, texts

# --- the setting -------------------------------------------------------------------------------


def test_defaults_when_nothing_is_set() -> None:
    targets = parse_targets({})
    assert targets == Targets()
    assert targets.of("on_time_share") == 0.85
    assert targets.alert_dispatch_minutes == 30


def test_a_table_and_its_json_give_the_same_targets() -> None:
    table = {"resolution_rate": 0.8, "alert_dispatch_minutes": 45, "on_time_by_category": {"garbage": 0.95}}
    assert parse_targets(table) == parse_targets(json.dumps(table))
    targets = parse_targets(table)
    assert targets.resolution_rate == 0.8
    assert targets.on_time_share == 0.85  # not given: the default stays
    assert targets.of("on_time_share", "garbage") == 0.95  # a category's own target ...
    assert targets.of("on_time_share", "noise") == 0.85  # ... others fall back to the street's
    assert targets.of("resolution_rate", "garbage") == 0.8  # per category applies to on-time only
    assert targets.of("no_such_metric") is None


@pytest.mark.parametrize(
    ("raw", "complaint"),
    [
        ({"on_time": 0.8}, "unknown target"),  # a typo is refused, not ignored
        ({"on_time_share": 85}, "between 0 and 1"),  # a percentage where a share belongs
        ({"on_time_share": 0}, "between 0 and 1"),
        ({"on_time_share": "0.85"}, "not a number"),
        ({"on_time_share": True}, "not a number"),
        ({"alert_dispatch_minutes": 0}, "whole number"),
        ({"alert_dispatch_minutes": 30.5}, "whole number"),
        ({"on_time_by_category": 0.9}, "category code"),
        ({"on_time_by_category": {"garbage": 1.5}}, "on_time_by_category.garbage"),
        ("{resolution_rate: 0.9}", "not JSON"),
        ("[0.9]", "not a table"),
    ],
)
def test_bad_targets_are_refused_with_the_reason(raw, complaint) -> None:
    with pytest.raises(ValueError, match=complaint):
        parse_targets(raw)


@pytest.mark.parametrize(
    ("value", "target", "expected"),
    [
        (0.85, 0.85, "met"),
        (0.9, 0.85, "met"),
        (0.8000001, 0.85, "near"),  # within 5 points below
        (0.79, 0.85, "below"),
        (0.0, 0.85, "below"),
        (None, 0.85, None),  # no figure, no judgement
        (float("nan"), 0.85, None),
        (0.9, None, None),  # no target, no judgement
        ("n/a", 0.85, None),
    ],
)
def test_judgement_against_a_target(value, target, expected) -> None:
    assert judge(value, target) == expected


def test_setting_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("SYL_TARGETS", '{"on_time_share": 0.7, "on_time_by_category": {"garbage": 0.9}}')
    settings = load_settings()
    assert settings.targets.on_time_share == 0.7
    assert settings.targets.of("on_time_share", "garbage") == 0.9
    assert not settings.problems


def test_a_bad_setting_falls_back_to_the_defaults_and_is_named(monkeypatch) -> None:
    monkeypatch.setenv("SYL_TARGETS", '{"on_time_share": 85}')
    settings = load_settings()
    assert settings.targets == Targets()
    assert [(p.key, p.params["name"]) for p in settings.problems] == [("startup.setting_invalid", "targets")]


# --- pages -------------------------------------------------------------------------------------


def _open(page: str, query: dict[str, str], lang: str = "zh"):  # noqa: ANN202
    return open_page(page, query, lang=lang)


def _metric(at, label: str):
    return next(m for m in at.metric if m.label == label)


@pytest.mark.usefixtures("app_env")
@pytest.mark.parametrize("target", [0.01, 0.99])
def test_kpis_are_coloured_against_the_target_that_is_set(target, monkeypatch) -> None:
    monkeypatch.setenv("SYL_TARGETS", json.dumps({"on_time_share": target, "resolution_rate": target}))
    at = _open("transparency", {"period": "12m"})
    for key in ("metric.on_time_share", "metric.resolution_rate"):
        tile = _metric(at, translate("zh", key))
        shown = float(rendered(tile.value).rstrip("%")) / 100
        judgement = judge(shown, target)
        assert judgement == "met" if target < 0.5 else judgement != "met"  # the demo's rates lie between
        assert tile.value.startswith(f":{JUDGEMENT_COLORS[judgement]}["), tile.value
        mark = "✓" if judgement == "met" else "✗"
        assert tile.proto.delta_description == translate("zh", "target.short", target=f"{target:.0%}") + " " + mark


@pytest.mark.usefixtures("app_env")
def test_transparency_drills_from_the_street_to_one_communitys_grids(raw) -> None:
    t = lambda key, **kw: translate("zh", key, **kw)  # noqa: E731
    street = _open("transparency", {"period": "12m"})
    street_on_time = rendered(_metric(street, t("metric.on_time_share")).value)
    street_rows = street.dataframe[0].value.iloc[:, 0].tolist()
    communities = raw["communities"].set_index("community_id")["name_zh"]
    # The street's view: a row per community, and one for reports the feed gave no community, when the
    # period holds such a damaged row (docs/schema.md: unknown codes are their own group).
    assert set(street_rows) <= set(communities) | {t("transparency.unknown")}
    assert set(street_rows) & set(communities)
    assert len(street_rows) > 1

    one = _open("transparency", {"period": "12m", "community": "C04"})
    grids = raw["grids"]
    own = grids[grids["community_id"] == "C04"]["name"].tolist()
    rows = one.dataframe[0].value.iloc[:, 0].tolist()
    assert rows and set(rows) <= set(own), rows  # one community: a row per grid of it, no other
    assert t("transparency.by_grid", community=communities["C04"]) in texts(one)
    # The chart of those grids carries the whole street (not the community itself) as its reference.
    notes = [a["text"] for c in one.get("plotly_chart") for a in json.loads(c.proto.spec)["layout"].get("annotations", [])]
    reference = [n for n in notes if n.startswith(t("transparency.baseline"))]
    assert len(reference) == 1 and _close_share(reference[0], t("transparency.baseline"), street_on_time), notes


def _close_share(spec: str, label: str, shown: str) -> bool:
    """The reference line's annotation reads `label NN%`, rounded from the KPI's one-decimal share."""
    found = re.search(re.escape(label) + r" (\d+)%", spec)
    return bool(found) and abs(int(found.group(1)) - float(shown.rstrip("%"))) <= 0.5


@pytest.mark.usefixtures("app_env")
def test_choosing_a_grid_shows_it_among_its_communitys_grids(raw) -> None:
    at = _open("transparency", {"period": "12m", "grid": "C01-G1"})
    grids = raw["grids"]
    own = set(grids[grids["community_id"] == "C01"]["name"])
    rows = at.dataframe[0].value.iloc[:, 0].tolist()
    assert rows and set(rows) <= own
    assert grids.set_index("grid_id").loc["C01-G1", "name"] in rows  # withheld groups are listed too, as "<k"
