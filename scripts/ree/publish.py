"""`ree publish`: the marts as Parquet and as a read-only serving DuckDB file, swapped atomically.

Layout under ``$REE_WAREHOUSE_DIR/published/`` (docs/serving.md is the reader's guide):

    current -> releases/<release_id>        one symlink, replaced with rename(2)
    releases/<release_id>/serving.duckdb    marts.*, reference.*, publish.* (storage v1.0.0)
    releases/<release_id>/parquet/<mart>.parquet
    releases/<release_id>/parquet/reference/<seed>.parquet
    releases/<release_id>/manifest.json     what this release holds (tables, rows, dbt run, vars)

A release is written completely in ``published/.incoming/`` and only then moved into
``releases/`` and pointed at by ``current``; a reader that resolves ``current`` sees either the
previous release or the new one, whole. A failed or refused publish leaves ``current`` as it was.
The build database is only ever opened read-only, and no reader ever opens it: BI holding
``ree.duckdb`` would block ``dbt build`` (DuckDB allows one writer).
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from ree import paths
from ree.paths import fault_point

# The marts the contract (shared/contracts/marts.md) requires; every other table in the marts
# schema (dim_parties, future marts) is published as well.
REQUIRED_MARTS = (
    "fct_shipment_determinations",
    "fct_controlled_shipments",
    "fct_declaration_obligations",
    "rpt_regulatory_exposure",
    "rpt_load_rejections",
    "dim_items",
)
# Reference data published beside the marts: the calendar and vocabularies the marts were decided
# with (the exposure report prints the calendar rows in force from here).
REFERENCE_SCHEMA = "reference"
# Older DuckDB releases (1.0 onwards) can open a file written with this storage version; 2.x's
# default storage (version 69+) is unreadable before 2.0.
SERVING_STORAGE_VERSION = "v1.0.0"
SERVING_FILE = "serving.duckdb"
KEEP_RELEASES = 3  # the newest releases kept; older ones are pruned ...
PRUNE_GRACE_SECONDS = 600  # ... once they have not been current for this long (a reader may still be opening one)
FAILED_STATUSES = {"error", "fail", "runtime error", "skipped"}


class PublishError(RuntimeError):
    """Publishing was refused or failed; the current release is untouched."""


@dataclass
class Release:
    release_id: str
    path: Path
    tables: list[dict] = field(default_factory=list)


def published_dir() -> Path:
    return paths.warehouse_dir() / "published"


def current_release_dir() -> Path | None:
    """The release `current` points at (resolved once, so a caller reads one release throughout)."""
    link = published_dir() / "current"
    if not link.is_symlink() and not link.exists():
        return None
    return link.resolve()


def serving_path() -> Path:
    """The serving DuckDB file of the current release (what the report and notices read)."""
    release = current_release_dir()
    if release is None:
        raise PublishError(f"nothing is published under {published_dir()}: run `ree publish` after a green build")
    return release / SERVING_FILE


# --- the build that is published ----------------------------------------------------------------


def dbt_target_dir() -> Path:
    return Path(os.environ.get("DBT_TARGET_PATH") or paths.warehouse_dir() / "dbt_target")


def last_build() -> dict:
    """What dbt last ran on this warehouse, from run_results.json; raises unless it was a green build."""
    state_file = paths.warehouse_dir() / "build_state.json"  # written by `ree build` (ree/build.py)
    if state_file.exists():
        state = json.loads(state_file.read_text() or "{}")
        if state.get("status") != "green":
            how = "did not finish (killed, or still running)" if state.get("status") == "running" else "failed"
            raise PublishError(
                f"the last `ree build` {how}: the build database may mix old and new tables; "
                "the published release was kept. Run `ree build` again"
            )
    run_results = dbt_target_dir() / "run_results.json"
    if not run_results.exists():
        raise PublishError(f"no {run_results}: run `ree build` first (publish only runs after a green build)")
    data = json.loads(run_results.read_text())
    args = data.get("args", {})
    if args.get("which") != "build":
        raise PublishError(f"the last dbt command was `{args.get('which')}`, not `build`: run `ree build` first")
    failed = [r["unique_id"] for r in data.get("results", []) if r.get("status") in FAILED_STATUSES]
    if failed:
        shown = ", ".join(failed[:5]) + (" …" if len(failed) > 5 else "")
        raise PublishError(
            f"the last dbt build was not green ({len(failed)} failed or skipped: {shown}); "
            "the published release was kept"
        )
    return {
        "invocation_id": data["metadata"].get("invocation_id"),
        "dbt_version": data["metadata"].get("dbt_version"),
        "generated_at": data["metadata"].get("generated_at"),
        "invocation_command": args.get("invocation_command"),
        "select": args.get("select") or [],
        "vars": effective_vars(args.get("vars")),
        "result_counts": _count_statuses(data.get("results", [])),
    }


def _count_statuses(results: list[dict]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for result in results:
        counts[result.get("status", "?")] = counts.get(result.get("status", "?"), 0) + 1
    return counts


def effective_vars(cli_vars) -> dict:
    """The policy variables dbt ran with: dbt_project.yml's defaults overlaid with --vars."""
    import yaml

    project = yaml.safe_load((paths.PROJECT_DIR / "dbt_project.yml").read_text()) or {}
    merged = dict(project.get("vars") or {})
    if isinstance(cli_vars, str):
        cli_vars = yaml.safe_load(cli_vars) or {}
    merged.update(cli_vars or {})
    return {key: (value.isoformat() if hasattr(value, "isoformat") else value) for key, value in merged.items()}


