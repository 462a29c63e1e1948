"""Pure builders for the pydeck maps: boundaries, cells, points, the view. No Streamlit here.

The map must be useful with no basemap tiles at all: community and grid
boundaries and their labels come from the read database. A basemap is drawn
only when settings name a style (see docs/maps.md, including the GCJ-02 caveat).
"""

from __future__ import annotations

import base64
import html
import json
import math
from collections.abc import Iterable

import pandas as pd
import pydeck as pdk
from pydeck.bindings.json_tools import default_serialize

from app import safe_text
from data_access.geometry import ring_of

FONT = "Noto Sans CJK SC, PingFang SC, Microsoft YaHei, sans-serif"
COMMUNITY_LINE = [29, 79, 145, 230]
GRID_LINE = [29, 79, 145, 120]
GRID_FILL = [29, 79, 145, 0]
SELECTED_FILL = [224, 128, 58, 40]


def _rows(data: pd.DataFrame | list[dict]) -> pd.DataFrame | list[dict]:
    """A layer's rows with database text kept as text (see app/safe_text.map_label)."""
    if isinstance(data, pd.DataFrame):
        return safe_text.map_rows(data)
    return [{key: safe_text.map_label(value) for key, value in row.items()} for row in data]


def _literal(text: str) -> str:
    """pydeck reads every string property as an accessor expression; quote it to pass the string itself."""
    return "'" + text.replace("'", "") + "'"


def view_for(
    bounds: tuple[float, float, float, float] | None, width_px: int | None = None, height_px: int = 520
) -> pdk.ViewState:
    """A view that fits the bounds in a map of the given size (deck.gl: a 512 px world at zoom 0).

    `width_px` is the width the browser reported for the map (app.widgets.map_width); before it has
    reported, 640 px keeps the whole area in view on a tablet and most of it on a phone.
    """
    width_px = width_px or 640
    if bounds is None:
        return pdk.ViewState(latitude=29.54, longitude=106.52, zoom=13)
    south, west, north, east = bounds
    lat, lon = (south + north) / 2, (west + east) / 2
    span_lon = max(east - west, 1e-4)
    span_lat = max((north - south) / math.cos(math.radians(lat)), 1e-4)  # in mercator-equivalent degrees
    zoom = min(math.log2(360 * width_px / 512 / span_lon), math.log2(360 * height_px / 512 / span_lat)) - 0.25
    return pdk.ViewState(latitude=lat, longitude=lon, zoom=round(min(max(zoom, 9), 18), 2), pitch=0, bearing=0)


def _pixel(lon: float, lat: float, zoom: float) -> tuple[float, float]:
    """Web Mercator pixels at `zoom` (deck.gl's 512 px world)."""
    scale = 512 * 2**zoom
    sin = math.sin(math.radians(max(min(lat, 85.0), -85.0)))
    return (lon + 180) / 360 * scale, (0.5 - math.log((1 + sin) / (1 - sin)) / (4 * math.pi)) * scale


def label_width(text: str, font_px: float) -> float:
    """A label's width in pixels: CJK glyphs are square, Latin ones about half as wide."""
    return sum(font_px if ord(ch) > 0x2E7F else font_px * 0.58 for ch in str(text))


