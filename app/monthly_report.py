"""The printable monthly report of 考核: one self-contained HTML file, built from text already made.

One job: lay out what it is given. Every figure, label and judgement arrives as finished text (the
performance page makes them with the same queries and formatting as its own tables, in
app/staff_review.py), so the report cannot say anything the page does not. Everything is escaped:
names come from the database. The file has no scripts and fetches nothing (a Content-Security-
Policy says so to the browser); it prints on A4 with a CJK font stack that falls back to Noto
Sans CJK.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

from app.targets import Judgement

FONTS = (
    '"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", '
    '"Noto Sans", "DejaVu Sans", sans-serif'
)
JUDGEMENT_CLASSES = {"met": "j-met", "near": "j-near", "below": "j-below"}

STYLE = f"""
@page {{ size: A4; margin: 16mm 14mm 18mm 14mm; }}
* {{ box-sizing: border-box; }}
html {{ -webkit-print-color-adjust: exact; print-color-adjust: exact; }}
body {{ font-family: {FONTS}; color: #1f2933; font-size: 10.5pt; line-height: 1.5; margin: 0 auto;
  max-width: 182mm; padding: 8mm 0; }}
header {{ border-bottom: 2px solid #1f4e79; margin-bottom: 5mm; padding-bottom: 3mm; }}
.issuer {{ color: #52606d; font-size: 9.5pt; margin: 0; }}
h1 {{ font-size: 17pt; margin: 1mm 0 1mm; }}
.subject {{ font-size: 12.5pt; font-weight: 600; margin: 0; }}
dl.meta {{ display: grid; grid-template-columns: max-content 1fr; gap: .5mm 4mm; margin: 0 0 5mm;
  font-size: 9.5pt; }}
dl.meta dt {{ color: #52606d; }}
dl.meta dd {{ margin: 0; }}
table {{ border-collapse: collapse; width: 100%; margin: 0 0 5mm; font-size: 10pt; }}
caption {{ text-align: left; font-weight: 600; font-size: 11pt; padding-bottom: 1.5mm; }}
th, td {{ border: 1px solid #c5ccd3; padding: 1.4mm 2mm; text-align: left; vertical-align: top; }}
th {{ background: #eef2f6; font-weight: 600; }}
td.num {{ text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }}
thead {{ display: table-header-group; }}
tr {{ break-inside: avoid; page-break-inside: avoid; }}
tr.baseline td {{ background: #f6f8fa; font-style: italic; }}
.j-met {{ color: #1e6b5f; font-weight: 600; }}
.j-near {{ color: #a35a1b; font-weight: 600; }}
.j-below {{ color: #a3342a; font-weight: 600; }}
ul.notes {{ font-size: 9pt; color: #3e4c59; padding-left: 5mm; margin: 0 0 4mm; }}
footer {{ border-top: 1px solid #c5ccd3; color: #52606d; font-size: 8.5pt; padding-top: 2mm; }}
@media screen {{ body {{ padding: 10mm; }} }}
"""


@dataclass(frozen=True)
class Cell:
    text: str
    judgement: Judgement | None = None  # coloured by it; the text itself carries the judgement's word
    numeric: bool = False  # right-aligned


@dataclass(frozen=True)
class ReportTable:
    caption: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    baseline_rows: tuple[int, ...] = ()  # indexes of rows that are the street's baseline


@dataclass(frozen=True)
class MonthlyReport:
    lang: str  # "zh" or "en"
    issuer: str  # who issues it (the street's platform)
    title: str  # "月度考核报告 · 2026年10月"
    subject: str  # "人员：张三（网格员 · 某网格）"
    meta: tuple[tuple[str, str], ...]  # (label, value): the period's days, generated at, data as of ...
    tables: tuple[ReportTable, ...]
    notes: tuple[str, ...] = ()
    footer: str = ""
    file_title: str = field(default="")  # the document's <title>; the title when empty

    @property
    def rows(self) -> int:
        return sum(len(table.rows) for table in self.tables)


def _cell(cell: Cell, tag: str = "td") -> str:
    classes = [JUDGEMENT_CLASSES[cell.judgement]] if cell.judgement in JUDGEMENT_CLASSES else []
    if cell.numeric:
        classes.append("num")
    attribute = f' class="{" ".join(classes)}"' if classes else ""
    return f"<{tag}{attribute}>{html.escape(cell.text)}</{tag}>"


def _table(table: ReportTable) -> str:
    head = "".join(f'<th scope="col">{html.escape(column)}</th>' for column in table.columns)
    body = []
    for index, row in enumerate(table.rows):
        marker = ' class="baseline"' if index in table.baseline_rows else ""
        body.append(f"<tr{marker}>{''.join(_cell(cell) for cell in row)}</tr>")
    return (
        f"<table><caption>{html.escape(table.caption)}</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


def build_html(report: MonthlyReport) -> str:
    """The report as one HTML document (UTF-8 text)."""
    e = html.escape
    meta = "".join(f"<dt>{e(label)}</dt><dd>{e(value)}</dd>" for label, value in report.meta)
    notes = "".join(f"<li>{e(note)}</li>" for note in report.notes)
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{"zh-CN" if report.lang == "zh" else "en"}">',
        "<head>",
        '<meta charset="utf-8">',
        # Nothing runs and nothing is fetched, whatever a name in the data holds.
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(report.file_title or report.title)}</title>",
        f"<style>{STYLE}</style>",
        "</head>",
        "<body>",
        f'<header><p class="issuer">{e(report.issuer)}</p><h1>{e(report.title)}</h1>'
        f'<p class="subject">{e(report.subject)}</p></header>',
        f'<dl class="meta">{meta}</dl>',
        *(_table(table) for table in report.tables),
        f'<ul class="notes">{notes}</ul>' if notes else "",
        f"<footer>{e(report.footer)}</footer>" if report.footer else "",
        "</body>",
        "</html>",
    ]
    return "\n".join(part for part in parts if part) + "\n"
