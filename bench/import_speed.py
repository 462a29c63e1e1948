"""Time importing the San Francisco 311 sample (10,000 rows) into a new SQLite and PostgreSQL database.

    .venv/bin/python bench/import_speed.py [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SAMPLE = ROOT.parent / "shared" / "samples" / "sf311_cases_sample_10000_no-geo.csv"
PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def main() -> None:
    from fixtures.import_issues import import_file
    from fixtures.import_mapping import load_mapping

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    mapping = load_mapping(ROOT / "fixtures" / "mappings" / "sf311.yaml")
    for backend in ("sqlite", "postgresql"):
        times = []
        for _ in range(args.runs):
            if backend == "sqlite":
                url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'sf.sqlite'}"
                result = import_file(url, SAMPLE, mapping, Path(tempfile.mkdtemp()) / "r.csv")
            else:
                schema = f"bench_{uuid.uuid4().hex[:8]}"
                admin = create_engine(PG)
                with admin.begin() as conn:
                    conn.execute(text(f'CREATE SCHEMA "{schema}"'))
                try:
                    result = import_file(f"{PG}?options=-csearch_path%3D{schema}", SAMPLE, mapping,
                                         Path(tempfile.mkdtemp()) / "r.csv")
                finally:
                    with admin.begin() as conn:
                        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            times.append(result.seconds)
        print(f"{backend:<11} {result.imported:,} rows: median {statistics.median(times):.2f} s "
              f"(runs: {', '.join(f'{t:.2f}' for t in times)})")


if __name__ == "__main__":
    main()
