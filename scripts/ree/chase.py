"""`ree chase`: the evidence chase list (marts.rpt_evidence_gaps), ranked.

A table in the terminal for the compliance officer, or a CSV for the purchasing team
(`--csv FILE`: one row per gap, every column of the mart, in rank order). Read from the
published serving copy (what BI and the report read); before anything is published, from
the build database, read-only.
"""

from __future__ import annotations

import csv
import sys
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb

from ree import paths

TABLE = "marts.rpt_evidence_gaps"
CSV_COLUMNS = (
    "priority_rank",
    "gap_type",
    "item_id",
    "evidence_ref",
    "supplier_id",
    "ask_for",
    "lines_affected",
    "lines_flipping",
    "value_at_stake_reporting",
    "reporting_currency",
    "earliest_export_date",
    "latest_export_date",
    "expires_on",
    "as_of_date",
    "evidence_gap_id",
)


def top_gaps(con: duckdb.DuckDBPyConnection, top: int | None = None) -> list[dict]:
    """The gaps in priority order (all of them, or the first `top`)."""
    sql = f"select * from {TABLE} order by priority_rank"
    if top is not None:
        sql += f" limit {int(top)}"
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _has_table(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(
        con.execute(
            "select count(*) from duckdb_tables() where schema_name = 'marts' and table_name = 'rpt_evidence_gaps'"
        ).fetchone()[0]
    )


def open_marts() -> tuple[duckdb.DuckDBPyConnection, Path]:
    """The serving copy of the current release if it has the chase list, else the build database."""
    from ree.publish import PublishError, serving_path

    candidates = []
    try:
        candidates.append(serving_path())
    except PublishError:
        pass
    candidates.append(paths.database_path())
    for path in candidates:
        if not path.exists():
            continue
        con = duckdb.connect(str(path), read_only=True)
        if _has_table(con):
            return con, path
        con.close()
    raise FileNotFoundError(f"no {TABLE} in {' or '.join(str(p) for p in candidates)}: run `ree build` first")


def write_csv(gaps: list[dict], target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        for gap in gaps:
            row = {key: "" if gap.get(key) is None else gap[key] for key in CSV_COLUMNS}
            if isinstance(row["value_at_stake_reporting"], Decimal):  # cents, plain notation (never 0E-12)
                row["value_at_stake_reporting"] = (
                    f"{row['value_at_stake_reporting'].quantize(Decimal('0.01'), ROUND_HALF_UP):f}"
                )
            writer.writerow(row)


def _money(value) -> str:
    from ree.report import fmt_money

    return fmt_money(value)


def print_table(gaps: list[dict], source: Path, total: int) -> None:
    from rich.console import Console
    from rich.table import Table

    # piped or captured output is not cut to 80 columns
    console = Console() if sys.stdout.isatty() else Console(width=240)
    if not gaps:
        console.print(f"No evidence gap: every line of the last 12 months is documented ({source}).")
        return
    currency = gaps[0]["reporting_currency"]
    as_of = gaps[0]["as_of_date"]
    table = Table(title=f"Evidence to chase, as of {as_of} ({len(gaps)} of {total})")
    for name, justify in (
        ("#", "right"),
        ("gap", "left"),
        ("item / currency", "left"),
        ("ask", "left"),
        ("for", "left"),
        ("lines", "right"),
        ("could flip", "right"),
        (f"value {currency}", "right"),
        ("exported", "left"),
        ("expires", "left"),
    ):
        table.add_column(name, justify=justify)
    for gap in gaps:
        exported = str(gap["earliest_export_date"])
        if gap["latest_export_date"] != gap["earliest_export_date"]:
            exported += f" – {gap['latest_export_date']}"
        table.add_row(
            str(gap["priority_rank"]),
            gap["gap_type"],
            gap["item_id"] or gap["evidence_ref"] or "",
            gap["supplier_id"] or "–",
            gap["ask_for"] or "",
            str(gap["lines_affected"]),
            str(gap["lines_flipping"]),
            _money(gap["value_at_stake_reporting"]),
            exported,
            str(gap["expires_on"] or ""),
        )
    console.print(table)
    console.print(f"[dim]from {source}[/]")


def main(top: int | None = None, csv_file: Path | None = None) -> int:
    """Print the first `top` gaps (default 20), or write them (default: all) to `csv_file`."""
    if top is None and csv_file is None:
        top = 20
    try:
        con, source = open_marts()
    except (FileNotFoundError, duckdb.Error) as exc:
        print(f"ree chase: {exc}", file=sys.stderr)
        return 1
    try:
        total = con.execute(f"select count(*) from {TABLE}").fetchone()[0]
        gaps = top_gaps(con, top)
    finally:
        con.close()
    if csv_file is not None:
        write_csv(gaps, csv_file)
        print(f"wrote {csv_file} ({len(gaps)} of {total} gaps)")
        return 0
    print_table(gaps, source, total)
    return 0