def declutter(layers: list[pdk.Layer], view: pdk.ViewState, width_px: int | None, height_px: int) -> list[pdk.Layer]:
    """Leave out labels that would overlap another (or stick out of the map) at the view the map
    opens with: the earlier layer's labels first (community names before grid names), within a
    layer the larger area's first; the rest are left to tooltips and zooming in."""
    width_px = width_px or 640
    cx, cy = _pixel(view.longitude, view.latitude, view.zoom)
    placed: list[tuple[float, float, float, float]] = []
    for layer in layers:
        if layer.type != "TextLayer" or not isinstance(layer.data, list):
            continue
        kept = []
        for row in sorted(layer.data, key=lambda r: -float(r.get("weight", 0))):
            x, y = _pixel(row["position"][0], row["position"][1], view.zoom)
            x, y = x - cx + width_px / 2, y - cy + height_px / 2
            size = float(row.get("size", LABEL_PX))
            half_w, half_h = label_width(row["text"], size) / 2 + 4, size * 0.7
            box = (x - half_w, y - half_h, x + half_w, y + half_h)
            inside = box[0] >= 0 and box[2] <= width_px and box[1] >= 0 and box[3] <= height_px
            within = row.pop("within", None)  # [west, south, east, north]: the name must fit its own area
            if within:
                left, _ = _pixel(within[0], within[1], view.zoom)
                right, _ = _pixel(within[2], within[1], view.zoom)
                inside = inside and box[2] - box[0] <= right - left
            if inside and not any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in placed):
                placed.append(box)
                kept.append(row)
        layer.data = kept
    return layers


def _centroid(ring: list[list[float]]) -> list[float]:
    points = ring[:-1] if ring[0] == ring[-1] else ring
    return [round(sum(p[0] for p in points) / len(points), 6), round(sum(p[1] for p in points) / len(points), 6)]


# Over a whole district or city, grid outlines are clutter and most of a map's bytes (1,120 grids
# are about 1 MB): above this many, maps draw communities, and a community's grids once it is chosen.
MAX_GRID_OUTLINES = 300
LABEL_PX = 14
GRID_LABEL_PX = 12
MAX_COMMUNITY_LABELS = 40


def outlined_grids(grids: pd.DataFrame, community: str | None = None) -> pd.DataFrame:
    """The grids whose outlines a map draws: all of a small area, one chosen community's, or none."""
    if len(grids) <= MAX_GRID_OUTLINES:
        return grids
    return grids[grids["community_id"] == community] if community else grids.iloc[0:0]


def boundary_layers(
    grids: pd.DataFrame, communities: pd.DataFrame, label_column: str, selected: set[str] | None = None
) -> list[pdk.Layer]:
    """Grid polygons (thin), community outlines (thick) and community labels."""
    selected = selected or set()
    grid_rows = []
    for row in grids.itertuples():
        ring = ring_of(row.boundary_geojson)
        if ring:
            grid_rows.append(
                {
                    "polygon": ring,
                    "name": row.name,
                    "id": row.grid_id,
                    "fill": SELECTED_FILL if row.grid_id in selected else GRID_FILL,
                }
            )
    community_rows, labels = [], []
    for row in communities.itertuples():
        ring = ring_of(row.boundary_geojson)
        if ring:
            community_rows.append({"path": ring, "name": getattr(row, label_column)})
            labels.append(area_label(ring, getattr(row, label_column)))
    if len(labels) > MAX_COMMUNITY_LABELS:  # a city's 280 names overlap into a smudge; tooltips still name them
        labels = []
    return [
        pdk.Layer(
            "PolygonLayer",
            _rows(grid_rows),
            id="grids",
            get_polygon="polygon",
            get_fill_color="fill",
            get_line_color=GRID_LINE,
            line_width_min_pixels=1,
            stroked=True,
            filled=True,
            pickable=False,
        ),
        pdk.Layer(
            "PathLayer",
            _rows(community_rows),
            id="communities",
            get_path="path",
            get_color=COMMUNITY_LINE,
            width_min_pixels=2.5,
            pickable=False,
        ),
        label_layer(labels, "community-labels"),
    ]


def area_label(ring: list[list[float]], text: str, size: float = LABEL_PX, fit: bool = False) -> dict:
    """A name at the middle of an area; the larger area's name is placed first (declutter). With
    `fit`, the name is drawn only where it is no wider than its area at the view the map opens with."""
    xs, ys = [p[0] for p in ring], [p[1] for p in ring]
    weight = round((max(xs) - min(xs)) * (max(ys) - min(ys)) * 1e6, 3)
    label = {"position": _centroid(ring), "text": text, "weight": weight, "size": size}
    return label | ({"within": [min(xs), min(ys), max(xs), max(ys)]} if fit else {})


