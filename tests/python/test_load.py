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
        {
            "customs/export_declarations": [
                row,
                {**row, "line_value": "999.00"},
                {**row, "line_no": "2"},
                {**row, "line_no": "2"},
            ]
        },
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
            + [
                {
                    "parent_item_id": "MOTOR-1",
                    "component_item_id": "X",
                    "quantity_per": "1",
                    "valid_from": "2025-06-01",
                    "valid_to": "2025-05-31",
                }
            ],
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
    columns = [
        c for c in __import__("ree.contract").contract.extract("parties/parties").column_names if c != "party_type"
    ]
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
    done = subprocess.run(
        [Path(sys.executable).parent / "ree", "load", str(landing)], capture_output=True, text=True, env=env
    )
    assert done.returncode == 1
    assert "erp/bom.csv: the file is empty" in done.stderr
    assert "warehouse is as it was" in done.stderr


def test_validation_report_is_written_and_escaped(warehouse, landing):
    make_landing(
        landing,
        {
            "parties/parties": BASE["parties/parties"]
            + [{"party_id": "P9", "name": "Evil", "party_type": "<script>x</script>"}]
        },
    )
    batch_id, _, _ = warehouse.load(landing)
    report = (warehouse.root / "reports" / "validation" / f"{batch_id}.html").read_text(encoding="utf-8")
    assert "expect_column_values_to_be_in_set" in report
    assert "<script>" not in report and "&lt;script&gt;" in report


# --------------------------------------------------------------------------- line numbers and the CSV dialect


def _declarations_text(rows: list[dict], *, newline: str = "\n", bom: bool = False, header=None) -> bytes:
    import csv
    import io

    from ree import contract

    columns = list(header or contract.extract("customs/export_declarations").column_names)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator=newline, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({c: row.get(c, "2026-11-28T06:00:00Z" if c == "extracted_at" else "") for c in columns})
    return (("\ufeff" if bom else "") + buf.getvalue()).encode("utf-8")


def _decl(n: int, **kw) -> dict:
    return {**BASE["customs/export_declarations"][0], "declaration_id": f"D{n}", **kw}


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize("bom", [False, True])
def test_quoted_newlines_keep_physical_line_numbers(warehouse, landing, newline, bom, monkeypatch):
    """A value with line breaks inside quotes spans several physical lines: the lines after
    it are numbered as an editor shows them (header = line 1), with \\n or \\r\\n and a BOM;
    by the fast reader (DuckDB), not the exact fallback."""
    import ree.load

    monkeypatch.setattr(ree.load, "_python_read", lambda *a: pytest.fail("fell back to the Python reader"))
    rows = [
        _decl(1, customs_remarks=f"see attachment{newline}Packing list no. 1"),  # lines 2-3
        _decl(2, destination_country="XX"),  # line 4
        _decl(3, customs_remarks=f"a{newline}{newline}b\nc"),  # lines 5-8
        _decl(4, quantity="-1"),  # line 9
        _decl(5),  # line 10
    ]
    make_landing(landing)
    (landing / "customs/export_declarations/2026-01-15.csv").write_bytes(
        _declarations_text(rows, newline=newline, bom=bom)
    )
    _, stats, _ = warehouse.load(landing)
    assert [(r[1], r[2]) for r in rejections(warehouse)] == [(4, "destination_country"), (9, "quantity")]
    loaded = warehouse.raw(
        "select declaration_id, _row_number, customs_remarks from "
        "read_parquet('{raw}/batches/*/customs/export_declarations/*.parquet') order by _row_number"
    )
    remark = "see attachment" + newline + "Packing list no. 1"
    assert loaded == [("D1", 2, remark), ("D3", 5, f"a{newline}{newline}b\nc"), ("D5", 10, None)]
    fs = stats["customs/export_declarations"].files[0]
    assert (fs.rows_read, fs.rows_loaded, fs.rows_rejected) == (5, 3, 2)


def test_blank_lines_and_rows_of_the_wrong_width_keep_line_numbers(warehouse, landing, monkeypatch):
    """The exact reader takes over where the fast one cannot prove its numbering."""
    import ree.load

    exact = []
    real = ree.load._python_read
    monkeypatch.setattr(ree.load, "_python_read", lambda con, ex, f: exact.append(f.rel) or real(con, ex, f))
    make_landing(landing)
    text = _declarations_text([_decl(1, customs_remarks="x\ny"), _decl(2, destination_country="XX")]).decode()
    lines = text.split("\n")  # header, D1 (2 lines), D2, ''
    text = "\n".join(
        [
            lines[0],
            lines[1],
            lines[2],
            "",
            lines[3],
            "D9,1,2026-01-15",
            _declarations_text([_decl(3, currency="EURO")]).decode().split("\n")[1],
            "",
        ]
    )
    (landing / "customs/export_declarations/2026-01-15.csv").write_text(text, encoding="utf-8")
    warehouse.load(landing)
    got = [(r[1], r[2], r[4]) for r in rejections(warehouse)]
    assert got == [
        (5, "destination_country", "not an ISO 3166-1 alpha-2 country code"),
        (6, None, "row has 3 fields, header has 17"),
        (7, "currency", "not an ISO 4217 currency code"),
    ]
    assert warehouse.raw(
        "select declaration_id, _row_number from read_parquet('{raw}/batches/*/customs/export_declarations/*.parquet')"
    ) == [("D1", 2)]
    assert exact == ["customs/export_declarations/2026-01-15.csv"]


