"""As-known-at replay: `ree build --as-known-at T` and `ree diff --as-known-at T1 [--against T2|now]`.

A replay rebuilds the marts from only the load batches loaded by T (their `loaded_at` in
`raw/batches/<batch_id>/load_audit/files/`; dbt var `as_known_at`, read by the staging macro
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
    from ree.load import AUDIT_FILES, LEGACY_AUDIT_FILES

    batches = paths.raw_dir() / "batches"
    manifests = sorted([*batches.glob(f"*/{AUDIT_FILES}"), *batches.glob(f"*/{LEGACY_AUDIT_FILES}")])
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


SCOPE_SQL = """
create temp table lines as
    select shipment_line_id, declaration_id, line_no, exporter_entity_id, currency, export_date
    from changed;
-- the items a line reads in either state: its own and every node of its BOM
create temp table scope_items as
    select distinct shipment_line_id, item_id from (
        select lines.shipment_line_id, lines_items.item_id
        from lines
        inner join (
            select shipment_line_id, item_id from before_db.staging.stg_customs__export_declarations
            union all
            select shipment_line_id, item_id from after_db.staging.stg_customs__export_declarations
        ) as lines_items using (shipment_line_id)
    ) as own
    union
    select own.shipment_line_id, paths.node_item_id
    from (
        select lines.shipment_line_id, declarations.item_id
        from lines
        inner join after_db.staging.stg_customs__export_declarations as declarations using (shipment_line_id)
    ) as own
    inner join (
        select root_item_id, node_item_id from before_db.intermediate.int_boms_exploded
        union
        select root_item_id, node_item_id from after_db.intermediate.int_boms_exploded
    ) as paths on own.item_id = paths.root_item_id;
-- its consignee and end user, and their direct owners
create temp table scope_parties as
    with own as (
        select lines.shipment_line_id, unnest([declarations.consignee_party_id, declarations.end_user_party_id])
            as party_id
        from lines
        inner join after_db.staging.stg_customs__export_declarations as declarations using (shipment_line_id)
    )
    select distinct shipment_line_id, party_id from own where party_id is not null
    union
    select own.shipment_line_id, ownerships.owner_party_id
    from own
    inner join (
        select owner_party_id, owned_party_id from before_db.staging.stg_parties__ownerships
        union
        select owner_party_id, owned_party_id from after_db.staging.stg_parties__ownerships
    ) as ownerships on own.party_id = ownerships.owned_party_id;
-- the list entries its parties matched, in either state
create temp table scope_entries as
    select distinct shipment_line_id, trim(entry_id) as entry_id
    from (
        select shipment_line_id, unnest(string_split(
            replace(coalesce(cast(matched_entry_ids as varchar), '') || ';'
                || coalesce(cast(controlling_entry_ids as varchar), ''), ',', ';'), ';')) as entry_id
        from (
            select * from before_db.intermediate.int_declaration_lines_screened
            union all by name
            select * from after_db.intermediate.int_declaration_lines_screened
        ) as screened
        where shipment_line_id in (select shipment_line_id from lines)
    ) as entries
    where trim(entry_id) != '';
