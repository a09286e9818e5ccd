"""`ree sample`: deterministic, laid out per the contract, every value valid per ree.contract."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from ree import contract
from ree.sample import generate

LINES = 2000
# optional extracts the generator does not write: a generated landing builds without them
NOT_GENERATED = {"erp/legal_entities", "compliance/obligation_records"}
CHECK_CONTRACT = Path("/work/shared/tools/check_contract.py")


def _digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _files(root: Path, ex: contract.Extract) -> list[Path]:
    single = root / f"{ex.path}.csv"
    return ([single] if single.exists() else []) + sorted((root / ex.path).glob("*.csv"))


def _read(root: Path, path: str) -> list[dict]:
    rows = []
    for f in _files(root, contract.extract(path)):
        with open(f, encoding="utf-8", newline="") as fh:
            rows += list(csv.DictReader(fh))
    return rows


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sample") / "landing"
    generate(out=out, lines=LINES, seed=7, quiet=True)
    return out


def test_same_seed_same_bytes_other_seed_other_bytes(landing, tmp_path):
    again = tmp_path / "again"
    generate(out=again, lines=LINES, seed=7, quiet=True)
    assert _digest(again) == _digest(landing)
    other = tmp_path / "other"
    generate(out=other, lines=LINES, seed=8, quiet=True)
    a, b = _digest(other), _digest(landing)
    assert a != b
    assert a["customs/export_declarations/2026-03-03.csv"] != b["customs/export_declarations/2026-03-03.csv"]


def test_bytes_do_not_depend_on_the_number_of_workers(tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    generate(out=one, lines=30_000, seed=3, quiet=True, workers=1)
    generate(out=two, lines=30_000, seed=3, quiet=True, workers=2)
    assert _digest(one) == _digest(two)


def test_refuses_a_non_empty_folder(tmp_path):
    (tmp_path / "x.txt").write_text("keep me")
    with pytest.raises(FileExistsError):
        generate(out=tmp_path, lines=10, seed=1, quiet=True)


def test_landing_passes_check_contract(landing):
    if not CHECK_CONTRACT.exists():
        pytest.skip("shared check_contract.py not available")
    res = subprocess.run([sys.executable, str(CHECK_CONTRACT), "landing", str(landing)], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout.strip().endswith("0 problems")


def test_layout(landing):
    for ex in contract.EXTRACTS:
        files = _files(landing, ex)
        if ex.path == "reference/fx_rates":
            assert not files, "fx_rates would replace the shipped ECB rates"
            continue
        if ex.path in NOT_GENERATED:
            assert not files, f"{ex.path} is not generated (an optional extract a landing may lack)"
            continue
        assert files, f"{ex.path} not written"
        if ex.path == "customs/export_declarations":
            assert not (landing / f"{ex.path}.csv").exists()
            assert len(files) > 300
            for f in files:
                assert re.fullmatch(r"\d{4}-\d{2}-\d{2}\.csv", f.name)
        else:
            assert files == [landing / f"{ex.path}.csv"]
    decl = contract.extract("customs/export_declarations")
    total = sum(1 for f in _files(landing, decl) for _ in csv.reader(open(f, encoding="utf-8", newline=""))) - len(
        _files(landing, decl)
    )
    assert total == LINES


def test_files_are_exactly_what_csv_writer_writes(landing):
    """The fast path builds lines itself: they must equal csv.writer's output (RFC 4180, '\\n')."""
    for f in sorted(landing.rglob("*.csv")):
        raw = f.read_bytes()
        assert not raw.startswith(b"\xef\xbb\xbf")
        text = raw.decode("utf-8")
        assert "\r" not in text
        with open(f, encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(rows)
        assert buf.getvalue() == text, f


# --------------------------------------------------------------------------- a small validator

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")
_DEC = re.compile(r"^[0-9]{1,26}(\.[0-9]{1,12})?$")


def _problems(ex: contract.Extract, row: dict) -> list[str]:
    out = []
    countries, currencies = contract.iso_countries(), contract.iso_currencies()
    for col in ex.columns:
        v = row[col.name]
        if v != v.strip():
            out.append(f"{col.name}: surrounding white space")
        if v == "":
            if col.required:
                out.append(f"{col.name}: required")
            continue
        k = col.kind
        if k == contract.ENUM and v not in col.enum:
            out.append(f"{col.name}: {v!r} not in enum")
        elif k == contract.FLAG and v not in ("Y", "N"):
            out.append(f"{col.name}: {v!r} not a flag")
        elif k == contract.COUNTRY and v not in countries:
            out.append(f"{col.name}: {v!r} not ISO 3166")
        elif k == contract.CURRENCY and v not in currencies:
            out.append(f"{col.name}: {v!r} not ISO 4217")
        elif k == contract.INTEGER and not v.isdigit():
            out.append(f"{col.name}: {v!r} not an integer")
        elif k == contract.DATE:
            if not _DATE.match(v):
                out.append(f"{col.name}: {v!r} not a date")
            else:
                dt.date.fromisoformat(v)
        elif k == contract.TIMESTAMP:
            if not _TS.match(v):
                out.append(f"{col.name}: {v!r} not a timestamp")
            else:
                dt.datetime.fromisoformat(v)
        elif k == contract.DECIMAL:
            if not _DEC.match(v):
                out.append(f"{col.name}: {v!r} not a decimal")
            else:
                d = Decimal(v)
                if col.low is not None and (d < col.low or (d == col.low and not col.low_inclusive)):
                    out.append(f"{col.name}: {v} below range")
                if col.high is not None and (d > col.high or (d == col.high and not col.high_inclusive)):
                    out.append(f"{col.name}: {v} above range")
        if col.pattern and not re.match(col.pattern, v):
            out.append(f"{col.name}: {v!r} does not match {col.pattern}")
    for earlier, later in ex.date_orders:
        if row[earlier] and row[later] and row[later] < row[earlier]:
            out.append(f"{later} before {earlier}")
    return out


@pytest.mark.parametrize(
    "path", [e.path for e in contract.EXTRACTS if e.path != "reference/fx_rates" and e.path not in NOT_GENERATED]
)
def test_every_row_valid_per_contract(landing, path):
    ex = contract.extract(path)
    keys = set()
    problems = []
    rows = 0
    for f in _files(landing, ex):
        with open(f, encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            assert tuple(reader.fieldnames) == ex.column_names or sorted(reader.fieldnames) == sorted(
                ex.column_names
            ), f
            for line, row in enumerate(reader, start=2):
                rows += 1
                problems += [f"{f.name}:{line}: {p}" for p in _problems(ex, row)]
                key = tuple(row[k] for k in ex.key)
                assert key not in keys, f"{f.name}:{line}: duplicate key {key}"
                keys.add(key)
    assert not problems, problems[:20]
    if path != "reference/screening_decisions":
        assert rows > 0 or path in ("erp/bom",), path


def test_with_fx_rates_is_valid(tmp_path):
    generate(out=tmp_path / "fx", lines=50, seed=1, quiet=True, with_fx_rates=True)
    ex = contract.extract("reference/fx_rates")
    rows = _read(tmp_path / "fx", ex.path)
    assert rows and not [p for r in rows for p in _problems(ex, r)]


# --------------------------------------------------------------------------- realistic shape


def test_bom_reaches_depth_5_without_cycles(landing):
    children: dict[str, set[str]] = {}
    for r in _read(landing, "erp/bom"):
        children.setdefault(r["parent_item_id"], set()).add(r["component_item_id"])
    depth: dict[str, int] = {}
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done

    def visit(node: str) -> int:
        if state.get(node) == 1:
            raise AssertionError(f"cycle through {node}")
        if state.get(node) == 2:
            return depth[node]
        state[node] = 1
        depth[node] = 1 + max((visit(c) for c in sorted(children.get(node, ()))), default=-1)
        state[node] = 2
        return depth[node]

    deepest = max(visit(p) for p in sorted(children))
    assert deepest == 5  # levels: finished good -> module -> sub-assembly -> part -> magnet -> material


def test_bom_lines_replaced_mid_period(landing):
    bom = _read(landing, "erp/bom")
    ends = {(r["parent_item_id"], r["valid_to"]) for r in bom if r["valid_to"]}
    starts = {(r["parent_item_id"], r["valid_from"]) for r in bom}
    replaced = [(p, d) for p, d in ends if (p, (dt.date.fromisoformat(d) + dt.timedelta(days=1)).isoformat()) in starts]
    assert replaced


def test_na_stays_namibia(landing):
    decl = _read(landing, "customs/export_declarations")
    assert any(r["destination_country"] == "NA" for r in decl)
    assert any(r["country"] == "NA" for r in _read(landing, "parties/parties"))
    import duckdb

    glob = str(landing / "customs" / "export_declarations" / "*.csv")
    n = duckdb.sql(
        f"select count(*) from read_csv('{glob}', all_varchar = true) where destination_country = 'NA'"
    ).fetchall()[0][0]
    assert n == sum(r["destination_country"] == "NA" for r in decl)


def test_items_cover_the_forms(landing):
    items = _read(landing, "erp/items")
    forms = {r["material_form"] for r in items if r["material_form"]}
    assert set(contract.PART1_SUBSTANCES) <= forms
    assert {"Nd_metal", "DyF3", "Sm_oxide"} <= forms
    assert {"NdFeB", "SmCo", "ferrite", "AlNiCo"} <= {r["magnet_type"] for r in items}
    assert {"Tb", "TbCo", "ScAl", "YAl", "Gd"} <= {r["target_material"] for r in items}
    assert {f for f in contract.extract("erp/items").column("product_form").enum} == {r["product_form"] for r in items}
    assert any(r["hs_code"].startswith("0") for r in items)
    assert len({r["country_of_manufacture"] for r in items}) >= 8


def test_declarations_shape(landing):
    decl = _read(landing, "customs/export_declarations")
    items = {r["item_id"]: r for r in _read(landing, "erp/items")}
    parties = {r["party_id"] for r in _read(landing, "parties/parties")}
    assert {"CN", "HK", "TW", "MO", "US", "DE", "JP", "KR", "IN", "NA"} <= {r["destination_country"] for r in decl}
    assert "CN" in {r["exporter_country"] for r in decl}
    assert any(
        r["exporter_country"] == "CN" and items[r["item_id"]]["material_form"] in contract.PART1_SUBSTANCES
        for r in decl
    )
    assert any(r["exporter_country"] == r["destination_country"] for r in decl) is False
    statements = {r["end_use_statement"] for r in decl if not r["end_use_code"]}
    assert {"R&D of 14 nm logic chips", "232-layer NAND production"} <= statements
    assert any(r["line_value"] in ("0", "0.00") for r in decl)
    assert any(re.search(r"1C90\d\.[abc] controlled", r["customs_remarks"]) for r in decl)
    codes = [r["end_use_code"] for r in decl]
    assert codes.count("civil") > 0.7 * len(codes)
    assert {r["item_id"] for r in decl} <= set(items)
    assert {r["consignee_party_id"] for r in decl} - {""} <= parties


def test_certificates_shape(landing):
    certs = _read(landing, "certificates/material_declarations")
    items = {r["item_id"]: r for r in _read(landing, "erp/items")}
    assert {r["document_type"] for r in certs} == set(
        contract.extract("certificates/material_declarations").column("document_type").enum
    )
    assert any(r["declared_value_share_pct"] for r in certs if r["document_type"] == "compliance_notice")
    assert any(r["chinese_re_technology"] == "Y" for r in certs)
    lines: dict[tuple, set] = {}
    for r in certs:
        lines.setdefault((r["certificate_id"], r["substance"]), set()).add(r["origin_country"])
    assert any(len(o) > 1 for o in lines.values()), "no mixed-origin lot"
    covered = {r["item_id"] for r in certs}
    magnets = [i for i, r in items.items() if r["product_form"] == "permanent_magnet" and r["item_type"] == "purchased"]
    assert [m for m in magnets if m not in covered], "no magnet without a certificate"
    purchased = {i for i, r in items.items() if r["item_type"] == "purchased"}
    assert purchased <= {r["item_id"] for r in _read(landing, "procurement/purchase_lines")}


def test_parties_and_lists(landing):
    parties = _read(landing, "parties/parties")
    assert {"military", "research", "government", "ngo"} <= {r["party_type"] for r in parties}
    assert any(re.search(r"[\u4e00-\u9fff]", r["name_local"]) for r in parties)
    assert any("|" in r["aliases"] for r in parties)
    lists = _read(landing, "reference/restricted_parties")
    assert {r["list_id"] for r in lists} == set(contract.extract("reference/restricted_parties").column("list_id").enum)
    ids = {r["party_id"] for r in parties}
    entries = {r["entry_id"] for r in lists}
    for r in _read(landing, "reference/screening_decisions"):
        assert r["party_id"] in ids and r["entry_id"] in entries
    own = _read(landing, "parties/ownership")
    assert {r["owner_party_id"] for r in own} <= ids and {r["owned_party_id"] for r in own} <= ids
    assert _read(landing, "licences/licences")


# --------------------------------------------------------------------------- the large manufacturer's shape


def test_shape_scales_with_lines():
    from ree.sample import Shape

    assert Shape.for_lines(10_000_000).items == 200_000
    assert Shape.for_lines(1_000_000).items == 20_000
    assert Shape.for_lines(1_000_000, items=5, months=6).items == 5
    assert Shape.for_lines(1).first_export == dt.date(2025, 7, 1)  # 18 months up to 2026-12-31
    assert Shape(items=1, months=6).first_export == dt.date(2026, 7, 1)


@pytest.fixture(scope="module")
def scaled(tmp_path_factory) -> Path:
    """A 1/50 of the 10 M-line shape (200 k lines would take too long in a test)."""
    out = tmp_path_factory.mktemp("scaled") / "landing"
    generate(out=out, lines=120_000, seed=5, quiet=True)
    return out


def _sql(query: str) -> list[tuple]:
    import duckdb

    return duckdb.sql(query).fetchall()


def test_scaled_landing_has_the_large_manufacturers_shape(scaled):
    """At N lines: ≈0.02 N items, ≈0.1 N BOM rows (≈1.5 intervals per component line, depth 5),
    ≈0.016 N certificate lines, N/4 declarations, ≈0.015 N exported items on many dates, 18
    months of daily files, five currencies."""
    n = 120_000
    root = str(scaled)
    ((items,),) = _sql(f"select count(*) from read_csv('{root}/erp/items.csv', all_varchar = true)")
    assert 0.9 * 0.02 * n <= items <= 1.15 * 0.02 * n
    ((bom_rows, lines),) = _sql(
        f"select count(*), count(distinct (parent_item_id, component_item_id)) from read_csv('{root}/erp/bom.csv', all_varchar = true)"
    )
    assert 0.85 * 0.1 * n <= bom_rows <= 1.15 * 0.1 * n
    assert 1.4 <= bom_rows / lines <= 1.6
    ((certs,),) = _sql(
        f"select count(*) from read_csv('{root}/certificates/material_declarations.csv', all_varchar = true)"
    )
    assert 0.8 * 0.016 * n <= certs <= 1.2 * 0.016 * n
    glob = f"{root}/customs/export_declarations/*.csv"
    ((total, declarations, exported, currencies, first, last),) = _sql(
        f"select count(*), count(distinct declaration_id), count(distinct item_id), count(distinct currency), "
        f"min(export_date), max(export_date) from read_csv('{glob}', all_varchar = true)"
    )
    assert total == n
    assert 3.7 <= total / declarations <= 4.3
    assert 0.8 * 0.015 * n <= exported <= 1.15 * 0.015 * n
    assert currencies == 5
    assert last == "2026-12-31"
    ((days_in_window,),) = _sql(
        f"select count(distinct export_date) from read_csv('{glob}', all_varchar = true) "
        "where export_date >= '2025-07-01'"
    )
    assert days_in_window == 549  # every day of the 18 months (the scenarios keep their earlier dates)
    ((median_dates,),) = _sql(
        f"select median(n) from (select item_id, count(distinct export_date) as n "
        f"from read_csv('{glob}', all_varchar = true) group by 1)"
    )
    assert median_dates >= 3  # each exported item ships on many dates


def test_shape_options_are_honoured(tmp_path):
    from ree.sample import Shape

    out = tmp_path / "l"
    shape = Shape.for_lines(
        20_000, items=3000, exported_items=300, lines_per_declaration=2.0, months=3, bom_intervals=1.2
    )
    generate(out=out, lines=20_000, seed=2, quiet=True, shape=shape)
    glob = f"{out}/customs/export_declarations/*.csv"
    ((total, declarations, exported),) = _sql(
        f"select count(*), count(distinct declaration_id), count(distinct item_id) "
        f"from read_csv('{glob}', all_varchar = true) where export_date >= '2026-10-01'"
    )
    assert 1.8 <= total / declarations <= 2.2
    assert 200 <= exported <= 330
    ((items,),) = _sql(f"select count(*) from read_csv('{out}/erp/items.csv', all_varchar = true)")
    assert 2700 <= items <= 3300
    ((rows, lines),) = _sql(
        f"select count(*), count(distinct (parent_item_id, component_item_id)) from read_csv('{out}/erp/bom.csv', all_varchar = true)"
    )
    assert 1.1 <= rows / lines <= 1.3
    days = {p.name for p in (out / "customs/export_declarations").glob("*.csv")}
    assert "2026-10-01.csv" in days and "2026-09-30.csv" not in days
    again = tmp_path / "again"
    generate(out=again, lines=20_000, seed=2, quiet=True, shape=shape)
    assert _digest(again) == _digest(out)
