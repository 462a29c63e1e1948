"""Map builders at city scale: what a map leaves out so it stays readable and under 1 MB."""

from __future__ import annotations

import json

import pandas as pd

from app import maps


def _square(x: float, y: float) -> str:
    ring = [[x, y], [x + 0.01, y], [x + 0.01, y + 0.01], [x, y + 0.01], [x, y]]
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


def _communities(n: int) -> pd.DataFrame:
    ids = [f"C{i:03d}" for i in range(n)]
    return pd.DataFrame({"community_id": ids, "name_zh": ids, "name_en": ids,
                         "boundary_geojson": [_square(106 + i * 0.01, 29) for i in range(n)]})


def _grids(n: int) -> pd.DataFrame:
    return pd.DataFrame({"grid_id": [f"G{i}" for i in range(n)], "community_id": [f"C{i % 3:03d}" for i in range(n)],
                         "name": [f"grid {i}" for i in range(n)],
                         "boundary_geojson": [_square(106 + i * 0.001, 29) for i in range(n)]})


def _labels(layers) -> list:  # noqa: ANN001
    return [row for layer in layers if layer.type == "TextLayer" for row in layer.data]


def test_community_names_are_drawn_on_a_street_and_left_to_tooltips_over_a_city() -> None:
    assert len(_labels(maps.boundary_layers(_grids(0), _communities(7), "name_zh"))) == 7
    many = maps.MAX_COMMUNITY_LABELS + 1
    assert _labels(maps.boundary_layers(_grids(0), _communities(many), "name_zh")) == []


def test_grid_outlines_only_for_a_small_area_or_a_chosen_community() -> None:
    small = _grids(10)
    assert len(maps.outlined_grids(small)) == 10
    city = _grids(maps.MAX_GRID_OUTLINES + 1)
    assert maps.outlined_grids(city).empty
    chosen = maps.outlined_grids(city, "C001")
    assert len(chosen) > 0 and set(chosen["community_id"]) == {"C001"}
