"""Run one SQLAlchemy Core SELECT and return its rows as a DataFrame with the query's column names."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Select
from sqlalchemy.engine import Engine


def read_frame(engine: Engine, query: Select) -> pd.DataFrame:
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(query).mappings().all(), columns=list(query.selected_columns.keys()))
