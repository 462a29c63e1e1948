"""What residents ask for: the themes of their issue reports and online questions, beside the
activities the street held, and the activities to hold next.

A text raises a theme when the segmenter finds one of the theme's words in it (data_access/themes.py;
a text counts once per theme). Texts are issue reports (title and description) and consultations
(the question) asked in the period, within the caller's scope; complaints about staff are not
needs and are left out. Themes are found in Python, as no database can segment Chinese: the text
is read in SQL, newest first, at most MAX_TEXTS per call, and each distinct text is themed once,
remembered across processes and restarts (text_themes.py). A theme is rising when its texts in
the RECENT_DAYS before the end of the period outnumber those in the RECENT_DAYS before that.

The public sees themes with at least k texts (smaller ones are dropped, app/audience.py); staff see
sample sentences, masked (data_access/masking.py) with the writer's own name among those hidden.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    Select,
    String,
    Subquery,
    Text,
    and_,
    cast,
    column,
    false,
    func,
    literal,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.engine import Engine

from data_access import record_themes, text_themes
from data_access.access import declare
from data_access.consultations import not_staff_complaint
from data_access.filters import EVERYWHERE, IssueFilters
from data_access.frames import read_frame, result_frame
from data_access.localtime import zone_of
from data_access.masking import mask
from data_access.schema import (
    activities,
    communities,
    consultations,
    grids,
    issues,
    participations,
    residents,
)
from data_access.scope import Scope
from data_access.segment import add_place_names
from data_access.sqlfuncs import local_month
from data_access.themes import themes

log = logging.getLogger(__name__)

MAX_TEXTS = 20_000
RECENT_DAYS = 90
WINDOW_DAYS = 2 * RECENT_DAYS  # the theme table compares the last RECENT_DAYS with the ones before
TEXT_WINDOW_DAYS = 400  # texts are read for at least this long before a period's end: the 12 months' trend fits
TEXTS_HELD = 8  # periods and scopes held at once (about 30 MB each at city scale)
TEXTS_SECONDS = 60.0  # how long a page's texts are kept for its next question (app/data.py caches figures longer)
COUNTED_FROM = "counted_from"  # read_texts' frame.attrs: from when every text is in it (None: all are)
TEXT_CHARS = 400  # of a description: a resident's point is made early; some run to thousands
STAFF_COMPLAINT_CATEGORY = "staff_complaint"

_held_lock = threading.Lock()
# (engine, scope, until, area) -> (read at, from, texts)
_held: dict[tuple, tuple[float, datetime | None, pd.DataFrame]] = {}


def prepare(engine: Engine) -> None:
    """Teach the segmenter this database's community and grid names (kept whole, never a theme);
    once per engine. The app calls it in the background on the first visit to 社区E家, so the themes
    tab does not wait for the read."""
    engine = getattr(engine, "row_engine", engine)
    if engine.__dict__.get("_syl_places_known"):
        return
    names = read_frame(engine, select(communities.c.name_zh))["name_zh"].tolist()
    names += read_frame(engine, select(grids.c.name))["name"].tolist()
    add_place_names(names)  # a new name changes what text_themes remembers texts under
    engine.__dict__["_syl_places_known"] = True


def _themes_of(engine: Engine, texts: Iterable[object]) -> list[frozenset[str]]:
    """The themes of these texts, this database's place names learnt first: they are part of what
    a text's themes are remembered under (text_themes.py), so the themes child and every app
    process ask for the same and a text themed by one is found by the others."""
    prepare(engine)
    return text_themes.for_engine(engine).of([str(text) for text in texts])


def _texts(
    engine: Engine, scope: Scope, since: datetime | None, until: datetime, area: IssueFilters, with_writer: bool = False
) -> pd.DataFrame:
    """Issue and consultation texts in [since, until), newest first (MAX_TEXTS of each at most).

    A page asks for the texts up to one `until` several times (the theme table, each theme's
    samples, the table by community, the months' trend): they are read once, from TEXT_WINDOW_DAYS
    before `until` (or from `since`, when earlier), kept TEXTS_SECONDS, and each shorter period is
    cut from them. The newest MAX_TEXTS of a wider window hold the newest MAX_TEXTS of a shorter
    one with the same end, so a cut is what a read of its own would return."""
    start = None if since is None else min(since, until - timedelta(days=TEXT_WINDOW_DAYS))
    key = (id(getattr(engine, "row_engine", engine)), scope, until, area)
    now = time.monotonic()
    with _held_lock:
        held = _held.get(key)
    covered = held is not None and (held[1] is None or (start is not None and held[1] <= start))
    if not covered or now - held[0] > TEXTS_SECONDS:
        held = (now, start, read_texts(engine, scope, start, until, area))
        with _held_lock:
            for stale in [k for k, (at, _, _) in _held.items() if now - at > TEXTS_SECONDS]:
                del _held[stale]
            while len(_held) >= TEXTS_HELD:  # the oldest goes first: memory stays bounded
                del _held[min(_held, key=lambda k: _held[k][0])]
            _held[key] = held
    frame = held[2]
    counted_from = frame.attrs.get(COUNTED_FROM)
    if since is not None:
        frame = frame[frame["at"] >= pd.Timestamp(since)].reset_index(drop=True)
    frame = frame if with_writer else frame.drop(columns=["writer"])
    frame.attrs[COUNTED_FROM] = counted_from
    return frame


@declare("anyone")
def counted_from(
    engine: Engine, scope: Scope, since: datetime | None, until: datetime, area: IssueFilters = EVERYWHERE
) -> datetime | None:
    """From when the period's texts are all themed: where reports or questions up to `until`
    number more than MAX_TEXTS, only the newest MAX_TEXTS of each are (a city's street has that many
    in two weeks), and the needs tab says so. None: every text of the period is counted."""
    if record_themes.covering(engine, None if since is None else min(since, until - timedelta(days=WINDOW_DAYS)),
                              until) is not None:
        return None  # every text is counted, by DuckDB
    found = _texts(engine, scope, since, until, area).attrs.get(COUNTED_FROM)
    return found if found is not None and (since is None or found > since) else None


def read_texts(
    engine: Engine,
    scope: Scope,
    since: datetime | None,
    until: datetime,
    area: IssueFilters,
    limit: int | None = -1,
) -> pd.DataFrame:
    """The texts in [since, until) with their themes and writers, read now (not kept): what
    `_texts` keeps (the newest MAX_TEXTS of each source; `limit` None reads them all), and what
    theme_fill.py themes in advance."""
    limit = MAX_TEXTS if limit == -1 else limit
    from_issues = read_frame(engine, _issue_texts(engine, scope, since, until, area).limit(limit))
    from_questions = read_frame(engine, _question_texts(engine, scope, since, until, area).limit(limit))
    found = [f for f in (from_issues, from_questions) if len(f)]
    if not found:
        return pd.DataFrame(
            columns=["source", "id", "at", "month", "community_id", "group", "text", "writer", "themes"]
        )
    frame = pd.concat(found, ignore_index=True)
    frame["at"] = pd.to_datetime(frame["at"])
    frame["themes"] = _themes_of(engine, frame["text"])
    # A source cut at its limit holds only its newest texts: every text is counted from its oldest one on.
    cuts = [pd.Timestamp(f["at"].min()) for f in found if limit is not None and len(f) >= limit]
    frame.attrs[COUNTED_FROM] = max(cuts).to_pydatetime() if cuts else None
    return frame


def _issue_where(scope: Scope, since: datetime | None, until: datetime, area: IssueFilters) -> list:
    parts = [
        scope.on_issue(issues),
        area.clause(issues),
        issues.c.reported_at < until,
        or_(issues.c.category_code.is_(None), issues.c.category_code != STAFF_COMPLAINT_CATEGORY),
    ]
    return parts if since is None else [*parts, issues.c.reported_at >= since]


def _question_where(scope: Scope, since: datetime | None, until: datetime, area: IssueFilters) -> list:
    parts = [
        scope.on_grid(consultations.c.grid_id),
        area.on_grid(consultations.c.grid_id),
        consultations.c.asked_at < until,
        not_staff_complaint(),
    ]
    return parts if since is None else [*parts, consultations.c.asked_at >= since]


def _record_columns(source: str, zone: object) -> list:
    """What every theme figure reads of a report ("issue") or a question ("consultation"): source,
    id, at, month (local), community_id, group (category or topic)."""
    if source == "issue":
        key, at, community, group = (
            issues.c.issue_id,
            issues.c.reported_at,
            issues.c.community_id,
            issues.c.category_code,
        )
    else:
        key, at, community, group = (
            consultations.c.consultation_id,
            consultations.c.asked_at,
            consultations.c.community_id,
            consultations.c.topic_code,
        )
    return [
        literal(source, String).label("source"),
        key.label("id"),
        at.label("at"),
        local_month(at, zone).label("month"),
        community,
        group.label("group"),
    ]


def _issue_texts(engine: Engine, scope: Scope, since: datetime | None, until: datetime, area: IssueFilters) -> Select:
    issue_text = func.substr(
        func.coalesce(issues.c.title, "") + literal(" ", Text) + func.coalesce(cast(issues.c.description, Text), ""),
        1,
        TEXT_CHARS,
    )
    return (
        select(
            *_record_columns("issue", zone_of(engine)),
            issue_text.label("text"),
            issues.c.reporter_resident_id.label("writer"),
        )
        .where(and_(true(), *_issue_where(scope, since, until, area)))
        .order_by(issues.c.reported_at.desc())
    )


def _question_texts(
    engine: Engine, scope: Scope, since: datetime | None, until: datetime, area: IssueFilters
) -> Select:
    return (
        select(
            *_record_columns("consultation", zone_of(engine)),
            func.substr(func.coalesce(consultations.c.question, ""), 1, TEXT_CHARS).label("text"),
            consultations.c.resident_id.label("writer"),
        )
        .where(and_(true(), *_question_where(scope, since, until, area)))
        .order_by(consultations.c.asked_at.desc())
    )


def _themed_rows(
    engine: Engine, scope: Scope, since: datetime, until: datetime, area: IssueFilters, path: Path
) -> Subquery:
    """One row per text of [since, until) that raises a theme, from the records' themes beside the
    copy: source, id, at, month, community_id, group, and bits (bit i: record_themes.theme_order()[i]).
    For DuckDB only (record_themes.py)."""
    zone = zone_of(engine)
    themed = (
        func.read_parquet(literal(str(path), String))
        .table_valued(column("source", Integer), column("id", BigInteger), column("bits", BigInteger))
        .alias("themed")
    )
    sources = (
        ("issue", issues, issues.c.issue_id, _issue_where),
        ("consultation", consultations, consultations.c.consultation_id, _question_where),
    )
    return union_all(
        *(
            select(*_record_columns(source, zone), themed.c.bits)
            .select_from(
                table.join(themed, and_(themed.c.source == record_themes.SOURCES.index(source), themed.c.id == key))
            )
            .where(*where(scope, since, until, area))
            for source, table, key, where in sources
        )
    ).subquery("themed_rows")


def _raises(rows: Subquery, index: int) -> ColumnElement:
    """The row's text raises the theme of bit `index`. (Rows are never joined to a list of theme
    numbers to count them: DuckDB 2.0 fails fatally on that join, record_themes.py.)"""
    return rows.c.bits.op("&")(1 << index) != 0


def _answered(engine: Engine, query: Select) -> pd.DataFrame | None:
    """A query over the records' themes, answered by the copy; None when DuckDB fails on it (the
    caller then reads the texts, as without the file)."""
    try:
        result = engine.copy.answer(query)
        return None if result is None else result_frame(result, list(query.selected_columns.keys()))
    except duckdb.Error as exc:
        log.warning("the records' themes could not be counted by the copy; reading the texts: %s", exc)
        return None


def _per_theme(
    engine: Engine, rows: Subquery, by: list, counts: dict[str, ColumnElement | None]
) -> pd.DataFrame | None:
    """For each group of `by` and each theme: the named counts of the rows raising the theme, each
    filtered by its condition (None: every row). DuckDB counts per group and combination of themes
    (a few hundred at city scale), and each theme adds up the combinations holding it. Long: by...,
    theme, one column per count; themes with nothing left out. None when DuckDB fails."""
    columns = [
        (func.count() if where is None else func.count().filter(where)).label(name) for name, where in counts.items()
    ]
    found = _answered(engine, select(*by, rows.c.bits, *columns).group_by(*by, rows.c.bits))
    if found is None:
        return None
    keys, names = [c.key for c in by], list(counts)
    bits = found["bits"].to_numpy(dtype="int64")
    parts = []
    for index, code in enumerate(record_themes.theme_order()):
        raising = found[(bits >> index) & 1 == 1]
        if raising.empty:
            continue
        if keys:
            summed = raising.groupby(keys, dropna=False)[names].sum().reset_index()
        else:
            summed = raising[names].sum().to_frame().T
        parts.append(summed.assign(theme=code))
    if not parts:
        return pd.DataFrame(columns=[*keys, "theme", *names])
    long = pd.concat(parts, ignore_index=True)[[*keys, "theme", *names]]
    return long[long[names].sum(axis=1) > 0].reset_index(drop=True)


def _groups_per_theme(engine: Engine, rows: Subquery, where: ColumnElement) -> pd.Series | None:
    """Per theme: how many categories or topics hold a text raising it (a group's texts' themes
    OR-ed together in SQL). None when DuckDB fails."""
    query = select(rows.c.group, func.bit_or(rows.c.bits).label("bits")).where(where, rows.c.group.is_not(None))
    found = _answered(engine, query.group_by(rows.c.group))
    if found is None:
        return None
    bits = found["bits"].to_numpy(dtype="int64")
    order = record_themes.theme_order()
    return pd.Series({code: int(((bits >> i) & 1).sum()) for i, code in enumerate(order)}, dtype="int64")


def _exploded(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per text and theme it raises."""
    rows = frame.assign(theme=[sorted(t) for t in frame["themes"]]).explode("theme")
    return rows.dropna(subset=["theme"])


