"""`ree build` / `ree run`: drive dbt programmatically on this project and summarise the result."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from ree import paths


def dbt_environment() -> None:
    """Point dbt's target, logs and profile at this warehouse (two warehouses never share a file)."""
    wh = paths.warehouse_dir()
    wh.mkdir(parents=True, exist_ok=True)  # DuckDB creates the file, not its folder
    os.environ["REE_WAREHOUSE_DIR"] = str(wh)
    # dbt's and DuckDB's threads: the number of cores unless REE_THREADS says otherwise
    os.environ["REE_THREADS"] = os.environ.get("REE_THREADS") or str(os.cpu_count() or 1)
    os.environ.setdefault("DBT_PROFILES_DIR", str(paths.PROJECT_DIR))
    os.environ["DBT_TARGET_PATH"] = os.environ.get("DBT_TARGET_PATH") or str(wh / "dbt_target")
    os.environ["DBT_LOG_PATH"] = os.environ.get("DBT_LOG_PATH") or str(wh / "dbt_logs")


# Nodes that build on Spark today (README, "Spark"): the stable part of the DAG. The
# value-ratio, item, determination and mart models are ported once they have settled; the
# end-use model was rewritten this round (statements read whole) and is not ported yet.
SPARK_SELECTION = (
    "resource_type:seed staging intermediate.reference intermediate.regulation"
    " int_screening_names_normalised int_party_ownership_cycles"
)


def dbt(*args: str) -> bool:
    """Run one dbt command in-process; True when it succeeded."""
    return dbt_result(*args).success


def dbt_result(*args: str):
    """Run one dbt command in-process; dbt's dbtRunnerResult (success, exception)."""
    from dbt.cli.main import dbtRunner

    dbt_environment()
    try:
        result = dbtRunner().invoke([*args, "--project-dir", str(paths.PROJECT_DIR)])
    finally:
        close_dbt_connections()
    result.success = bool(result.success)
    return result


# --- the state of the build database, for `ree publish` ------------------------------------------
# `ree build` records that a build is running before dbt starts and how it ended afterwards. A build
# killed half-way leaves "running": the database then mixes old and new tables, and run_results.json
# still describes the previous (green) build, so `ree publish` must not trust it.

BUILD_STATE_FILE = "build_state.json"
FAILED_STATUSES = ("error", "fail", "runtime error")


def build_state_path() -> Path:
    return paths.warehouse_dir() / BUILD_STATE_FILE


def _write_build_state(state: dict) -> None:
    import json

    path = build_state_path()
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, sort_keys=True) + "\n")
    os.replace(tmp, path)


def run_results_path() -> Path:
    return Path(os.environ.get("DBT_TARGET_PATH") or paths.warehouse_dir() / "dbt_target") / "run_results.json"


def failure_lines(result=None) -> list[str]:
    """One line per node that failed (from run_results.json): the node, its file, and why."""
    import json
    import re

    lines = []
    path = run_results_path()
    if path.exists():
        for node in json.loads(path.read_text()).get("results", []):
            if node.get("status") not in FAILED_STATUSES:
                continue
            why = re.sub(r"\s+", " ", node.get("message") or "no message").strip()
            failures = node.get("failures")
            if node.get("status") == "fail" and failures:
                why = f"{failures} failing row(s): {why}"
            where = node.get("relation_name") or ""
            lines.append(f"{node['unique_id']}{' (' + where + ')' if where else ''} {node['status']}: {why[:400]}")
    if not lines and result is not None and getattr(result, "exception", None) is not None:
        lines.append("dbt stopped before running any node: " + re.sub(r"\s+", " ", str(result.exception))[:400])
    return lines


def spark_environment() -> None:
    """Spark binds to loopback unless told otherwise, and keeps its files under the warehouse.
    PySpark's SQLQueryContextLogger repeats every failed statement as a JSON stack trace:
    dbt already reports the statement and Spark's message."""
    import logging

    logging.getLogger("SQLQueryContextLogger").setLevel(logging.CRITICAL)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ.setdefault("REE_SPARK_LOG4J", str(Path(__file__).parent / "spark" / "log4j2.properties"))
    (paths.warehouse_dir() / "spark").mkdir(parents=True, exist_ok=True)


