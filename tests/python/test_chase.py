"""Issue 11.4: the evidence chase list (marts.rpt_evidence_gaps), `ree chase` and the report
section. Counts are derived by hand, on a landing built for the purpose and on data/sample."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
from decimal import Decimal

import pytest
from conftest import Warehouse
from landing import BASE, make_landing
from ree import chase

LINE = BASE["customs/export_declarations"][0]
MOTOR = BASE["erp/items"][0]
MAGNET = BASE["erp/items"][1]
CERT = BASE["certificates/material_declarations"][0]
AS_OF = "{as_of_date: '2026-12-01'}"


def gap_id(gap_type: str, item_id: str = "", evidence_ref: str = "") -> str:
    return hashlib.md5(f"{gap_type}|{item_id}|{evidence_ref}".encode()).hexdigest()


def declaration(
    declaration_id: str, export_date: str, item_id: str, line_value: str, currency: str = "EUR", quantity: str = "1"
) -> dict:
    return {
        **LINE,
        "declaration_id": declaration_id,
        "export_date": export_date,
        "item_id": item_id,
        "line_value": line_value,
        "currency": currency,
        "quantity": quantity,
    }


# The world (as_of_date 2026-12-01, so the window opens on 2025-12-01). Rule 1(a) threshold:
# 0.1 % of the line value. Every certificate states Chinese Dy metal (Part 1) in EUR.
#   MOTOR-1 = 4 x MAG-1; MAG-1's certificate C1 (EUR 0.25 a magnet, CN) ends 2026-12-20:
#             certificate_expiring. Content per motor EUR 1.00.
#   MOTOR-2 = 1 x MAG-2; MAG-2 is an NdFeB magnet with no certificate: missing_certificate.
#             Bought from SUP-2 (2025-03) and SUP-3 (2025-09): ask SUP-3.
#   MOTOR-3 = 4 x MAG-1 + 1 x MAG-3; MAG-3's certificate C3 states EUR 0.60 of Dy of unknown
#             origin: origin_unverified (counted as Chinese under assume_china).
#   MOTOR-4 = 1 x SUB-4 = 1 x MAG-5; SUB-4's own declaration C4 speaks for its content, but
#             MAG-5 is an NdFeB magnet no document describes, so MOTOR-4's Part 2 category is
#             undetermined (missing_certificate on the line, carried by no contribution):
#             the gap is MAG-5's, not MOTOR-4's.
ITEMS = [
    MOTOR,
    MAGNET,
    {**MOTOR, "item_id": "MOTOR-2", "description": "servo motor, second magnet"},
    {**MOTOR, "item_id": "MOTOR-3", "description": "servo motor, two magnets"},
    {**MAGNET, "item_id": "MAG-2", "description": "NdFeB magnet, undocumented"},
    {**MAGNET, "item_id": "MAG-3", "description": "NdFeB magnet, origin unknown"},
    {**MOTOR, "item_id": "MOTOR-4", "description": "servo motor with a rotor module"},
    {**MOTOR, "item_id": "SUB-4", "description": "rotor module", "item_type": "purchased", "standard_cost": ""},
    {**MAGNET, "item_id": "MAG-5", "description": "NdFeB magnet, composition unknown"},
]
BOM = [
    {"parent_item_id": "MOTOR-1", "component_item_id": "MAG-1", "quantity_per": "4", "valid_from": "2025-01-01"},
    {"parent_item_id": "MOTOR-2", "component_item_id": "MAG-2", "quantity_per": "1", "valid_from": "2025-01-01"},
    {"parent_item_id": "MOTOR-3", "component_item_id": "MAG-1", "quantity_per": "4", "valid_from": "2025-01-01"},
    {"parent_item_id": "MOTOR-3", "component_item_id": "MAG-3", "quantity_per": "1", "valid_from": "2025-01-01"},
    {"parent_item_id": "MOTOR-4", "component_item_id": "SUB-4", "quantity_per": "1", "valid_from": "2025-01-01"},
    {"parent_item_id": "SUB-4", "component_item_id": "MAG-5", "quantity_per": "1", "valid_from": "2025-01-01"},
]
CERTIFICATES = [
    {**CERT, "valid_from": "2025-01-01", "valid_to": "2026-12-20"},
    {
        **CERT,
        "certificate_id": "C3",
        "supplier_id": "SUP-4",
        "item_id": "MAG-3",
        "content_value_per_unit": "0.60",
        "origin_country": "",
        "valid_from": "2025-01-01",
    },
    {
        **CERT,
        "certificate_id": "C4",
        "supplier_id": "SUP-5",
        "item_id": "SUB-4",
        "content_value_per_unit": "0.10",
        "origin_country": "JP",
        "valid_from": "2025-01-01",
    },
]
PURCHASES = [
    *BASE["procurement/purchase_lines"],
    {
        **BASE["procurement/purchase_lines"][0],
        "po_line_id": "PO2-1",
        "supplier_id": "SUP-2",
        "item_id": "MAG-2",
        "receipt_date": "2025-03-20",
        "order_date": "2025-03-01",
    },
    {
        **BASE["procurement/purchase_lines"][0],
        "po_line_id": "PO3-1",
        "supplier_id": "SUP-3",
        "item_id": "MAG-2",
        "receipt_date": "2025-09-20",
        "order_date": "2025-09-01",
    },
]
DECLARATIONS = [
    # MOTOR-1: content EUR 2.00 on EUR 1000 (threshold 1.00): headroom 1.00
    declaration("M1-A", "2026-10-15", "MOTOR-1", "1000.00", quantity="2"),
    # MOTOR-1 in USD after the shipped ECB rates end (2026-10-30): fx_stale, review
    declaration("M1-USD", "2026-11-20", "MOTOR-1", "1100.00", currency="USD", quantity="2"),
    # MOTOR-2: content cannot be valued (missing certificate): review
    declaration("M2-A", "2026-06-10", "MOTOR-2", "800.00"),
    declaration("M2-B", "2026-07-10", "MOTOR-2", "900.00"),
    declaration("M2-OLD", "2025-06-10", "MOTOR-2", "700.00"),  # before the window, owes nothing
    # MOTOR-3: content EUR 1.00 (MAG-1) + 0.60 (MAG-3) = 1.60
    declaration("M3-A", "2026-08-10", "MOTOR-3", "500.00"),  # threshold 0.50: headroom 1.10
    declaration("M3-B", "2026-09-10", "MOTOR-3", "1500.00"),  # threshold 1.50: headroom 0.10
    declaration("M4-A", "2026-09-15", "MOTOR-4", "600.00"),  # Part 2 undetermined: review
]
LICENCES = [
    {
        "licence_id": "LIC-1",
        "licence_number": "MOFCOM-2026-1",
        "licence_type": "individual",
        "holder_entity_id": "ENT-DE",
        "item_id": "MOTOR-1",
        "quantity_authorised": "50",
        "valid_from": "2025-01-01",
        "valid_to": "2027-12-31",
    },
]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Warehouse:
    root = tmp_path_factory.mktemp("chase")
    landing = make_landing(
        root / "landing",
        {
            "erp/items": ITEMS,
            "erp/bom": BOM,
            "certificates/material_declarations": CERTIFICATES,
            "procurement/purchase_lines": PURCHASES,
            "customs/export_declarations": DECLARATIONS,
            "licences/licences": LICENCES,
        },
    )
    wh = Warehouse(root / "warehouse")
    wh.load(landing)
    assert wh.dbt("build", "--vars", AS_OF)
    return wh


def gaps(wh: Warehouse) -> dict[str, dict]:
    return {row["evidence_gap_id"]: row for row in wh.dicts("select * from marts.rpt_evidence_gaps")}


def value_of(wh: Warehouse, *declaration_ids: str) -> Decimal:
    ids = ", ".join(f"'{d}'" for d in declaration_ids)
    return wh.query(
        f"select sum(line_value_reporting) from marts.fct_shipment_determinations where declaration_id in ({ids})"
    )[0][0]


def test_the_lines_behind_the_gaps_are_as_designed(built):
    statuses = dict(built.query("select declaration_id, compliance_status from marts.fct_shipment_determinations"))
    assert statuses["M1-USD"] == "review"  # fx_stale
    assert statuses["M2-A"] == statuses["M2-B"] == statuses["M4-A"] == "review"  # missing_certificate
    assert statuses["M3-A"] != "review" and statuses["M3-B"] != "review" and statuses["M1-A"] != "review"


def test_each_gap_its_lines_value_supplier_and_flips(built):
    found = gaps(built)
    expected = {
        # C1 runs out 2026-12-20 (19 days after as_of_date). MAG-1 is in M1-A, M1-USD, M3-A, M3-B.
        # Could flip: M1-USD (review); M1-A (MAG-1 gives 2.00 >= headroom 1.00); M3-B (1.00 >=
        # 0.10). Not M3-A (1.00 < headroom 1.10). Ask SUP-1, its latest supplier.
        gap_id("certificate_expiring", "MAG-1", "C1"): {
            "gap_type": "certificate_expiring",
            "item_id": "MAG-1",
            "supplier_id": "SUP-1",
            "lines_affected": 4,
            "lines_flipping": 3,
            "earliest_export_date": "2026-08-10",
            "latest_export_date": "2026-11-20",
            "expires_on": "2026-12-20",
            "value": ("M1-A", "M1-USD", "M3-A", "M3-B"),
        },
        # MAG-2 has no certificate: M2-A and M2-B are in review; M2-OLD is before the window.
        # Latest supplier: SUP-3 (received 2025-09-20, after SUP-2's 2025-03-20).
        gap_id("missing_certificate", "MAG-2"): {
            "gap_type": "missing_certificate",
            "item_id": "MAG-2",
            "supplier_id": "SUP-3",
            "lines_affected": 2,
            "lines_flipping": 2,
            "earliest_export_date": "2026-06-10",
            "latest_export_date": "2026-07-10",
            "expires_on": None,
            "value": ("M2-A", "M2-B"),
        },
        # MAG-3's origin is unknown (M3-A, M3-B): only M3-B could flip (0.60 >= 0.10; M3-A's
        # headroom 1.10 > 0.60). No purchase line: ask SUP-4, who issued C3.
        gap_id("origin_unverified", "MAG-3"): {
            "gap_type": "origin_unverified",
            "item_id": "MAG-3",
            "supplier_id": "SUP-4",
            "lines_affected": 2,
            "lines_flipping": 1,
            "earliest_export_date": "2026-08-10",
            "latest_export_date": "2026-09-10",
            "expires_on": None,
            "value": ("M3-A", "M3-B"),
        },
        # MAG-5, below SUB-4 in M4-A's BOM, leaves MOTOR-4 unclassified (review). Nobody sold it.
        gap_id("missing_certificate", "MAG-5"): {
            "gap_type": "missing_certificate",
            "item_id": "MAG-5",
            "supplier_id": None,
            "lines_affected": 1,
            "lines_flipping": 1,
            "earliest_export_date": "2026-09-15",
            "latest_export_date": "2026-09-15",
            "expires_on": None,
            "value": ("M4-A",),
        },
        # USD has no rate after 2026-10-30: M1-USD (in review), a currency to chase, not an item.
        gap_id("fx_stale", "", "USD"): {
            "gap_type": "fx_stale",
            "item_id": None,
            "supplier_id": None,
            "lines_affected": 1,
            "lines_flipping": 1,
            "earliest_export_date": "2026-11-20",
            "latest_export_date": "2026-11-20",
            "expires_on": None,
            "value": ("M1-USD",),
        },
    }
    assert set(found) == set(expected)
    for key, want in expected.items():
        row = found[key]
        for column, value in want.items():
            if column == "value":
                assert row["value_at_stake_reporting"] == value_of(built, *value), key
            else:
                got = row[column]
                got = got.isoformat() if isinstance(got, dt.date) else got
                assert got == value, (row["gap_type"], column)


def test_ranked_by_lines_flipping_then_value(built):
    ranked = [row["gap_type"] for row in built.dicts("select * from marts.rpt_evidence_gaps order by priority_rank")]
    # 3 flips, 2 flips, then three gaps of 1 flip by value: MAG-3's EUR 2000 of lines, USD 1100,
    # MAG-5's EUR 600
    assert ranked == [
        "certificate_expiring",
        "missing_certificate",
        "origin_unverified",
        "fx_stale",
        "missing_certificate",
    ]
    assert value_of(built, "M3-A", "M3-B") > value_of(built, "M1-USD") > value_of(built, "M4-A")


def test_ree_chase_prints_and_writes_csv(built, tmp_path, capsys):
    with built:
        assert chase.main(top=2) == 0
        out = capsys.readouterr().out
        assert "certificate_expiring" in out and "MAG-2" in out and "MAG-3" not in out
        target = tmp_path / "chase.csv"
        assert chase.main(csv_file=target) == 0
    with target.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["priority_rank"] for row in rows] == ["1", "2", "3", "4", "5"]
    assert rows[1]["supplier_id"] == "SUP-3" and rows[1]["item_id"] == "MAG-2"
    assert rows[3]["evidence_ref"] == "USD" and rows[3]["item_id"] == ""


def test_exposure_report_has_the_top_20(built, tmp_path):
    from ree import publish, report

    with built:
        publish.publish()
        html_path, _ = report.render("2026-11", out_dir=tmp_path)
    html = html_path.read_text()
    assert "Evidence to chase (top 5 of 5)" in html
    section = html[html.index("Evidence to chase") : html.index("<h2>Data quality</h2>")]
    for text in ("certificate_expiring", "MAG-1", "SUP-3", "MAG-3", "USD", "2026-12-20"):
        assert text in section
    assert section.index("MAG-2") < section.index("MAG-3")  # in rank order


# ---------------------------------------------------------------- the sample, by hand

SAMPLE_EXPECTED = {
    # DE-261006-01-1 (2026-10-06): KSM-090, a servo motor we make whose only BOM line ended
    # 2026-09-30: missing_bom on the exported item, in review (1 line, 1 flipping, USD 3,000.00).
    # We make it, so there is no supplier to ask (supplier_id null: ask engineering).
    gap_id("missing_bom", "KSM-090"): ("missing_bom", "KSM-090", None, 1, 1),
    # VN-260114-01-2 (2026-01-14, in the window from 2025-12-01): MAG-DH-SC02, an SmCo magnet
    # with no certificate, is flagged missing_certificate and the line is in review (1 line,
    # 1 flipping). Latest supplier: S-DAEHAN (receipt 2025-12-20). Value: KRW 1,500,000 in USD.
    gap_id("missing_certificate", "MAG-DH-SC02"): ("missing_certificate", "MAG-DH-SC02", "S-DAEHAN", 1, 1),
    # DE-261008-01-1 (2026-10-08): MAG-NT-01, a permanent magnet with no magnet_type, no
    # purchase line and no certificate: unknown_code, review (1 line, 1 flipping, USD 150.00),
    # nobody on record to ask.
    gap_id("unknown_code", "MAG-NT-01"): ("unknown_code", "MAG-NT-01", None, 1, 1),
    # DE-261007-01-1 (2026-10-07): SM-METAL, whose item master says JP while its evidence says
    # CN (origin_conflict, reported as the contract's origin_unverified gap), review (1 line,
    # 1 flipping, USD 120.00). Latest supplier: S-YAMAKA (receipt 2026-08-20).
    gap_id("origin_unverified", "SM-METAL"): ("origin_unverified", "SM-METAL", "S-YAMAKA", 1, 1),
    # VN-261123-02-1 (2026-11-23): 50 MAG-VT-T48 free of charge, no standard cost: missing_value
    # on the exported item itself, in review (1 line, 1 flipping, value 0). MAG-VT-T48 has no
    # purchase line: ask S-VIETMAG, who issued its certificate CD-VTM-1120.
    gap_id("missing_value", "MAG-VT-T48"): ("missing_value", "MAG-VT-T48", "S-VIETMAG", 1, 1),
    # Not listed: DE-251120-01-1 (origin_unverified on MAG-EU-LM) was exported 2025-11-20,
    # before the window, and owes no obligation; no certificate ends between 2026-12-01 and
    # 2027-01-30 (CD-HK-0188 ended 2026-11-20 and CD-HK-0231 follows it); no sample line is
    # fx_stale; the bom_cycle, missing_party and unclear_end_use lines are not evidence gaps.
}


def test_sample_chase_list_by_hand(sample_warehouse):
    rows = sample_warehouse.dicts("select * from marts.rpt_evidence_gaps order by priority_rank")
    got = {
        row["evidence_gap_id"]: (
            row["gap_type"],
            row["item_id"],
            row["supplier_id"],
            row["lines_affected"],
            row["lines_flipping"],
        )
        for row in rows
    }
    assert got == SAMPLE_EXPECTED
    # every gap flips one line, so value at stake ranks them: USD 3,000.00 > 1,016.67 > 150.00 > 120.00 > 0
    assert [row["item_id"] for row in rows] == ["KSM-090", "MAG-DH-SC02", "MAG-NT-01", "SM-METAL", "MAG-VT-T48"]
    assert rows[1]["value_at_stake_reporting"].quantize(Decimal("0.01")) == Decimal("1016.67")
    assert [row["value_at_stake_reporting"] for row in rows if row["item_id"] != "MAG-DH-SC02"] == [
        Decimal("3000"),
        Decimal("150"),
        Decimal("120"),
        Decimal("0"),
    ]