def _counted_table(
    engine: Engine, scope: Scope, since: datetime, until: datetime, area: IssueFilters, path: Path
) -> pd.DataFrame | None:
    """theme_table's counts by the copy, per theme: texts, issues, groups, recent, previous (read
    from WINDOW_DAYS before `until`, as the trend needs). None when DuckDB fails."""
    start, recent_from = until - timedelta(days=WINDOW_DAYS), until - timedelta(days=RECENT_DAYS)
    rows = _themed_rows(engine, scope, min(since, start), until, area, path)
    in_period = rows.c.at >= since
    counts = _per_theme(
        engine,
        rows,
        [],
        {
            "texts": in_period,
            "issues": and_(in_period, rows.c.source == "issue"),
            "recent": rows.c.at >= recent_from,
            "previous": and_(rows.c.at >= start, rows.c.at < recent_from),
        },
    )
    groups = _groups_per_theme(engine, rows, in_period) if counts is not None else None
    if groups is None:
        return None
    return counts.set_index("theme").assign(groups=groups)[["texts", "issues", "groups", "recent", "previous"]]


@declare("anyone", count="texts", drop_small=True)
def theme_table(
    engine: Engine, scope: Scope, since: datetime | None, until: datetime, area: IssueFilters = EVERYWHERE
) -> pd.DataFrame:
    """Per theme raised in the period: texts, of which issues and consultations, how many categories
    or topics it spans, its texts in the last RECENT_DAYS and the RECENT_DAYS before (rising when
    more), the activities of its kind held in the period and their participants, and a score that
    ranks what to hold next: texts × (1 + growth) ÷ (1 + activities held). Highest score first."""
    start = until - timedelta(days=WINDOW_DAYS)
    recent_from = until - timedelta(days=RECENT_DAYS)
    table = pd.DataFrame({"theme": [t.code for t in themes()]}).set_index("theme")
    read_from = min(since, start) if since is not None else None
    held = record_themes.covering(engine, read_from, until)
    counted = _counted_table(engine, scope, since, until, area, held.path) if held is not None else None
    cut = None
    if counted is not None:  # every text, counted by DuckDB
        table = table.join(counted)
    else:  # the texts read and themed here, the newest MAX_TEXTS of each source
        frame = _texts(engine, scope, read_from, until, area)
        cut = frame.attrs.get(COUNTED_FROM)
        rows = _exploded(frame)
        in_period = rows if since is None else rows[rows["at"] >= pd.Timestamp(since)]
        grouped = in_period.groupby("theme")
        table["texts"] = grouped.size()
        table["issues"] = in_period[in_period["source"] == "issue"].groupby("theme").size()
        table["groups"] = grouped["group"].nunique()
        table["recent"] = rows[rows["at"] >= pd.Timestamp(recent_from)].groupby("theme").size()
        table["previous"] = (
            rows[(rows["at"] < pd.Timestamp(recent_from)) & (rows["at"] >= pd.Timestamp(start))].groupby("theme").size()
        )
    supply = activity_supply(engine, scope, since, until, area)
    table = table.join(supply)
    table = table.fillna(0).astype(int)
    table = table[table["texts"] > 0]
    table.insert(2, "consultations", table["texts"] - table["issues"])
    table["growth"] = [(r - p) / p if p else (1.0 if r else 0.0) for r, p in zip(table["recent"], table["previous"])]
    table["rising"] = table["recent"] > table["previous"]
    if cut is not None and cut > start:  # the texts before the cut are not read: no trend can be told
        table["growth"] = 0.0
        table["rising"] = None
    table["score"] = table["texts"] * (1 + table["growth"].clip(lower=-0.5)) / (1 + table["activities"])
    return table.reset_index().sort_values(["score", "theme"], ascending=[False, True]).reset_index(drop=True)


