"""The big screen's pictures as SVG images: monthly and weekly trends against a target, and the heat
map drawn from the area's polygons (no tiles, no WebGL, nothing from the internet).

Each picture is drawn for a box given in units of the screen's height (vh) and its viewBox counts
UNIT units per vh, so a font size in the SVG is a size on the screen: FONT = 2.8 vh, TICK = 2.6 vh,
both above the screen's floor of 2.5 vh, at 1080p and 4K alike. Text from the database is escaped.
Labels that would overlap are left out rather than drawn on top of each other.
"""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from app import formatting, maps
from app.targets import judge
from data_access import geometry

UNIT = 10  # viewBox units per vh
FONT = 28  # 2.8 vh: labels
TICK = 26  # 2.6 vh: axis ticks, the smallest text on the screen
TEXT = "#e6edf5"
MUTED = "#8fb3d9"
GRID = "#22385a"
JUDGED = {"met": "#2e9d8f", "near": "#e0a83a", "below": "#e0603a"}
TARGET = "#e0603a"
FAMILY = "Noto Sans CJK SC, PingFang SC, Microsoft YaHei, sans-serif"


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def text_width(text: str, size: float) -> float:
    """A text's width in viewBox units: CJK glyphs are square, Latin ones about half as wide."""
    return sum(size if ord(ch) > 0x2E7F else size * 0.56 for ch in text)


def image(svg: str, width_vh: float, height_vh: float) -> str:
    """An SVG as an <img> of that many vh: sanitisers leave images alone and it scales crisply to 4K."""
    data = base64.b64encode(svg.encode()).decode()
    return f'<img alt="" style="width:{width_vh}vh;height:{height_vh}vh" src="data:image/svg+xml;base64,{data}"/>'


def _text(x: float, y: float, text: str, size: int = TICK, fill: str = MUTED, anchor: str = "middle") -> str:
    return (
        f'<text x="{x:.0f}" y="{y:.0f}" fill="{fill}" font-size="{size}" text-anchor="{anchor}" '
        f'font-family="{FAMILY}">{esc(text)}</text>'
    )


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]
    color: str


def _nice_top(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    return next(m * magnitude for m in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10) if m * magnitude >= value)


