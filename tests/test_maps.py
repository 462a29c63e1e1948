"""Map builders at city scale: what a map leaves out so it stays readable and under 1 MB."""

from __future__ import annotations

import json
import math

import pandas as pd
import pydeck as pdk
import pytest

from app import maps


def _square(x: float, y: float) -> str:
    ring = [[x, y], [x + 0.01, y], [x + 0.01, y + 0.01], [x, y + 0.01], [x, y]]
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


def _communities(n: int) -> pd.DataFrame:
    ids = [f"C{i:03d}" for i in range(n)]
    return pd.DataFrame(
        {
            "community_id": ids,
            "name_zh": ids,
            "name_en": ids,
            "boundary_geojson": [_square(106 + i * 0.01, 29) for i in range(n)],
        }
    )


def _grids(n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "grid_id": [f"G{i}" for i in range(n)],
            "community_id": [f"C{i % 3:03d}" for i in range(n)],
            "name": [f"grid {i}" for i in range(n)],
            "boundary_geojson": [_square(106 + i * 0.001, 29) for i in range(n)],
        }
    )


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


def test_the_view_fits_the_width_the_browser_reports() -> None:
    bounds = (29.53, 106.50, 29.55, 106.56)  # a street three times as wide as it is tall
    guess = maps.view_for(bounds)
    narrow, wide = maps.view_for(bounds, 390, 520), maps.view_for(bounds, 1200, 520)
    assert narrow.zoom < guess.zoom < wide.zoom  # a phone zooms out, a wide desktop map in
    assert abs((wide.zoom - narrow.zoom) - math.log2(1200 / 390)) < 0.02  # width-bound: log2 of the ratio
    for view, width in ((narrow, 390), (wide, 1200)):  # the whole street fits that width
        x0, _ = maps._pixel(bounds[1], bounds[0], view.zoom)  # noqa: SLF001
        x1, _ = maps._pixel(bounds[3], bounds[0], view.zoom)  # noqa: SLF001
        assert 0.8 * width <= x1 - x0 <= width


def _label_layer(labels: list[dict]):  # noqa: ANN202
    return pdk.Layer("TextLayer", labels, id="community-labels", get_position="position", get_text="text")


def test_labels_that_would_collide_are_left_out_largest_area_first() -> None:
    view = maps.view_for((29.53, 106.50, 29.55, 106.56), 640, 520)
    spot = [view.longitude, view.latitude]
    near = [view.longitude + 0.0002, view.latitude]  # a few pixels away at this zoom
    far = [view.longitude - 0.02, view.latitude]
    labels = [
        {"position": near, "text": "石油路社区", "weight": 1.0},
        {"position": spot, "text": "虎头岩社区", "weight": 5.0},
        {"position": far, "text": "长江社区", "weight": 2.0},
        {"position": [view.longitude + 5, view.latitude], "text": "off the map", "weight": 9.0},
    ]
    layer = maps.declutter([_label_layer(labels)], view, 640, 520)[0]
    assert [row["text"] for row in layer.data] == ["虎头岩社区", "长江社区"]


def test_a_later_layers_labels_give_way_to_an_earlier_ones() -> None:
    """Grid names come after community names: one on top of a community's name is left out, one
    with room is drawn, and a smaller label needs less room."""
    view = maps.view_for((29.53, 106.50, 29.55, 106.56), 640, 520)
    spot = [view.longitude, view.latitude]
    community = pdk.Layer("TextLayer", [{"position": spot, "text": "石油路社区", "weight": 1.0, "size": 14}])
    grids = pdk.Layer(
        "TextLayer",
        [
            {"position": [spot[0] + 0.0003, spot[1]], "text": "第一网格", "weight": 9.0, "size": 12},
            {"position": [spot[0] - 0.02, spot[1]], "text": "第二网格", "weight": 1.0, "size": 12},
        ],
    )
    kept = maps.declutter([community, grids], view, 640, 520)
    assert [row["text"] for row in kept[0].data] == ["石油路社区"]
    assert [row["text"] for row in kept[1].data] == ["第二网格"]
    assert maps.label_width("第二网格", 12) < maps.label_width("第二网格", maps.LABEL_PX)


