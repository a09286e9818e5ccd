"""Issue 10, points 1-8, end to end on a landing built for the purpose: what the value-ratio
and classification models decide reaches fct_shipment_determinations (rules, share,
data_quality_flags, review). Each case is one declaration exported on 2026-11-20 (No. 61 in
force again) by the German entity to the US, unless it says otherwise."""

from __future__ import annotations

from decimal import Decimal

import pytest
from conftest import Warehouse
from landing import BASE, make_landing

LINE = BASE["customs/export_declarations"][0]


def item(item_id: str, **fields) -> dict:
    return {
        "item_id": item_id,
        "description": item_id,
        "country_of_manufacture": "DE",
        "hs_code": "850511",
        "chinese_re_technology": "N",
        **fields,
    }


def declaration(declaration_id: str, item_id: str, quantity: str, line_value: str, **changes) -> dict:
    return {
        **LINE,
        "declaration_id": declaration_id,
        "export_date": "2026-11-20",
        "item_id": item_id,
        "quantity": quantity,
        "line_value": line_value,
        "currency": "USD",
        **changes,
    }


def certificate(certificate_id: str, item_id: str, **fields) -> dict:
    return {
        "certificate_id": certificate_id,
        "line_no": "1",
        "supplier_id": "SUP-1",
        "item_id": item_id,
        "document_type": "material_declaration",
        "chinese_re_technology": "N",
        "issued_on": "2026-01-01",
        "valid_from": "2026-01-01",
        **fields,
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Warehouse:
    root = tmp_path_factory.mktemp("value_ratio")
    landing = make_landing(
        root / "landing",
        {
            "erp/items": BASE["erp/items"]
            + [
                # 10.1: an NdFeB magnet we make, no document of its own, a Chinese Dy-Fe alloy in its BOM
                item("MAG-MM", item_type="manufactured", product_form="permanent_magnet", magnet_type="NdFeB"),
                item(
                    "DYFE-A",
                    item_type="purchased",
                    product_form="rare_earth_material",
                    material_form="DyFe_alloy",
                    country_of_manufacture="CN",
                ),
                # 10.1: a Tb-Co target we make from Chinese Tb metal
                item("TGT-MM", item_type="manufactured", product_form="sputtering_target", target_material="Tb-Co"),
                item(
                    "TB-M",
                    item_type="purchased",
                    product_form="rare_earth_material",
                    material_form="Tb_metal",
                    country_of_manufacture="CN",
                ),
                # 10.6: an assembly we make whose BOM ended before the export date
                item("ASM-OLD", item_type="manufactured", product_form="assembly"),
                # 10.5: a permanent magnet with no magnet_type; a magnet whose certificate spells dy_metal
                item("MAG-NOTYPE", item_type="purchased", product_form="permanent_magnet", country_of_manufacture="JP"),
                item(
                    "MAG-LOWER",
                    item_type="purchased",
                    product_form="permanent_magnet",
                    magnet_type="NdFeB",
                    country_of_manufacture="JP",
                ),
                # 10.7: a purchased Part 1 material, item master JP, receipt CN
                item(
                    "DY-M",
                    item_type="purchased",
                    product_form="rare_earth_material",
                    material_form="Dy_metal",
                    country_of_manufacture="JP",
                ),
                # 10.8: a part with no rare-earth content at all
                item("BRACKET", item_type="purchased", product_form="other"),
            ],
            "erp/bom": BASE["erp/bom"]
            + [
                {
                    "parent_item_id": "MAG-MM",
                    "component_item_id": "DYFE-A",
                    "quantity_per": "0.004",
                    "valid_from": "2026-01-01",
                },
                {
                    "parent_item_id": "TGT-MM",
                    "component_item_id": "TB-M",
                    "quantity_per": "0.5",
                    "valid_from": "2026-01-01",
                },
                {
                    "parent_item_id": "ASM-OLD",
                    "component_item_id": "MAG-1",
                    "quantity_per": "2",
                    "valid_from": "2025-01-01",
                    "valid_to": "2026-10-31",
                },
            ],
            "procurement/purchase_lines": BASE["procurement/purchase_lines"]
            + [
                {
                    "po_line_id": "PO-TB",
                    "po_number": "PO-TB",
                    "supplier_id": "SUP-2",
                    "item_id": "TB-M",
                    "quantity": "10",
                    "unit_price": "1200.00",
                    "currency": "USD",
                    "order_date": "2026-09-01",
                    "receipt_date": "2026-09-10",
                    "country_of_origin": "CN",
                },
                {
                    "po_line_id": "PO-DY",
                    "po_number": "PO-DY",
                    "supplier_id": "SUP-2",
                    "item_id": "DY-M",
                    "quantity": "10",
                    "unit_price": "300.00",
                    "currency": "USD",
                    "order_date": "2026-09-01",
                    "receipt_date": "2026-09-10",
                    "country_of_origin": "CN",
                },
            ],
            "certificates/material_declarations": BASE["certificates/material_declarations"]
            + [
                certificate(
                    "C-DYFE",
                    "DYFE-A",
                    substance="DyFe_alloy",
                    element="Dy",
                    mass_g_per_unit="1000",
                    content_value_per_unit="150.00",
                    content_value_currency="USD",
                    origin_country="CN",
                ),
                certificate(
                    "C-LOWER",
                    "MAG-LOWER",
                    substance="dy_metal",
                    element="",
                    mass_g_per_unit="0.3",
                    content_value_per_unit="0.30",
                    content_value_currency="USD",
                    origin_country="CN",
                ),
            ],
            "customs/export_declarations": [
                declaration("V-MAG", "MAG-MM", "1000", "2000.00"),
                declaration("V-TGT", "TGT-MM", "2", "3000.00"),
                declaration("V-BOM", "ASM-OLD", "1", "800.00"),
                declaration("V-TYPE", "MAG-NOTYPE", "100", "150.00"),
                declaration("V-LOWER", "MAG-LOWER", "100", "300.00"),
                declaration("V-ORIG", "DY-M", "1", "400.00"),
                declaration("V-NONE", "BRACKET", "10", "50.00"),
            ],
            # a licence that covers one line (a landing where none covers still trips issue 9's
            # untyped licence_id, which is not this test's business)
            "licences/licences": [
                {
                    "licence_id": "LIC-T",
                    "licence_number": "MOFCOM-2026-T",
                    "licence_type": "individual",
                    "holder_entity_id": "ENT-DE",
                    "item_id": "TGT-MM",
                    "quantity_authorised": "10",
                    "valid_from": "2026-11-01",
                    "valid_to": "2026-12-31",
                },
            ],
        },
    )
    wh = Warehouse(root / "warehouse")
    wh.load(landing)
    assert wh.dbt("build", "--vars", "{as_of_date: '2026-12-01'}")
    return wh


def line(wh: Warehouse, declaration_id: str) -> dict:
    (row,) = wh.dicts(f"select * from marts.fct_shipment_determinations where declaration_id = '{declaration_id}'")
    return row


def test_magnet_we_make_is_classified_and_valued_through_its_bom(built):
    row = line(built, "V-MAG")
    # 0.004 kg x USD 150.00 = 0.60 per magnet on 2.00: 30 %
    assert (row["part2_category"], row["rules_triggered"], row["data_quality_flags"]) == (
        "magnet_ndfeb_dy",
        "61-1a",
        "",
    )
    assert Decimal(row["cn_part1_value_share_pct"]) == 30 and Decimal(row["cn_part1_value"]) == 600
    assert row["compliance_status"] == "licence_missing"
    assert "no valid certificate" not in row["explanation"]


def test_target_we_make_is_valued_through_its_bom(built):
    row = line(built, "V-TGT")
    # 0.5 kg of Chinese Tb metal at USD 1200.00 = 600.00 per target on 1500.00: 40 %
    assert (row["part2_category"], row["rules_triggered"], row["data_quality_flags"]) == ("target", "61-1a", "")
    assert Decimal(row["cn_part1_value_share_pct"]) == 40


def test_no_bom_on_the_date_is_missing_bom_and_review(built):
    row = line(built, "V-BOM")
    assert row["compliance_status"] == "review"
    assert "missing_bom" in row["data_quality_flags"].split(";")
    assert row["cn_part1_value_share_pct"] is None


def test_unknown_magnet_type_is_unknown_code_and_review(built):
    row = line(built, "V-TYPE")
    assert (row["compliance_status"], row["data_quality_flags"]) == ("review", "unknown_code")


def test_substance_codes_match_case_insensitively(built):
    row = line(built, "V-LOWER")
    # dy_metal is Dy_metal: a Dy magnet with USD 0.30 of Chinese Dy on 3.00, 10 %
    assert (row["part2_category"], row["rules_triggered"]) == ("magnet_ndfeb_dy", "61-1a")
    assert Decimal(row["cn_part1_value_share_pct"]) == 10


def test_part1_origin_from_the_receipt_conflicts_with_the_item_master(built):
    row = line(built, "V-ORIG")
    assert (row["rules_triggered"], row["compliance_status"]) == ("61-1c", "review")
    assert "origin_conflict" in row["data_quality_flags"].split(";")
    assert Decimal(row["cn_part1_value_share_pct"]) == 100


def test_no_part1_content_found_is_a_share_of_zero(built):
    row = line(built, "V-NONE")
    assert Decimal(row["cn_part1_value_share_pct"]) == 0 and row["compliance_status"] == "clear"
