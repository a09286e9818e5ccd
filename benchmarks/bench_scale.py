"""Scale benchmark (issue 12): for each --lines N, on a generated landing of the realistic
shape (`ree sample --lines N`):

  floor         DuckDB reads each CSV once with the contract's types into Parquet + one scan
  load          `ree load` into a fresh warehouse
  build         `ree build` (the full dbt build, every test)
  no-op build   `ree build` again, nothing new loaded
  increment     one more daily declaration file of 20 k lines, a few changed certificates
                and one changed BOM line: `ree load` + `ree build`

each as a child process with its wall time and peak RSS (/usr/bin/time), the ratio
(load + build) / floor, and whether each goal of the issue is met; given two sizes, the two
side by side and whether 10x the lines took <= 11x the time. A figure, never a test.

    .venv/bin/python benchmarks/bench_scale.py --lines 1000000 [--lines 10000000]
        [--steps sample,floor,load,build,noop,increment] [--timeout 900] [--keep DIR] [--seed 1]

A step that exceeds --timeout seconds is stopped (and the later steps of that size skipped);
the report says so. The machine's load average is printed with every step: on a shared
machine the figures are noisy.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
STEPS = ("sample", "floor", "load", "build", "noop", "increment")
GB = 1024**3

GOAL_RATIO = 4.0
GOAL_RSS = 8 * GB
GOAL_NOOP = 30.0
GOAL_INCREMENT = 60.0
GOAL_LINEAR = 1.1  # 10x the lines <= 11x the time
INCREMENT_LINES = 20_000


@dataclass
class Step:
    seconds: float | None = None
    rss: int | None = None  # bytes
    load_avg: float = 0.0
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.seconds is not None and not self.note


@dataclass
class Run:
    lines: int
    steps: dict[str, Step] = field(default_factory=dict)
    models: list[tuple[str, float]] = field(default_factory=list)
    build_nodes: dict[str, int] = field(default_factory=dict)
    noop_nodes: dict[str, tuple[int, float]] = field(default_factory=dict)  # kind -> (nodes, summed seconds)
    noop_dbt_elapsed: float | None = None  # dbt's own elapsed time (after start-up and parse)

    def seconds(self, *names: str) -> float | None:
        values = [self.steps[n].seconds if n in self.steps and self.steps[n].ok else None for n in names]
        return None if any(v is None for v in values) else sum(values)


def _group_rss(pgid: int) -> int:
    """Resident bytes of every process in a process group (from /proc)."""
    total = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            fields = Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid:  # field 5 of stat: the process group
                total += int(fields[21]) * os.sysconf("SC_PAGE_SIZE")  # field 24: rss in pages
        except (OSError, IndexError, ValueError):
            continue
    return total


def timed(name: str, args: list[str], env: dict, timeout: float, log: Path) -> Step:
    """Run a child under /usr/bin/time -v: wall seconds and its peak RSS (children included);
    /proc is sampled every second as well, so that a step stopped at the timeout has a peak."""
    rusage = log.with_suffix(".time")
    step = Step(load_avg=os.getloadavg()[0])
    started = time.perf_counter()
    peak = 0
    with log.open("w") as out:
        proc = subprocess.Popen(
            ["/usr/bin/time", "-v", "-o", str(rusage), *args],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        code = None
        while code is None:
            try:
                code = proc.wait(timeout=1)
            except subprocess.TimeoutExpired:
                peak = max(peak, _group_rss(proc.pid))
                if time.perf_counter() - started > timeout:
                    os.killpg(proc.pid, signal.SIGTERM)
                    try:
                        proc.wait(timeout=30)
                    except subprocess.TimeoutExpired:
                        os.killpg(proc.pid, signal.SIGKILL)
                        proc.wait()
                    step.note = f"stopped after {timeout:.0f} s"
                    step.rss = peak or None
                    print(
                        f"  {name:<10} {_fmt_s(step)}  {_fmt_rss(step.rss)}  load avg {step.load_avg:.1f}"
                        "  (peak RSS sampled until stopped)",
                        flush=True,
                    )
                    return step
    step.seconds = time.perf_counter() - started
    step.rss = peak or None
    if rusage.exists():
        for line in rusage.read_text().splitlines():
            if "Maximum resident set size" in line:
                step.rss = max(step.rss or 0, int(line.split(":")[1]) * 1024)
    if code != 0:
        step.note = f"exit {code} (see {log})"
    print(
        f"  {name:<10} {_fmt_s(step)}  {_fmt_rss(step.rss)}  load avg {step.load_avg:.1f}"
        f"{'  ' + step.note if step.note else ''}",
        flush=True,
    )
    return step


def write_increment(landing: Path, lines: int) -> None:
    """One more daily declaration file (the day after the last one), five changed certificate
    lines and one changed BOM line, as a source system would drop them."""
    import datetime as dt

    folder = landing / "customs" / "export_declarations"
    days = sorted(folder.glob("*.csv"))
    last = dt.date.fromisoformat(days[-1].stem[:10])
    day = (last + dt.timedelta(days=1)).isoformat()
    written = 0
    with (folder / f"{day}.csv").open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        header_written = False
        for source in reversed(days):
            with source.open(encoding="utf-8", newline="") as fh:
                reader = csv.DictReader(fh)
                if not header_written:
                    writer.writerow(reader.fieldnames)
                    header_written = True
                for row in reader:
                    if written >= lines and row["line_no"] == "1":
                        break
                    row["declaration_id"] = "INC" + day.replace("-", "") + row["declaration_id"]
                    row["export_date"] = day
                    row["extracted_at"] = f"{day}T23:00:00"
                    writer.writerow(row.values())
                    written += 1
            if written >= lines:
                break
    stamp = f"{day}T23:00:00"
    for path, count, change in (
        ("certificates/material_declarations", 5, _change_certificate),
        ("erp/bom", 1, _change_bom),
    ):
        with (landing / f"{path}.csv").open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            names = reader.fieldnames
            picked = [
                row for _, row in zip(range(count), (r for i, r in enumerate(reader) if i % 97 == 13), strict=False)
            ]
        target = landing / path / f"{day}.csv"
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("w", encoding="utf-8", newline="") as out:
            writer = csv.DictWriter(out, fieldnames=names, lineterminator="\n")
            writer.writeheader()
            for row in picked:
                writer.writerow({**change(row), "extracted_at": stamp})


def _change_certificate(row: dict) -> dict:
    if row["mass_g_per_unit"]:
        return {**row, "mass_g_per_unit": f"{float(row['mass_g_per_unit']) * 1.1:.6f}"}
    return {**row, "origin_country": "CN" if row["origin_country"] != "CN" else "MY"}


def _change_bom(row: dict) -> dict:
    return {**row, "quantity_per": f"{float(row['quantity_per']) * 2:.6f}"}


def node_times(warehouse: Path) -> tuple[dict[str, tuple[int, float]], float | None]:
    """Per node kind (model, test, unit_test, seed, ...): how many, and their summed execution time."""
    path = warehouse / "dbt_target" / "run_results.json"
    if not path.exists():
        return {}, None
    data = json.loads(path.read_text())
    kinds: dict[str, tuple[int, float]] = {}
    for r in data["results"]:
        kind = r["unique_id"].split(".")[0]
        n, t = kinds.get(kind, (0, 0.0))
        kinds[kind] = (n + 1, t + r["execution_time"])
    return kinds, data.get("elapsed_time")


def model_times(warehouse: Path) -> tuple[list[tuple[str, float]], dict[str, int]]:
    path = warehouse / "dbt_target" / "run_results.json"
    if not path.exists():
        return [], {}
    results = json.loads(path.read_text())["results"]
    kinds: dict[str, int] = {}
    for r in results:
        kinds[r["unique_id"].split(".")[0]] = kinds.get(r["unique_id"].split(".")[0], 0) + 1
    models = sorted(
        ((r["unique_id"].split(".")[-1], r["execution_time"]) for r in results if r["unique_id"].startswith("model.")),
        key=lambda kv: -kv[1],
    )
    return models, kinds


def bench(lines: int, root: Path, opts) -> Run:
    run = Run(lines)
    landing, warehouse = root / "landing", root / "warehouse"
    logs = root / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "CI": "true",
        "REE_WAREHOUSE_DIR": str(warehouse),
        "DBT_PROFILES_DIR": str(PROJECT),
        "DBT_TARGET_PATH": str(warehouse / "dbt_target"),
        "DBT_LOG_PATH": str(warehouse / "dbt_logs"),
        "PYTHONPATH": str(PROJECT / "scripts"),
    }
    ree = str(BIN / "ree")
    build = [ree, "build", *(["--vars", opts.vars] if opts.vars else [])]
    print(f"{lines:,} lines ({root})", flush=True)
    steps = {
        "sample": lambda: [ree, "sample", "--out", str(landing), "--lines", str(lines), "--seed", str(opts.seed)],
        "floor": lambda: [
            sys.executable,
            str(PROJECT / "benchmarks" / "bench_floor.py"),
            str(landing),
            "--out",
            str(root / "floor"),
        ],
        "load": lambda: [ree, "load", str(landing)],
        "build": lambda: build,
        "noop": lambda: build,
    }
    for name in opts.steps:
        if name == "sample" and landing.exists() and any(landing.iterdir()):
            print("  sample     (kept from an earlier run)")
            continue
        if name == "load":
            shutil.rmtree(warehouse, ignore_errors=True)
        if name == "increment":
            write_increment(landing, INCREMENT_LINES)
            load = timed("inc. load", [ree, "load", str(landing)], env, opts.timeout, logs / "increment_load.log")
            run.steps["increment_load"] = load
            if not load.ok:
                run.steps[name] = Step(note="load failed")
                break
            b = timed("inc. build", build, env, opts.timeout, logs / "increment_build.log")
            run.steps["increment_build"] = b
            run.steps[name] = Step(
                seconds=load.seconds + b.seconds if b.ok else None,
                rss=max(load.rss or 0, b.rss or 0),
                load_avg=load.load_avg,
                note=b.note,
            )
            continue
        step = timed(name, steps[name](), env, opts.timeout, logs / f"{name}.log")
        run.steps[name] = step
        if name == "floor" and step.ok:
            text = (logs / "floor.log").read_text().split()
            step.seconds = float(text[1])  # the floor's own timing, without the interpreter's start-up
        if name in ("build", "noop"):
            results = warehouse / "dbt_target" / "run_results.json"
            if results.exists():
                shutil.copy(results, logs / f"{name}_run_results.json")
        if name == "build":
            run.models, run.build_nodes = model_times(warehouse)
        if name == "noop":
            run.noop_nodes, run.noop_dbt_elapsed = node_times(warehouse)
        if not step.ok and name in ("sample", "load", "build"):
            print(f"  {name} did not finish: later steps of this size skipped", flush=True)
            break
    shutil.rmtree(root / "floor", ignore_errors=True)
    return run


def _fmt_s(step: Step | None) -> str:
    if step is None:
        return f"{'-':>9}"
    if step.seconds is None:
        return f"{'(' + (step.note or 'n/a') + ')':>9}"
    return f"{step.seconds:>7.1f} s"


def _fmt_rss(rss: int | None) -> str:
    return f"{rss / GB:>6.2f} GB" if rss else f"{'-':>9}"


def _yes(ok: bool | None) -> str:
    return "n/a" if ok is None else ("met" if ok else "NOT met")


def report(runs: list[Run]) -> None:
    print()
    head = f"{'':<28}" + "".join(f"{r.lines:>14,} lines{'':>8}" for r in runs)
    print(head)
    rows = (
        ("floor", "floor"),
        ("ree load", "load"),
        ("ree build", "build"),
        ("no-op build", "noop"),
        ("increment: load", "increment_load"),
        ("increment: build", "increment_build"),
        ("increment: total", "increment"),
    )
    for label, key in rows:
        cells = "".join(
            f"{_fmt_s(r.steps.get(key)):>12} {_fmt_rss(r.steps[key].rss) if key in r.steps else '':>11}  " for r in runs
        )
        print(f"{label:<28}{cells}")
    print(
        f"{'load + build':<28}"
        + "".join(f"{_fmt_s(Step(seconds=r.seconds('load', 'build'))):>12}{'':>14}" for r in runs)
    )
    ratios = []
    for r in runs:
        lb, fl = r.seconds("load", "build"), r.seconds("floor")
        ratios.append(lb / fl if lb is not None and fl else None)
    print(f"{'(load + build) / floor':<28}" + "".join(f"{(f'{x:.1f}x' if x else '-'):>12}{'':>14}" for x in ratios))
    print()
    for r, ratio in zip(runs, ratios, strict=True):
        peak = max((s.rss or 0) for k, s in r.steps.items() if k != "sample") if r.steps else 0
        print(f"goals at {r.lines:,} lines:")
        print(
            f"  (load + build) <= {GOAL_RATIO:.0f}x floor     {_yes(None if ratio is None else ratio <= GOAL_RATIO)}"
            f"{f' ({ratio:.1f}x)' if ratio else ''}"
        )
        print(f"  peak RSS <= 8 GB every step  {_yes(peak <= GOAL_RSS if peak else None)} ({peak / GB:.2f} GB)")
        noop, inc = r.seconds("noop"), r.seconds("increment")
        print(f"  no-op build <= {GOAL_NOOP:.0f} s          {_yes(None if noop is None else noop <= GOAL_NOOP)}")
        print(
            f"  daily increment <= {GOAL_INCREMENT:.0f} s      {_yes(None if inc is None else inc <= GOAL_INCREMENT)}"
        )
        if r.noop_nodes and r.steps.get("noop") and r.steps["noop"].seconds:
            wall = r.steps["noop"].seconds
            inside = r.noop_dbt_elapsed or 0.0
            print(
                f"  no-op build {wall:.1f} s: start-up + parse + manifest {wall - inside:.1f} s, nodes {inside:.1f} s "
                "(summed node time per kind, 2 threads overlap):"
            )
            for kind, (n, t) in sorted(r.noop_nodes.items(), key=lambda kv: -kv[1][1]):
                print(f"    {kind:<12}{n:>5} nodes {t:>8.1f} s  ({t / n:.2f} s each)")
        if r.models:
            kinds = ", ".join(f"{v} {k}s" for k, v in sorted(r.build_nodes.items()))
            print(f"  build: {kinds}; slowest models:")
            for name, seconds in r.models[:8]:
                print(f"    {name:<44}{seconds:>8.1f} s")
    if len(runs) == 2:
        small, large = sorted(runs, key=lambda r: r.lines)
        a, b = small.seconds("load", "build"), large.seconds("load", "build")
        factor = large.lines / small.lines
        ok = None if a is None or b is None else b <= GOAL_LINEAR * factor * a
        print(
            f"linear: {factor:.0f}x the lines took "
            f"{(f'{b / a:.1f}x' if a and b else '-')} the time (goal <= {GOAL_LINEAR * factor:.0f}x): {_yes(ok)}"
        )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, action="append", help="declaration lines (repeatable; default 1,000,000)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--steps", default=",".join(STEPS), help=f"comma-separated subset of {','.join(STEPS)}")
    ap.add_argument("--timeout", type=float, default=900, help="seconds before a step is stopped")
    ap.add_argument("--vars", default=None, help="dbt --vars for the builds")
    ap.add_argument("--keep", type=Path, help="keep landings and warehouses under this folder (reused by a later run)")
    opts = ap.parse_args()
    opts.steps = [s for s in opts.steps.split(",") if s]
    unknown = set(opts.steps) - set(STEPS)
    if unknown:
        ap.error(f"unknown steps: {', '.join(sorted(unknown))}")
    if not Path("/usr/bin/time").exists():
        ap.error("/usr/bin/time is needed (Debian: apt-get install time)")
    base = opts.keep or Path(tempfile.mkdtemp(prefix="ree-bench-scale-"))
    runs = []
    try:
        for lines in opts.lines or [1_000_000]:
            runs.append(bench(lines, base / f"lines-{lines}", opts))
        report(runs)
    finally:
        if not opts.keep:
            shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
