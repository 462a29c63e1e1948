"""Area boundaries as stored (GeoJSON text, WGS-84): the one place that reads them.

A boundary that cannot be read is skipped, never an error: maps then fit what they can draw.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

Ring = list[list[float]]
Bounds = tuple[float, float, float, float]  # (south, west, north, east)


def ring_of(geojson: str | None) -> Ring | None:
    """The outer ring of a GeoJSON Polygon (or of a MultiPolygon's first polygon), or None."""
    if not geojson:
        return None
    try:
        shape = json.loads(geojson)
        ring = shape["coordinates"][0] if shape.get("type") == "Polygon" else shape["coordinates"][0][0]
        return [[round(float(x), 6), round(float(y), 6)] for x, y, *_ in ring]
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        return None


def bounds_of(rings: Iterable[Ring | None]) -> Bounds | None:
    """(south, west, north, east) around some rings; None when there is none."""
    points = [point for ring in rings if ring for point in ring]
    if not points:
        return None
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    return min(lats), min(lons), max(lats), max(lons)