def label_layer(labels: list[dict], layer_id: str) -> pdk.Layer:
    """Names drawn on the map as text (deck.gl draws text, never markup), white-outlined to read
    on any fill; each label's own size (area_label)."""
    return pdk.Layer(
        "TextLayer",
        _rows(labels),
        id=layer_id,
        get_position="position",
        get_text="text",
        get_size="size",
        get_color=[31, 41, 51, 220],
        font_family=_literal(FONT),
        character_set=_literal("auto"),
        font_weight=600,
        outline_width=3,
        outline_color=[255, 255, 255, 230],
        pickable=False,
    )


LIGHT, DARK = (253, 212, 158), (179, 48, 8)


def ramp(share: float) -> list[int]:
    """Light orange to deep red-brown, for counts (colour-blind safe, prints in grey)."""
    share = min(max(share, 0.0), 1.0)
    return [round(a + (b - a) * share) for a, b in zip(LIGHT, DARK, strict=True)] + [210]


AGE_FULL_DAYS = 30.0  # open this long on average or longer: the deepest colour of the age ramp
NO_OPEN = [150, 160, 170, 150]  # nothing open in the cell: grey
COLOR_MODES = ("count", "resolved", "age")


def age_color(days: object) -> list[int]:
    """Mean age of the open issues: pale yellow (just reported) to deep red (a month or more)."""
    if days is None or pd.isna(days):
        return NO_OPEN
    level = min(max(float(days) / AGE_FULL_DAYS, 0.0), 1.0)
    young, old = (255, 237, 160), (165, 15, 21)
    return [round(a + (b - a) * level) for a, b in zip(young, old, strict=True)] + [210]


def resolved_color(share: float) -> list[int]:
    """Share resolved: red (none) to green (all)."""
    share = min(max(float(share), 0.0), 1.0)
    return [round(255 * (1 - share)), round(160 * share + 40), 60, 190]


def colors_of(frame: pd.DataFrame, color_by: str) -> list[list[int]]:
    """Each row's colour: by reports (relative to the most), share resolved, or age of open issues."""
    if color_by == "resolved":
        return [resolved_color(v) for v in frame["share_resolved"]]
    if color_by == "age":
        return [age_color(v) for v in frame["open_days"]]
    top = max(float(frame["reports"].max()) if len(frame) else 1.0, 1.0)
    return [ramp(math.sqrt(float(r) / top)) for r in frame["reports"]]


def cell_layer(cells: pd.DataFrame, cell_metres: float, color_by: str) -> pdk.Layer:
    """Aggregated report cells: colour by count (light to deep orange), share resolved (red to green)
    or age of the open issues (yellow to deep red, grey with none open).

    For counts and shares each cell carries one colour level (0..1) and the colour is an accessor
    expression over it, which keeps the layer's JSON small (a city's map stays well under 1 MB)."""
    top = max(float(cells["reports"].max()) if len(cells) else 1.0, 1.0)
    data = cells[["lon", "lat", "reports", "open"]].assign(
        lon=cells["lon"].astype(float).round(6),  # a tenth of a metre; full floats were a fifth of the map's bytes
        lat=cells["lat"].astype(float).round(6),
        share=(cells["share_resolved"] * 100).round().astype(int),
    )
    if color_by == "age" and "open_days" in cells:
        color: str | list = "color"
        data = data.assign(color=colors_of(cells, "age"), days=[days_text(v) for v in cells["open_days"]])
    elif color_by == "resolved":
        data = data.assign(level=cells["share_resolved"].astype(float).round(2))
        color = "[255 * (1 - level), 160 * level + 40, 60, 190]"
    else:
        data = data.assign(level=((cells["reports"] / top) ** 0.5).round(2))
        (r0, g0, b0), (r1, g1, b1) = LIGHT, DARK
        color = f"[{r0} + {r1 - r0} * level, {g0} + {g1 - g0} * level, {b0} + {b1 - b0} * level, 210]"
    return pdk.Layer(
        "GridCellLayer",
        data,
        id="cells",
        get_position=["lon", "lat"],
        cell_size=cell_metres * 0.92,
        get_fill_color=color,
        extruded=False,
        pickable=True,
    )