def test_files_with_different_column_orders_and_header_case_load_together(warehouse, landing):
    from ree import contract

    make_landing(landing)
    names = list(contract.extract("customs/export_declarations").column_names)
    folder = landing / "customs/export_declarations"
    (folder / "2026-01-16.csv").write_bytes(
        _declarations_text(
            [_decl(2, export_date="2026-01-16", destination_country=" jp ")], header=names[::-1]
        ).replace(b"declaration_id", b"Declaration_ID ")
    )
    (folder / "2026-01-17.csv").write_bytes(
        _declarations_text([_decl(3, export_date="2026-01-17", exporter_country="xx")])
    )
    warehouse.load(landing)
    assert warehouse.raw(
        "select declaration_id, destination_country, _source_file, _row_number from "
        "read_parquet('{raw}/batches/*/customs/export_declarations/*.parquet') order by 1"
    ) == [
        ("D1", "US", "customs/export_declarations/2026-01-15.csv", 2),
        ("D2", "JP", "customs/export_declarations/2026-01-16.csv", 2),
    ]
    assert [(r[0], r[1], r[2]) for r in rejections(warehouse)] == [
        ("customs/export_declarations/2026-01-17.csv", 2, "exporter_country")
    ]


def test_white_space_is_trimmed_including_unicode_spaces(warehouse, landing):
    make_landing(
        landing,
        {
            "parties/parties": [
                {"party_id": "\u3000P1\u00a0", "name": " Acme\t", "country": " us", "party_type": "commercial "}
            ]
        },
    )
    warehouse.load(landing)
    assert warehouse.raw(
        "select party_id, name, country, party_type, aliases from "
        "read_parquet('{raw}/batches/*/parties/parties/*.parquet')"
    ) == [("P1", "Acme", "US", "commercial", None)]


def test_identical_repeats_collapse_within_a_file_only(warehouse, landing):
    make_landing(landing)
    folder = landing / "customs/export_declarations"
    (folder / "2026-01-15.csv").write_bytes(_declarations_text([_decl(1), _decl(1), _decl(1), _decl(2)]))
    (folder / "2026-01-16.csv").write_bytes(_declarations_text([_decl(1), _decl(2)]))  # another file: kept
    _, stats, _ = warehouse.load(landing)
    files = {
        f.source_file: (f.rows_read, f.rows_loaded, f.identical_duplicates)
        for f in stats["customs/export_declarations"].files
    }
    assert files == {
        "customs/export_declarations/2026-01-15.csv": (4, 2, 2),
        "customs/export_declarations/2026-01-16.csv": (2, 2, 0),
    }
    assert rejections(warehouse) == []


def test_parquet_has_the_contract_types_even_when_empty_or_all_null(warehouse, landing):
    """Typed once, with an explicit schema: an empty extract and an all-NULL column keep their types."""
    import pyarrow.parquet as pq
    from ree import contract

    make_landing(landing, {"erp/bom": []})  # header only
    batch_id, _, _ = warehouse.load(landing)
    batch = warehouse.root / "raw" / "batches" / batch_id
    expected = {
        "decimal": "decimal128(38, 12)",
        "integer": "int64",
        "date": "date32[day]",
        "timestamp": "timestamp[us]",
    }
    for path in ("erp/bom", "certificates/material_declarations", "licences/licences"):
        ex = contract.extract(path)
        schema = pq.read_schema(next((batch / path).glob("*.parquet")))
        for col in ex.columns:
            want = expected.get(col.kind, "string")
            assert str(schema.field(col.name).type) == want, (path, col.name, schema.field(col.name).type)
        assert str(schema.field("_row_number").type) == "int64"
    # declared_value_share_pct is empty in every certificate row: still a decimal
    assert warehouse.raw(
        "select typeof(declared_value_share_pct) from "
        "read_parquet('{raw}/batches/*/certificates/material_declarations/*.parquet')"
    ) == [("DECIMAL(38,12)",)]


def test_unterminated_quote_fails_naming_the_line(warehouse, landing):
    make_landing(landing)
    path = landing / "parties" / "parties.csv"
    path.write_bytes(path.read_bytes() + b'P2,"Open quote,,US,commercial,,2026-11-28T06:00:00Z\n')
    with pytest.raises(LoadError) as err:
        warehouse.load(landing)
    assert err.value.source_file == "parties/parties.csv"
    assert "not parseable as CSV" in err.value.problem