def close_dbt_connections() -> None:
    """dbt-duckdb keeps its DuckDB instance open in-process (DuckDBConnectionManager._ENV);
    close it so that this process, or another, can open the file afterwards."""
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:  # a Spark-only install
        return

    with DuckDBConnectionManager._LOCK:
        env = DuckDBConnectionManager._ENV
        if env is not None:
            try:
                env.close()
            finally:
                DuckDBConnectionManager._ENV = None


SUMMARY_QUERIES = {
    "Shipment lines by compliance status": """
        select compliance_status, count(*) as lines from marts.fct_shipment_determinations
        group by all order by lines desc""",
    "Controlled lines by control basis and licence requirement": """
        select control_basis, licence_requirement, licence_requirement_as_published, count(*) as lines
        from marts.fct_controlled_shipments group by all order by all""",
    "Obligations by type and status": """
        select obligation_type, status, count(*) as obligations from marts.fct_declaration_obligations
        group by all order by all""",
    "Quarantined input rows": """
        select coalesce(extract, '(file)') as extract, reason, count(*) as rejected
        from marts.rpt_load_rejections group by all order by all""",
}


def summary() -> int:
    """Print what was decided, from the marts (read-only, after dbt has let go of the file)."""
    import duckdb
    from rich.console import Console
    from rich.table import Table

    console = Console()
    con = duckdb.connect(str(paths.database_path()), read_only=True)
    try:
        have = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
        for title, sql in SUMMARY_QUERIES.items():
            table_name = sql.split(" from marts.")[1].split()[0]
            if table_name not in have:
                console.print(f"[yellow]{title}: {table_name} is not built yet[/]")
                continue
            cur = con.execute(sql)
            found = cur.fetchall()
            if not found:
                console.print(f"{title}: none")
                continue
            table = Table(title=title)
            for col in cur.description:
                table.add_column(col[0])
            for row in found:
                table.add_row(*("" if v is None else str(v) for v in row))
            console.print(table)
    finally:
        con.close()
    return 0


def reference_coverage_warning(
    con, *, reporting_currency: str = "USD", fx_max_staleness_days: int = 5, working_days_needed: int = 10
) -> str | None:
    """One line when reference data ends before the latest export date, naming the fix; else None.

    FX: a currency in which lines are declared (or the reporting currency) whose last rate is
    more than fx_max_staleness_days older than its latest export (those lines are fx_stale).
    PRC working days: fewer than working_days_needed working days left in the calendar after
    the latest export (a humanitarian report's due date cannot be counted)."""
    try:
        latest = con.execute("select max(export_date) from staging.stg_customs__export_declarations").fetchone()[0]
    except Exception:  # noqa: BLE001 - nothing built yet: nothing to say
        return None
    if latest is None:
        return None
    stale_fx = con.execute(
        """
        with used as (
            select currency, max(export_date) as latest_export
            from staging.stg_customs__export_declarations group by currency
            union all
            select $reporting, $latest
        ),
        needed as (select currency, max(latest_export) as latest_export from used group by currency),
        last_rates as (select currency, max(rate_date) as last_rate from staging.stg_reference__fx_rates group by currency)
        select needed.currency, last_rates.last_rate
        from needed left join last_rates using (currency)
        where
            needed.currency != 'EUR'  -- 1 by definition; a supplied rate brings its EUR row along
            and (last_rates.last_rate is null or needed.latest_export - last_rates.last_rate > $staleness)
        order by needed.currency
        """,
        {"reporting": reporting_currency, "latest": latest, "staleness": fx_max_staleness_days},
    ).fetchall()
    calendar_end, working_days_left = con.execute(
        "select max(calendar_date), count(*) filter (where is_working_day and calendar_date > $latest)"
        " from reference.prc_working_days",
        {"latest": latest},
    ).fetchone()
    problems = []
    if stale_fx:
        ends = ", ".join(f"{currency} {last or 'none'}" for currency, last in stale_fx)
        problems.append(
            f"FX rates end too early ({ends}): add the missing rates to reference/fx_rates.csv in the landing"
            " and `ree load` it (it tops up the shipped ECB rates)"
        )
    if calendar_end is None or working_days_left < working_days_needed:
        problems.append(
            f"PRC working days end {calendar_end}: upgrade chinese-calendar once it has the next State Council"
            " arrangement and run `ree refresh-reference`"
        )
    if not problems:
        return None
    return f"warning: reference data ends before the latest export date {latest}: " + "; ".join(problems)


