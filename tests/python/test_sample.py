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
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


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
    assert a["customs/export_declarations/2025-03-03.csv"] != b["customs/export_declarations/2025-03-03.csv"]


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
    res = subprocess.run([sys.executable, str(CHECK_CONTRACT), "landing", str(landing)],
                         capture_output=True, text=True)
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
    total = sum(1 for f in _files(landing, decl) for _ in csv.reader(open(f, encoding="utf-8", newline=""))) \
        - len(_files(landing, decl))
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


@pytest.mark.parametrize("path", [e.path for e in contract.EXTRACTS if e.path != "reference/fx_rates"
                                  and e.path not in NOT_GENERATED])
def test_every_row_valid_per_contract(landing, path):
    ex = contract.extract(path)
    keys = set()
    problems = []
    rows = 0
    for f in _files(landing, ex):
        with open(f, encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            assert tuple(reader.fieldnames) == ex.column_names or sorted(reader.fieldnames) == sorted(
                ex.column_names), f
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
    replaced = [(p, d) for p, d in ends
                if (p, (dt.date.fromisoformat(d) + dt.timedelta(days=1)).isoformat()) in starts]
    assert replaced


def test_na_stays_namibia(landing):
    decl = _read(landing, "customs/export_declarations")
    assert any(r["destination_country"] == "NA" for r in decl)
    assert any(r["country"] == "NA" for r in _read(landing, "parties/parties"))
    import duckdb

    glob = str(landing / "customs" / "export_declarations" / "*.csv")
    n = duckdb.sql(f"select count(*) from read_csv('{glob}', all_varchar = true) "
                   f"where destination_country = 'NA'").fetchall()[0][0]
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
    assert any(r["exporter_country"] == "CN" and items[r["item_id"]]["material_form"] in contract.PART1_SUBSTANCES
               for r in decl)
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
        contract.extract("certificates/material_declarations").column("document_type").enum)
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
    assert {r["list_id"] for r in lists} == set(
        contract.extract("reference/restricted_parties").column("list_id").enum)
    ids = {r["party_id"] for r in parties}
    entries = {r["entry_id"] for r in lists}
    for r in _read(landing, "reference/screening_decisions"):
        assert r["party_id"] in ids and r["entry_id"] in entries
    own = _read(landing, "parties/ownership")
    assert {r["owner_party_id"] for r in own} <= ids and {r["owned_party_id"] for r in own} <= ids
    assert _read(landing, "licences/licences")
