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
    os.environ.setdefault("DBT_PROFILES_DIR", str(paths.PROJECT_DIR))
    os.environ["DBT_TARGET_PATH"] = os.environ.get("DBT_TARGET_PATH") or str(wh / "dbt_target")
    os.environ["DBT_LOG_PATH"] = os.environ.get("DBT_LOG_PATH") or str(wh / "dbt_logs")


# Nodes that build on Spark today (README, "Spark"): the stable part of the DAG. The
# value-ratio, item, determination and mart models are ported once they have settled.
SPARK_SELECTION = (
    "resource_type:seed staging intermediate.reference intermediate.regulation intermediate.end_use"
    " int_screening_names_normalised int_party_ownership_cycles"
)


def dbt(*args: str) -> bool:
    """Run one dbt command in-process; True when it succeeded."""
    from dbt.cli.main import dbtRunner

    dbt_environment()
    result = dbtRunner().invoke([*args, "--project-dir", str(paths.PROJECT_DIR)])
    close_dbt_connections()
    return bool(result.success)


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
    return 0 if dbt(*args) else 1


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