def days_text(value: object) -> str:
    return "—" if value is None or pd.isna(value) else f"{float(value):.1f}"


def area_layer(areas: pd.DataFrame, polygons: dict[str, str], names: dict[str, str], color_by: str) -> pdk.Layer:
    """Whole grids or communities filled by their counts: the public map's fallback when most of a
    selection's reports sit in cells under k. `polygons`: area id -> GeoJSON; `names`: id -> name."""
    colors = colors_of(areas, color_by)
    rows = []
    for row, color in zip(areas.itertuples(), colors, strict=True):
        ring = ring_of(polygons.get(row.key))
        if ring:
            rows.append(
                {
                    "polygon": ring,
                    "fill": color,
                    "name": names.get(row.key, ""),
                    "reports": int(row.reports),
                    "open": int(row.open),
                    "share": round(float(row.share_resolved) * 100),
                    "days": days_text(getattr(row, "open_days", None)),
                }
            )
    return pdk.Layer(
        "PolygonLayer",
        _rows(rows),
        id="areas",
        get_polygon="polygon",
        get_fill_color="fill",
        get_line_color=[255, 255, 255, 220],
        line_width_min_pixels=1,
        pickable=True,
    )


def point_layer(points: pd.DataFrame) -> pdk.Layer:
    """Staff view: one dot per issue, open ones in orange, finished ones in blue-grey."""
    data = points.assign(color=[[224, 128, 58, 220] if o else [80, 110, 150, 150] for o in points["is_open"]])
    return pdk.Layer(
        "ScatterplotLayer",
        _rows(data),
        id="issues",
        get_position=["lon", "lat"],
        get_fill_color="color",
        get_radius=6,
        radius_min_pixels=2.5,
        radius_max_pixels=8,
        pickable=True,
    )


# One colour per grid officer (who covers what): twelve that stay apart on a light map; a street's
# officers beyond twelve reuse them in order, so neighbours may share one (the tooltip names them).
OFFICER_PALETTE = (
    [31, 119, 180],
    [255, 127, 14],
    [44, 160, 44],
    [214, 39, 40],
    [148, 103, 189],
    [140, 86, 75],
    [227, 119, 194],
    [127, 127, 127],
    [188, 189, 34],
    [23, 190, 207],
    [57, 59, 121],
    [173, 73, 74],
)
NO_OFFICER = [220, 220, 220, 160]


def officer_colors(officer_ids: Iterable[object]) -> dict[int, list[int]]:
    """Officer id -> fill colour, in id order (the same officer keeps a colour from week to week)."""
    known = sorted({int(o) for o in officer_ids if o is not None and not pd.isna(o)})
    return {o: [*OFFICER_PALETTE[i % len(OFFICER_PALETTE)], 170] for i, o in enumerate(known)}


PICKED_RING = [196, 30, 98, 255]  # the chosen issue or building: a ring no other layer uses


def picked_layer(lon: float, lat: float) -> pdk.Layer:
    """A ring around the one thing chosen beside the map (drawn over the data, never picked)."""
    return pdk.Layer(
        "ScatterplotLayer",
        [{"lon": lon, "lat": lat}],
        id="picked",
        get_position=["lon", "lat"],
        get_radius=14,
        radius_min_pixels=11,
        radius_max_pixels=22,
        filled=False,
        stroked=True,
        get_line_color=PICKED_RING,
        line_width_min_pixels=3,
        pickable=False,
    )


def grid_fill_layer(rows: list[dict]) -> pdk.Layer:
    """Grids filled with a colour each (rows: polygon, fill, and whatever the tooltip shows)."""
    return pdk.Layer(
        "PolygonLayer",
        _rows(rows),
        id="grid-state",
        get_polygon="polygon",
        get_fill_color="fill",
        get_line_color=[255, 255, 255, 200],
        line_width_min_pixels=1,
        pickable=True,
    )