def activity_supply(
    engine: Engine, scope: Scope, since: datetime | None, until: datetime, area: IssueFilters
) -> pd.DataFrame:
    """Per theme: activities held in the period whose title raises it, and their check-ins."""
    parts = [activities.c.starts_at < until]
    if since is not None:
        parts.append(activities.c.starts_at >= since)
    if scope.community_id is not None:
        parts.append(activities.c.community_id == scope.community_id)
    if area.community_ids:
        parts.append(activities.c.community_id.in_(area.community_ids))
    checked_in = (
        select(func.count())
        .where(participations.c.activity_id == activities.c.activity_id)
        .correlate(activities)
        .scalar_subquery()
    )
    query = (
        select(activities.c.title, func.count().label("activities"), func.sum(checked_in).label("participants"))
        .where(*parts)
        .group_by(activities.c.title)
    )
    held = read_frame(engine, query)
    columns = ["activities", "participants"]
    if held.empty:
        return pd.DataFrame(columns=columns, index=pd.Index([], name="theme"))
    found = _themes_of(engine, held["title"])
    held["theme"] = [sorted(codes) for codes in found]
    rows = held.explode("theme").dropna(subset=["theme"])
    return rows.groupby("theme")[columns].sum()


@declare("anyone")
def theme_months(
    engine: Engine, scope: Scope, since: datetime | None, until: datetime, area: IssueFilters = EVERYWHERE
) -> pd.DataFrame:
    """Per local month and theme: texts raising it (the month of the text's report or question)."""
    held = record_themes.covering(engine, since, until)
    if held is not None:
        rows = _themed_rows(engine, scope, since, until, area, held.path)
        counts = _per_theme(engine, rows, [rows.c.month], {"texts": None})
        if counts is not None:
            return counts.sort_values(["month", "theme"]).reset_index(drop=True)[["month", "theme", "texts"]]
    frame = _texts(engine, scope, since, until, area)
    rows = _exploded(frame)
    if rows.empty:
        return pd.DataFrame(columns=["month", "theme", "texts"])
    return rows.groupby(["month", "theme"]).size().rename("texts").reset_index()


