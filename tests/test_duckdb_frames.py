"""The analytical copy's answers become DataFrames by way of Arrow (duckdb_sql.arrow_frame), not
tuples: the two ways must give the same frame, dtypes included, for every kind of column the data
layer's queries return, or a page would show a figure differently by whether the copy answered."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from data_access.duckdb_sql import arrow_frame, as_result
from data_access.frames import result_frame

CASES = {
    "integers": "SELECT range AS a, (range % 3)::INTEGER AS b, range::SMALLINT AS c FROM range(5)",
    "integers with nulls": "SELECT CASE WHEN range % 2 = 0 THEN range END AS a FROM range(5)",
    "sums of integers (HUGEINT)": "SELECT range % 2 AS k, sum(range) AS s, count(*) AS n FROM range(9) GROUP BY 1 ORDER BY 1",
    "a sum beyond int64": "SELECT 170141183460469231731687303715884105727::HUGEINT AS big",
    "floats": "SELECT range / 3 AS a, (range / 3)::FLOAT AS b, avg(range) OVER () AS c FROM range(4)",
    "floats with nulls": "SELECT CASE WHEN range > 1 THEN range / 7 END AS a FROM range(4)",
    "booleans": "SELECT range > 1 AS a FROM range(3)",
    "booleans with nulls": "SELECT CASE WHEN range > 0 THEN range > 1 END AS a FROM range(3)",
    "text with nulls and Chinese": "SELECT CASE WHEN range = 1 THEN NULL ELSE '石油路' || range END AS a FROM range(3)",
    "timestamps": "SELECT TIMESTAMP '2026-12-01 08:00:00' + range * INTERVAL 1 HOUR AS a FROM range(3)",
    "timestamps with nulls": "SELECT CASE WHEN range = 0 THEN NULL ELSE TIMESTAMP '2026-11-30 16:00:00' END AS a FROM range(2)",
    "dates": "SELECT DATE '2026-11-30' + range::INTEGER AS a FROM range(3)",
    "decimals": "SELECT 1.25::DECIMAL(9, 2) * range AS a FROM range(3)",
    "a column of nulls only": "SELECT NULL AS a, range AS b FROM range(2)",
    "no rows": "SELECT range AS a, 'x' AS b FROM range(0)",
    "one row of one value": "SELECT 42 AS a",
}


@pytest.fixture(scope="module")
def connection():
    connection = duckdb.connect()
    yield connection
    connection.close()


@pytest.mark.parametrize("sql", CASES.values(), ids=CASES.keys())
def test_arrow_frame_equals_the_frame_of_tuples(connection, sql: str) -> None:
    cursor = connection.cursor()
    rows = cursor.execute(sql).fetchall()
    columns = [d[0] for d in cursor.description]
    expected = pd.DataFrame(rows, columns=columns)
    got = arrow_frame(connection.cursor().execute(sql), columns)
    pd.testing.assert_frame_equal(got, expected)


def test_a_result_from_the_copy_serves_rows_and_frames(connection) -> None:
    sql = "SELECT range AS a, range * 2 AS b FROM range(3)"
    result = as_result(["a", "b"], connection.cursor().execute(sql))
    assert [tuple(row) for row in result] == [(0, 0), (1, 2), (2, 4)]
    frame = result_frame(as_result(["x", "y"], connection.cursor().execute(sql)), ["x", "y"])
    assert frame.to_dict("list") == {"x": [0, 1, 2], "y": [0, 2, 4]}
    assert as_result(["a", "b"], connection.cursor().execute(sql)).scalar() == 0
