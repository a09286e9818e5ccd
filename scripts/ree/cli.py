"""The `ree` command line. Each subcommand lives in its own module, imported when used."""

from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(help="Rare-earth export-control warehouse.", no_args_is_help=True, add_completion=False)


@app.command()
def load(landing: Path = typer.Argument(..., help="landing folder laid out per contracts/raw_extracts.md")) -> None:
    """Validate a landing folder and load what is valid into the warehouse's raw zone."""
    from ree.load import main

    raise typer.Exit(main(landing))


VARS_HELP = (
    "policy variables as YAML, e.g. \"{as_of_date: '2026-12-01', apply_suspensions: false}\" (default: $REE_DBT_VARS)"
)


AS_KNOWN_AT_HELP = (
    "rebuild from only the load batches loaded by this UTC instant (ISO 8601; a date alone = the end of that day),"
    " into $REE_WAREHOUSE_DIR/as_known_at/, never over the live marts; as_of_date defaults to its date"
)


@app.command()
def build(
    select: str = typer.Option(None, "--select", help="dbt node selection, as for `dbt build --select`"),
    dbt_vars: str = typer.Option(None, "--vars", help=VARS_HELP),
    as_known_at: str = typer.Option(None, "--as-known-at", help=AS_KNOWN_AT_HELP),
    target: str = typer.Option(
        None, "--target", help="profiles.yml target: duckdb (default) or spark (pip install -e '.[spark]', Java 17)"
    ),
) -> None:
    """Run `dbt build` on the loaded warehouse (seeds, models, snapshots, tests)."""
    if as_known_at:
        from ree.replay import build_main

        raise typer.Exit(build_main(as_known_at, select, dbt_vars))
    from ree.build import build as run_build

    raise typer.Exit(run_build(select, dbt_vars, target))


@app.command()
def diff(
    as_known_at: str = typer.Option(..., "--as-known-at", help="the earlier state: " + AS_KNOWN_AT_HELP),
    against: str = typer.Option("now", "--against", help="the later state: an instant, or `now` (every batch loaded)"),
    dbt_vars: str = typer.Option(None, "--vars", help=VARS_HELP),
) -> None:
    """Lines whose determination changed between two as-known-at states, with the loaded rows that changed it."""
    from ree.replay import diff_main

    raise typer.Exit(diff_main(as_known_at, against, dbt_vars))


@app.command()
def run(
    landing: Path = typer.Argument(..., help="landing folder to load before building"),
    dbt_vars: str = typer.Option(None, "--vars", help=VARS_HELP),
) -> None:
    """Load, build, print what was decided; then publish, report the busiest month, write the notices."""
    from ree.build import run as run_all

    raise typer.Exit(run_all(landing, dbt_vars=dbt_vars))


@app.command()
def summary() -> None:
    """Print the summary of the last build (compliance status, controlled lines, obligations)."""
    from ree.build import summary as print_summary

    raise typer.Exit(print_summary())


@app.command()
def publish() -> None:
    """Publish the marts (Parquet + a read-only serving DuckDB file) after a green build, atomically."""
    from ree.publish import main as run_publish

    raise typer.Exit(run_publish())


@app.command()
def report(
    period: str = typer.Option(..., "--period", help="YYYY-MM, YYYY-Qn, or `busiest` (the month with most lines)"),
    compare_previous: bool = typer.Option(
        False, "--compare-previous", help="add the change against the previous period"
    ),
) -> None:
    """Write the periodic regulatory exposure report (HTML and PDF) from the published serving copy."""
    from ree.report import main as run_report

    raise typer.Exit(run_report(period, compare_previous))


@app.command()
def notices(
    shipment: str = typer.Option(None, "--shipment", help="a shipment_line_id or declaration_id; default: all"),
) -> None:
    """Write one Declaration of Compliance (Chinese and English; HTML and PDF) per open or overdue notice."""
    from ree.notices import main as run_notices

    raise typer.Exit(run_notices(shipment))


@app.command()
def chase(
    top: int = typer.Option(None, "--top", help="the first N gaps (default: 20 in the terminal, all in a CSV)"),
    csv_file: Path = typer.Option(None, "--csv", help="write the gaps to this CSV file (for the purchasing team)"),
) -> None:
    """The evidence chase list: missing or weak evidence, who to ask, what depends on it, ranked."""
    from ree.chase import main as run_chase

    raise typer.Exit(run_chase(top, csv_file))


@app.command()
def sample(
    out: Path = typer.Option(..., "--out", help="folder to write the landing into"),
    lines: int = typer.Option(10_000, "--lines", help="export declaration lines to generate"),
    seed: int = typer.Option(1, "--seed", help="random seed; the same seed gives the same files"),
    workers: int = typer.Option(
        None, "--workers", help="processes writing daily files (the bytes do not depend on it)"
    ),
    with_fx_rates: bool = typer.Option(
        False, "--with-fx-rates", help="also write reference/fx_rates.csv (it tops up the shipped ECB rates)"
    ),
    items: int = typer.Option(None, "--items", help="items (default: 20,000 per million lines)"),
    bom_rows: int = typer.Option(None, "--bom-rows", help="BOM rows (default: 5 per item)"),
    bom_intervals: float = typer.Option(1.5, "--bom-intervals", help="validity intervals per BOM component line"),
    certificate_lines: int = typer.Option(
        None, "--certificate-lines", help="certificate lines (default: 0.8 per item)"
    ),
    exported_items: int = typer.Option(
        None, "--exported-items", help="distinct exported items (default: 0.75 per item)"
    ),
    lines_per_declaration: float = typer.Option(4.0, "--lines-per-declaration", help="mean lines per declaration"),
    months: int = typer.Option(18, "--months", help="months of daily declaration files, up to 2026-12-31"),
) -> None:
    """Generate a realistic landing folder of any size (streamed)."""
    from ree.sample import Shape, generate

    try:
        shape = Shape.for_lines(
            lines,
            items=items,
            bom_rows=bom_rows,
            bom_intervals=bom_intervals,
            certificate_lines=certificate_lines,
            exported_items=exported_items,
            lines_per_declaration=lines_per_declaration,
            months=months,
        )
        generate(out=out, lines=lines, seed=seed, workers=workers, with_fx_rates=with_fx_rates, shape=shape)
    except (FileExistsError, ValueError) as err:
        typer.echo(f"ree sample: {err}", err=True)
        raise typer.Exit(2) from None


@app.command("refresh-reference")
def refresh_reference(
    check: bool = typer.Option(False, "--check", help="only report whether the generated seeds are up to date"),
) -> None:
    """Regenerate the generated seeds (PRC working days, ECB rates) from the pinned packages."""
    from ree.reference import refresh

    raise typer.Exit(refresh(check=check))


if __name__ == "__main__":
    app()
