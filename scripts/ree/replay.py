"""As-known-at replay: `ree build --as-known-at T` and `ree diff --as-known-at T1 [--against T2|now]`.

A replay rebuilds the marts from only the load batches loaded by T (their `loaded_at` in
`raw/batches/<batch_id>/_files.parquet`; dbt var `as_known_at`, read by the staging macro
as_known_at_filter), so an auditor sees the determination the company could have made on the
day it shipped. It is written to a database of its own,

    $REE_WAREHOUSE_DIR/as_known_at/<last batch>-<vars>/ree.duckdb   (profile target `as_known_at`)
    $REE_WAREHOUSE_DIR/as_known_at/<name>/dbt_target/     (its own dbt artefacts)
    $REE_WAREHOUSE_DIR/as_known_at/<name>/replay.json     (the instant, batches and vars it was built from)

never over the live `ree.duckdb` and never into the live dbt target (so `ree publish` cannot
mistake a replay for the last build). Unless given, `as_of_date` is the date of T.

`ree diff` compares the determinations of two states line by line and names, for every line
whose determination changed, the rows loaded between the two instants that touch the line's
item, its BOM components, its parties and their list entries, its licences or its FX rates:
a new certificate, a superseded BOM line, a new list entry.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ree import contract, paths

TARGET = "as_known_at"
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f"
# The columns a determination is made of (the snapshot's check columns, plus the share).
DETERMINATION_COLUMNS = (
    "compliance_status",
    "control_basis",
    "rules_triggered",
    "regime_status",
    "licence_requirement",
    "licence_requirement_as_published",
    "end_use_outcome",
    "screening_status",
    "licence_id",
    "licence_status",
    "part2_category",
    "control_codes",
    "meets_value_threshold",
    "cn_part1_value_share_pct",
    "data_quality_flags",
)
# What a row of each extract is called in a diff.
EVIDENCE_NAMES = {
    "customs/export_declarations": "declaration line",
    "erp/items": "item",
    "erp/bom": "BOM line",
    "procurement/purchase_lines": "purchase line",
    "certificates/material_declarations": "certificate",
    "parties/parties": "party",
    "parties/ownership": "ownership",
    "licences/licences": "licence",
    "reference/fx_rates": "FX rate",
    "reference/restricted_parties": "list entry",
    "reference/screening_decisions": "screening decision",
}


class ReplayError(RuntimeError):
    """The replay cannot be made (no batch loaded by then, a bad timestamp)."""


# --------------------------------------------------------------------------- instants and batches


def parse_instant(text: str) -> dt.datetime:
    """An ISO 8601 date or timestamp (or `now`) as naive UTC. A date alone means the end of
    that day (UTC): what was loaded on the day counts as known on it."""
    text = text.strip()
    if text.lower() == "now":
        return dt.datetime.now(dt.UTC).replace(tzinfo=None)
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
            return dt.datetime.combine(day, dt.time.max)
        stamp = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ReplayError(f"not an ISO 8601 date or timestamp: {text!r}") from None
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone(dt.UTC).replace(tzinfo=None)
    return stamp


def loaded_batches() -> list[tuple[str, dt.datetime]]:
    """Every load batch (id, loaded_at) in load order."""
    manifests = sorted((paths.raw_dir() / "batches").glob("*/_files.parquet"))
    if not manifests:
        return []
    con = duckdb.connect()
    try:
        return con.execute(
            "select batch_id, min(loaded_at) from read_parquet($files, union_by_name = true)"
            " group by batch_id order by batch_id",
            {"files": [str(m) for m in manifests]},
        ).fetchall()
    finally:
        con.close()


def batches_known_at(instant: dt.datetime) -> list[str]:
    return [batch_id for batch_id, loaded_at in loaded_batches() if loaded_at <= instant]


# --------------------------------------------------------------------------- the replay build


@dataclass
class Replay:
    instant: dt.datetime
    folder: Path
    batches: list[str]
    dbt_vars: dict

    @property
    def database(self) -> Path:
        return self.folder / "ree.duckdb"

    @property
    def meta_path(self) -> Path:
        return self.folder / "replay.json"

    def meta(self) -> dict:
        return {
            "as_known_at": self.instant.strftime(TIMESTAMP_FORMAT),
            "batches": self.batches,
            "vars": self.dbt_vars,
        }

    def is_built(self) -> bool:
        """Built green before from the same batches and variables (reusable by `ree diff`)."""
        if not (self.meta_path.exists() and self.database.exists()):
            return False
        saved = json.loads(self.meta_path.read_text())
        return saved.get("ok") is True and {k: saved.get(k) for k in ("batches", "vars")} == {
            "batches": self.batches,
            "vars": self.dbt_vars,
        }


def _parse_vars(dbt_vars: str | None) -> dict:
    import yaml

    parsed = yaml.safe_load(dbt_vars) if dbt_vars else {}
    if parsed is None:
        return {}
    if not isinstance(parsed, dict):
        raise ReplayError(f"--vars must be a YAML mapping, got {dbt_vars!r}")
    return {key: (value.isoformat() if isinstance(value, dt.date) else value) for key, value in parsed.items()}


def plan(instant: dt.datetime, dbt_vars: str | None = None) -> Replay:
    batches = batches_known_at(instant)
    if not batches:
        raise ReplayError(f"no load batch was loaded by {instant:%Y-%m-%d %H:%M:%S} UTC: nothing to replay")
    given = _parse_vars(dbt_vars)
    given.pop("as_known_at", None)
    given.setdefault("as_of_date", instant.date().isoformat())
    # named by what it is built from (the last batch it reads, the variables), so two instants
    # with the same batches share one replay and `ree diff` reuses it
    digest = hashlib.sha256(json.dumps(given, sort_keys=True).encode()).hexdigest()[:8]
    folder = paths.warehouse_dir() / TARGET / f"{batches[-1]}-{digest}"
    return Replay(instant=instant, folder=folder, batches=batches, dbt_vars=given)


def build(as_known_at: str, select: str | None = None, dbt_vars: str | None = None, reuse: bool = False) -> Replay:
    """Build the marts as known at `as_known_at` into their own database; raises on failure."""
    from ree.build import dbt, warn_reference_coverage

    replay = plan(parse_instant(as_known_at), dbt_vars)
    if reuse and select is None and replay.is_built():
        return replay
    replay.folder.mkdir(parents=True, exist_ok=True)
    run_vars = {**replay.dbt_vars, "as_known_at": replay.instant.strftime(TIMESTAMP_FORMAT)}
    # unit tests run on fixtures, not on batches (and the batch filter would empty them): the
    # live build runs them; a replay rebuilds data only
    args = ["build", "--target", TARGET, "--vars", json.dumps(run_vars), "--exclude", "test_type:unit"]
    args += ["--target-path", str(replay.folder / "dbt_target"), "--log-path", str(replay.folder / "dbt_logs")]
    if select:
        args += ["--select", select]
    saved = os.environ.get("REE_AS_KNOWN_AT_NAME")
    os.environ["REE_AS_KNOWN_AT_NAME"] = replay.folder.name
    try:
        ok = dbt(*args)
    finally:
        if saved is None:
            os.environ.pop("REE_AS_KNOWN_AT_NAME", None)
        else:
            os.environ["REE_AS_KNOWN_AT_NAME"] = saved
    replay.meta_path.write_text(json.dumps({**replay.meta(), "ok": ok and select is None}, indent=2) + "\n")
    warn_reference_coverage(json.dumps(run_vars), replay.database)
    if not ok:
        raise ReplayError(f"the replay build failed (see the dbt output above); {replay.database} is incomplete")
    return replay


def build_main(as_known_at: str, select: str | None = None, dbt_vars: str | None = None) -> int:
    try:
        replay = build(as_known_at, select, dbt_vars)
    except ReplayError as exc:
        print(f"ree build --as-known-at: {exc}", file=sys.stderr)
        return 1
    print(
        f"replayed as known at {replay.instant:%Y-%m-%d %H:%M:%S} UTC from {len(replay.batches)} batch(es)"
        f" ({replay.batches[0]} … {replay.batches[-1]}), as_of_date {replay.dbt_vars['as_of_date']}:"
        f" {replay.database}"
    )
    return 0


# --------------------------------------------------------------------------- the diff


def changed_lines(before: Path, after: Path) -> tuple[list[dict], list[str]]:
    """Lines whose determination differs between two built databases, and lines new in `after`."""
    con = duckdb.connect()
    try:
        con.execute(f"attach '{before}' as before_db (read_only)")
        con.execute(f"attach '{after}' as after_db (read_only)")
        columns = ", ".join(
            f"struct_pack(before := cast(b.{c} as varchar), after := cast(a.{c} as varchar)) as {c}"
            for c in DETERMINATION_COLUMNS
        )
        differs = " or ".join(f"b.{c} is distinct from a.{c}" for c in DETERMINATION_COLUMNS)
        cur = con.execute(
            f"""
            select a.shipment_line_id, a.declaration_id, a.line_no, a.export_date, a.item_id, a.currency,
                a.exporter_entity_id, {columns}
            from after_db.marts.fct_shipment_determinations as a
            inner join before_db.marts.fct_shipment_determinations as b using (shipment_line_id)
            where {differs}
            order by a.export_date, a.shipment_line_id
            """
        )
        names = [d[0] for d in cur.description]
        lines = []
        for row in cur.fetchall():
            record = dict(zip(names, row, strict=True))
            record["changes"] = {
                c: (record[c]["before"], record[c]["after"])
                for c in DETERMINATION_COLUMNS
                if record[c]["before"] != record[c]["after"]
            }
            for c in DETERMINATION_COLUMNS:
                record.pop(c)
            lines.append(record)
        new = [
            r[0]
            for r in con.execute(
                """select shipment_line_id from after_db.marts.fct_shipment_determinations
                where shipment_line_id not in (select shipment_line_id from before_db.marts.fct_shipment_determinations)
                order by shipment_line_id"""
            ).fetchall()
        ]
    finally:
        con.close()
    return lines, new


def _line_scope(con: duckdb.DuckDBPyConnection, line_id: str) -> dict[str, set[str]]:
    """The items, parties and list entries a line's determination reads, in either state."""
    items: set[str] = set()
    parties: set[str] = set()
    entries: set[str] = set()
    for db in ("before_db", "after_db"):
        found = con.execute(
            f"""select item_id, consignee_party_id, end_user_party_id
            from {db}.staging.stg_customs__export_declarations where shipment_line_id = ?""",
            [line_id],
        ).fetchall()
        for item_id, consignee, end_user in found:
            items.add(item_id)
            parties.update(p for p in (consignee, end_user) if p)
            items.update(
                r[0]
                for r in con.execute(
                    f"select distinct node_item_id from {db}.intermediate.int_boms_exploded where root_item_id = ?",
                    [item_id],
                ).fetchall()
            )
        screened = con.execute(
            f"""select matched_entry_ids, controlling_entry_ids
            from {db}.intermediate.int_declaration_lines_screened where shipment_line_id = ?""",
            [line_id],
        ).fetchall()
        for row in screened:
            for value in row:
                entries.update(_split(value))
    for db in ("before_db", "after_db"):
        if parties:
            owners = con.execute(
                f"select owner_party_id from {db}.staging.stg_parties__ownerships"
                f" where list_contains($parties, owned_party_id)",
                {"parties": sorted(parties)},
            ).fetchall()
            parties.update(r[0] for r in owners if r[0])
    return {"items": items, "parties": parties, "entries": entries}