ALERT_URGENT, ALERT_OTHER = [192, 57, 43, 220], [224, 128, 58, 200]


def alert_layer(alerts: pd.DataFrame) -> pdk.Layer:
    """Staff only: open welfare alerts at their building (lon, lat, severity, label); urgent ones in red."""
    located = alerts.dropna(subset=["lat", "lon"])
    data = located.assign(color=[ALERT_URGENT if s == 3 else ALERT_OTHER for s in located["severity"]])
    return pdk.Layer(
        "ScatterplotLayer",
        _rows(data[["lon", "lat", "color", "label"]]),
        id="alerts",
        get_position=["lon", "lat"],
        get_fill_color="color",
        get_radius=12,
        radius_min_pixels=5,
        pickable=True,
    )


def building_layer(frame: pd.DataFrame) -> pdk.Layer:
    data = frame.assign(radius=[4 + 2 * math.sqrt(r) for r in frame["reports"]])
    return pdk.Layer(
        "ScatterplotLayer",
        _rows(data),
        id="buildings",
        get_position=["lon", "lat"],
        get_radius="radius",
        radius_min_pixels=2,
        get_fill_color=[123, 94, 167, 120],
        get_line_color=[123, 94, 167, 230],
        stroked=True,
        line_width_min_pixels=1,
        pickable=True,
    )


def place_layer(frame: pd.DataFrame) -> pdk.Layer:
    data = frame.assign(color=[[46, 157, 143, 220] if k == "facility" else [138, 154, 91, 200] for k in frame["kind"]])
    return pdk.Layer(
        "ScatterplotLayer",
        _rows(data),
        id="places",
        get_position=["lon", "lat"],
        get_fill_color="color",
        get_radius=4,
        radius_min_pixels=2,
        pickable=True,
    )


def raster_style(tiles: str, attribution: str) -> str:
    """A MapLibre style drawing raster XYZ tiles, as a data: URL (the chart takes a style URL only).
    The attribution is set as text: the map's attribution control would read it as HTML."""
    style = {
        "version": 8,
        "sources": {
            "tiles": {
                "type": "raster",
                "tiles": [tiles],
                "tileSize": 256,
                "attribution": html.escape(attribution),
                "scheme": "xyz",
            }
        },
        "layers": [{"id": "tiles", "type": "raster", "source": "tiles"}],
    }
    if "{-y}" in tiles:  # TMS numbering
        style["sources"]["tiles"]["tiles"] = [tiles.replace("{-y}", "{y}")]
        style["sources"]["tiles"]["scheme"] = "tms"
    data = base64.b64encode(json.dumps(style, ensure_ascii=False).encode()).decode()
    return f"data:application/json;base64,{data}"


def basemap(map_style: str, tiles: str, attribution: str) -> str:
    """The style a map draws under its layers: a style URL, else raster tiles, else none ("")."""
    return map_style or (raster_style(tiles, attribution) if tiles else "")


class CompactDeck(pdk.Deck):
    """A deck whose JSON (what Streamlit sends to the browser) has no indentation: pydeck indents
    two spaces a level, and a city's map cells, six fields each at depth five, were half spaces."""

    def to_json(self) -> str:
        return json.dumps(self, sort_keys=True, default=default_serialize, separators=(",", ":"))


def deck(layers: list[pdk.Layer], view: pdk.ViewState, map_style: str, tooltip: dict | None) -> pdk.Deck:
    """The deck; with no style set, no basemap provider at all (nothing is fetched from the internet)."""
    if map_style:
        return CompactDeck(layers=layers, initial_view_state=view, map_style=map_style, tooltip=tooltip)
    # No map_style at all (pydeck then sends its "__MAP_STYLE__" sentinel): Streamlit's chart replaces
    # a None style with Carto's basemap, fetched from the internet, which this app must never do.
    return CompactDeck(layers=layers, initial_view_state=view, map_provider=None, tooltip=tooltip)
