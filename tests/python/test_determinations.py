"""Determinations on a small landing built for the purpose: licence drawing in shipment
order, scope (mainland China vs Hong Kong), and the humanitarian report due date across the
2026 Spring Festival (10 PRC working days, holidays skipped, make-up Saturdays counted)."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import Warehouse
from landing import BASE, make_landing

LINE = BASE["customs/export_declarations"][0]


def declaration(declaration_id: str, export_date: str, **changes) -> dict:
    return {**LINE, "declaration_id": declaration_id, "export_date": export_date, **changes}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Warehouse:
    root = tmp_path_factory.mktemp("determinations")
    landing = make_landing(
        root / "landing",
        {
            "customs/export_declarations": [
                # rule 61-1a in force again from 2026-11-11; each unit carries 4 x EUR 0.25 of
                # Chinese Dy on EUR 500: 0.2 %
                declaration("L-1", "2026-11-12", quantity="3", line_value="1500.00"),
                declaration("L-2", "2026-11-13", quantity="3", line_value="1500.00"),  # would overdraw
                declaration("L-3", "2026-11-14", quantity="2", line_value="1000.00"),  # still fits
                declaration("CN-1", "2026-11-16", destination_country="CN"),
                declaration("HK-1", "2026-11-16", destination_country="HK"),
                # humanitarian, just before the 2026 Spring Festival (2026-02-15..23)
                declaration("HUM-1", "2026-02-12", end_use_code="humanitarian_medical"),
            ],
            "licences/licences": [
                {
                    "licence_id": "LIC-1",
                    "licence_number": "MOFCOM-2026-1",
                    "licence_type": "individual",
                    "holder_entity_id": "ENT-DE",
                    "item_id": "MOTOR-1",
                    "quantity_authorised": "5",
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


def test_licence_is_drawn_in_shipment_order_and_an_overdraw_draws_nothing(built):
    statuses = {d: (line(built, d)["licence_status"], line(built, d)["licence_id"]) for d in ("L-1", "L-2", "L-3")}
    assert statuses == {"L-1": ("covered", "LIC-1"), "L-2": ("not_covered", None), "L-3": ("covered", "LIC-1")}
    assert line(built, "L-2")["compliance_status"] == "licence_missing"
    assert "Licence LIC-1 has 2 left, the line needs 3" in line(built, "L-2")["explanation"]


def test_value_share_is_exact_and_explained(built):
    row = line(built, "L-1")
    assert row["cn_part1_value"] == 3  # 3 units x 4 magnets x EUR 0.25
    assert float(row["cn_part1_value_share_pct"]) == pytest.approx(0.2)
    assert row["meets_value_threshold"] is True
    assert row["rules_triggered"] == "61-1a" and row["regime_status"] == "in_force"
    assert "MAG-1" in row["explanation"] and "C1#1" in row["explanation"]


def test_mainland_china_is_out_of_scope_and_hong_kong_is_in(built):
    to_cn, to_hk = line(built, "CN-1"), line(built, "HK-1")
    assert (to_cn["rules_triggered"], to_cn["licence_requirement"]) == ("", "not_required")
    assert to_cn["meets_value_threshold"] is True  # the share is shown, the rule does not reach CN
    assert (to_hk["rules_triggered"], to_hk["licence_requirement"]) == ("61-1a", "required")


def test_humanitarian_export_during_the_suspension_raises_nothing_in_the_legal_view(built):
    row = line(built, "HUM-1")
    assert (row["licence_requirement"], row["licence_requirement_as_published"]) == ("not_required", "exempt_notify")
    assert built.query(
        "select count(*) from marts.fct_declaration_obligations o join marts.fct_shipment_determinations d "
        "using (shipment_line_id) where d.declaration_id = 'HUM-1'"
    ) == [(0,)]


def test_humanitarian_report_due_across_the_spring_festival(built):
    # as published (suspensions ignored), the report is due on the 10th PRC working day
    # after 2026-02-12: 13, 14 (make-up Sat), 24, 25, 26, 27, 28 (make-up Sat), 2, 3, 4 March
    # only the models downstream of the rules depend on the view
    assert built.dbt(
        "run",
        "--select",
        "int_declaration_lines_ruled+",
        "--exclude",
        "snap_shipment_determinations",
        "--vars",
        "{as_of_date: '2026-12-01', apply_suspensions: false}",
    )
    rows = built.query(
        "select o.due_date, o.status, o.recipient from marts.fct_declaration_obligations o "
        "join marts.fct_shipment_determinations d using (shipment_line_id) "
        "where d.declaration_id = 'HUM-1' and o.obligation_type = 'humanitarian_export_report'"
    )
    assert rows == [(dt.date(2026, 3, 4), "overdue", "MOFCOM")]
    assert line(built, "HUM-1")["compliance_status"] == "notify_due"