def trend(
    labels: Sequence[str],
    series: Sequence[Series],
    width_vh: float,
    height_vh: float,
    share: bool = False,
    target: float | None = None,
    target_label: str = "",
    fmt=None,  # noqa: ANN001 - value -> text for the last point and the axis
    open_note: str = "",
) -> str:
    """Lines over `labels` (months, weeks). Shares run 0-100 % with the target as a line and each
    point coloured against it; counts start at zero. The last value of each line is written out.
    With `open_note` ("so far") the last label is still going on (app/trend_months.py): a band lies
    behind it with the note at its top, the lines reach it dotted and its points are hollow."""
    fmt = fmt or ((lambda v: f"{v:.0%}") if share else (lambda v: f"{v:,.0f}"))
    width, height = width_vh * UNIT, height_vh * UNIT
    values = [v for s in series for v in s.values if v is not None and not pd.isna(v)]
    top = 1.0 if share else _nice_top(max(values, default=0))
    left = max(text_width(fmt(top), TICK), text_width(fmt(0), TICK)) + 14
    right, head, foot = text_width(fmt(top), FONT) + 20, FONT + 24, TICK + 20
    plot_w, plot_h = width - left - right, height - head - foot
    n = max(len(labels), 1)
    slot = plot_w / n

    def x(i: int) -> float:
        return left + slot * (i + 0.5)

    def y(v: float) -> float:
        return head + plot_h * (1 - min(max(v / top, 0.0), 1.05))

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}">']
    for tick in (0, top / 2, top):
        out.append(f'<line x1="{left:.0f}" x2="{left + plot_w:.0f}" y1="{y(tick):.0f}" y2="{y(tick):.0f}" '
                   f'stroke="{GRID}" stroke-width="2"/>')
        out.append(_text(left - 10, y(tick) + TICK * 0.35, fmt(tick), anchor="end"))
    still_open = len(labels) - 1 if open_note and labels else None
    if still_open is not None:
        out.append(f'<rect x="{x(still_open) - slot / 2:.0f}" y="{head:.0f}" width="{slot:.0f}" '
                   f'height="{plot_h:.0f}" fill="{TEXT}" fill-opacity="0.07"/>')
        out.append(_text(x(still_open), head + TICK, open_note))
    widest = max((text_width(label, TICK) for label in labels), default=0)
    step = max(1, math.ceil((widest + 16) / slot))
    for i, label in enumerate(labels):
        if (len(labels) - 1 - i) % step == 0:  # the latest label always shows
            out.append(_text(x(i), height - 10, label))
    legend_x = left
    if len(series) > 1:
        for s in series:
            out.append(f'<rect x="{legend_x:.0f}" y="{head - FONT - 14:.0f}" width="{FONT * 0.8:.0f}" '
                       f'height="{FONT * 0.8:.0f}" fill="{s.color}" rx="3"/>')
            out.append(_text(legend_x + FONT, head - 18, s.name, FONT, TEXT, "start"))
            legend_x += FONT * 2 + text_width(s.name, FONT)
    if share and target is not None:
        out.append(f'<line x1="{left:.0f}" x2="{left + plot_w:.0f}" y1="{y(target):.0f}" y2="{y(target):.0f}" '
                   f'stroke="{TARGET}" stroke-width="4"/>')
        out.append(_text(left + plot_w, head - 18, target_label, FONT, TARGET, "end"))
    ends = []  # each line's last value, written at its end
    for s in series:
        present = [i for i, v in enumerate(s.values) if v is not None and not pd.isna(v)]
        points = [(x(i), y(s.values[i]), s.values[i]) for i in present]
        if not points:
            continue
        whole = len(points) - 1 if present[-1] == still_open else len(points)  # points of whole months
        path = " ".join(f"{px:.0f},{py:.0f}" for px, py, _ in points[:whole])
        out.append(f'<polyline points="{path}" fill="none" stroke="{s.color}" stroke-width="6" '
                   f'stroke-linejoin="round"/>')
        if whole < len(points) and whole > 0:  # into the month still going on: dotted
            (x0, y0, _), (x1, y1, _) = points[whole - 1], points[whole]
            out.append(f'<line x1="{x0:.0f}" y1="{y0:.0f}" x2="{x1:.0f}" y2="{y1:.0f}" stroke="{s.color}" '
                       f'stroke-width="6" stroke-dasharray="4 12" stroke-linecap="round"/>')
        for n, (px, py, v) in enumerate(points):
            judged = judge(v, target) if share and n < whole else None
            fill = JUDGED.get(judged or "", s.color)
            if n < whole:
                out.append(f'<circle cx="{px:.0f}" cy="{py:.0f}" r="9" fill="{fill}"/>')
            else:
                out.append(f'<circle cx="{px:.0f}" cy="{py:.0f}" r="8" fill="none" stroke="{fill}" '
                           f'stroke-width="4"/>')
        ends.append([points[-1][0], points[-1][1], fmt(points[-1][2]), s.color])
    ends.sort(key=lambda end: end[1])
    for above, below in zip(ends, ends[1:], strict=False):  # labels of close lines pushed apart
        below[1] = max(below[1], above[1] + FONT * 1.1)
    overflow = ends[-1][1] - (head + plot_h) if ends else 0
    for end in ends if overflow > 0 else ():  # and kept above the month names
        end[1] -= overflow
    for px, py, text, color in ends:
        out.append(_text(px + 16, py + FONT * 0.35, text, FONT, color if len(series) > 1 else TEXT, "start"))
    out.append("</svg>")
    return image("".join(out), width_vh, height_vh)


@dataclass(frozen=True)
class Label:
    text: str
    lon: float
    lat: float
    weight: float  # larger areas place their label first


def _centroid(ring: list) -> tuple[float, float]:
    points = ring[:-1] if len(ring) > 1 and ring[0] == ring[-1] else ring
    return sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points)


