"""Pure builders of the big screen's HTML and SVG. Sizes in viewport units, so 1080p and 4K look alike.

Numbers are formatted by app.formatting, labels come from the catalogue, and
every string from the database (community and grid names, volunteer display
names) passes through `esc`, so nothing from the data is ever read as markup.
"""

from __future__ import annotations

import base64
import html
import io
import math
from functools import cache

import pandas as pd
import segno

from app import maps
from data_access import geometry

CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], header, [data-testid="stToolbar"],
[data-testid="stDecoration"], [data-testid="stStatusWidget"], footer { display: none !important; }
html, body, .stApp, [data-testid="stAppViewContainer"], [data-testid="stMain"] {
  background: #0b1726 !important; overflow: hidden !important; }
::-webkit-scrollbar { display: none; }
[data-testid="stMainBlockContainer"] { padding: 1.2vh 2.2vw 0 2.2vw !important; max-width: 100vw !important; }
[data-testid="stVerticalBlock"] { gap: 0 !important; }
.bs { color: #e6edf5; font-family: "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif; }
.bs-top { display: flex; justify-content: space-between; align-items: baseline; height: 9vh; }
.bs-title { font-size: 3.4vh; font-weight: 700; letter-spacing: .1vw; }
.bs-title small { font-size: 2.2vh; color: #8fb3d9; font-weight: 400; margin-left: 1vw; }
.bs-clock { font-size: 3.4vh; font-variant-numeric: tabular-nums; text-align: right; }
.bs-clock small { display: block; font-size: 1.6vh; color: #8fb3d9; }
.bs-stale { background: #c0392b; color: white; border-radius: .6vh; padding: .2vh .8vw; font-size: 1.6vh;
  margin-left: 1vw; }
.bs-panel { height: 76vh; }
.bs-panel h2 { font-size: 3vh; color: #8fb3d9; font-weight: 500; margin: .5vh 0 1.5vh 0; }
.bs-wall { display: grid; grid-template-columns: repeat(4, 1fr); gap: 1.6vh 1.2vw; }
.bs-tile { background: #13263d; border-radius: 1.2vh; padding: 2.2vh 1.4vw; height: 27vh; box-sizing: border-box; }
.bs-tile .label { font-size: 2.4vh; color: #8fb3d9; }
.bs-tile .value { font-size: 7.4vh; font-weight: 700; line-height: 1.35; font-variant-numeric: tabular-nums;
  white-space: nowrap; }
.bs-tile .note { font-size: 1.9vh; color: #8fb3d9; }
.bs-bars { display: grid; grid-template-columns: 22vw 1fr 9vw; row-gap: 2vh; align-items: center;
  font-size: 2.8vh; }
.bs-bar { height: 4.6vh; background: #13263d; border-radius: .8vh; overflow: hidden; }
.bs-bar div { height: 100%; background: linear-gradient(90deg, #1d4f91, #2e9d8f); }
.bs-bar div.low { background: linear-gradient(90deg, #7a2e1f, #e0803a); }
.bs-num { text-align: right; font-variant-numeric: tabular-nums; }
.bs-rank { display: grid; grid-template-columns: repeat(2, 1fr); column-gap: 3vw; row-gap: 1.4vh; font-size: 3vh; }
.bs-rank div { display: flex; justify-content: space-between; background: #13263d; border-radius: .8vh;
  padding: 1.1vh 1.2vw; }
.bs-rank b { color: #e0a83a; margin-right: 1vw; }
.bs-map { display: flex; gap: 2vw; height: 68vh; }
.bs-map img { height: 66vh; width: auto; max-width: 72vw; }
.bs-legend { font-size: 2.2vh; color: #8fb3d9; align-self: flex-end; }
.bs-foot { display: flex; justify-content: space-between; align-items: center; height: 12vh; }
.bs-dots span { display: inline-block; width: 1.2vh; height: 1.2vh; border-radius: 50%; background: #2a4466;
  margin-right: .8vh; }
.bs-dots span.on { background: #e0a83a; }
.bs-qr { display: flex; align-items: center; gap: 1vw; font-size: 2vh; color: #8fb3d9; }
.bs-qr img { height: 10.5vh; width: 10.5vh; background: white; padding: .5vh; border-radius: .6vh; }
.bs-empty { font-size: 3vh; color: #8fb3d9; padding-top: 20vh; text-align: center; }
</style>
"""


def esc(text: object) -> str:
    """Database text as text: escaped, never markup."""
    return html.escape(str(text), quote=True)


def top_bar(title: str, subtitle: str, clock: str, freshness: str, stale_label: str | None) -> str:
    stale = f'<span class="bs-stale">{esc(stale_label)}</span>' if stale_label else ""
    return (
        f'<div class="bs bs-top"><div class="bs-title">{esc(title)}<small>{esc(subtitle)}</small></div>'
        f'<div class="bs-clock">{esc(clock)}<small>{esc(freshness)}{stale}</small></div></div>'
    )


def wall(tiles: list[tuple[str, str, str]]) -> str:
    """Headline tiles: (label, value, note)."""
    cells = "".join(
        f'<div class="bs-tile"><div class="label">{esc(label)}</div><div class="value">{esc(value)}</div>'
        f'<div class="note">{esc(note)}</div></div>'
        for label, value, note in tiles
    )
    return f'<div class="bs-wall">{cells}</div>'


def bars(rows: list[tuple[str, float | None, str]], baseline: float | None) -> str:
    """Horizontal bars of shares (0..1): (name, share, text). Below the baseline shows in warm colours."""
    out = []
    for name, value, text in rows:
        width = 0 if value is None or math.isnan(value) else max(0.0, min(1.0, value)) * 100
        low = baseline is not None and value is not None and value < baseline
        out.append(
            f'<div>{esc(name)}</div><div class="bs-bar"><div class="{"low" if low else ""}" '
            f'style="width:{width:.1f}%"></div></div><div class="bs-num">{esc(text)}</div>'
        )
    return f'<div class="bs bs-bars">{"".join(out)}</div>'


def ranking(rows: pd.DataFrame, points_label: str) -> str:
    items = "".join(
        f"<div><span><b>{int(r.rank)}</b>{esc(r.display_name)}</span><span>{int(r.points):,} "
        f"{esc(points_label)}</span></div>"
        for r in rows.itertuples()
    )
    return f'<div class="bs bs-rank">{items}</div>'


def heat_map_svg(
    grids: pd.DataFrame,
    communities: pd.DataFrame,
    cells: pd.DataFrame,
    label_col: str,
    cell_dlat: float,
    cell_dlon: float,
) -> str:
    """The street drawn from its polygons (no tiles), cells coloured by count, community names on top."""
    rings = [r for r in (geometry.ring_of(g) for g in grids["boundary_geojson"]) if r]
    bounds = geometry.bounds_of(rings)
    if bounds is None:
        return ""
    south, west, north, east = bounds
    scale_x = math.cos(math.radians((south + north) / 2))
    width, height = (east - west) * scale_x, north - south
    size = 1000 / max(width, height)

    def xy(lon: float, lat: float) -> tuple[float, float]:
        return (lon - west) * scale_x * size, (north - lat) * size

    view_w, view_h = width * size, height * size
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="-10 -10 {view_w + 20:.0f} {view_h + 20:.0f}">']
    top = max(float(cells["reports"].max()) if len(cells) else 1.0, 1.0)
    for cell in cells.itertuples():
        x0, y1 = xy(cell.lon, cell.lat)
        x1, y0 = xy(cell.lon + cell_dlon, cell.lat + cell_dlat)
        r, g, b, _ = maps.ramp(math.sqrt(cell.reports / top))
        parts.append(
            f'<rect x="{x0:.1f}" y="{y0:.1f}" width="{x1 - x0:.1f}" height="{y1 - y0:.1f}" '
            f'fill="rgb({r},{g},{b})" opacity="0.9"/>'
        )
    for ring in rings:
        points = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(*p) for p in ring))
        parts.append(f'<polygon points="{points}" fill="none" stroke="#5b7db1" stroke-width="1.2" opacity="0.7"/>')
    for row in communities.itertuples():
        ring = geometry.ring_of(row.boundary_geojson)
        if not ring:
            continue
        points = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(*p) for p in ring))
        parts.append(f'<polygon points="{points}" fill="none" stroke="#8fb3d9" stroke-width="3.5"/>')
        cx = sum(xy(*p)[0] for p in ring[:-1]) / (len(ring) - 1)
        cy = sum(xy(*p)[1] for p in ring[:-1]) / (len(ring) - 1)
        parts.append(
            f'<text x="{cx:.0f}" y="{cy:.0f}" fill="#ffffff" font-size="26" text-anchor="middle" '
            f'font-family="Noto Sans CJK SC, PingFang SC, Microsoft YaHei, sans-serif" '
            f'paint-order="stroke" stroke="#0b1726" stroke-width="6">{esc(getattr(row, label_col))}</text>'
        )
    parts.append("</svg>")
    # As an image: sanitisers leave <img> alone, and an SVG image scales crisply to 4K.
    svg = base64.b64encode("".join(parts).encode()).decode()
    return f'<img alt="" src="data:image/svg+xml;base64,{svg}"/>'


@cache
def qr_data_uri(address: str) -> str:
    buffer = io.BytesIO()
    segno.make(address, error="m").save(buffer, kind="png", scale=6, border=1)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def footer(panel_index: int, panels: int, qr_address: str, qr_label: str) -> str:
    dots = "".join(f'<span class="{"on" if i == panel_index else ""}"></span>' for i in range(panels))
    return (
        f'<div class="bs bs-foot"><div class="bs-dots">{dots}</div><div class="bs-qr">'
        f'<span>{esc(qr_label)}<br/>{esc(qr_address)}</span><img src="{qr_data_uri(qr_address)}" alt="QR"/>'
        f"</div></div>"
    )
