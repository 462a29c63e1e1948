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

import threading
import time
from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import Text, and_, cast, func, literal, or_, select, true
from sqlalchemy.engine import Engine

from data_access import text_themes
from data_access.access import declare
from data_access.consultations import not_staff_complaint
from data_access.filters import EVERYWHERE, IssueFilters
from data_access.frames import read_frame
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
    """Teach the segmenter this database's community and grid names (kept whole, never a theme) and
    load it; once per engine. The app calls it in the background when it opens the database, so the
    first visitor does not wait for the dictionary."""
    engine = getattr(engine, "row_engine", engine)
    if engine.__dict__.get("_syl_places_known"):
        return
    names = read_frame(engine, select(communities.c.name_zh))["name_zh"].tolist()
    names += read_frame(engine, select(grids.c.name))["name"].tolist()
    add_place_names(names)  # a new name changes what text_themes remembers texts under
    engine.__dict__["_syl_places_known"] = True


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
    found = _texts(engine, scope, since, until, area).attrs.get(COUNTED_FROM)
    return found if found is not None and (since is None or found > since) else None


def read_texts(
    engine: Engine, scope: Scope, since: datetime | None, until: datetime, area: IssueFilters
) -> pd.DataFrame:
    """The texts in [since, until) with their themes and writers, read now (not kept): what
    `_texts` keeps, and what theme_fill.py themes in advance."""
    prepare(engine)
    zone = zone_of(engine)
    issue_text = func.substr(
        func.coalesce(issues.c.title, "") + literal(" ", Text) + func.coalesce(cast(issues.c.description, Text), ""),
        1,
        TEXT_CHARS,
    )
    issue_parts = [
        scope.on_issue(issues),
        area.clause(issues),
        issues.c.reported_at < until,
        or_(issues.c.category_code.is_(None), issues.c.category_code != STAFF_COMPLAINT_CATEGORY),
    ]
    consultation_parts = [
        scope.on_grid(consultations.c.grid_id),
        area.on_grid(consultations.c.grid_id),
        consultations.c.asked_at < until,
        not_staff_complaint(),
    ]
    if since is not None:
        issue_parts.append(issues.c.reported_at >= since)
        consultation_parts.append(consultations.c.asked_at >= since)
    from_issues = read_frame(
        engine,
        select(
            literal("issue").label("source"),
            issues.c.issue_id.label("id"),
            issues.c.reported_at.label("at"),
            local_month(issues.c.reported_at, zone).label("month"),
            issues.c.community_id,
            issues.c.category_code.label("group"),
            issue_text.label("text"),
            issues.c.reporter_resident_id.label("writer"),
        )
        .where(and_(true(), *issue_parts))
        .order_by(issues.c.reported_at.desc())
        .limit(MAX_TEXTS),
    )
    from_questions = read_frame(
        engine,
        select(
            literal("consultation").label("source"),
            consultations.c.consultation_id.label("id"),
            consultations.c.asked_at.label("at"),
            local_month(consultations.c.asked_at, zone).label("month"),
            consultations.c.community_id,
            consultations.c.topic_code.label("group"),
            func.substr(func.coalesce(consultations.c.question, ""), 1, TEXT_CHARS).label("text"),
            consultations.c.resident_id.label("writer"),
        )
        .where(and_(true(), *consultation_parts))
        .order_by(consultations.c.asked_at.desc())
        .limit(MAX_TEXTS),
    )
    found = [f for f in (from_issues, from_questions) if len(f)]
    if not found:
        return pd.DataFrame(
            columns=["source", "id", "at", "month", "community_id", "group", "text", "writer", "themes"]
        )
    frame = pd.concat(found, ignore_index=True)
    frame["at"] = pd.to_datetime(frame["at"])
    frame["themes"] = text_themes.for_engine(engine).of([str(text) for text in frame["text"]])
    # A source cut at MAX_TEXTS holds only its newest texts: every text is counted from its oldest one on.
    cuts = [pd.Timestamp(f["at"].min()) for f in found if len(f) >= MAX_TEXTS]
    frame.attrs[COUNTED_FROM] = max(cuts).to_pydatetime() if cuts else None
    return frame


def _exploded(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per text and theme it raises."""
    rows = frame.assign(theme=[sorted(t) for t in frame["themes"]]).explode("theme")
    return rows.dropna(subset=["theme"])


@declare("anyone", count="texts", drop_small=True)
def theme_table(
    engine: Engine, scope: Scope, since: datetime | None, until: datetime, area: IssueFilters = EVERYWHERE
) -> pd.DataFrame:
    """Per theme raised in the period: texts, of which issues and consultations, how many categories
    or topics it spans, its texts in the last RECENT_DAYS and the RECENT_DAYS before (rising when
    more), the activities of its kind held in the period and their participants, and a score that
    ranks what to hold next: texts × (1 + growth) ÷ (1 + activities held). Highest score first."""
    start = until - timedelta(days=WINDOW_DAYS)
    frame = _texts(engine, scope, min(since, start) if since is not None else None, until, area)
    rows = _exploded(frame)
    in_period = rows if since is None else rows[rows["at"] >= pd.Timestamp(since)]
    recent_from = pd.Timestamp(until - timedelta(days=RECENT_DAYS))
    table = pd.DataFrame({"theme": [t.code for t in themes()]}).set_index("theme")
    grouped = in_period.groupby("theme")
    table["texts"] = grouped.size()
    table["issues"] = in_period[in_period["source"] == "issue"].groupby("theme").size()
    table["groups"] = grouped["group"].nunique()
    table["recent"] = rows[rows["at"] >= recent_from].groupby("theme").size()
    table["previous"] = rows[(rows["at"] < recent_from) & (rows["at"] >= pd.Timestamp(start))].groupby("theme").size()
    supply = activity_supply(engine, scope, since, until, area)
    table = table.join(supply)
    table = table.fillna(0).astype(int)
    table = table[table["texts"] > 0]
    table.insert(2, "consultations", table["texts"] - table["issues"])
    table["growth"] = [(r - p) / p if p else (1.0 if r else 0.0) for r, p in zip(table["recent"], table["previous"])]
    table["rising"] = table["recent"] > table["previous"]
    cut = frame.attrs.get(COUNTED_FROM)
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
    found = text_themes.for_engine(engine).of([str(title) for title in held["title"]])
    held["theme"] = [sorted(codes) for codes in found]
    rows = held.explode("theme").dropna(subset=["theme"])
    return rows.groupby("theme")[columns].sum()


@declare("anyone")
def theme_months(
    engine: Engine, scope: Scope, since: datetime | None, until: datetime, area: IssueFilters = EVERYWHERE
) -> pd.DataFrame:
    """Per local month and theme: texts raising it (the month of the text's report or question)."""
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
    rows = _exploded(_texts(engine, scope, since, until, area))
    if rows.empty:
        return pd.DataFrame(columns=["community_id", "theme", "texts"])
    # A report without a community (an incomplete feed row) is its own group, as in every breakdown.
    return rows.groupby(["community_id", "theme"], dropna=False).size().rename("texts").reset_index()


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