def _split(value) -> set[str]:
    if value is None:
        return set()
    if isinstance(value, list | tuple):
        return {str(v) for v in value if v}
    return {part.strip() for part in str(value).replace(",", ";").split(";") if part.strip()}


# Which raw rows touch a line: (extract, SQL condition on the raw row; $-parameters below).
RELEVANCE = {
    "customs/export_declarations": "declaration_id = $declaration_id and line_no = $line_no",
    "erp/items": "list_contains($items, item_id)",
    "erp/bom": "list_contains($items, parent_item_id) or list_contains($items, component_item_id)",
    "procurement/purchase_lines": "list_contains($items, item_id)",
    "certificates/material_declarations": "list_contains($items, item_id)",
    "parties/parties": "list_contains($parties, party_id)",
    "parties/ownership": "list_contains($parties, owned_party_id) or list_contains($parties, owner_party_id)",
    "licences/licences": "holder_entity_id = $exporter and (item_id is null or list_contains($items, item_id))",
    "reference/fx_rates": "currency = $currency and rate_date between $export_date - interval 14 day and $export_date",
    "reference/restricted_parties": "list_contains($entries, entry_id)",
    "reference/screening_decisions": "list_contains($parties, party_id)",
}


def evidence_rows(before_batches: list[str], after_batches: list[str], line: dict, scope: dict) -> list[dict]:
    """The rows of the batches loaded after `before_batches` (up to `after_batches`) that touch
    the line and differ from what was known before: `new` (a key not loaded before) or
    `superseded` (a key loaded before, now with other content)."""
    known = set(before_batches)
    delta = [b for b in after_batches if b not in known]
    if not delta:
        return []
    batches_dir = paths.raw_dir() / "batches"
    found: list[dict] = []
    con = duckdb.connect()
    try:
        for path, condition in RELEVANCE.items():
            ex = contract.extract(path)
            compared = [c for c in ex.column_names if c != "extracted_at"]
            new_files = [str(p) for b in delta for p in sorted((batches_dir / b / path).glob("*.parquet"))]
            old_files = [str(p) for b in before_batches for p in sorted((batches_dir / b / path).glob("*.parquet"))]
            if not new_files:
                continue
            params = {
                # an empty list has no element type to bind: a value no key takes stands in
                "items": sorted(scope["items"]) or [""],
                "parties": sorted(scope["parties"]) or [""],
                "entries": sorted(scope["entries"]) or [""],
                "declaration_id": line["declaration_id"],
                "line_no": line["line_no"],
                "exporter": line["exporter_entity_id"],
                "currency": line["currency"],
                "export_date": line["export_date"],
            }
            used = {name: value for name, value in params.items() if f"${name}" in condition}
            key = " || '|' || ".join(f"coalesce(cast({k} as varchar), '')" for k in ex.key)
            content = f"md5(cast(struct_pack({', '.join(compared)}) as varchar))"
            latest = (
                f"qualify row_number() over (partition by {key} order by _batch_id desc, _source_file desc,"
                " _row_number desc) = 1"
            )
            old_sql = (
                f"select {key} as row_key, {content} as row_content from read_parquet($old_files, union_by_name = true)"
                f" where {condition} {latest}"
                if old_files
                else "select cast(null as varchar) as row_key, cast(null as varchar) as row_content where false"
            )
            rows = con.execute(
                f"""
                with new_rows as (
                    select {key} as row_key, {content} as row_content, _batch_id as batch_id,
                        _source_file as source_file
                    from read_parquet($new_files, union_by_name = true)
                    where {condition}
                    {latest}
                ),
                old_rows as ({old_sql})
                select new_rows.row_key, new_rows.batch_id, new_rows.source_file,
                    case when old_rows.row_key is null then 'new' else 'superseded' end as change
                from new_rows
                left join old_rows using (row_key)
                where old_rows.row_content is distinct from new_rows.row_content
                order by new_rows.row_key
                """,
                {**used, "new_files": new_files, **({"old_files": old_files} if old_files else {})},
            ).fetchall()
            for row_key, batch_id, source_file, change in rows:
                found.append(
                    {
                        "extract": path,
                        "what": EVIDENCE_NAMES[path],
                        "key": row_key,
                        "change": change,
                        "batch_id": batch_id,
                        "source_file": source_file,
                    }
                )
    finally:
        con.close()
    return found