@declare("anyone", count="texts", drop_small=True)
def theme_by_community(
    engine: Engine, scope: Scope, since: datetime | None, until: datetime, area: IssueFilters = EVERYWHERE
) -> pd.DataFrame:
    """Per community and theme: texts raising it in the period (texts without a community: None)."""
    held = record_themes.covering(engine, since, until)
    if held is not None:
        rows = _themed_rows(engine, scope, since, until, area, held.path)
        counts = _per_theme(engine, rows, [rows.c.community_id], {"texts": None})
        if counts is not None:
            return counts[["community_id", "theme", "texts"]]
    rows = _exploded(_texts(engine, scope, since, until, area))
    if rows.empty:
        return pd.DataFrame(columns=["community_id", "theme", "texts"])
    # A report without a community (an incomplete feed row) is its own group, as in every breakdown.
    return rows.groupby(["community_id", "theme"], dropna=False).size().rename("texts").reset_index()


def _texts_by_key(
    engine: Engine, scope: Scope, since: datetime, until: datetime, area: IssueFilters, keys: pd.DataFrame
) -> pd.DataFrame:
    """The texts of the given (source, id) records, with their writers and themes."""
    ids = {source: [int(i) for i in keys.loc[keys["source"] == source, "id"]] for source in ("issue", "consultation")}
    frames = []
    if ids["issue"]:
        frames.append(read_frame(engine, _issue_texts(engine, scope, since, until, area)
                                 .where(issues.c.issue_id.in_(ids["issue"]))))
    if ids["consultation"]:
        frames.append(read_frame(engine, _question_texts(engine, scope, since, until, area)
                                 .where(consultations.c.consultation_id.in_(ids["consultation"]))))
    if not frames:
        return pd.DataFrame(columns=["source", "id", "at", "text", "writer", "themes"])
    frame = pd.concat(frames, ignore_index=True)
    frame["at"] = pd.to_datetime(frame["at"])
    frame["themes"] = _themes_of(engine, frame["text"])
    return frame


