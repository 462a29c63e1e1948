"""Query results as DataFrames."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Select
from sqlalchemy.engine import Engine, Result


def result_frame(result: Result, columns: list[str]) -> pd.DataFrame:
    """A result's rows under the given column names. Rows become plain tuples first: pandas probes
    each SQLAlchemy Row for attributes it lacks, which costs more than the query on 10,000 rows.
    A result from the analytical copy hands over its columns by way of Arrow (duckdb_sql.as_result)."""
    columnar = getattr(result, "columnar_frame", None)
    if columnar is not None:
        return columnar(columns)
    return pd.DataFrame([tuple(row) for row in result], columns=columns)


def read_frame(engine: Engine, query: Select) -> pd.DataFrame:
    """Run one SQLAlchemy Core SELECT and return its rows under the query's column names."""
    with engine.connect() as conn:
        return result_frame(conn.execute(query), list(query.selected_columns.keys()))
