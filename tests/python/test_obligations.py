"""Obligations on a landing built for the purpose (RULES.md §8; issues 10.14-10.16, 11.1, 11.2):

* the customs remarks duty of every Chinese domestic rare-earth line, controlled or not, met
  only by the exact control code (sub-item included) or, for an uncontrolled line, by a
  statement that it is not controlled;
* the Declaration of Compliance of a Chinese domestic exporter of a Part 2 item, with the
  computed share (100 for a Part 1 item);
* fulfilment from `compliance/obligation_records`, a record that matches nothing kept and shown;
* `erp/legal_entities` names on the notices, a missing entity printed by its id with a note.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from conftest import Warehouse
from landing import BASE, make_landing
from ree import notices
from ree import publish as pub

LINE = BASE["customs/export_declarations"][0]
AS_OF = "{as_of_date: '2026-12-01'}"

ITEMS = [
    *BASE["erp/items"],
    {
        "item_id": "DY-OX",
        "description": "Dysprosium oxide 99.9 %",
        "item_type": "purchased",
        "product_form": "rare_earth_material",
        "material_form": "Dy_oxide",
        "country_of_manufacture": "CN",
        "hs_code": "2846901500",
        "chinese_re_technology": "N",
    },
    {
        "item_id": "ND-OX",
        "description": "Neodymium oxide 99.5 %",
        "item_type": "purchased",
        "product_form": "rare_earth_material",
        "material_form": "Nd_oxide",
        "country_of_manufacture": "CN",
        "hs_code": "2846901990",
        "chinese_re_technology": "N",
    },
    {
        "item_id": "HO-OX",
        "description": "Holmium oxide 99.9 %",
        "item_type": "purchased",
        "product_form": "rare_earth_material",
        "material_form": "Ho_oxide",
        "country_of_manufacture": "CN",
        "hs_code": "2846901990",
        "chinese_re_technology": "N",
    },
    {
        "item_id": "FER-1",
        "description": "Ferrite arc magnet",
        "item_type": "purchased",
        "product_form": "permanent_magnet",
        "magnet_type": "ferrite",
        "country_of_manufacture": "CN",
        "hs_code": "8505191000",
        "chinese_re_technology": "N",
    },
    {
        "item_id": "MAG-CN",
        "description": "NdFeB magnet, Dy grade, made in China",
        "item_type": "purchased",
        "product_form": "permanent_magnet",
        "magnet_type": "NdFeB",
        "country_of_manufacture": "CN",
        "hs_code": "8505111000",
        "chinese_re_technology": "N",
    },
]
CERTIFICATES = [
    *BASE["certificates/material_declarations"],
    {
        "certificate_id": "C-CN",
        "line_no": "1",
        "supplier_id": "SUP-CN",
        "item_id": "MAG-CN",
        "document_type": "material_declaration",
        "substance": "Dy_metal",
        "element": "Dy",
        "mass_g_per_unit": "0.4",
        "content_value_per_unit": "0.30",
        "content_value_currency": "USD",
        "origin_country": "CN",
        "chinese_re_technology": "N",
        "issued_on": "2025-05-01",
        "valid_from": "2025-05-01",
    },
]


def cn_line(declaration_id: str, item_id: str, remarks: str, export_date: str = "2026-11-16", **changes) -> dict:
    return {
        **LINE,
        "declaration_id": declaration_id,
        "export_date": export_date,
        "exporter_entity_id": "ENT-CN",
        "exporter_country": "CN",
        "item_id": item_id,
        "quantity": "10",
        "line_value": "2500.00",
        "currency": "USD",
        "destination_country": "DE",
        "customs_remarks": remarks,
        **changes,
    }


def de_line(declaration_id: str, export_date: str = "2026-11-16", **changes) -> dict:
    # 61-1a in force again from 2026-11-11: 4 x EUR 0.25 of Chinese Dy on EUR 500 = 0.2 %
    return {**LINE, "declaration_id": declaration_id, "export_date": export_date, **changes}


DECLARATIONS = [
    # customs remarks duty (10.14)
    cn_line("R-EXACT", "DY-OX", "controlled item 1C905.B"),  # codes match case-insensitively
    cn_line("R-HEAD", "DY-OX", "controlled item 1C905"),  # the heading only: no sub-item
    cn_line("R-OTHER", "DY-OX", "controlled item 1C905.a"),  # another sub-item
    cn_line("R-EXTRA", "DY-OX", "controlled items 1C905.b; 1C904.b"),  # names another code as well
    cn_line("R-NC", "ND-OX", "not controlled / 非管制物项"),  # uncontrolled, HS 2846.90
    cn_line("R-NC-EMPTY", "ND-OX", ""),  # uncontrolled, nothing said
    cn_line("R-NC-CODE", "ND-OX", "controlled item 1C905.b"),  # a code on an uncontrolled line
    cn_line("R-FER", "FER-1", ""),  # HS 8505.19 is not a reference commodity code: no duty
    cn_line("R-HO-57", "HO-OX", "controlled item 1C909.b"),  # No. 57 in force again from 2026-11-11
    cn_line("R-HO-SUSP", "HO-OX", "not controlled", export_date="2026-08-05"),  # No. 57 suspended
    cn_line("R-PRE18", "DY-OX", "", export_date="2025-03-03"),  # before No. 18 took effect
    cn_line("R-TO-CN", "DY-OX", "", destination_country="CN"),  # not an export
    de_line("R-DE", item_id="ND-OX", quantity="10", line_value="2500.00", currency="USD"),  # a foreign operator
    # Declaration of Compliance of a Chinese domestic exporter (10.15)
    cn_line(
        "N-CN-P2",
        "MAG-CN",
        "controlled item 1C905.a",
        quantity="1000",
        line_value="2000.00",
        consignee_party_id="P1",
        end_user_party_id="P1",
        destination_country="US",
    ),
    # fulfilment from records (11.1) and entities (11.2)
    de_line("DN-1"),
    de_line("DN-2"),
    de_line("DN-3"),
    de_line("HUM-1", export_date="2026-11-24", end_use_code="humanitarian_medical"),
    de_line("HUM-2", export_date="2026-11-24", end_use_code="humanitarian_medical"),
    de_line("VN-1", exporter_entity_id="ENT-VN", exporter_country="VN"),
]
RECORDS = [
    {
        "record_id": "REC-1",
        "shipment_line_id": "DN-1-1",
        "obligation_type": "compliance_notice",
        "fulfilled_on": "2026-11-16",
        "reference": "DoC-2026-0001 e-mailed to Acme",
        "recorded_by": "j.doe",
    },
    {
        "record_id": "REC-2",
        "shipment_line_id": "NOPE-1",
        "obligation_type": "compliance_notice",
        "fulfilled_on": "2026-11-16",
        "reference": "DoC-2026-0002",
    },
    {
        "record_id": "REC-3",
        "shipment_line_id": "DN-1-1",
        "obligation_type": "humanitarian_export_report",
        "fulfilled_on": "2026-11-18",
        "reference": "MOFCOM e-mail 7781",
    },
    {
        "record_id": "REC-4",
        "shipment_line_id": "DN-3-1",
        "obligation_type": "compliance_notice",
        "fulfilled_on": "2026-12-05",
        "reference": "DoC-2026-0003",
    },
    {
        "record_id": "REC-5",
        "shipment_line_id": "HUM-1-1",
        "obligation_type": "humanitarian_export_report",
        "fulfilled_on": "2026-11-30",
        "reference": "MOFCOM e-mail 7790",
    },
]
ENTITIES = [
    {
        "entity_id": "ENT-DE",
        "legal_name": "Muster Antriebe GmbH",
        "country": "DE",
        "address": "Industriestraße 1, 97421 Schweinfurt",
        "signatory_name": "Erika Muster",
    },
    {
        "entity_id": "ENT-CN",
        "legal_name": "Muster Materials (Ganzhou) Co., Ltd.",
        "legal_name_local": "穆斯特材料（赣州）有限公司",
        "country": "CN",
        "address": "江西省赣州市章贡区工业路 8 号",
        "signatory_name": "王明",
    },
]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Warehouse:
    root = tmp_path_factory.mktemp("obligations")
    landing = make_landing(
        root / "landing",
        {
            "erp/items": ITEMS,
            "certificates/material_declarations": CERTIFICATES,
            "customs/export_declarations": DECLARATIONS,
            "compliance/obligation_records": RECORDS,
            "erp/legal_entities": ENTITIES,
            # a licence that covers nothing here: with no licence at all, fct_shipment_determinations
            # fails its contract today (licence_id typed NULL by int_declaration_lines_licensed)
            "licences/licences": [
                {
                    "licence_id": "LIC-X",
                    "licence_type": "individual",
                    "holder_entity_id": "ENT-XX",
                    "item_id": "FER-1",
                    "valid_from": "2026-01-01",
                    "valid_to": "2026-12-31",
                },
            ],
        },
    )
    wh = Warehouse(root / "warehouse")
    batch_id, stats, _ = wh.load(landing)
    assert batch_id
    assert not [r for s in stats.values() for r in s.rejections], "the landing must load without rejections"
    assert wh.dbt("build", "--vars", AS_OF)
    return wh


def obligations(wh: Warehouse, declaration_id: str) -> dict[str, dict]:
    found = wh.dicts(f"select * from marts.fct_declaration_obligations where shipment_line_id = '{declaration_id}-1'")
    return {row["obligation_type"]: row for row in found}


def remark(wh: Warehouse, declaration_id: str) -> dict | None:
    return obligations(wh, declaration_id).get("customs_control_code_remark")


# --- 10.14 the customs remarks duty --------------------------------------------------------------


def test_remark_with_the_exact_code_fulfils_it_case_insensitively(built):
    row = remark(built, "R-EXACT")
    assert (row["status"], row["evidence"]) == ("fulfilled", "customs_remarks: controlled item 1C905.B")
    assert row["expected_remark"] == "1C905.b" and row["legal_basis"] == "MOFCOM/GAC 2025 No. 18"


@pytest.mark.parametrize(
    ("declaration_id", "reason"),
    [
        ("R-HEAD", "1C905 (not the line's code 1C905.b)"),
        ("R-OTHER", "1C905.a (not the line's code 1C905.b)"),
        ("R-EXTRA", "1C904.b (not the line's code 1C905.b)"),
    ],
)
def test_a_remark_naming_another_code_does_not_fulfil_it(built, declaration_id, reason):
    row = remark(built, declaration_id)
    assert (row["status"], row["evidence"]) == ("overdue", None)
    assert reason in row["status_reason"], row["status_reason"]


def test_an_uncontrolled_rare_earth_line_owes_the_remark_too(built):
    stated, silent, coded = remark(built, "R-NC"), remark(built, "R-NC-EMPTY"), remark(built, "R-NC-CODE")
    assert (stated["status"], stated["evidence"]) == ("fulfilled", "customs_remarks: not controlled / 非管制物项")
    assert stated["expected_remark"] == "not controlled"
    assert (silent["status"], coded["status"]) == ("overdue", "overdue")
    assert "no control code applies" in coded["status_reason"]
    assert "customs_final_destination" not in obligations(built, "R-NC")  # not an Appendix 1 item


def test_no_remark_duty_outside_the_reference_commodity_codes_before_no18_or_not_from_china(built):
    for declaration_id in ("R-FER", "R-PRE18", "R-TO-CN", "R-DE"):
        assert remark(built, declaration_id) is None, declaration_id


def test_no57_codes_are_expected_while_no57_is_in_force_only(built):
    in_force, suspended = remark(built, "R-HO-57"), remark(built, "R-HO-SUSP")
    assert (in_force["status"], in_force["expected_remark"]) == ("fulfilled", "1C909.b")
    assert in_force["legal_basis"] == "MOFCOM/GAC 2025 No. 57"
    assert (suspended["status"], suspended["expected_remark"]) == ("fulfilled", "not controlled")


# --- 10.15 the Declaration of Compliance of a Chinese domestic exporter ------------------------------


def test_chinese_domestic_exporter_of_a_part2_item_owes_a_declaration_with_the_computed_share(built):
    (determination,) = built.dicts(
        "select * from marts.fct_shipment_determinations where shipment_line_id = 'N-CN-P2-1'"
    )
    assert determination["part2_category"] == "magnet_ndfeb_dy" and not determination["is_part1_item"]
    notice = obligations(built, "N-CN-P2")["compliance_notice"]
    assert notice["recipient"] == "P1"
    assert notice["value_share_pct_to_declare"] == determination["cn_part1_value_share_pct"]
    if notice["value_share_pct_to_declare"] is None:
        assert "share" in notice["status_reason"]
    else:
        assert notice["value_share_pct_to_declare"] != 100
    part1 = obligations(built, "R-EXACT")["compliance_notice"]
    assert part1["value_share_pct_to_declare"] == 100


# --- 11.1 fulfilment from records ---------------------------------------------------------------


def test_a_record_fulfils_its_obligation_and_is_the_evidence(built):
    notice = obligations(built, "DN-1")["compliance_notice"]
    assert notice["status"] == "fulfilled" and notice["fulfilled_on"] == dt.date(2026, 11, 16)
    assert notice["evidence"] == "obligation record REC-1 (reference DoC-2026-0001 e-mailed to Acme)"
    report = obligations(built, "HUM-1")["humanitarian_export_report"]
    assert (report["status"], report["evidence"]) == (
        "fulfilled",
        "obligation record REC-5 (reference MOFCOM e-mail 7790)",
    )


def test_without_a_record_open_until_due_overdue_after(built):
    assert obligations(built, "DN-2")["compliance_notice"]["status"] == "overdue"
    open_report = obligations(built, "HUM-2")["humanitarian_export_report"]
    assert (open_report["status"], open_report["due_date"]) == ("open", dt.date(2026, 12, 8))
    assert "due 2026-12-08" in open_report["status_reason"]


def test_a_record_dated_after_as_of_date_is_not_yet_evidence(built):
    notice = obligations(built, "DN-3")["compliance_notice"]
    assert (notice["status"], notice["evidence"]) == ("overdue", None)


def test_records_that_match_no_obligation_are_kept_and_say_why(built):
    records = {r["record_id"]: r for r in built.dicts("select * from marts.fct_obligation_records")}
    assert set(records) == {"REC-1", "REC-2", "REC-3", "REC-4", "REC-5"}
    assert records["REC-1"]["match_status"] == "matched" and records["REC-1"]["obligation_id"]
    assert (records["REC-2"]["match_status"], records["REC-2"]["obligation_id"]) == ("no_such_shipment_line", None)
    assert records["REC-3"]["match_status"] == "obligation_not_raised"
    assert records["REC-4"]["match_status"] == "recorded_after_as_of_date"
    assert all(r["match_reason"] for r in records.values())


# --- 11.2 legal entities, 10.16 the translation note ----------------------------------------------


@pytest.fixture(scope="module")
def written(built, tmp_path_factory):
    out = tmp_path_factory.mktemp("notices")
    with built:
        pub.publish()
        done = notices.generate(out_dir=out, pdf=False)
    return {w["shipment_line_id"]: (out / w["html"]).read_text() for w in done}


def test_notices_carry_the_entity_names_never_a_bare_id(written):
    de = written["DN-2-1"]
    assert "Muster Antriebe GmbH" in de and "Erika Muster" in de and "Industriestraße 1" in de
    cn = written["N-CN-P2-1"]
    assert "穆斯特材料（赣州）有限公司" in cn and "Muster Materials (Ganzhou) Co., Ltd." in cn and "王明" in cn
    for html, entity, name in ((de, "ENT-DE", "Muster Antriebe GmbH"), (cn, "ENT-CN", "Muster Materials")):
        for match in re.finditer(entity, html):
            around = html[max(0, match.start() - 120) : match.end() + 120]
            assert name in around, around


def test_a_missing_entity_prints_its_id_and_says_the_name_is_missing(written):
    vn = written["VN-1-1"]
    assert "ENT-VN" in vn
    assert "法定名称缺失" in vn and "legal name missing" in vn


def test_the_chinese_text_is_called_a_translation_not_definitive(written):
    html = written["DN-2-1"]
    assert "本告知书以中文文本为准" not in html and "The Chinese text is definitive" not in html
    assert "以商务部官方模板的中文文本为准" in html
    assert "Chinese text of MOFCOM&#39;s official template is definitive" in html
    assert "本中文文本为项目译文" in html


# --- the embedded sample (data/sample/README.md, "Obligations, records and entities") ---------------


@pytest.fixture(scope="module")
def sample_published(sample_warehouse):
    with sample_warehouse:
        pub.publish()
    return sample_warehouse


def sample_obligation(wh: Warehouse, line: str, obligation_type: str) -> dict:
    (row,) = wh.dicts(f"""select * from marts.fct_declaration_obligations
        where shipment_line_id = '{line}' and obligation_type = '{obligation_type}'""")
    return row


def test_sample_evidence_is_as_documented(sample_warehouse):
    from test_sample_marts import expected_rows

    want = {
        (r["shipment_line_id"], r["obligation_type"]): r["evidence"] or None
        for r in expected_rows("declaration_obligations.csv")
    }
    got = {
        (r["shipment_line_id"], r["obligation_type"]): r["evidence"]
        for r in sample_warehouse.dicts("select * from marts.fct_declaration_obligations")
    }
    assert got == want


def test_sample_statuses_occur_each_for_the_right_reason(sample_warehouse):
    wh = sample_warehouse
    notice = sample_obligation(wh, "DE-261118-01-1", "compliance_notice")
    assert (notice["status"], notice["fulfilment_source"]) == ("fulfilled", "obligation_record")
    assert "OBR-2026-0001" in notice["evidence"] and "DoC-DE01-2026-0118" in notice["evidence"]
    late = sample_obligation(wh, "DE-261117-01-1", "compliance_notice")
    assert (late["status"], late["is_fulfilled_late"]) == ("fulfilled", True)
    report = sample_obligation(wh, "DE-251009-01-1", "humanitarian_export_report")
    assert (report["status"], report["fulfilled_on"]) == ("fulfilled", dt.date(2025, 10, 21))
    still_open = sample_obligation(wh, "DE-261124-01-1", "humanitarian_export_report")
    assert (still_open["status"], still_open["evidence"]) == ("open", None)
    overdue = sample_obligation(wh, "DE-261113-01-1", "compliance_notice")
    assert (overdue["status"], overdue["evidence"]) == ("overdue", None)
    assert overdue["status_reason"] == "no evidence; due 2026-11-13, overdue on 2026-12-01"
    wrong_code = sample_obligation(wh, "CN-261130-01-1", "customs_control_code_remark")
    assert wrong_code["status"] == "overdue" and "1C905.a (not the line's code 1C905.b)" in wrong_code["status_reason"]
    not_controlled = sample_obligation(wh, "CN-261128-01-1", "customs_control_code_remark")
    assert (not_controlled["status"], not_controlled["expected_remark"]) == ("fulfilled", "not controlled")
    domestic_part2 = sample_obligation(wh, "CN-261127-01-1", "compliance_notice")
    assert domestic_part2["recipient"] == "P-VANTEC"


def test_sample_records_matching_nothing_are_kept(sample_warehouse):
    records = {r["record_id"]: r for r in sample_warehouse.dicts("select * from marts.fct_obligation_records")}
    assert len(records) == 6
    assert records["OBR-2026-0004"]["match_status"] == "obligation_not_raised"  # latent view only
    assert records["OBR-2026-0005"]["match_status"] == "no_such_shipment_line"
    assert sum(r["match_status"] == "matched" for r in records.values()) == 4


def test_sample_notices_name_every_entity(sample_published, tmp_path):
    with sample_published:
        written = notices.generate(out_dir=tmp_path, pdf=False)
    names = {
        "E-DE01": "Kessler Antriebstechnik GmbH",
        "E-VN01": "Kessler Drive Systems Vietnam Co., Ltd.",
        "E-CN01": "Kessler Materials (Ganzhou) Co., Ltd.",
    }
    assert {w["shipment_line_id"][:2] for w in written} == {"DE", "VN", "CN"}
    for w in written:
        html = (tmp_path / w["html"]).read_text()
        assert "legal name missing" not in html, w["shipment_line_id"]
        for entity, name in names.items():
            for match in re.finditer(entity, html):
                assert name in html[max(0, match.start() - 120) : match.end() + 120], (w["shipment_line_id"], entity)
    cn = (tmp_path / "DoC-CN-261130-01-1.html").read_text()
    assert "凯斯勒材料（赣州）有限公司（Kessler Materials (Ganzhou) Co., Ltd.）" in cn and "李建国" in cn


def test_sample_report_counts_obligations_by_type_and_shows_unmatched_records(sample_published, tmp_path):
    from ree import report

    with sample_published:
        html_path, _ = report.render("2026-11", out_dir=tmp_path)
    html = html_path.read_text()
    assert "Status of every obligation, by type" in html
    ((open_, overdue, fulfilled, by_record, total),) = sample_published.query("""
        select count(*) filter (where status = 'open'), count(*) filter (where status = 'overdue'),
            count(*) filter (where status = 'fulfilled'), count(*) filter (where fulfilment_source = 'obligation_record'),
            count(*)
        from marts.fct_declaration_obligations where obligation_type = 'compliance_notice'""")
    assert (
        f'<tr><td>compliance_notice</td><td class="num">{open_}</td><td class="num">{overdue}</td>'
        f'<td class="num">{fulfilled}</td><td class="num">{by_record}</td>'
    ) in html
    assert by_record == 3 and total == 30
    assert "Obligation records that match no obligation (all loads): 2" in html
    assert "OBR-2026-0004" in html and "OBR-2026-0005" in html
    assert "凯斯勒材料（赣州）有限公司" in html and "Dr. Martina Kessler" in html


def test_a_warehouse_loaded_before_the_optional_extracts_existed_still_builds(tmp_path):
    """Batches written before `erp/legal_entities` and `compliance/obligation_records` joined the
    contract hold no Parquet for them: their staging models read an empty, typed relation."""
    import shutil

    wh = Warehouse(tmp_path / "warehouse")
    wh.load(make_landing(tmp_path / "landing"))
    for folder in (
        *(wh.root / "raw" / "batches").glob("*/erp/legal_entities"),
        *(wh.root / "raw" / "batches").glob("*/compliance"),
    ):
        shutil.rmtree(folder)
    assert wh.dbt(
        "run",
        "--select",
        "stg_erp__legal_entities",
        "stg_compliance__obligation_records",
        "stg_customs__export_declarations",
        "stg_licences__licences",
        "dim_legal_entities",
        "--vars",
        AS_OF,
    )
    assert wh.query("select count(*) from staging.stg_compliance__obligation_records") == [(0,)]
    assert wh.query("select entity_id, is_in_extract, missing_name_note from marts.dim_legal_entities") == [
        ("ENT-DE", False, "ENT-DE: legal name missing (not in erp/legal_entities)")
    ]
