"""Benchmark the pipeline on a generated landing: load rows/s, dbt build time, and the time
of the value-ratio models. Prints figures; not part of `make test`.

    .venv/bin/python benchmarks/bench_pipeline.py --lines 1000000 [--threads 1] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
VALUE_RATIO = (
    "int_boms_exploded",
    "int_item_dates_classified",
    "int_item_content_valued",
    "int_item_content_converted",
    "int_declaration_lines_valued",
)


def timed(args: list[str], env: dict) -> float:
    started = time.perf_counter()
    subprocess.run(args, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="keep the landing and warehouse in this folder")
    opts = parser.parse_args()
    root = opts.keep or Path(tempfile.mkdtemp(prefix="ree-bench-"))
    landing, warehouse = root / "landing", root / "warehouse"
    shutil.rmtree(landing, ignore_errors=True)
    shutil.rmtree(warehouse, ignore_errors=True)
    env = {**os.environ, "CI": "true", "REE_WAREHOUSE_DIR": str(warehouse), "REE_THREADS": str(opts.threads)}
    try:
        t_sample = timed(
            [str(BIN / "ree"), "sample", "--out", str(landing), "--lines", str(opts.lines), "--seed", str(opts.seed)],
            env,
        )
        t_load = timed([str(BIN / "ree"), "load", str(landing)], env)
        t_build = timed([str(BIN / "ree"), "build"], env)
        results = json.loads((warehouse / "dbt_target" / "run_results.json").read_text())["results"]
        model_time = {
            r["unique_id"].split(".")[-1]: r["execution_time"] for r in results if r["unique_id"].startswith("model.")
        }
        child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"declaration lines           {opts.lines:>12,}")
        print(f"ree sample                  {t_sample:>10.1f} s  ({opts.lines / t_sample:,.0f} lines/s)")
        print(f"ree load                    {t_load:>10.1f} s  ({opts.lines / t_load:,.0f} declaration lines/s)")
        print(f"ree build (dbt build)       {t_build:>10.1f} s  (threads {opts.threads})")
        print(f"  value-ratio models        {sum(model_time.get(m, 0) for m in VALUE_RATIO):>10.1f} s")
        for name, seconds in sorted(model_time.items(), key=lambda kv: -kv[1])[:8]:
            print(f"    {name:<34}{seconds:>6.1f} s")
        print(f"peak RSS of a child         {child:>10.0f} MiB")
    finally:
        if not opts.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
