"""Small lookup tables every page needs: areas, categories, freshness."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from sqlalchemy import String, literal, select
from sqlalchemy.engine import Engine

from data_access.access import declare
from data_access.contract import has_column
from data_access.filters import EVERYWHERE, IssueFilters
from data_access.frames import read_frame
from data_access.names import english_or_given
from data_access.schema import communities, consultation_topics, grids, issue_categories, meta, special_categories
from data_access.scope import Scope


@declare("public")
def community_list(engine: Engine, with_boundaries: bool = False) -> pd.DataFrame:
    """Communities with a name in both languages: an empty English name is the Chinese one's English
    form, an empty Chinese name the English one (a feed that knows one of them)."""
    columns = [communities.c.community_id, communities.c.name_zh, communities.c.name_en]
    if with_boundaries:
        columns.append(communities.c.boundary_geojson)
    frame = read_frame(engine, select(*columns).order_by(communities.c.community_id))
    frame["name_en"] = [english_or_given(en, zh) for en, zh in zip(frame["name_en"], frame["name_zh"], strict=True)]
    frame["name_zh"] = [_given(zh) or en for zh, en in zip(frame["name_zh"], frame["name_en"], strict=True)]
    return frame


def _given(text: object) -> str:
    return "" if text is None or text != text else str(text).strip()  # None / NaN: none given


@declare("anyone")
def grid_list(
    engine: Engine, scope: Scope, with_boundaries: bool = False, area: IssueFilters = EVERYWHERE
) -> pd.DataFrame:
    """Grids in scope; `name_en` the feed's English name, else the Chinese name's English form."""
    english = grids.c.name_en if has_column(engine, "grids.name_en") else literal(None, String).label("name_en")
    columns = [grids.c.grid_id, grids.c.community_id, grids.c.name, english, grids.c.required_patrols_per_week]
    if with_boundaries:
        columns.append(grids.c.boundary_geojson)
    query = select(*columns).where(scope.on_grid(grids.c.grid_id), area.on_grid(grids.c.grid_id))
    query = query.order_by(grids.c.grid_id)
    frame = read_frame(engine, query)
    frame["name_en"] = [english_or_given(en, zh) for en, zh in zip(frame["name_en"], frame["name"], strict=True)]
    return frame


@declare("public")
def category_list(engine: Engine) -> pd.DataFrame:
    """Categories with their department in both languages (`department_en` optional in the contract:
    where absent or empty, the Chinese name's English form)."""
    c = issue_categories.c
    english = c.department_en if has_column(engine, "issue_categories.department_en") else literal(None, String)
    query = select(c.code, c.name_zh, c.name_en, c.sla_hours, c.department, english.label("department_en"))
    frame = read_frame(engine, query.order_by(c.code))
    frame["department_en"] = [
        english_or_given(en, zh) if _given(zh) else None
        for en, zh in zip(frame["department_en"], frame["department"], strict=True)
    ]
    return frame


@declare("public")
def special_category_list(engine: Engine) -> pd.DataFrame:
    return read_frame(engine, select(special_categories).order_by(special_categories.c.code))


@declare("public")
def meta_values(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        return dict(conn.execute(select(meta.c.key, meta.c.value)).all())


@declare("public")
def data_as_of(engine: Engine) -> datetime | None:
    """When the read database was last filled (naive UTC), from meta.data_as_of."""
    raw = meta_values(engine).get("data_as_of")
    if not raw:
        return None
    try:
        stamp = pd.Timestamp(raw)
    except ValueError:
        return None
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return stamp.to_pydatetime()


@declare("public")
def consultation_topic_list(engine: Engine) -> pd.DataFrame:
    """Consultation topics (社区E家, contract version 3) with their names and targets."""
    return read_frame(engine, select(consultation_topics).order_by(consultation_topics.c.code))
