"""Import a million-row 12345 export into SQLite and PostgreSQL: rows per second and peak memory, for a
first import and for a re-sync of the same file (every row compared, nothing changed), interleaved.

    .venv/bin/python bench/import_million.py [--rows 1000000] [--backends sqlite,postgresql]

The export is written once (GB18030, as Excel writes it) from the demo street's names. Each import
runs in its own child process, so its peak memory (VmHWM) is the importer's alone.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
MAPPING = ROOT / "fixtures" / "mappings" / "hotline12345.yaml"


def write_export(path: Path, rows: int, demo: str) -> None:
    from fixtures.samples import hotline_export, hotline_orders

    engine = create_engine(demo)
    seed_orders = hotline_orders(engine, count=2_000, seed=1)
    engine.dispose()
    rng = np.random.default_rng(2)
    with path.open("w", encoding="gb18030", newline="") as handle:
        for start in range(0, rows, 100_000):
            n = min(100_000, rows - start)
            chunk = seed_orders.iloc[rng.integers(0, len(seed_orders), n)].reset_index(drop=True)
            chunk["order"] = [f"GD{start + i:09d}" for i in range(n)]
            hotline_export(chunk, faults=False).to_csv(handle, index=False, header=start == 0)


def run_import(url: str, source: Path, rejects: Path) -> dict:
    """One import in a child process: its seconds, counts and peak memory."""
    code = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from fixtures.import_mapping import load_mapping\n"
        "from fixtures.importer import import_file\n"
        f"r = import_file({url!r}, Path({str(source)!r}), load_mapping({str(MAPPING)!r}), Path({str(rejects)!r}))\n"
        # VmHWM: this process's own peak (ru_maxrss would count what the parent held when forking).
        "peak = next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM'))\n"
        "print(json.dumps({'seconds': r.seconds, 'new': r.new, 'updated': r.updated, 'unchanged': r.unchanged,"
        " 'rejected': r.rejected, 'peak_mib': peak / 1024}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--demo", default=f"sqlite:///{ROOT / 'data' / 'demo.sqlite'}")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="import-bench-"))
    source = folder / "12345.csv"
    started = time.perf_counter()
    write_export(source, args.rows, args.demo)
    print(f"export: {args.rows:,} rows, {source.stat().st_size / 2**20:.0f} MiB, written in "
          f"{time.perf_counter() - started:.0f} s")
    targets = {}
    admin = create_engine(PG)
    for backend in args.backends.split(","):
        if backend == "sqlite":
            targets[backend] = f"sqlite:///{folder / 'street.sqlite'}"
        else:
            schema = f"bench_{uuid.uuid4().hex[:8]}"
            with admin.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            targets[backend] = f"{PG}?options=-csearch_path%3D{schema}"
    try:
        print(f"{'backend':<11} {'pass':<7} {'seconds':>8} {'rows/s':>9} {'peak MiB':>9}  counts")
        for label in ("first", "re-sync"):  # interleaved: both backends for one pass, then the next
            for backend, url in targets.items():
                result = run_import(url, source, folder / f"{backend}.rejects.csv")
                rate = args.rows / result["seconds"]
                print(f"{backend:<11} {label:<7} {result['seconds']:>8.1f} {rate:>9,.0f} {result['peak_mib']:>9.0f}  "
                      f"new {result['new']:,}, unchanged {result['unchanged']:,}, rejected {result['rejected']:,}")
    finally:
        for backend, url in targets.items():
            if backend != "sqlite":
                with admin.begin() as conn:
                    conn.execute(text(f'DROP SCHEMA "{url.rsplit("%3D", 1)[1]}" CASCADE'))
        admin.dispose()
    print(f"(this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB; "
          f"files in {folder})")


if __name__ == "__main__":
    main()
