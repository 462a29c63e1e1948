"""Percentiles in portable SQL: linear interpolation between closest ranks.

Same definition as pandas' ``Series.quantile`` default and PostgreSQL's
``percentile_cont``, computed with ROW_NUMBER so SQLite (which has no
percentile function) gives identical figures. A percentile is an exact
fraction (numerator, denominator) so rank arithmetic stays in integers.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, Select, case, cast, func, literal_column, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.expression import FunctionElement
from sqlalchemy.sql.visitors import InternalTraversal

# The analytical copy (DuckDB) runs this instead of the window-function form: same definition
# (DuckDB's quantile_cont interpolates linearly), several times faster over a million rows.
COLUMNAR_FORM = "columnar_form"


class quantiles_cont(FunctionElement):  # noqa: N801 - reads like SQL
    """DuckDB's interpolating percentile aggregate for several fractions at once (one sort per
    group): quantile_cont(value, [f1, f2, ...]), a list. The fractions are part of its cache key,
    so a statement using it has one (the copy's compiled-SQL memo keys on it)."""

    inherit_cache = False  # its own traversal below, with the fractions
    _traverse_internals = [
        *FunctionElement._traverse_internals,
        ("fractions", InternalTraversal.dp_plain_obj),
    ]
    name = "quantiles_cont"

    def __init__(self, value: ColumnElement, fractions: tuple[float, ...]) -> None:
        super().__init__(value)
        self.fractions = fractions


@compiles(quantiles_cont, "duckdb")
def _quantiles_duckdb(element: quantiles_cont, compiler: Any, **kw: Any) -> str:
    (value,) = list(element.clauses)
    fractions = ", ".join(repr(float(f)) for f in element.fractions)
    return f"quantile_cont({compiler.process(value, **kw)}, [{fractions}])"


MEDIAN = (1, 2)
P90 = (9, 10)


def percentile_select(values: Select, key: str, value: str, fractions: dict[str, tuple[int, int]]) -> Select:
    """Per group `key` of `values`, one column per named percentile of column `value`."""
    source = values.subquery("pct_source")
    ranked = select(
        source.c[key].label("k"),
        source.c[value].label("v"),
        (func.row_number().over(partition_by=source.c[key], order_by=source.c[value]) - 1).label("rn"),
        func.count().over(partition_by=source.c[key]).label("n"),
    ).subquery("pct_ranked")

    def at_rank(rank: ColumnElement) -> ColumnElement:
        return func.max(case((ranked.c.rn == rank, ranked.c.v)))

    columns = []
    for name, (num, den) in fractions.items():
        lo = ((ranked.c.n - 1) * num) // den
        frac = cast(func.max(((ranked.c.n - 1) * num) % den), Float) / den
        low, high = at_rank(lo), at_rank(lo + 1)
        columns.append((low + frac * (func.coalesce(high, low) - low)).label(name))
    portable = select(ranked.c.k.label(key), *columns).group_by(ranked.c.k)
    listed = (
        select(
            source.c[key].label("k"),
            quantiles_cont(source.c[value], tuple(num / den for num, den in fractions.values())).label("q"),
        )
        .group_by(source.c[key])
        .subquery("pct_listed")
    )
    native = select(
        listed.c.k.label(key),
        *(literal_column(f"pct_listed.q[{i}]", Float).label(name) for i, name in enumerate(fractions, start=1)),
    )
    return portable.execution_options(**{COLUMNAR_FORM: native})