def test_decimal_rules_without_look_ahead_judge_as_the_look_ahead_did():
    """The > 0 rules are written without look-ahead (RE2 runs them column-wise): same language."""
    import random
    import re

    from ree import contract
    from ree.validate import decimal_regex

    dec = r"[0-9]{1,26}(?:\.[0-9]{1,12})?"
    zero = r"0+(?:\.0+)?"
    old = {
        "gt0": rf"^(?!{zero}$){dec}$",
        "gt0_le100": rf"^(?!{zero}$)(?:100(?:\.0{{1,12}})?|[0-9]{{1,2}}(?:\.[0-9]{{1,12}})?)$",
    }
    new = {
        "gt0": decimal_regex(contract.Column("x", contract.DECIMAL, low=0, low_inclusive=False))[0],
        "gt0_le100": decimal_regex(contract.extract("parties/ownership").column("ownership_pct"))[0],
    }
    rng = random.Random(5)
    samples = [
        "0",
        "00",
        "0.0",
        "0.000000000000",
        "0.000000000001",
        "0.0000000000001",
        "1",
        "100",
        "100.0",
        "100.000000000001",
        "101",
        "99.999999999999",
        "00.5",
        "000",
        "1" * 26,
        "1" * 27,
        "0" * 26 + ".1",
        "0" * 27 + ".1",
        "0" * 25 + "1",
        ".5",
        "5.",
        "-1",
        "1e3",
        "1,0",
        " 1",
        "",
    ]
    for _ in range(20000):
        int_part = "".join(rng.choice("0000123456789") for _ in range(rng.choice((1, 1, 2, 3, 25, 26, 27))))
        frac = "".join(rng.choice("0000001") for _ in range(rng.choice((0, 1, 2, 11, 12, 13))))
        samples.append(int_part + ("." + frac if frac or rng.random() < 0.1 else ""))
    for name, regex in old.items():
        for s in samples:
            assert bool(re.search(regex, s)) == bool(re.search(new[name], s)), (name, s)
    import pyarrow as pa
    import pyarrow.compute as pc

    pc.match_substring_regex(pa.array(["1"]), new["gt0"])  # RE2 accepts it


def test_line_numbers_agree_with_pythons_csv_reader_on_a_generated_landing(warehouse, tmp_path):
    """Every loaded row of a generated landing (multi-line remarks included) carries the line
    that Python's csv module, counting physical lines itself, gives it."""
    import csv

    from ree.sample import generate

    landing = tmp_path / "generated"
    generate(out=landing, lines=30_000, seed=11, quiet=True)
    warehouse.load(landing)
    expected = set()
    multi_line = 0
    for path in sorted((landing / "customs/export_declarations").glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.reader(fh)
            next(reader)
            start = 2
            for record in reader:
                expected.add((f"customs/export_declarations/{path.name}", start, record[0], int(record[1])))
                multi_line += reader.line_num + 1 - start > 1
                start = reader.line_num + 1
    assert multi_line, "the generated landing has no multi-line value"
    got = set(
        warehouse.raw(
            "select _source_file, _row_number, declaration_id, line_no from "
            "read_parquet('{raw}/batches/*/customs/export_declarations/*.parquet')"
        )
    )
    assert got == expected


def test_duckdb_connections_are_bounded_and_spill_under_the_warehouse(warehouse, monkeypatch):
    """The loader's DuckDB gets REE_MEMORY_LIMIT, REE_THREADS and a temp_directory under
    REE_WAREHOUSE_DIR; profiles.yml gives dbt the same settings."""
    import yaml
    from ree.load import connect

    monkeypatch.setenv("REE_MEMORY_LIMIT", "1GB")
    monkeypatch.setenv("REE_THREADS", "1")
    with warehouse:
        con = connect()
        try:
            memory, threads, temp = con.execute(
                "select current_setting('memory_limit'), current_setting('threads'), current_setting('temp_directory')"
            ).fetchone()
        finally:
            con.close()
    assert memory in ("953.6 MiB", "1.0 GiB", "1GB") and threads == 1
    assert temp == str(warehouse.root / "duckdb_tmp")
    profiles = yaml.safe_load((Path(__file__).resolve().parents[2] / "profiles.yml").read_text())
    settings = profiles["ree"]["outputs"]["duckdb"]["settings"]
    assert "REE_MEMORY_LIMIT" in settings["memory_limit"]
    assert "REE_WAREHOUSE_DIR" in settings["temp_directory"] and settings["temp_directory"].endswith("/duckdb_tmp")
    assert "REE_THREADS" in profiles["ree"]["outputs"]["duckdb"]["threads"]