"""

# Which changed raw rows (alias `c`) touch which line: a join onto the scope tables.
RELEVANCE = {
    "customs/export_declarations": "inner join lines as s on c.declaration_id = s.declaration_id and c.line_no = s.line_no",
    "erp/items": "inner join scope_items as s on c.item_id = s.item_id",
    "erp/bom": "inner join scope_items as s on c.parent_item_id = s.item_id or c.component_item_id = s.item_id",
    "procurement/purchase_lines": "inner join scope_items as s on c.item_id = s.item_id",
    "certificates/material_declarations": "inner join scope_items as s on c.item_id = s.item_id",
    "parties/parties": "inner join scope_parties as s on c.party_id = s.party_id",
    "parties/ownership": "inner join scope_parties as s on c.owned_party_id = s.party_id or c.owner_party_id = s.party_id",
    "licences/licences": (
        "inner join lines as s on c.holder_entity_id = s.exporter_entity_id and (c.item_id is null or exists ("
        "select 1 from scope_items where scope_items.shipment_line_id = s.shipment_line_id"
        " and scope_items.item_id = c.item_id))"
    ),
    "reference/fx_rates": (
        "inner join lines as s on c.currency = s.currency"
        " and c.rate_date between s.export_date - interval 14 day and s.export_date"
    ),
    "reference/restricted_parties": "inner join scope_entries as s on c.entry_id = s.entry_id",
    "reference/screening_decisions": "inner join scope_parties as s on c.party_id = s.party_id",
}


def _changed_rows_sql(path: str, new_files: list[str], old_files: list[str]) -> str:
    """The rows of `new_files` (latest per key) whose content differs from the latest version
    of the same key in `old_files`: change = new | superseded."""
    ex = contract.extract(path)
    compared = [c for c in ex.column_names if c != "extracted_at"]
    key = " || '|' || ".join(f"coalesce(cast({k} as varchar), '')" for k in ex.key)
    content = f"md5(cast(struct_pack({', '.join(compared)}) as varchar))"
    latest = f"qualify row_number() over (partition by {key} order by _batch_id desc, _source_file desc, _row_number desc) = 1"
    files = ", ".join(f"'{f}'" for f in new_files)
    new_rows = f"select *, {key} as row_key, {content} as row_content from read_parquet([{files}], union_by_name = true) {latest}"
    if old_files:
        old = ", ".join(f"'{f}'" for f in old_files)
        old_rows = f"select {key} as row_key, {content} as row_content from read_parquet([{old}], union_by_name = true) {latest}"
    else:
        old_rows = "select cast(null as varchar) as row_key, cast(null as varchar) as row_content where false"
    return f"""
        select new_rows.*, case when old_rows.row_key is null then 'new' else 'superseded' end as change
        from ({new_rows}) as new_rows
        left join ({old_rows}) as old_rows using (row_key)
        where old_rows.row_content is distinct from new_rows.row_content"""


def attach_evidence(
    con: duckdb.DuckDBPyConnection, lines: list[dict], before_batches: list[str], after_batches: list[str]
) -> None:
    """Set line["evidence"] for every changed line: the rows of the batches loaded after
    `before_batches` (up to `after_batches`) that touch the line and differ from what was
    known before: `new` (a key not loaded before) or `superseded` (other content)."""
    for line in lines:
        line["evidence"] = []
    known = set(before_batches)
    delta = [b for b in after_batches if b not in known]
    if not lines or not delta:
        return
    con.execute(
        "create temp table changed (shipment_line_id varchar, declaration_id varchar, line_no bigint,"
        " exporter_entity_id varchar, currency varchar, export_date date)"
    )
    con.executemany(
        "insert into changed values (?, ?, ?, ?, ?, ?)",
        [
            [
                ln["shipment_line_id"],
                ln["declaration_id"],
                ln["line_no"],
                ln["exporter_entity_id"],
                ln["currency"],
                ln["export_date"],
            ]
            for ln in lines
        ],
    )
    con.execute(SCOPE_SQL)
    by_line = {line["shipment_line_id"]: line for line in lines}
    batches_dir = paths.raw_dir() / "batches"
    for path, join in RELEVANCE.items():
        new_files = [str(p) for b in delta for p in sorted((batches_dir / b / path).glob("*.parquet"))]
        old_files = [str(p) for b in before_batches for p in sorted((batches_dir / b / path).glob("*.parquet"))]
        if not new_files:
            continue
        found = con.execute(
            f"""select distinct s.shipment_line_id, c.row_key, c.change, c._batch_id, c._source_file
            from ({_changed_rows_sql(path, new_files, old_files)}) as c
            {join}
            order by 1, 2"""
        ).fetchall()
        for line_id, row_key, change, batch_id, source_file in found:
            by_line[line_id]["evidence"].append(
                {
                    "extract": path,
                    "what": EVIDENCE_NAMES[path],
                    "key": row_key,
                    "change": change,
                    "batch_id": batch_id,
                    "source_file": source_file,
                }
            )


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
        attach_evidence(con, lines, before.batches, after.batches)
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
            evidence = (
                "\n".join(describe(e) for e in line["evidence"])
                or "no loaded row touches it (reference data or rules changed)"
            )
            table.add_row(line["shipment_line_id"], str(line["export_date"]), changes, evidence)
        console.print(table)
    if result["new_lines"]:
        console.print(
            f"{len(result['new_lines'])} line(s) loaded after the first instant: "
            + ", ".join(result["new_lines"][:20])
            + (" …" if len(result["new_lines"]) > 20 else "")
        )
    return 0
