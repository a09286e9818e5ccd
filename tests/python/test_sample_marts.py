"""End to end on the embedded sample: every rule path it contains gives the outcome its README
documents (data/sample/expected/*.csv, worked out by hand), and the marts honour the contract."""

from __future__ import annotations

import csv
import subprocess
import sys
from decimal import Decimal

import pytest
from conftest import SAMPLE, SHARED

EXPECTED = SAMPLE / "expected"
DECIMALS = {"cn_part1_value", "cn_part1_value_share_pct", "value_share_pct_to_declare"}
SETS = {"data_quality_flags"}


def normalise(column: str, value) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if column in DECIMALS:
        number = Decimal(str(value))
        return "0" if number == 0 else format(number.normalize(), "f")
    if column in SETS:
        # indicative_price says the shipped price table was used; the sample supplies its own
        return ";".join(sorted(f for f in str(value).split(";") if f and f != "indicative_price"))
    return str(value)


def expected_rows(name: str) -> list[dict]:
    with (EXPECTED / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def determinations(sample_warehouse) -> dict[str, dict]:
    rows = sample_warehouse.dicts("select * from marts.fct_shipment_determinations")
    return {r["shipment_line_id"]: r for r in rows}


def test_every_expected_line_is_determined_as_documented(determinations):
    expected = expected_rows("shipment_determinations.csv")
    assert sorted(determinations) == sorted(e["shipment_line_id"] for e in expected)
    columns = [c for c in expected[0] if c not in ("shipment_line_id", "note")]
    differences = []
    for row in expected:
        actual = determinations[row["shipment_line_id"]]
        for column in columns:
            want, got = normalise(column, row[column]), normalise(column, actual[column])
            if want != got:
                differences.append(
                    f"{row['shipment_line_id']}.{column}: expected {want!r}, got {got!r} ({row['note']})"
                )
    assert not differences, "\n".join(differences)


def test_obligations_are_raised_as_documented(sample_warehouse):
    expected = expected_rows("declaration_obligations.csv")
    actual = sample_warehouse.dicts("select * from marts.fct_declaration_obligations")
    key = lambda r: (r["shipment_line_id"], r["obligation_type"])  # noqa: E731
    columns = ["recipient", "value_share_pct_to_declare", "due_date", "status"]
    want = {key(r): {c: normalise(c, r[c]) for c in columns} for r in expected}
    got = {key(r): {c: normalise(c, r[c]) for c in columns} for r in actual}
    assert sorted(got) == sorted(want)
    assert {k: v for k, v in got.items() if v != want[k]} == {}
    # a fulfilled obligation always says what fulfilled it
    assert all(r["evidence"] for r in actual if r["status"] == "fulfilled")


def test_obligation_ids_are_stable_across_rebuilds(sample_warehouse):
    before = sample_warehouse.query("select obligation_id from marts.fct_declaration_obligations order by 1")
    assert sample_warehouse.dbt(
        "run", "--select", "fct_declaration_obligations", "--vars", "{as_of_date: '2026-12-01'}"
    )
    after = sample_warehouse.query("select obligation_id from marts.fct_declaration_obligations order by 1")
    assert before == after and len(before) == len(set(before))


def test_every_line_explains_itself(determinations):
    for line in determinations.values():
        assert line["explanation"], line["shipment_line_id"]
        for rule in filter(None, line["rules_triggered"].split(";")):
            assert f"{rule}: " in line["explanation"], (line["shipment_line_id"], rule)
        if line["rules_triggered"] == "":
            assert line["explanation"].startswith("No rule fires"), line["shipment_line_id"]


def test_controlled_shipments_are_the_lines_with_a_rule(sample_warehouse, determinations):
    controlled = {r[0] for r in sample_warehouse.query("select shipment_line_id from marts.fct_controlled_shipments")}
    assert controlled == {k for k, v in determinations.items() if v["rules_triggered"]}


def test_exposure_report_adds_up(sample_warehouse, determinations):
    ((lines, controlled, latent),) = sample_warehouse.query(
        "select sum(line_count), sum(controlled_line_count), sum(latent_licence_line_count) from marts.rpt_regulatory_exposure"
    )
    assert lines == len(determinations)
    assert controlled == sum(1 for v in determinations.values() if v["rules_triggered"])
    assert latent == sum(1 for v in determinations.values() if v["licence_requirement_as_published"] == "required")


def test_the_sample_loads_without_rejections(sample_warehouse):
    assert sample_warehouse.query("select count(*) from marts.rpt_load_rejections") == [(0,)]


def test_contract_checker_is_clean_on_landing_and_marts(sample_warehouse):
    checker = SHARED / "tools" / "check_contract.py"
    if not checker.exists():
        pytest.skip("../shared/tools/check_contract.py is not beside this checkout")
    for args in (["landing", str(SAMPLE)], ["marts", str(sample_warehouse.root / "ree.duckdb")]):
        done = subprocess.run([sys.executable, str(checker), *args], capture_output=True, text=True)
        assert done.returncode == 0 and done.stdout.strip().endswith("0 problems"), done.stdout


def test_snapshot_keeps_the_audit_trail(sample_warehouse):
    (rows,) = sample_warehouse.query("select count(*) from snapshots.snap_shipment_determinations")[0]
    assert rows == sample_warehouse.query("select count(*) from marts.fct_shipment_determinations")[0][0]
