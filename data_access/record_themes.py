"""Each text's themes by record, beside the analytical copy, so the needs tab counts every text in SQL.

The needs tab (feedback.py) counts the themes of residents' reports and questions. Themes are found
in Python (segment.py), so without this file the tab reads the texts and themes them while the
visitor waits, at most feedback.MAX_TEXTS of each source: a city's street has that many in two
weeks. theme_fill.py, the child process that themes the newest texts whenever a copy is published,
also writes each text's themes by record to ``record-themes.parquet`` in the copy's folder: the
source (0 for an issue, 1 for a consultation: SOURCES), the record's id and a bit per theme (THEME ORDER below), for
every text of the street in its window that raises a theme. DuckDB reads the file beside the copy's
issues and consultations, which hold each record's time, community, grid and category, and counts
each figure in one query, whatever the number of texts. (DuckDB 2.0 failed fatally, closing the
copy for every later query, when a text column of this file was a join key or when rows were joined
to a list of theme numbers: the source is a number, and themes are counted per combination.)

The file says which window it covers and which themes its bits stand for (Parquet metadata). A
question it does not cover (a period ending after the data it was written at, or beginning before
its window, or themes changed since) is answered the old way, by reading the texts.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from data_access.themes import themes

FILE_NAME = "record-themes.parquet"
# A record's source as a number: DuckDB 2.0 failed fatally (and closed the copy for every query) when
# it joined a dictionary-encoded text column of this file at city scale.
SOURCES = ("issue", "consultation")
_META = b"syl_record_themes"


def theme_order() -> tuple[str, ...]:
    """The theme each bit stands for: bit i is themes()[i]."""
    return tuple(theme.code for theme in themes())


def bits_of(codes: frozenset[str] | set[str], order: tuple[str, ...]) -> int:
    return sum(1 << order.index(code) for code in codes)


def as_bits(frame: pd.DataFrame) -> pd.DataFrame:
    """(source, id, bits) of the texts in `frame` (source, id, themes) that raise a theme: what the
    file holds, kept small while a window's texts are read a month at a time."""
    order = theme_order()
    bits = pd.Series([bits_of(codes, order) for codes in frame["themes"]], index=frame.index, dtype="int64")
    keep = bits != 0
    return pd.DataFrame(
        {
            "source": [SOURCES.index(source) for source in frame["source"][keep]],
            "id": pd.to_numeric(frame["id"][keep]).astype("int64"),
            "bits": bits[keep],
        }
    )


def write(folder: Path, records: pd.DataFrame, since: datetime, until: datetime) -> Path:
    """Write `records` (as_bits) as the records' themes of [since, until) into `folder`, replacing
    the file at once (readers see the old file or the new, never half of one)."""
    table = pa.table(
        {
            "source": pa.array(records["source"].to_numpy(), pa.int8()),
            "id": pa.array(records["id"].to_numpy(), pa.int64()),
            "bits": pa.array(records["bits"].to_numpy(), pa.int64()),
        }
    )
    about = {"since": since.isoformat(), "until": until.isoformat(), "themes": list(theme_order())}
    table = table.replace_schema_metadata({_META: json.dumps(about).encode()})
    target = folder / FILE_NAME
    partial = target.with_name(f".{FILE_NAME}.{os.getpid()}.{threading.get_ident()}")
    pq.write_table(table, partial)
    os.replace(partial, target)
    return target


@dataclass(frozen=True)
class Coverage:
    path: Path
    since: datetime
    until: datetime
    order: tuple[str, ...]

    def holds(self, since: datetime | None, until: datetime) -> bool:
        """Whether every text of [since, until) is in the file, with today's themes."""
        return since is not None and self.since <= since and until <= self.until and self.order == theme_order()


_read_lock = threading.Lock()
_read: dict[Path, tuple[int, Coverage | None]] = {}  # path -> (mtime_ns, what it covers)


def coverage(folder: Path | None) -> Coverage | None:
    """What the folder's file covers (read once per version of the file), or None without one."""
    if folder is None:
        return None
    path = Path(folder) / FILE_NAME
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        return None
    with _read_lock:
        known = _read.get(path)
    if known is not None and known[0] == mtime:
        return known[1]
    try:
        about = json.loads(pq.read_schema(path).metadata[_META])
        found = Coverage(
            path,
            datetime.fromisoformat(about["since"]),
            datetime.fromisoformat(about["until"]),
            tuple(about["themes"]),
        )
    except (OSError, KeyError, ValueError, TypeError, pa.ArrowException):
        found = None  # a damaged or foreign file: the texts are read instead
    with _read_lock:
        _read[path] = (mtime, found)
    return found


def covering(engine: Any, since: datetime | None, until: datetime) -> Coverage | None:
    """The file that holds every text of [since, until) for this engine, when the engine answers
    from an analytical copy (only DuckDB can read it beside the copy's tables); else None."""
    copy = getattr(engine, "copy", None)
    if copy is None or copy.snapshot is None:
        return None
    found = coverage(copy.folder)
    return found if found is not None and found.holds(since, until) else None