def describe(evidence: dict) -> str:
    return f"{evidence['change']} {evidence['what']} {evidence['key']} (batch {evidence['batch_id']})"


def diff(as_known_at: str, against: str = "now", dbt_vars: str | None = None) -> dict:
    """Build (or reuse) both states and compare them; the result as data."""
    before = build(as_known_at, dbt_vars=dbt_vars, reuse=True)
    after = build(against, dbt_vars=dbt_vars, reuse=True)
    lines, new = changed_lines(before.database, after.database)
    con = duckdb.connect()
    try:
        con.execute(f"attach '{before.database}' as before_db (read_only)")
        con.execute(f"attach '{after.database}' as after_db (read_only)")
        for line in lines:
            scope = _line_scope(con, line["shipment_line_id"])
            line["evidence"] = evidence_rows(before.batches, after.batches, line, scope)
    finally:
        con.close()
    return {"before": before, "after": after, "changed": lines, "new_lines": new}


def diff_main(as_known_at: str, against: str = "now", dbt_vars: str | None = None) -> int:
    from rich.console import Console
    from rich.table import Table

    try:
        result = diff(as_known_at, against, dbt_vars)
    except ReplayError as exc:
        print(f"ree diff: {exc}", file=sys.stderr)
        return 1
    before, after = result["before"], result["after"]
    console = Console() if sys.stdout.isatty() else Console(width=240)
    title = (
        f"Determinations changed between {before.instant:%Y-%m-%d %H:%M:%S} UTC ({len(before.batches)} batches)"
        f" and {after.instant:%Y-%m-%d %H:%M:%S} UTC ({len(after.batches)} batches)"
    )
    if not result["changed"]:
        console.print(f"{title}: none.")
    else:
        table = Table(title=title, show_lines=True)
        for name in ("line", "exported", "what changed", "evidence that changed it"):
            table.add_column(name)
        for line in result["changed"]:
            changes = "\n".join(f"{c}: {b or '–'} → {a or '–'}" for c, (b, a) in line["changes"].items())
            evidence = "\n".join(describe(e) for e in line["evidence"]) or "no loaded row touches it (reference data or rules changed)"
            table.add_row(line["shipment_line_id"], str(line["export_date"]), changes, evidence)
        console.print(table)
    if result["new_lines"]:
        console.print(f"{len(result['new_lines'])} line(s) loaded after the first instant: " + ", ".join(result["new_lines"][:20])
                      + (" …" if len(result["new_lines"]) > 20 else ""))
    return 0
