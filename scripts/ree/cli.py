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


VARS_HELP = "policy variables as YAML, e.g. \"{as_of_date: '2026-12-01', apply_suspensions: false}\" (default: $REE_DBT_VARS)"


@app.command()
def build(
    select: str = typer.Option(None, "--select", help="dbt node selection, as for `dbt build --select`"),
    dbt_vars: str = typer.Option(None, "--vars", help=VARS_HELP),
    target: str = typer.Option(
        None, "--target", help="profiles.yml target: duckdb (default) or spark (pip install -e '.[spark]', Java 17)"
    ),
) -> None:
    """Run `dbt build` on the loaded warehouse (seeds, models, snapshots, tests)."""
    from ree.build import build as run_build

    raise typer.Exit(run_build(select, dbt_vars, target))


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
    compare_previous: bool = typer.Option(False, "--compare-previous", help="add the change against the previous period"),
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
def sample(
    out: Path = typer.Option(..., "--out", help="folder to write the landing into"),
    lines: int = typer.Option(10_000, "--lines", help="export declaration lines to generate"),
    seed: int = typer.Option(1, "--seed", help="random seed; the same seed gives the same files"),
    workers: int = typer.Option(None, "--workers", help="processes writing daily files (the bytes do not depend on it)"),
    with_fx_rates: bool = typer.Option(
        False, "--with-fx-rates", help="also write reference/fx_rates.csv (it replaces the shipped ECB rates)"
    ),
) -> None:
    """Generate a realistic landing folder of any size (streamed)."""
    from ree.sample import generate

    try:
        generate(out=out, lines=lines, seed=seed, workers=workers, with_fx_rates=with_fx_rates)
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