def area_labels(frame: pd.DataFrame, name_col: str, strip: str = "") -> list[Label]:
    """A label per polygon (communities, or one community's grids), `strip` taken off the front of
    each name (a community's name before its grids' names) so labels stay short."""
    labels = []
    for row in frame.itertuples():
        ring = geometry.ring_of(row.boundary_geojson)
        if not ring:
            continue
        name = formatting.without_prefix(str(getattr(row, name_col)), strip)
        xs, ys = [p[0] for p in ring], [p[1] for p in ring]
        lon, lat = _centroid(ring)
        labels.append(Label(name, lon, lat, (max(xs) - min(xs)) * (max(ys) - min(ys))))
    return labels


def heat_map(
    rings: list[list],
    outlines: list[list],
    cells: pd.DataFrame,
    labels: list[Label],
    cell_dlat: float,
    cell_dlon: float,
    width_vh: float,
    height_vh: float,
) -> str:
    """The area fitted into the box (its shape kept), cells coloured by count, `outlines` (the
    communities) drawn bold, labels placed largest area first and left out where they would collide."""
    bounds = geometry.bounds_of(rings)
    if bounds is None:
        return ""
    south, west, north, east = bounds
    scale_x = math.cos(math.radians((south + north) / 2))
    width, height = width_vh * UNIT, height_vh * UNIT
    pad = 20
    size = min((width - 2 * pad) / max((east - west) * scale_x, 1e-9), (height - 2 * pad) / max(north - south, 1e-9))
    off_x = (width - (east - west) * scale_x * size) / 2
    off_y = (height - (north - south) * size) / 2

    def xy(lon: float, lat: float) -> tuple[float, float]:
        return off_x + (lon - west) * scale_x * size, off_y + (north - lat) * size

    def polygon(ring: list, stroke: str, stroke_width: float) -> str:
        points = " ".join(f"{px:.1f},{py:.1f}" for px, py in (xy(*p) for p in ring))
        return f'<polygon points="{points}" fill="none" stroke="{stroke}" stroke-width="{stroke_width}"/>'

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}">']
    top = max(float(cells["reports"].max()) if len(cells) else 1.0, 1.0)
    for cell in cells.itertuples():
        x0, y1 = xy(cell.lon, cell.lat)
        x1, y0 = xy(cell.lon + cell_dlon, cell.lat + cell_dlat)
        r, g, b, _ = maps.ramp(math.sqrt(cell.reports / top))
        out.append(f'<rect x="{x0:.1f}" y="{y0:.1f}" width="{x1 - x0:.1f}" height="{y1 - y0:.1f}" '
                   f'fill="rgb({r},{g},{b})" opacity="0.9"/>')
    out += [polygon(ring, "#5b7db1", 2) for ring in rings]
    out += [polygon(ring, MUTED, 5) for ring in outlines]
    placed: list[tuple[float, float, float, float]] = []
    for label in sorted(labels, key=lambda item: -item.weight):
        cx, cy = xy(label.lon, label.lat)
        half_w, half_h = text_width(label.text, FONT) / 2 + 6, FONT * 0.7
        for shift in (0, -1, 1, -2, 2):  # at the centre, else a little above or below it
            y = cy + shift * FONT * 1.6
            box = (cx - half_w, y - half_h, cx + half_w, y + half_h)
            inside = box[0] >= 0 and box[2] <= width and box[1] >= 0 and box[3] <= height
            if inside and not any(
                box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in placed
            ):
                break
        else:
            continue  # no room anywhere near its area: left out rather than drawn over another
        placed.append(box)
        out.append(
            f'<text x="{cx:.0f}" y="{y + FONT * 0.35:.0f}" fill="#ffffff" font-size="{FONT}" text-anchor="middle" '
            f'font-family="{FAMILY}" paint-order="stroke" stroke="#0b1726" stroke-width="7">{esc(label.text)}</text>'
        )
    out.append("</svg>")
    return image("".join(out), width_vh, height_vh)