def test_a_grid_is_named_only_where_its_name_fits_it() -> None:
    """A street's 28 grids are too narrow for their names on a desktop map; a grid officer's few,
    fitted to the map, are wide enough."""
    view = maps.view_for((29.53, 106.50, 29.55, 106.56), 640, 520)  # about 640 px for 0.06 degrees
    lon, lat = view.longitude, view.latitude

    def grid(width_degrees: float) -> list[list[float]]:
        west, east = lon - width_degrees / 2, lon + width_degrees / 2
        return [[west, lat - 0.002], [east, lat - 0.002], [east, lat + 0.002], [west, lat + 0.002], [west, lat - 0.002]]

    narrow = maps.area_label(grid(0.005), "石油路社区第4网格", maps.GRID_LABEL_PX, fit=True)  # ~55 px
    wide = maps.area_label(grid(0.02), "石油路社区第4网格", maps.GRID_LABEL_PX, fit=True)  # ~215 px
    unfitted = maps.area_label(grid(0.005), "石油路社区第4网格", maps.GRID_LABEL_PX)
    for label, drawn in ((narrow, False), (wide, True), (unfitted, True)):
        layer = maps.declutter([maps.label_layer([label], "grid-labels")], view, 640, 520)[0]
        assert bool(layer.data) is drawn
        assert all("within" not in row for row in layer.data)  # the area's box is not sent to the browser


def test_the_demo_streets_seven_community_labels_all_fit_a_desktop_map(raw) -> None:
    from data_access import geometry

    communities = raw["communities"]
    bounds = geometry.bounds_of(geometry.ring_of(g) for g in raw["grids"]["boundary_geojson"])
    for width, expected in ((1000, len(communities)), (340, None)):
        view = maps.view_for(bounds, width, 520)
        layers = maps.declutter(maps.boundary_layers(raw["grids"], communities, "name_zh"), view, width, 520)
        shown = [row["text"] for layer in layers if layer.type == "TextLayer" for row in layer.data]
        if expected:
            assert len(shown) == expected, shown  # a real desktop width: every community named
        else:
            assert 0 < len(shown) < len(communities)  # a phone: some names left to the tooltip


def test_raster_tiles_become_a_style_with_escaped_attribution() -> None:
    import base64

    url = maps.basemap("", "https://t0.example.cn/img_w/{z}/{x}/{y}.png", "© 天地图 <script>x</script>")
    assert url.startswith("data:application/json;base64,")
    style = json.loads(base64.b64decode(url.split(",", 1)[1]))
    source = style["sources"]["tiles"]
    assert source["tiles"] == ["https://t0.example.cn/img_w/{z}/{x}/{y}.png"] and source["type"] == "raster"
    assert "<script>" not in source["attribution"] and "&lt;script&gt;" in source["attribution"]
    tms = json.loads(base64.b64decode(maps.basemap("", "http://gis.local/{z}/{x}/{-y}.png", "").split(",", 1)[1]))
    assert tms["sources"]["tiles"]["scheme"] == "tms" and "{y}" in tms["sources"]["tiles"]["tiles"][0]
    assert (
        maps.basemap("https://styles.local/style.json", "http://t/{z}/{x}/{y}.png", "")
        == "https://styles.local/style.json"
    )
    assert maps.basemap("", "", "anything") == ""  # off by default: no basemap at all


@pytest.mark.parametrize(
    "template",
    ["ftp://tiles/{z}/{x}/{y}.png", "https://tiles/{z}/{x}.png", "tiles.local/{z}/{x}/{y}", "https://a b/{z}/{x}/{y}"],
)
def test_a_bad_tile_url_is_refused(template) -> None:
    from app.settings import tile_template

    with pytest.raises(ValueError):
        tile_template(template)
    assert tile_template("") == ""
    assert tile_template(" http://127.0.0.1:8080/{z}/{x}/{y}.png ") == "http://127.0.0.1:8080/{z}/{x}/{y}.png"


def test_the_map_is_sent_as_compact_json_with_the_same_content() -> None:
    """pydeck indents its JSON; a city's cells were half spaces. Same content, no whitespace, and cell
    centres to a tenth of a metre."""
    cells = pd.DataFrame(
        {
            "lon": [106.52345678912345, 106.6],
            "lat": [29.55, 29.567890123456],
            "reports": [5, 9],
            "open": [1, 2],
            "share_resolved": [0.5, 0.7],
        }
    )
    deck = maps.deck([maps.cell_layer(cells, 250, "count")], pdk.ViewState(latitude=29.5, longitude=106.5), "", None)
    sent = deck.to_json()
    assert json.loads(sent) == json.loads(pdk.Deck.to_json(deck))
    assert "\n" not in sent and ": " not in sent
    data = json.loads(sent)["layers"][0]["data"]
    assert [(row["lon"], row["lat"]) for row in data] == [(106.523457, 29.55), (106.6, 29.567890)]
    assert len(sent) < 0.7 * len(pdk.Deck.to_json(deck))
