"""Benchmark `ree sample`: lines/s and peak RSS for N declaration lines, into a temp folder.

    .venv/bin/python benchmarks/bench_sample.py [--lines 1000000] [--seed 1] [--workers N] [--keep]

Peak RSS is reported for this process and, separately, for the worker processes (the
daily files are written by up to 2 forked workers when N >= 200,000).
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from ree.sample import generate  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workers", type=int, default=None, help="default: what generate() picks")
    ap.add_argument("--keep", action="store_true", help="keep the output folder (its path is printed)")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench_sample_"))
    out = tmp / "landing"
    try:
        started = time.perf_counter()
        summary = generate(out=out, lines=args.lines, seed=args.seed, workers=args.workers, quiet=True)
        seconds = time.perf_counter() - started
        size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
        self_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        child_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        n = summary.rows["customs/export_declarations"]
        print(f"lines            {n:,}")
        print(f"wall time        {seconds:.2f} s")
        print(f"lines/s          {n / seconds:,.0f}")
        print(
            f"output           {size / 2**20:,.0f} MiB in {summary.declaration_files} daily files + "
            f"{len(summary.rows) - 1} extracts"
        )
        print(
            f"peak RSS         {self_kib / 1024:,.0f} MiB (this process), {child_kib / 1024:,.0f} MiB (largest worker)"
        )
        if args.keep:
            print(f"kept             {out}")
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
