"""Query results as DataFrames."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Select
from sqlalchemy.engine import Engine, Result


def result_frame(result: Result, columns: list[str]) -> pd.DataFrame:
    """A result's rows under the given column names. Rows become plain tuples first: pandas probes
    each SQLAlchemy Row for attributes it lacks, which costs more than the query on 10,000 rows.
    A result from the analytical copy hands over its tuples as they came (duckdb_sql.as_result)."""
    plain = getattr(result, "plain_rows", None)
    rows = plain if plain is not None else [tuple(row) for row in result]
    return pd.DataFrame(rows, columns=columns)


def read_frame(engine: Engine, query: Select) -> pd.DataFrame:
    """Run one SQLAlchemy Core SELECT and return its rows under the query's column names."""
    with engine.connect() as conn:
        return result_frame(conn.execute(query), list(query.selected_columns.keys()))