def _vars(dbt_vars: str | None) -> dict:
    import yaml

    try:
        parsed = yaml.safe_load(dbt_vars) if dbt_vars else {}
    except yaml.YAMLError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def warn_reference_coverage(dbt_vars: str | None = None, database: Path | None = None) -> str | None:
    """Print reference_coverage_warning for the built database (stderr), if it has one."""
    import duckdb

    database = database or paths.database_path()
    if not database.exists():
        return None
    given = _vars(dbt_vars)
    options = {
        "reporting_currency": str(given.get("reporting_currency", "USD")),
        "fx_max_staleness_days": int(given.get("fx_max_staleness_days", 5)),
        "working_days_needed": int(given.get("humanitarian_report_working_days", 10)),
    }
    try:
        con = duckdb.connect(str(database), read_only=True)
    except duckdb.Error:
        return None
    try:
        warning = reference_coverage_warning(con, **options)
    except duckdb.Error:  # a build that failed early: dbt has already said why
        warning = None
    finally:
        con.close()
    if warning:
        print(warning, file=sys.stderr)
    return warning


def build(select: str | None = None, dbt_vars: str | None = None, target: str | None = None) -> int:
    """`dbt build`; policy variables as YAML (`{as_of_date: '2026-12-01'}`), else $REE_DBT_VARS.
    target: a profiles.yml target (default: the profile's, duckdb); on spark without a
    selection, the nodes that build on Spark today (SPARK_SELECTION)."""
    args = ["build"]
    if target:
        args += ["--target", target]
    if target == "spark":
        spark_environment()
        os.environ.setdefault("DBT_TARGET_PATH", str(paths.warehouse_dir() / "spark" / "dbt_target"))
        if not select:
            # tests of a ported model that also read a model not ported yet are left out
            select = SPARK_SELECTION
            args += ["--indirect-selection", "cautious"]
    if select:
        args += ["--select", select]
    dbt_vars = dbt_vars or os.environ.get("REE_DBT_VARS")
    if dbt_vars:
        args += ["--vars", dbt_vars]
    code = run_recorded(*args)
    warn_reference_coverage(dbt_vars)
    return code


def run_recorded(*args: str) -> int:
    """Run a dbt build with its state recorded for `ree publish`; on failure print one line per
    failed node (what failed and why) before pointing at dbt's own log. Exit code 0 or 1."""
    from datetime import UTC, datetime

    dbt_environment()
    run_results_path().unlink(missing_ok=True)  # never read a previous build's results as this one's
    _write_build_state({"status": "running", "started_at": datetime.now(UTC).isoformat(timespec="seconds")})
    result = dbt_result(*args)
    _write_build_state(
        {
            "status": "green" if result.success else "failed",
            "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
    )
    if result.success:
        return 0
    lines = failure_lines(result) or ["dbt build failed (no failed node recorded in run_results.json)"]
    for line in lines[:10]:
        print(f"ree build failed: {line}", file=sys.stderr)
    if len(lines) > 10:
        print(f"ree build failed: … and {len(lines) - 10} more", file=sys.stderr)
    log = Path(os.environ["DBT_LOG_PATH"]) / "dbt.log"
    print(f"dbt's own log: {log} (the published release, if any, is unchanged)", file=sys.stderr)
    return 1


def run(landing: Path, serve: bool = True, dbt_vars: str | None = None) -> int:
    """Load a landing folder, build everything, print the summary; then publish the marts,
    write the exposure report of the busiest month and the Declarations of Compliance."""
    from ree.load import main as load_main

    code = load_main(landing)
    if code != 0:
        return code
    if build(dbt_vars=dbt_vars) != 0:
        print(
            "dbt build failed: nothing was published; BI keeps the last good marts (see the dbt output above).",
            file=sys.stderr,
        )
        return 1
    summary()
    if not serve:
        return 0
    from ree.notices import main as notices_main
    from ree.publish import main as publish_main
    from ree.report import main as report_main

    for step in (publish_main, lambda: report_main("busiest", True), lambda: notices_main(None)):
        code = step()
        if code != 0:
            return code
    return 0
