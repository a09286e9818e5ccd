"""Build small landing folders for tests: rows as dicts, every contract column written."""

from __future__ import annotations

import csv
from pathlib import Path

from ree import contract

TS = "2026-11-28T06:00:00Z"

# One consistent little world: a German maker ships a servo motor with a Chinese Dy magnet.
BASE: dict[str, list[dict]] = {
    "erp/items": [
        {
            "item_id": "MOTOR-1",
            "description": "servo motor",
            "item_type": "manufactured",
            "product_form": "assembly",
            "country_of_manufacture": "DE",
            "hs_code": "850152",
            "chinese_re_technology": "N",
            "standard_cost": "500.00",
            "standard_cost_currency": "EUR",
        },
        {
            "item_id": "MAG-1",
            "description": "NdFeB magnet",
            "item_type": "purchased",
            "product_form": "permanent_magnet",
            "magnet_type": "NdFeB",
            "country_of_manufacture": "JP",
            "hs_code": "850511",
            "chinese_re_technology": "N",
        },
    ],
    "erp/bom": [
        {"parent_item_id": "MOTOR-1", "component_item_id": "MAG-1", "quantity_per": "4", "valid_from": "2025-01-01"},
    ],
    "procurement/purchase_lines": [
        {
            "po_line_id": "PO1-1",
            "po_number": "PO1",
            "supplier_id": "SUP-1",
            "item_id": "MAG-1",
            "quantity": "100",
            "unit_price": "12.50",
            "currency": "EUR",
            "order_date": "2025-05-01",
            "receipt_date": "2025-05-20",
            "country_of_origin": "JP",
        },
    ],
    "certificates/material_declarations": [
        {
            "certificate_id": "C1",
            "line_no": "1",
            "supplier_id": "SUP-1",
            "item_id": "MAG-1",
            "document_type": "material_declaration",
            "substance": "Dy_metal",
            "element": "Dy",
            "mass_g_per_unit": "0.5",
            "content_value_per_unit": "0.25",
            "content_value_currency": "EUR",
            "origin_country": "CN",
            "chinese_re_technology": "N",
            "issued_on": "2025-05-01",
            "valid_from": "2025-05-01",
        },
    ],
    "customs/export_declarations": [
        {
            "declaration_id": "D1",
            "line_no": "1",
            "export_date": "2026-01-15",
            "exporter_entity_id": "ENT-DE",
            "exporter_country": "DE",
            "item_id": "MOTOR-1",
            "quantity": "2",
            "line_value": "1000.00",
            "currency": "EUR",
            "destination_country": "US",
            "consignee_party_id": "P1",
            "end_user_party_id": "P1",
            "end_use_code": "civil",
        },
    ],
    "parties/parties": [
        {"party_id": "P1", "name": "Acme Robotics Inc.", "country": "US", "party_type": "commercial"},
    ],
}


def write_extract(root: Path, path: str, rows: list[dict], *, daily: str | None = None, header=None) -> Path:
    """Write one extract file; `daily` puts it in `<path>/<daily>.csv`."""
    ex = contract.extract(path)
    target = root / path / f"{daily}.csv" if daily else root / f"{path}.csv"
    target.parent.mkdir(parents=True, exist_ok=True)
    columns = list(header or ex.column_names)
    with target.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({c: row.get(c, TS if c == "extracted_at" else "") for c in columns})
    return target


def make_landing(root: Path, overrides: dict[str, list[dict]] | None = None) -> Path:
    """The base world with some extracts replaced; declarations as one daily file."""
    data = {**BASE, **(overrides or {})}
    for path, rows in data.items():
        if path == "customs/export_declarations":
            write_extract(root, path, rows, daily="2026-01-15")
        else:
            write_extract(root, path, rows)
    return root
