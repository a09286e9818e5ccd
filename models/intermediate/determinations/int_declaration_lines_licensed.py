"""Licence drawing (RULES.md §8): one row per line that needs a licence under the view
apply_suspensions selects.

Lines draw on licences in export-date order (then declaration, then line). A line takes
its first candidate licence (most specific first, then the one expiring first) that still
has the quantity and value it needs; a line that would overdraw every candidate is not
covered and draws nothing, so a later, smaller line may still fit. This is a sequential
allocation, which SQL window sums cannot express exactly, hence a Python model.
"""

from decimal import Decimal

import pyarrow as pa

SCHEMA = pa.schema(
    [
        pa.field("shipment_line_id", pa.string(), nullable=False),
        pa.field("licence_id", pa.string()),
        pa.field("is_covered", pa.bool_(), nullable=False),
        pa.field("licence_explanation", pa.string(), nullable=False),
    ]
)


def model(dbt, session):
    dbt.config(materialized="table")
    from collections import namedtuple

    needing = dbt.ref("int_declaration_lines_ruled").filter("licence_requirement = 'required'")
    needing = needing.project("shipment_line_id, exporter_entity_id, export_date")
    candidates = dbt.ref("int_licence_candidates").order(
        "export_date, declaration_id, line_no, shipment_line_id, candidate_rank"
    )
    # fetchall keeps DECIMAL as decimal.Decimal (a DataFrame would turn it into float)
    Candidate = namedtuple("Candidate", candidates.columns)
    Line = namedtuple("Line", needing.columns)

    remaining_quantity: dict[str, Decimal | None] = {}
    remaining_value: dict[str, Decimal | None] = {}
    outcome: dict[str, tuple] = {}
    for row in map(Candidate._make, candidates.fetchall()):
        line = row.shipment_line_id
        if line in outcome and outcome[line][1]:
            continue  # already covered by a better candidate
        licence = row.licence_id
        if licence not in remaining_quantity:
            remaining_quantity[licence] = _decimal(row.quantity_authorised)
            remaining_value[licence] = _decimal(row.value_authorised)
        quantity_left, value_left = remaining_quantity[licence], remaining_value[licence]
        drawn_value = _decimal(row.value_drawn)
        if value_left is not None and drawn_value is None:
            reason = f"Licence {licence}: no FX rate to draw its value"
        elif quantity_left is not None and _decimal(row.quantity_drawn) > quantity_left:
            reason = f"Licence {licence} has {quantity_left.normalize():f} left, the line needs {_decimal(row.quantity_drawn).normalize():f}"
        elif value_left is not None and drawn_value > value_left:
            reason = (
                f"Licence {licence} has {value_left.normalize():f} {row.value_authorised_currency} left, "
                f"the line draws {drawn_value.normalize():f}"
            )
        else:
            if quantity_left is not None:
                remaining_quantity[licence] = quantity_left - _decimal(row.quantity_drawn)
            if value_left is not None:
                remaining_value[licence] = value_left - drawn_value
            outcome[line] = (licence, True, f"Covered by licence {licence}")
            continue
        if line not in outcome:  # keep the first (best) candidate's reason
            outcome[line] = (licence, False, reason + " (not covered; nothing drawn)")

    rows = []
    for line in map(Line._make, needing.fetchall()):
        licence, covered, why = outcome.get(
            line.shipment_line_id,
            (
                None,
                False,
                f"No licence of {line.exporter_entity_id} covers this item, destination and end user on "
                f"{line.export_date.isoformat()}",
            ),
        )
        rows.append(
            {
                "shipment_line_id": line.shipment_line_id,
                "licence_id": licence,
                "is_covered": covered,
                "licence_explanation": why,
            }
        )
    # An explicit schema: with no line covered (or no line needing a licence) the columns keep
    # their types instead of DuckDB's "NULL" type, which fails the marts' enforced contracts.
    return pa.Table.from_pylist(rows, schema=SCHEMA)


def _decimal(value):
    return None if value is None else Decimal(value)
