"""ree load: quarantine, structural failures, idempotence, accumulation (contracts/raw_extracts.md)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from landing import BASE, make_landing, write_extract
from ree.load import LoadError


def rejections(wh) -> list[tuple]:
    return wh.raw(
        "select source_file, row_number, column_name, value, reason from read_parquet('{raw}/batches/*/load_audit/rejections/*.parquet') "
        "order by source_file, row_number, column_name"
    )


def test_planted_bad_rows_are_exactly_the_quarantined_ones(warehouse, landing):
    bad_declarations = BASE["customs/export_declarations"] + [
        {**BASE["customs/export_declarations"][0], "line_no": "2", "export_date": "2026-02-30"},  # impossible date
        {**BASE["customs/export_declarations"][0], "line_no": "3", "destination_country": "XX"},  # not ISO
        {**BASE["customs/export_declarations"][0], "line_no": "4", "line_value": "1,000.00"},  # thousands separator
        {**BASE["customs/export_declarations"][0], "line_no": "5", "end_use_code": "space"},  # not in enum
        {**BASE["customs/export_declarations"][0], "line_no": "6", "destination_country": "na"},  # Namibia, lower case
        {**BASE["customs/export_declarations"][0], "line_no": "7", "quantity": "0"},  # must be > 0
        {**BASE["customs/export_declarations"][0], "line_no": "8", "item_id": ""},  # required
        {**BASE["customs/export_declarations"][0], "line_no": "9", "currency": "EURO"},  # not ISO 4217
    ]
    make_landing(landing, {"customs/export_declarations": bad_declarations})
    batch_id, stats, _ = warehouse.load(landing)
    assert batch_id
    got = rejections(warehouse)
    rel = "customs/export_declarations/2026-01-15.csv"
    assert got == [
        (rel, 3, "export_date", "2026-02-30", "export_date cannot be read as date"),
        (rel, 4, "destination_country", "XX", "not an ISO 3166-1 alpha-2 country code"),
        (rel, 5, "line_value", "1,000.00", "not a decimal of 0 or more"),
        (rel, 6, "end_use_code", "space", "not one of " + ", ".join(__import__("ree.contract").contract.END_USE_CODES)),
        (rel, 8, "quantity", "0", "not a decimal greater than 0"),
        (rel, 9, "item_id", None, "required value missing"),
        (rel, 10, "currency", "EURO", "not an ISO 4217 currency code"),
    ]
    loaded = warehouse.raw(
        "select line_no, destination_country from read_parquet('{raw}/batches/*/customs/export_declarations/*.parquet') "
        "order by line_no"
    )
    assert loaded == [(1, "US"), (6, "NA")]  # Namibia upper-cased and kept, never null


def test_duplicate_key_with_different_contents_rejects_every_occurrence(warehouse, landing):
    row = BASE["customs/export_declarations"][0]
    make_landing(
        landing,
        {"customs/export_declarations": [row, {**row, "line_value": "999.00"}, {**row, "line_no": "2"}, {**row, "line_no": "2"}]},
    )
    warehouse.load(landing)
    got = [(r[1], r[4]) for r in rejections(warehouse)]
    assert got == [(2, "duplicate key (declaration_id, line_no) with different contents in the same file")] * 0 + [
        (2, "duplicate key (declaration_id, line_no) with different contents in the same file"),
        (3, "duplicate key (declaration_id, line_no) with different contents in the same file"),
    ]
    # the identical repeat of line 2 is one row, not a rejection
    assert warehouse.raw(
        "select line_no from read_parquet('{raw}/batches/*/customs/export_declarations/*.parquet')"
    ) == [(2,)]


def test_date_order_and_range_rules(warehouse, landing):
    make_landing(
        landing,
        {
            "erp/bom": BASE["erp/bom"]
            + [{"parent_item_id": "MOTOR-1", "component_item_id": "X", "quantity_per": "1", "valid_from": "2025-06-01", "valid_to": "2025-05-31"}],
            "certificates/material_declarations": BASE["certificates/material_declarations"]
            + [{**BASE["certificates/material_declarations"][0], "line_no": "2", "declared_value_share_pct": "100.5"}],
        },
    )
    warehouse.load(landing)
    reasons = {(r[0], r[1]): r[4] for r in rejections(warehouse)}
    assert reasons == {
        ("erp/bom.csv", 3): "valid_to is before valid_from",
        ("certificates/material_declarations.csv", 3): "not a decimal between 0 and 100",
    }


def test_missing_column_fails_the_whole_load_and_changes_nothing(warehouse, landing, tmp_path):
    make_landing(landing)
    first, _, _ = warehouse.load(landing)
    before = sorted(p.name for p in (warehouse.root / "raw" / "batches").iterdir())
    columns = [c for c in __import__("ree.contract").contract.extract("parties/parties").column_names if c != "party_type"]
    write_extract(landing, "parties/parties", BASE["parties/parties"], header=columns)
    with pytest.raises(LoadError) as err:
        warehouse.load(landing)
    assert err.value.source_file == "parties/parties.csv"
    assert "missing required column(s) party_type" in err.value.problem
    assert sorted(p.name for p in (warehouse.root / "raw" / "batches").iterdir()) == before == [first]
    assert not (warehouse.root / "raw" / "_incoming").exists()


def test_non_utf8_file_fails_naming_file_and_line(warehouse, landing):
    make_landing(landing)
    path = landing / "parties" / "parties.csv"
    path.write_bytes(path.read_bytes() + "P2,M\xfcller GmbH,,DE,commercial,,2026-11-28T06:00:00Z\n".encode("latin-1"))
    with pytest.raises(LoadError) as err:
        warehouse.load(landing)
    assert err.value.source_file == "parties/parties.csv"
    assert "not UTF-8 at line 3" in err.value.problem
    assert not (warehouse.root / "raw" / "batches").exists()


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "the file is empty (0 bytes)"),
        (b'party_id,name\n"unterminated,x\n', "missing required column"),
        (b"\x00\x01\x02binary", "not parseable as CSV"),
    ],
)
def test_structurally_unusable_files_fail(warehouse, landing, content, problem):
    make_landing(landing)
    (landing / "parties" / "parties.csv").write_bytes(content)
    with pytest.raises(LoadError) as err:
        warehouse.load(landing)
    assert problem in err.value.problem


def test_required_extract_absent_fails(warehouse, landing):
    make_landing(landing)
    (landing / "erp" / "items.csv").unlink()
    with pytest.raises(LoadError, match="required extract absent"):
        warehouse.load(landing)


def test_same_file_twice_adds_nothing_and_new_daily_files_accumulate(warehouse, landing):
    make_landing(landing)
    first, _, _ = warehouse.load(landing)
    assert first
    again, _, notes = warehouse.load(landing)
    assert again is None and "nothing new" in notes[-1]
    # a new daily file beside the old one: only it is read
    write_extract(
        landing,
        "customs/export_declarations",
        [{**BASE["customs/export_declarations"][0], "declaration_id": "D2", "export_date": "2026-01-16"}],
        daily="2026-01-16",
    )
    second, stats, _ = warehouse.load(landing)
    files = {f.source_file: f.skipped for f in stats["customs/export_declarations"].files}
    assert files == {
        "customs/export_declarations/2026-01-15.csv": True,
        "customs/export_declarations/2026-01-16.csv": False,
    }
    assert warehouse.raw(
        "select declaration_id, _batch_id from read_parquet('{raw}/batches/*/customs/export_declarations/*.parquet') "
        "where declaration_id is not null order by declaration_id"
    ) == [("D1", first), ("D2", second)]


def test_bom_crlf_and_header_case_are_tolerated(warehouse, landing):
    make_landing(landing)
    path = landing / "parties" / "parties.csv"
    text = path.read_text(encoding="utf-8")
    header, rest = text.split("\n", 1)
    path.write_bytes(("\ufeff" + header.upper() + "\n" + rest).replace("\n", "\r\n").encode("utf-8"))
    batch_id, stats, _ = warehouse.load(landing)
    assert stats["parties/parties"].files[0].rows_loaded == 1
    assert warehouse.raw("select party_id from read_parquet('{raw}/batches/*/parties/parties/*.parquet')") == [("P1",)]


def test_cli_exits_non_zero_with_a_clear_message(tmp_path, landing):
    make_landing(landing)
    (landing / "erp" / "bom.csv").write_bytes(b"")
    env = {"REE_WAREHOUSE_DIR": str(tmp_path / "wh"), "CI": "true", "PATH": str(Path(sys.executable).parent)}
    done = subprocess.run([Path(sys.executable).parent / "ree", "load", str(landing)], capture_output=True, text=True, env=env)
    assert done.returncode == 1
    assert "erp/bom.csv: the file is empty" in done.stderr
    assert "warehouse is as it was" in done.stderr


def test_validation_report_is_written_and_escaped(warehouse, landing):
    make_landing(
        landing,
        {"parties/parties": BASE["parties/parties"] + [{"party_id": "P9", "name": "Evil", "party_type": "<script>x</script>"}]},
    )
    batch_id, _, _ = warehouse.load(landing)
    report = (warehouse.root / "reports" / "validation" / f"{batch_id}.html").read_text(encoding="utf-8")
    assert "expect_column_values_to_be_in_set" in report
    assert "<script>" not in report and "&lt;script&gt;" in report
