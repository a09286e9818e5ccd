"""Landings of every shape build green (issue 9).

Each shape is a mutation of one landing: the embedded sample merged with a small `ree sample`
landing (a different seed per shape), so both the hand-made world and the generator's are in
every build. Per shape, one warehouse: `ree load` exits 0 without rejections, `dbt build` (data
tests, no unit tests: they do not read the landing) is green, and the marts keep their promises:

- every declaration line has exactly one determination, every column the type it has on the
  sample (no "NULL" type from an empty or all-null result);
- no line whose determination hangs on missing data is `clear` (it is `review`, with a flag);
- explanations name every rule that fired and print no empty parenthesis;
- what the shape takes away is visible: no licence → nothing `covered`; no ownership → no
  `listed_affiliate`; no certificates → every line with an undocumented NdFeB magnet in review.

By default 6 shapes, one build each of a ~130-line landing (`--exclude test_type:unit`, 2 dbt
threads); the shapes that optional_extracts_absent already covers and the generator's world alone at
three more seeds are marked slow (`--run-slow`).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from conftest import (
    DAILY,
    MAY_BE_EMPTY,
    SAMPLE,
    Warehouse,
    column_types,
    generated_landing,
    merge_landings,
    read_landing,
    write_landing,
)
from ree import contract

AS_OF = "{as_of_date: '2026-12-01'}"
GENERATED_LINES = 80

# Flags that say the determination lacks data it needs: a line carrying one is never clear ...
MISSING_DATA_FLAGS = {
    "missing_certificate",
    "missing_value",
    "missing_item",
    "missing_bom",
    "missing_party",
    "fx_missing",
    "fx_stale",
    "fx_precision_at_threshold",
    "bom_cycle",
    "bom_overlap",
    "bom_depth_limit",
    "outside_calendar",
    "no57_item",
}
# ... except unvalued content on a line whose known content already meets 0.1 %: what is missing
# can only add content, so rule 1(a) fires whatever it holds (RULES.md §3; a lower bound decides).
LOWER_BOUND_DECIDES = {"missing_certificate", "missing_value", "fx_missing"}


# --- the shapes --------------------------------------------------------------------------------


def optional_extracts_absent(data):
    return {path: rows for path, rows in data.items() if contract.extract(path).required}


def may_be_empty_header_only(data):
    return {**data, **{path: [] for path in MAY_BE_EMPTY}}


def no_licences(data):
    return {path: rows for path, rows in data.items() if path != "licences/licences"}


def licences_cover_nothing(data):
    # valid before any export: the line needing a licence finds no candidate
    return {
        **data,
        "licences/licences": [
            {**row, "valid_from": "2024-01-01", "valid_to": "2024-01-31"} for row in data["licences/licences"]
        ],
    }


def no_certificates(data):
    return {**data, "certificates/material_declarations": []}


def no_ownership(data):
    return {path: rows for path, rows in data.items() if path != "parties/ownership"}


def one_export_date(data):
    # the busiest export date on which the suspension has ended (rules in force)
    days = Counter(row["export_date"] for row in data[DAILY] if row["export_date"] >= "2026-11-11")
    day = max(days, key=lambda d: (days[d], d))
    return {**data, DAILY: [row for row in data[DAILY] if row["export_date"] == day]}


def single_line(data):
    # DE-261116-01-1: 61-1a in force, a licence covers it (the sample's README)
    return {**data, DAILY: [r for r in data[DAILY] if (r["declaration_id"], r["line_no"]) == ("DE-261116-01", "1")]}


SHAPES = [
    optional_extracts_absent,  # also: no licences, no ownership, no reference files (checked below)
    may_be_empty_header_only,
    licences_cover_nothing,
    no_certificates,
    one_export_date,
    single_line,
]
# Each alone, with every other optional extract present: covered by optional_extracts_absent in
# the default run, kept as shapes of their own for --run-slow.
SLOW_SHAPES = [no_licences, no_ownership]


# --- building one shape ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def reference_types(sample_warehouse) -> dict:
    return column_types(sample_warehouse)


def build_shape(root: Path, data: dict) -> Warehouse:
    from ree.load import main as load_main

    landing = write_landing(root / "landing", data)
    wh = Warehouse(root / "warehouse")
    with wh:
        assert load_main(landing) == 0, "ree load failed"
    assert wh.raw("select count(*) from read_parquet('{raw}/batches/*/load_audit/rejections/*.parquet')") == [(0,)], (
        "the shape's landing has rejected rows: the mutation made invalid data"
    )
    ok = wh.dbt("build", "--exclude", "test_type:unit", "--vars", AS_OF)
    assert ok, f"dbt build failed: {failures(wh)}"
    return wh


def failures(wh: Warehouse) -> list[str]:
    import json

    run_results = json.loads((wh.root / "dbt_target" / "run_results.json").read_text())
    return [
        f"{r['unique_id']}: {(r.get('message') or '')[:300]}"
        for r in run_results["results"]
        if r["status"] in ("error", "fail", "runtime error")
    ]


def check_marts(wh: Warehouse, reference_types: dict) -> list[dict]:
    """The invariants every shape must keep; returns the determinations."""
    lines = {r[0] for r in wh.query("select shipment_line_id from staging.stg_customs__export_declarations")}
    rows = wh.dicts("select * from marts.fct_shipment_determinations")
    counts = Counter(r["shipment_line_id"] for r in rows)
    assert set(counts) == lines, "a declaration line has no determination, or a determination no line"
    assert max(counts.values(), default=1) == 1, "a declaration line has several determinations"

    types = column_types(wh)
    assert not [k for k, v in types.items() if v == '"NULL"' or v == "NULL"], "a column has the NULL type"
    differing = {k: (v, reference_types.get(k)) for k, v in types.items() if reference_types.get(k, v) != v}
    assert not differing, f"column types depend on the data: {differing}"

    for row in rows:
        flags = set(filter(None, (row["data_quality_flags"] or "").split(";")))
        rules = set(filter(None, row["rules_triggered"].split(";")))
        line = row["shipment_line_id"]
        decided_by_known_content = "61-1a" in rules and row["meets_value_threshold"] is True
        blocking = flags & MISSING_DATA_FLAGS - (LOWER_BOUND_DECIDES if decided_by_known_content else set())
        if row["compliance_status"] == "clear":
            assert not blocking, f"{line} is clear although it lacks data: {flags}"
            assert not (rules and "unclear_end_use" in flags), f"{line} is clear with an unclear end use"
            assert row["screening_status"] in ("clear",) or row["licence_requirement"] == "not_required"
        if blocking - {"no57_item"}:
            assert row["compliance_status"] in ("review", "blocked"), (line, row["compliance_status"], flags)
        explanation = row["explanation"] or ""
        assert explanation.strip(), f"{line} has no explanation"
        for rule in rules:
            assert f"{rule}: " in explanation, f"{line}: rule {rule} fired but the explanation omits it"
        for bad in ("()", "(;", "( ", " )", "  "):
            assert bad not in explanation, f"{line}: {bad!r} in the explanation: {explanation}"
    return rows


# --- the tests ---------------------------------------------------------------------------------


ALL_SHAPES = [*SHAPES, *(pytest.param(shape, marks=pytest.mark.slow) for shape in SLOW_SHAPES)]


@pytest.mark.parametrize("shape", ALL_SHAPES, ids=[s.__name__ for s in SHAPES + SLOW_SHAPES])
def test_landing_shape_builds_green(shape, tmp_path, reference_types, monkeypatch):
    monkeypatch.setenv("REE_THREADS", "2")
    seed = (SHAPES + SLOW_SHAPES).index(shape) + 1
    generated = generated_landing(tmp_path / "generated", GENERATED_LINES, seed)
    data = shape(merge_landings(read_landing(SAMPLE), read_landing(generated)))
    wh = build_shape(tmp_path, data)
    rows = check_marts(wh, reference_types)
    SHAPE_CHECKS.get(shape.__name__, lambda wh, rows, data: None)(wh, rows, data)


def _no_licence_covers(wh, rows, data):
    assert not [r for r in rows if r["licence_status"] == "covered" or r["licence_id"] is not None]
    needing = [r for r in rows if r["licence_requirement"] == "required"]
    assert needing, "the shape should still have lines that need a licence"
    assert {r["compliance_status"] for r in needing} <= {"licence_missing", "blocked", "review"}


def _no_affiliates(wh, rows, data):
    assert not [r for r in rows if r["screening_status"] == "listed_affiliate"]


def _undocumented_magnets_in_review(wh, rows, data):
    """Independent of the models: an exported item whose BOM valid on the date holds (or which is)
    a purchased NdFeB magnet with no BOM of its own, now that no certificate exists, cannot be
    decided (Tb/Dy content unknown) when a foreign operator exports it outside mainland China ..."""
    undecidable = {
        r[0]
        for r in wh.query("""
        with recursive lines as (
            select shipment_line_id, item_id, export_date from staging.stg_customs__export_declarations
            where exporter_country != 'CN' and destination_country != 'CN'
        ),
        tree(shipment_line_id, export_date, node_item_id, depth) as (
            select shipment_line_id, export_date, item_id, 0 from lines
            union all
            select tree.shipment_line_id, tree.export_date, bom.component_item_id, tree.depth + 1
            from tree
            inner join staging.stg_erp__bom_lines as bom
                on bom.parent_item_id = tree.node_item_id
                and tree.export_date >= bom.valid_from
                and (bom.valid_to is null or tree.export_date <= bom.valid_to)
            where tree.depth < 10
        )
        select distinct tree.shipment_line_id
        from tree
        inner join staging.stg_erp__items as items on tree.node_item_id = items.item_id
        where items.product_form = 'permanent_magnet' and lower(items.magnet_type) = 'ndfeb'
            and items.item_type = 'purchased'
            and not exists (select 1 from staging.stg_erp__bom_lines as own where own.parent_item_id = items.item_id)
    """)
    }
    assert undecidable, "the shape should hold lines with an undocumented NdFeB magnet"
    # ... unless the content that is known (Part 1 materials at delivered cost) already meets 0.1 %
    decided = {
        r["shipment_line_id"]: r["compliance_status"]
        for r in rows
        if r["shipment_line_id"] in undecidable
        and not ("61-1a" in r["rules_triggered"] and r["meets_value_threshold"] is True)
    }
    assert decided, "the shape should hold lines that only the missing certificates could decide"
    wrong = {line: status for line, status in decided.items() if status == "clear"}
    assert not wrong, f"lines with an undocumented NdFeB magnet are clear: {sorted(wrong)[:10]}"


def _one_day(wh, rows, data):
    assert len({r["export_date"] for r in rows}) == 1 and len(rows) == len(data[DAILY])


def _one_line(wh, rows, data):
    (row,) = rows
    assert (row["shipment_line_id"], row["rules_triggered"], row["licence_status"]) == (
        "DE-261116-01-1",
        "61-1a",
        "covered",
    )


SHAPE_CHECKS = {
    "no_licences": _no_licence_covers,
    "licences_cover_nothing": _no_licence_covers,
    "optional_extracts_absent": lambda wh, rows, data: (
        _no_licence_covers(wh, rows, data),
        _no_affiliates(wh, rows, data),
    ),
    "no_ownership": _no_affiliates,
    "no_certificates": _undocumented_magnets_in_review,
    "may_be_empty_header_only": _undocumented_magnets_in_review,
    "one_export_date": _one_day,
    "single_line": _one_line,
}


@pytest.mark.slow
@pytest.mark.parametrize("seed", [11, 12, 13])
def test_generated_landing_alone_builds_green(seed, tmp_path, reference_types, monkeypatch):
    """The generator's world alone (no sample rows), stripped of every optional extract."""
    monkeypatch.setenv("REE_THREADS", "2")
    data = optional_extracts_absent(read_landing(generated_landing(tmp_path / "generated", 60, seed)))
    wh = build_shape(tmp_path, data)
    check_marts(wh, reference_types)
