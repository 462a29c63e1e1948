"""The public issue map never goes blank without saying why: when most of a selection's reports lie
in cells under k it shows whole grids (then communities) and says how many reports that covers; a
legend under every map; colour by count, share resolved or the open issues' age."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from app import maps
from app.i18n import translate
from tests import reference
from tests.apptest_helpers import USERS, open_page, texts

pytestmark = pytest.mark.usefixtures("app_env")
UNTIL = pd.Timestamp("2026-11-29") + pd.Timedelta(hours=16)  # local midnight after the tiny street's day


def _open(query: dict[str, str], user=None, lang: str = "zh"):  # noqa: ANN001, ANN202
    return open_page("issue_map", query, user, lang)


def _layers(at) -> dict[str, list]:  # noqa: ANN001
    spec = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    return {layer["id"]: layer.get("data", []) for layer in spec["layers"]}


def _selection(raw, community: str) -> pd.DataFrame:  # noqa: ANN001
    rows = reference.cohort(raw["issues"], UNTIL - pd.Timedelta(days=365), UNTIL)
    return rows[rows["community_id"] == community]


def test_most_reports_in_small_cells_falls_back_to_whole_grids(raw, monkeypatch) -> None:
    monkeypatch.setenv("SYL_SMALL_CELL_K", "15")  # cells of ~100 m rarely hold 15; grids do
    at = _open({"period": "12m", "community": "C02"})
    layers = _layers(at)
    assert "areas" in layers and "cells" not in layers
    chosen = _selection(raw, "C02")
    per_grid = chosen.groupby("grid_id").size()
    shown = per_grid[per_grid >= 15]
    drawn = sorted(int(area["reports"]) for area in layers["areas"])
    assert drawn == sorted(shown.tolist()) and min(drawn) >= 15  # no area under k reaches the browser
    grid_names = dict(zip(raw["grids"]["grid_id"], raw["grids"]["name"], strict=True))
    assert {area["name"] for area in layers["areas"]} == {grid_names[g] for g in shown.index}
    caption = translate(
        "zh", "map.fallback", k=15, level=translate("zh", "map.levels.grid"),
        shown=f"{int(shown.sum()):,}", total=f"{len(chosen):,}",
    )
    assert caption in texts(at)


def test_nothing_showable_says_so_instead_of_a_blank_map(raw, monkeypatch) -> None:
    monkeypatch.setenv("SYL_SMALL_CELL_K", "100000")
    at = _open({"period": "12m", "grid": "C01-G1"})
    layers = _layers(at)
    assert not layers.get("cells") and not layers.get("areas")
    grid_rows = reference.cohort(raw["issues"], UNTIL - pd.Timedelta(days=365), UNTIL)
    total = int((grid_rows["grid_id"] == "C01-G1").sum())
    assert total > 0
    assert translate("zh", "map.nothing_shown", total=f"{total:,}", k=100000) in texts(at)


@pytest.mark.parametrize("k", [2, 3, 5, 8])
def test_cells_stay_exactly_while_they_show_at_least_half_the_reports(k, raw, monkeypatch) -> None:
    import os

    import numpy as np

    from data_access.engine import make_readonly_engine
    from data_access.issue_map import OUTSIDE_MARGIN_DEG, CellGrid, cell_metres_for
    from data_access.quality import area_bounds

    monkeypatch.setenv("SYL_SMALL_CELL_K", str(k))
    at = _open({"period": "12m"})
    layers = _layers(at)
    bounds = area_bounds(make_readonly_engine(os.environ["DATABASE_URL"]))
    grid = CellGrid.around(bounds, cell_metres_for(bounds))
    rows = reference.cohort(raw["issues"], UNTIL - pd.Timedelta(days=365), UNTIL)
    south, west, north, east = bounds
    m = OUTSIDE_MARGIN_DEG
    rows = rows[rows["lat"].between(south - m, north + m) & rows["lon"].between(west - m, east + m)]
    counts = rows.groupby([np.floor((rows["lon"] - grid.west) / grid.dlon),
                           np.floor((rows["lat"] - grid.south) / grid.dlat)]).size()
    cells_enough = counts[counts >= k].sum() >= 0.5 * counts.sum()
    assert bool(layers.get("cells")) == cells_enough
    assert ("areas" in layers) == (not cells_enough)


def test_staff_never_fall_back_they_see_their_own_cells(monkeypatch) -> None:
    monkeypatch.setenv("SYL_SMALL_CELL_K", "15")
    at = _open({"period": "12m"}, USERS["street_official"])
    at.segmented_control(key="map_mode").set_value("cells").run()
    layers = _layers(at)
    assert layers.get("cells") and "areas" not in layers
    assert min(int(cell["reports"]) for cell in layers["cells"]) < 15  # staff see small cells too


@pytest.mark.parametrize("color_by", maps.COLOR_MODES)
def test_every_colour_mode_has_its_legend(color_by, monkeypatch) -> None:
    monkeypatch.setenv("SYL_SMALL_CELL_K", "1")  # cells, whatever the tiny street's counts
    at = _open({"period": "12m"})
    at.segmented_control(key="map_color").set_value(color_by).run()
    assert not at.exception
    legend = "\n".join(block.proto.body for block in at.get("html") if "syl-legend" in block.proto.body)
    assert translate("zh", "map.legend.community") in legend
    keys = {
        "count": ["few"],
        "resolved": ["resolved_none", "resolved_all"],
        "age": ["age_new", "no_open"],
    }[color_by]
    for key in keys:
        assert translate("zh", f"map.legend.{key}").split("{")[0] in legend
    if color_by == "age":
        cells = _layers(at)["cells"]
        assert all("color" in cell and "days" in cell for cell in cells)
        none_open = [cell for cell in cells if int(cell["open"]) == 0]
        assert all(cell["color"] == maps.NO_OPEN for cell in none_open)


def test_age_colours_run_from_new_to_a_month_old() -> None:
    assert maps.age_color(None) == maps.NO_OPEN
    young, old = maps.age_color(0), maps.age_color(maps.AGE_FULL_DAYS)
    assert maps.age_color(maps.AGE_FULL_DAYS * 3) == old  # older than the ramp: its deepest colour
    assert sum(young[:3]) > sum(maps.age_color(10)[:3]) > sum(old[:3])  # older is darker


@pytest.mark.parametrize(("show", "absent"), [("open", "resolved"), ("resolved", "age")])
def test_no_colour_or_rate_that_is_fixed_by_the_choice(show, absent) -> None:
    """Only open issues are 0 % resolved by definition: no "resolved" colour and no 0.0 % rate."""
    at = _open({"period": "12m", "show": show})
    assert translate("zh", f"map.colors.{absent}") not in at.segmented_control(key="map_color").options
    rate = next(m for m in at.metric if m.label == translate("zh", "metric.resolution_rate"))
    assert rate.value == "—" and rate.help == translate("zh", "map.resolved_not_applicable")
    everything = _open({"period": "12m"})
    offered = set(everything.segmented_control(key="map_color").options)
    assert offered == {translate("zh", f"map.colors.{c}") for c in maps.COLOR_MODES}
