"""The floor of `ree load` + `ree build`: DuckDB reading each CSV of a landing once, with the
contract's types, into Parquet, plus one scan of that Parquet. Nothing in the pipeline can
be faster than this on the same machine; bench_scale.py prints (load + build) / floor.

    .venv/bin/python benchmarks/bench_floor.py LANDING [--out DIR]

DuckDB gets the bounds every ree connection gets (REE_MEMORY_LIMIT, REE_THREADS, a temp
directory under the output folder). Prints one line: `floor <seconds> s, <rows> rows`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

import duckdb
from ree import contract

FLOOR_TYPES = {contract.TIMESTAMP: "timestamptz"}  # ISO 8601 with a zone; the raw zone stores UTC


def files_of(landing: Path, ex: contract.Extract) -> list[Path]:
    single = landing / f"{ex.path}.csv"
    folder = landing / ex.path
    return ([single] if single.is_file() else []) + (sorted(folder.glob("*.csv")) if folder.is_dir() else [])


def floor(landing: Path, out: Path) -> tuple[float, int]:
    """Seconds to read every extract once with its types into Parquet and scan that Parquet once."""
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(
        config={
            "memory_limit": os.environ.get("REE_MEMORY_LIMIT") or "6GB",
            "threads": str(int(os.environ.get("REE_THREADS") or os.cpu_count() or 1)),
            "temp_directory": str(out / "duckdb_tmp"),
        }
    )
    started = time.perf_counter()
    rows = 0
    written = []
    for ex in contract.EXTRACTS:
        files = files_of(landing, ex)
        if not files:
            continue
        columns = "{" + ", ".join(f"'{c.name}': '{FLOOR_TYPES.get(c.kind, c.duckdb_type)}'" for c in ex.columns) + "}"
        listing = "[" + ", ".join(f"'{f}'" for f in files) + "]"
        target = out / f"{ex.path.replace('/', '__')}.parquet"
        con.execute(
            f"copy (select * from read_csv({listing}, columns = {columns}, header = true, auto_detect = false, "
            f"delim = ',', quote = '\"', escape = '\"')) to '{target}' (format parquet, compression zstd)"
        )
        written.append(target)
    for target in written:  # one scan: every column of every row
        rows += con.execute(f"select count(*), count(columns(*)) from read_parquet('{target}')").fetchone()[0]
    seconds = time.perf_counter() - started
    con.close()
    return seconds, rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("landing", type=Path)
    ap.add_argument("--out", type=Path, help="folder for the Parquet files (default: a temporary one, removed)")
    args = ap.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="ree-floor-"))
    try:
        seconds, rows = floor(args.landing, out)
    finally:
        if not args.out:
            shutil.rmtree(out, ignore_errors=True)
    print(f"floor {seconds:.2f} s, {rows} rows")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
