"""Deterministic marts (issue 9): two builds of the same raw zone give identical marts, byte for
byte — once with one dbt thread, once with REE_THREADS=2 — and so do the published Parquet files.

The landing is the sample merged with a small `ree sample` landing (its Part 1 materials carry
several certificate lines: their document references used to come out in a different order from
one build to the next) and a little world of our own whose rule 1(a) content is partly unvalued
(the explanation used to print an empty parenthesis, `(; the 0.1 % threshold is …`).
"""

from __future__ import annotations

import shutil

import pytest
from conftest import SAMPLE, Warehouse, generated_landing, mart_digests, merge_landings, read_landing, write_landing
from landing import BASE

AS_OF = "{as_of_date: '2026-12-01'}"

# MOTOR-R holds MAG-1 and 20 g of RM-SM, Sm metal bought at EUR 100/kg whose certificate CR-1 has two
# lines (a mixed lot): its contribution names both lines, CR-1#1 and CR-1#2, in that order.
SEVERAL_DOCUMENTS = {
    "erp/items": [
        {**BASE["erp/items"][0], "item_id": "MOTOR-R", "description": "servo motor with a SmCo sensor"},
        {
            "item_id": "RM-SM",
            "description": "samarium metal",
            "item_type": "purchased",
            "product_form": "rare_earth_material",
            "material_form": "Sm_metal",
            "country_of_manufacture": "JP",
            "hs_code": "280530",
            "chinese_re_technology": "N",
        },
    ],
    "erp/bom": [
        {"parent_item_id": "MOTOR-R", "component_item_id": "MAG-1", "quantity_per": "4", "valid_from": "2025-01-01"},
        {"parent_item_id": "MOTOR-R", "component_item_id": "RM-SM", "quantity_per": "0.02", "valid_from": "2025-01-01"},
    ],
    "procurement/purchase_lines": [
        {
            "po_line_id": "PO9-1",
            "po_number": "PO9",
            "supplier_id": "SUP-9",
            "item_id": "RM-SM",
            "quantity": "10",
            "unit_price": "100.00",
            "currency": "EUR",
            "order_date": "2026-01-05",
            "receipt_date": "2026-01-20",
            "country_of_origin": "CN",
        },
    ],
    "certificates/material_declarations": [
        {
            "certificate_id": "CR-1",
            "line_no": str(n),
            "supplier_id": "SUP-9",
            "item_id": "RM-SM",
            "document_type": "material_declaration",
            "substance": "Sm_metal",
            "element": "Sm",
            "mass_g_per_unit": grams,
            "origin_country": "CN",
            "chinese_re_technology": "N",
            "issued_on": "2026-01-05",
            "valid_from": "2026-01-05",
        }
        for n, grams in ((1, "600"), (2, "400"))
    ],
    "customs/export_declarations": [
        {
            **BASE["customs/export_declarations"][0],
            "declaration_id": f"DR-{day}",
            "export_date": f"2026-11-{day}",
            "item_id": "MOTOR-R",
        }
        for day in range(12, 21)
    ],
}

# MOTOR-P holds MAG-1 (certificate C1: Dy, CN, EUR 0.25 each) and MAG-N, an NdFeB magnet with no
# certificate: the known content already meets 0.1 % (4 x 0.25 = 1.00 against 500.00 x 0.1 % = 0.50),
# the share cannot be computed.
PARTLY_UNVALUED = {
    **BASE,
    "erp/items": BASE["erp/items"]
    + [
        {**BASE["erp/items"][0], "item_id": "MOTOR-P", "description": "servo motor, two magnet grades"},
        {**BASE["erp/items"][1], "item_id": "MAG-N", "description": "NdFeB magnet, no certificate"},
    ],
    "erp/bom": BASE["erp/bom"]
    + [
        {"parent_item_id": "MOTOR-P", "component_item_id": "MAG-1", "quantity_per": "4", "valid_from": "2025-01-01"},
        {"parent_item_id": "MOTOR-P", "component_item_id": "MAG-N", "quantity_per": "1", "valid_from": "2025-01-01"},
    ],
    "customs/export_declarations": [
        {
            **BASE["customs/export_declarations"][0],
            "declaration_id": "DP-1",
            "export_date": "2026-11-20",
            "item_id": "MOTOR-P",
        },
    ],
}


def _build(wh: Warehouse, threads: str, monkeypatch) -> None:
    monkeypatch.setenv("REE_THREADS", threads)
    assert wh.dbt("build", "--exclude", "test_type:unit", "--vars", AS_OF)


def _publish(wh: Warehouse) -> dict[str, str]:
    from ree.publish import publish

    with wh:
        release = publish()
    return {t["table_name"]: t["parquet_sha256"] for t in release.tables if t["table_schema"] == "marts"}


@pytest.fixture(scope="module")
def twice(tmp_path_factory):
    monkeypatch = pytest.MonkeyPatch()
    root = tmp_path_factory.mktemp("determinism")
    generated = read_landing(generated_landing(root / "generated", 200, 3))
    landing = write_landing(
        root / "landing", merge_landings(read_landing(SAMPLE), generated, PARTLY_UNVALUED, SEVERAL_DOCUMENTS)
    )
    first, second = Warehouse(root / "one-thread"), Warehouse(root / "two-threads")
    first.load(landing)
    shutil.copytree(first.root / "raw", second.root / "raw")  # the same raw zone
    try:
        _build(first, "1", monkeypatch)
        _build(second, "2", monkeypatch)
    finally:
        monkeypatch.undo()
    return first, second


def test_two_builds_of_the_same_raw_zone_give_identical_marts(twice):
    first, second = twice
    one, two = mart_digests(first), mart_digests(second)
    assert one.keys() == two.keys() and "fct_shipment_determinations" in one
    differing = [table for table in one if one[table] != two[table]]
    assert not differing, f"marts differ between two builds of the same raw zone: {differing}"


def test_published_parquet_is_byte_identical(twice):
    first, second = twice
    one, two = _publish(first), _publish(second)
    assert one == two


def test_several_documents_are_listed_in_one_order(twice):
    first, _ = twice
    import re

    lists = [
        match.group(0).split(", ")
        for (explanation,) in first.query("select explanation from marts.fct_shipment_determinations")
        for match in re.finditer(r"[\w-]+#\d+(?:, [\w-]+#\d+)+", explanation)
    ]
    assert [refs for refs in lists if len({ref.split("#")[0] for ref in refs}) < len(refs)], (
        "the landing should name several lines of one certificate somewhere"
    )
    assert not [refs for refs in lists if refs != sorted(refs)], "document references out of order"


def test_explanation_of_a_partly_unvalued_share_has_no_empty_parenthesis(twice):
    first, _ = twice
    (row,) = first.dicts("select * from marts.fct_shipment_determinations where declaration_id = 'DP-1'")
    assert row["rules_triggered"] == "61-1a" and row["cn_part1_value_share_pct"] is None
    assert "(;" not in row["explanation"] and "()" not in row["explanation"]
    assert "against a value of 1000 EUR (the 0.1 % threshold is 1 EUR)" in row["explanation"]
    assert row["compliance_status"] != "clear"
