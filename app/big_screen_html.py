"""Pure builders of the big screen's HTML. Sizes in viewport units, so 1080p and 4K look alike; no text is
smaller than 2.6 % of the screen's height (the pictures: app/big_screen_svg.py).

Numbers are formatted by app.formatting, labels come from the catalogue, and
every string from the database (community and grid names, volunteer display
names) passes through `esc`, so nothing from the data is ever read as markup.
"""

from __future__ import annotations

import base64
import html
import io
import math
from dataclasses import dataclass
from functools import cache

import pandas as pd
import segno

from app import maps

CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], header, [data-testid="stToolbar"],
[data-testid="stDecoration"], [data-testid="stStatusWidget"], footer { display: none !important; }
html, body, .stApp, [data-testid="stAppViewContainer"], [data-testid="stMain"] {
  background: #0b1726 !important; overflow: hidden !important; }
::-webkit-scrollbar { display: none; }
[data-testid="stMainBlockContainer"] { padding: 1.2vh 2.2vw 0 2.2vw !important; max-width: 100vw !important; }
[data-testid="stVerticalBlock"] { gap: 0 !important; }
/* No text under 2.5 % of the screen's height: readable from the back of a meeting room. */
.bs { color: #e6edf5; font-family: "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif;
  font-size: 2.8vh; }
.bs-top { display: flex; justify-content: space-between; align-items: baseline; height: 9vh; }
.bs-title { font-size: 3.6vh; font-weight: 700; letter-spacing: .1vw; white-space: nowrap; }
.bs-title small { font-size: 2.8vh; color: #8fb3d9; font-weight: 400; margin-left: 1vw; }
.bs-clock { font-size: 3.4vh; font-variant-numeric: tabular-nums; text-align: right; white-space: nowrap; }
.bs-clock small { display: block; font-size: 2.6vh; color: #8fb3d9; }
.bs-stale { background: #c0392b; color: white; border-radius: .6vh; padding: .2vh .8vw; font-size: 2.6vh;
  margin-left: 1vw; }
.bs-panel { height: 76vh; overflow: hidden; }
.bs-panel h2 { font-size: 3.4vh; color: #8fb3d9; font-weight: 500; margin: .3vh 0 .2vh 0; line-height: 1.3; }
.bs-period { font-size: 2.6vh; color: #6f8fb3; margin-bottom: 1.2vh; }
.bs h3 { font-size: 2.8vh; color: #8fb3d9; font-weight: 500; margin: 0 0 .8vh 0; line-height: 1.3; }
.bs-split { display: flex; gap: 4vh; height: 64vh; }
.bs-main { flex: 1 1 0; min-width: 0; }
.bs-side { flex: none; width: 74vh; }
.bs-wall { display: grid; grid-template-columns: repeat(4, 1fr); gap: 1.6vh 1.2vw; margin-bottom: 2vh; }
.bs-tile { background: #13263d; border-radius: 1.2vh; padding: 1.4vh 1.4vw; height: 18vh; box-sizing: border-box;
  overflow: hidden; }
.bs-tile .label { font-size: 2.8vh; color: #8fb3d9; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.bs-tile .value { font-size: 6.4vh; font-weight: 700; line-height: 1.3; font-variant-numeric: tabular-nums;
  white-space: nowrap; }
.bs-tile .note { font-size: 2.6vh; color: #8fb3d9; white-space: nowrap; }
.bs-small .bs-tile { height: 15.5vh; padding: 1.1vh 1.2vw; }
.bs-small .bs-tile .value { font-size: 4.8vh; line-height: 1.2; }
.met { color: #4cc3a5; } .near { color: #e0a83a; } .below { color: #f0714a; }
.bs-bars { display: grid; grid-template-columns: minmax(0, 24vh) 1fr 11vh; column-gap: 1.6vh; row-gap: 2vh;
  align-items: center; font-size: 2.8vh; }
.bs-bars > div:nth-child(3n+1) { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.bs-bar { position: relative; height: 4.8vh; background: #13263d; border-radius: .8vh; }
.bs-bar .fill { height: 100%; border-radius: .8vh; background: #2e9d8f; }
.bs-bar .fill.near { background: #e0a83a; } .bs-bar .fill.below { background: #e0603a; }
.bs-bar .target { position: absolute; top: -.8vh; bottom: -.8vh; border-left: .45vh solid #f0714a; }
.bs-bar .reference { position: absolute; top: -.8vh; bottom: -.8vh; border-left: .35vh dashed #e6edf5; }
.bs-num { text-align: right; font-variant-numeric: tabular-nums; }
.bs-keys { display: flex; flex-wrap: wrap; gap: .6vh 2.4vh; margin-top: 2.4vh; font-size: 2.6vh; color: #8fb3d9; }
.bs-keys span.swatch { display: inline-block; width: 2.2vh; height: 2.2vh; border-radius: .4vh;
  vertical-align: -.3vh; margin-right: .6vh; }
.bs-keys span.mark { display: inline-block; width: 0; height: 2.6vh; vertical-align: -.4vh; margin-right: .8vh; }
.bs-rank { display: grid; grid-template-columns: 1fr; row-gap: .9vh; font-size: 3vh; }
.bs-rank div { display: flex; justify-content: space-between; background: #13263d; border-radius: .8vh;
  padding: .7vh 1.2vw; line-height: 1.3; }
.bs-rank div > span:first-child { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.bs-rank b { color: #e0a83a; margin-right: 1vw; display: inline-block; min-width: 3.4vh; }
.bs-ramp { height: 3vh; border-radius: .6vh; margin: 1vh 0; }
.bs-ramp-ends { display: flex; justify-content: space-between; font-size: 2.6vh; color: #8fb3d9; }
.bs-note { font-size: 2.6vh; color: #8fb3d9; line-height: 1.45; margin-top: 2vh; }
.bs-progress { font-size: 3.4vh; margin-bottom: 1.6vh; }
.bs-progress b { color: #e0a83a; font-size: 4.4vh; }
.bs-foot { display: flex; justify-content: space-between; align-items: center; height: 12vh; }
.bs-dots span { display: inline-block; width: 1.4vh; height: 1.4vh; border-radius: 50%; background: #2a4466;
  margin-right: .9vh; }
.bs-dots span.on { background: #e0a83a; }
.bs-qr { display: flex; align-items: center; gap: 1vw; font-size: 2.6vh; color: #8fb3d9; text-align: right; }
.bs-qr img { height: 10.5vh; width: 10.5vh; background: white; padding: .5vh; border-radius: .6vh; }
.bs-empty { font-size: 3.2vh; color: #8fb3d9; padding-top: 20vh; text-align: center; }
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


def panel(title: str, period: str, body: str) -> str:
    """A panel: its title, the days its figures cover, its body."""
    return (
        f'<div class="bs bs-panel"><h2>{esc(title)}</h2><div class="bs-period">{esc(period)}</div>{body}</div>'
    )


def split(main: str, side: str, side_vh: float = 74) -> str:
    """The panel's main figure on the left, its trend or context on the right."""
    return (
        f'<div class="bs-split"><div class="bs-main">{main}</div>'
        f'<div class="bs-side" style="width:{side_vh}vh">{side}</div></div>'
    )


def note(text: str) -> str:
    return f'<div class="bs-note">{esc(text)}</div>'


@dataclass(frozen=True)
class Tile:
    label: str
    value: str
    note: str
    judgement: str | None = None  # met / near / below: the value's colour


def wall(tiles: list[Tile], columns: int = 4, small: bool = False) -> str:
    """Headline tiles, coloured against their targets where they have one."""
    cells = "".join(
        f'<div class="bs-tile"><div class="label">{esc(tile.label)}</div>'
        f'<div class="value {tile.judgement or ""}">{esc(tile.value)}</div>'
        f'<div class="note">{esc(tile.note)}</div></div>'
        for tile in tiles
    )
    style = f"grid-template-columns:repeat({columns}, minmax(0, 1fr))"
    return f'<div class="bs-wall{" bs-small" if small else ""}" style="{style}">{cells}</div>'


@dataclass(frozen=True)
class Bar:
    name: str
    value: float | None  # a share, 0..1
    text: str
    judgement: str | None = None


def _at(share: float) -> str:
    return f"{max(0.0, min(1.0, share)) * 100:.1f}%"


def bars(rows: list[Bar], target: float | None = None, reference: float | None = None) -> str:
    """Horizontal bars of shares, each coloured against the target; the target as a solid mark and
    the reference (the street, on a community's screen) as a dashed one across every bar."""
    marks = ""
    if target is not None:
        marks += f'<div class="target" style="left:{_at(target)}"></div>'
    if reference is not None and not pd.isna(reference):
        marks += f'<div class="reference" style="left:{_at(reference)}"></div>'
    out = []
    for row in rows:
        width = 0.0 if row.value is None or pd.isna(row.value) else row.value
        out.append(
            f'<div>{esc(row.name)}</div><div class="bs-bar"><div class="fill {row.judgement or ""}" '
            f'style="width:{_at(width)}"></div>{marks}</div><div class="bs-num">{esc(row.text)}</div>'
        )
    return f'<div class="bs bs-bars">{"".join(out)}</div>'


def keys(items: list[tuple[str, str]]) -> str:
    """A legend: (kind, text), kind one of met / near / below (a swatch), target, reference (a mark)."""
    colours = {"met": "#2e9d8f", "near": "#e0a83a", "below": "#e0603a"}
    marks = {"target": "border-left:.45vh solid #f0714a", "reference": "border-left:.35vh dashed #e6edf5"}
    out = []
    for kind, text in items:
        if kind in colours:
            out.append(f'<span><span class="swatch" style="background:{colours[kind]}"></span>{esc(text)}</span>')
        else:
            out.append(f'<span><span class="mark" style="{marks[kind]}"></span>{esc(text)}</span>')
    return f'<div class="bs-keys">{"".join(out)}</div>'


def ranking(rows: pd.DataFrame, points_label: str) -> str:
    items = "".join(
        f"<div><span><b>{int(r.rank)}</b>{esc(r.display_name)}</span><span>{int(r.points):,} "
        f"{esc(points_label)}</span></div>"
        for r in rows.itertuples()
    )
    return f'<div class="bs bs-rank">{items}</div>'


def ramp_legend(low: str, high: str, note: str) -> str:
    """The heat map's colours, from the fewest reports shown to the most, and what a cell is."""
    stops = ", ".join(f"rgb({r},{g},{b})" for r, g, b, _ in (maps.ramp(math.sqrt(i / 4)) for i in range(5)))
    return (
        f'<div class="bs-ramp" style="background:linear-gradient(90deg, {stops})"></div>'
        f'<div class="bs-ramp-ends"><span>{esc(low)}</span><span>{esc(high)}</span></div>'
        f'<div class="bs-note">{esc(note)}</div>'
    )


@cache
def qr_data_uri(address: str) -> str:
    buffer = io.BytesIO()
    segno.make(address, error="m").save(buffer, kind="png", scale=6, border=1)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def footer(panel_index: int, panels: int, qr_address: str, qr_label: str) -> str:
    """The panel dots, and the QR code to the public pages when the street has set their address
    (`public_url`): a code pointing at a guess would send residents nowhere."""
    dots = "".join(f'<span class="{"on" if i == panel_index else ""}"></span>' for i in range(panels))
    qr = ""
    if qr_address:
        qr = (
            f'<div class="bs-qr"><span>{esc(qr_label)}<br/>{esc(qr_address)}</span>'
            f'<img src="{qr_data_uri(qr_address)}" alt="QR"/></div>'
        )
    return f'<div class="bs bs-foot"><div class="bs-dots">{dots}</div>{qr}</div>'