# --- writing a release -----------------------------------------------------------------------------


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def new_release_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ") + "-" + secrets.token_hex(3)


def write_release(build_db: Path, target: Path, build_info: dict, release_id: str) -> Release:
    """Copy the marts (and reference data) of `build_db`, opened read-only, into `target`."""
    target.mkdir(parents=True)
    (target / "parquet" / REFERENCE_SCHEMA).mkdir(parents=True)
    release = Release(release_id=release_id, path=target)
    serving = target / SERVING_FILE
    con = duckdb.connect()
    try:
        con.execute(f"attach {_sql_string(str(build_db))} as build (read_only)")
        present = con.execute(
            "select schema_name, table_name from duckdb_tables() where database_name = 'build' "
            "and schema_name in ('marts', ?) order by schema_name, table_name",
            [REFERENCE_SCHEMA],
        ).fetchall()
        marts = [name for schema, name in present if schema == "marts"]
        missing = [name for name in REQUIRED_MARTS if name not in marts]
        if missing:
            raise PublishError(f"the build database lacks the marts {', '.join(missing)}")
        con.execute(
            f"attach {_sql_string(str(serving))} as serving (storage_version {_sql_string(SERVING_STORAGE_VERSION)})"
        )
        for schema in ("marts", REFERENCE_SCHEMA, "publish"):
            con.execute(f"create schema serving.{_quote(schema)}")
        untyped = con.execute(
            "select schema_name || '.' || table_name || '.' || column_name from duckdb_columns() "
            "where database_name = 'build' and schema_name in ('marts', ?) and data_type = '\"NULL\"' order by 1",
            [REFERENCE_SCHEMA],
        ).fetchall()
        if untyped:
            raise PublishError(f"columns without a type (all NULL): {', '.join(r[0] for r in untyped)}")
        for schema, name in present:
            source = f"build.{_quote(schema)}.{_quote(name)}"
            # rows in a total order: two builds of the same data publish byte-identical files
            con.execute(f"create table serving.{_quote(schema)}.{_quote(name)} as select * from {source} order by all")
            relative = Path("parquet") / (f"{name}.parquet" if schema == "marts" else f"{schema}/{name}.parquet")
            # COPY of a query writes the schema even for zero rows (an empty Parquet file with
            # every column typed); it never writes a placeholder row.
            con.execute(
                f"copy (select * from serving.{_quote(schema)}.{_quote(name)} order by all) "
                f"to {_sql_string(str(target / relative))} (format parquet, compression zstd)"
            )
            rows = con.execute(f"select count(*) from serving.{_quote(schema)}.{_quote(name)}").fetchone()[0]
            release.tables.append(
                {
                    "table_schema": schema,
                    "table_name": name,
                    "row_count": rows,
                    "parquet_file": str(relative),
                    "parquet_sha256": _sha256(target / relative),
                }
            )
        published_at = datetime.now(UTC).isoformat(timespec="seconds")
        con.execute(
            "create table serving.publish.release as select ?::varchar as release_id, ?::timestamp as published_at, "
            "?::varchar as dbt_invocation_id, ?::varchar as dbt_version, ?::timestamp as built_at, "
            "?::varchar as dbt_command, ?::varchar as dbt_vars_json, ?::varchar as duckdb_version, "
            "?::varchar as storage_version",
            [
                release_id,
                published_at.replace("+00:00", ""),
                build_info.get("invocation_id"),
                build_info.get("dbt_version"),
                (build_info.get("generated_at") or "").rstrip("Z") or None,
                build_info.get("invocation_command"),
                json.dumps(build_info.get("vars", {}), sort_keys=True),
                duckdb.__version__,
                SERVING_STORAGE_VERSION,
            ],
        )
        con.execute(
            "create table serving.publish.tables (table_schema varchar, table_name varchar, row_count bigint, "
            "parquet_file varchar, parquet_sha256 varchar)"
        )
        con.executemany(
            "insert into serving.publish.tables values (?, ?, ?, ?, ?)",
            [
                [t["table_schema"], t["table_name"], t["row_count"], t["parquet_file"], t["parquet_sha256"]]
                for t in release.tables
            ],
        )
        fault_point("serving-written")
        con.execute("checkpoint serving")
        con.execute("detach serving")
        con.execute("detach build")
    finally:
        con.close()
    for leftover in target.glob(SERVING_FILE + ".wal"):
        raise PublishError(f"the serving file left a write-ahead log ({leftover}); refusing a half-written release")
    manifest = {
        "release_id": release_id,
        "published_at": published_at,
        "serving_file": SERVING_FILE,
        "storage_version": SERVING_STORAGE_VERSION,
        "duckdb_version": duckdb.__version__,
        "build": build_info,
        "tables": release.tables,
    }
    (target / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    for path in [serving, *target.rglob("*.parquet"), target / "manifest.json"]:
        path.chmod(0o444)  # a serving copy, never written to
    _fsync_tree(target)
    return release


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync_tree(root: Path) -> None:
    for path in [*root.rglob("*"), root]:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def swap_current(published: Path, release_id: str) -> None:
    """Point `current` at releases/<release_id> with one rename(2) of a symlink."""
    link = published / "current"
    if link.exists() and not link.is_symlink():
        raise PublishError(f"{link} exists and is not a symlink; move it away")
    tmp_link = published / f".current-{release_id}"
    os.symlink(Path("releases") / release_id, tmp_link)
    os.replace(tmp_link, link)
    fd = os.open(published, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def prune(published: Path, keep: int = KEEP_RELEASES, grace_seconds: float = PRUNE_GRACE_SECONDS) -> list[str]:
    """Remove releases beyond the newest `keep` (never the current one). A reader holding an
    open file of a removed release keeps reading it (POSIX unlink semantics)."""
    current = (published / "current").resolve().name if (published / "current").exists() else None
    releases = sorted(p for p in (published / "releases").iterdir() if p.is_dir())
    now = datetime.now(UTC).timestamp()
    removed = []
    for index, old in enumerate(releases[: max(len(releases) - keep, 0)]):
        superseded_at = releases[index + 1].stat().st_mtime  # the next release replaced it
        if old.name == current or now - superseded_at < grace_seconds:
            continue
        shutil.rmtree(old, ignore_errors=True)
        removed.append(old.name)
    # a publish that was killed mid-way leaves its folder in .incoming; clear those after an hour
    incoming = published / ".incoming"
    if incoming.exists():
        now = datetime.now(UTC).timestamp()
        for stale in incoming.iterdir():
            if now - stale.stat().st_mtime > 3600:
                shutil.rmtree(stale, ignore_errors=True)
    return removed


def publish(require_green_build: bool = True, keep: int = KEEP_RELEASES) -> Release:
    """Publish the build database's marts as a new release and make it current."""
    build_db = paths.database_path()
    if not build_db.exists():
        raise PublishError(f"no build database at {build_db}: run `ree load` and `ree build` first")
    build_info = last_build() if require_green_build else {"vars": effective_vars(None)}
    published = published_dir()
    (published / "releases").mkdir(parents=True, exist_ok=True)
    release_id = new_release_id()
    incoming = published / ".incoming" / release_id
    try:
        release = write_release(build_db, incoming, build_info, release_id)
        fault_point("release-written")
        final = published / "releases" / release_id
        os.replace(incoming, final)
        release.path = final
        fault_point("release-moved")
        swap_current(published, release_id)
    except BaseException:
        shutil.rmtree(incoming, ignore_errors=True)
        raise
    prune(published, keep)
    return release


def main() -> int:
    try:
        release = publish()
    except (PublishError, duckdb.Error, OSError) as exc:
        print(f"publish failed, the published release was kept: {exc}", file=sys.stderr)
        return 1
    rows = ", ".join(f"{t['table_name']} {t['row_count']}" for t in release.tables if t["table_schema"] == "marts")
    print(f"published release {release.release_id} to {published_dir() / 'current'} ({rows})")
    return 0