@declare("staff")
def theme_samples(
    engine: Engine,
    scope: Scope,
    since: datetime | None,
    until: datetime,
    theme: str,
    area: IssueFilters = EVERYWHERE,
    limit: int = 5,
) -> pd.DataFrame:
    """The newest texts raising `theme`, masked: every name, phone, ID number, door address, plate,
    e-mail and WeChat id replaced by a marker, the writer's own name among the names hidden."""
    held, keys = record_themes.covering(engine, since, until), None
    if held is not None:  # the newest records raising it, by the copy; then their texts, by key
        rows = _themed_rows(engine, scope, since, until, area, held.path)
        order = record_themes.theme_order()
        raising = _raises(rows, order.index(theme)) if theme in order else false()
        newest = select(rows.c.source, rows.c.id).where(raising)
        newest = newest.order_by(rows.c.at.desc(), rows.c.source, rows.c.id.desc()).limit(limit)
        keys = _answered(engine, newest)
    if held is not None and keys is not None:
        frame = _texts_by_key(engine, scope, since, until, area, keys)
    else:
        frame = _texts(engine, scope, since, until, area, with_writer=True)
    if frame.empty:
        return pd.DataFrame(columns=["source", "id", "at", "text"])
    chosen = frame[[theme in t for t in frame["themes"]]].sort_values("at", ascending=False).head(limit)
    writers = pd.to_numeric(chosen["writer"], errors="coerce").dropna().astype(int).tolist()
    names = (
        dict(read_frame(engine, select(residents.c.resident_id, residents.c.name)
                        .where(residents.c.resident_id.in_(writers))).itertuples(index=False))
        if writers
        else {}
    )
    known = [n for n in names.values() if isinstance(n, str) and n]
    chosen = chosen.assign(text=[mask(text, known) for text in chosen["text"]])
    return chosen[["source", "id", "at", "text"]].reset_index(drop=True)

