"""Issue 11.3: a user's reference/fx_rates.csv tops up the shipped ECB rates per (date,
currency) instead of replacing them, and `ree build` warns in one line when reference data
ends before the latest export date."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from conftest import Warehouse
from landing import BASE, make_landing, write_extract
from ree import build

LINE = BASE["customs/export_declarations"][0]

# CNY per EUR for the November 2026 working days only (the shipped ECB history ends 2026-10-30)
NOVEMBER_CNY = [
    {"rate_date": day.isoformat(), "currency": "CNY", "units_per_eur": "8.2500"}
    for day in (dt.date(2026, 11, 2) + dt.timedelta(days=n) for n in range(29))
    if day.isoweekday() <= 5
]


def declaration(declaration_id: str, export_date: str, currency: str, line_value: str) -> dict:
    return {
        **LINE,
        "declaration_id": declaration_id,
        "export_date": export_date,
        "currency": currency,
        "line_value": line_value,
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Warehouse:
    root = tmp_path_factory.mktemp("fx_topup")
    landing = make_landing(
        root / "landing",
        {
            "customs/export_declarations": [
                declaration("CNY-NOV", "2026-11-16", "CNY", "8000.00"),  # covered by the user file
                declaration("CNY-OCT", "2026-10-15", "CNY", "8000.00"),  # the ECB's CNY of that day
                declaration("USD-JUN", "2026-06-15", "USD", "1100.00"),  # the ECB's USD
                declaration("USD-NOV", "2026-11-16", "USD", "1100.00"),  # no USD after 2026-10-30: stale
            ],
            # (a landing without any licence fails the build today: see the report)
            "licences/licences": [
                {
                    "licence_id": "LIC-1",
                    "licence_number": "MOFCOM-2026-1",
                    "licence_type": "individual",
                    "holder_entity_id": "ENT-DE",
                    "item_id": "MOTOR-1",
                    "quantity_authorised": "5",
                    "valid_from": "2026-01-01",
                    "valid_to": "2026-12-31",
                },
            ],
        },
    )
    write_extract(landing, "reference/fx_rates", NOVEMBER_CNY)
    wh = Warehouse(root / "warehouse")
    wh.load(landing)
    assert wh.dbt("build", "--vars", "{as_of_date: '2026-12-01'}")
    return wh


def flags(wh: Warehouse, declaration_id: str) -> set[str]:
    (row,) = wh.query(
        "select data_quality_flags from marts.fct_shipment_determinations where declaration_id = ?", [declaration_id]
    )
    return set(filter(None, (row[0] or "").split(";")))


def test_every_other_shipped_rate_stays_in_use(built):
    shipped = built.query("select count(*) from reference.ecb_fx_rates")[0][0]
    kept = built.query(
        "select count(*) from staging.stg_reference__fx_rates where rate_source != 'reference/fx_rates.csv'"
    )[0][0]
    assert kept == shipped  # the user file holds no shipped (date, currency): nothing replaced
    rates = dict(
        built.query(
            "select currency || ' ' || cast(calendar_date as varchar), rate_source from intermediate.int_fx_rates_daily"
            " where calendar_date in ('2026-06-15', '2026-10-15', '2026-11-16') and currency in ('CNY', 'USD')"
        )
    )
    assert rates["USD 2026-06-15"].startswith("ECB")
    assert rates["CNY 2026-10-15"].startswith("ECB")
    assert rates["USD 2026-11-16"].startswith("ECB")  # the 2026-10-30 rate, 17 days old
    assert rates["CNY 2026-11-16"] == "reference/fx_rates.csv"


def test_november_lines_the_user_file_covers_are_no_longer_stale(built):
    assert {"fx_stale", "fx_missing"}.isdisjoint(flags(built, "CNY-NOV"))
    assert {"fx_stale", "fx_missing"}.isdisjoint(flags(built, "CNY-OCT"))
    assert {"fx_stale", "fx_missing"}.isdisjoint(flags(built, "USD-JUN"))
    assert "fx_stale" in flags(built, "USD-NOV")  # not covered: still flagged, never guessed


def test_build_warns_when_fx_ends_before_the_latest_export(built):
    con = duckdb.connect(str(built.root / "ree.duckdb"), read_only=True)
    try:
        warning = build.reference_coverage_warning(con)
    finally:
        con.close()
    assert warning is not None and "\n" not in warning
    assert "2026-11-16" in warning and "USD" in warning and "2026-10-30" in warning
    assert "reference/fx_rates.csv" in warning
    assert "CNY" not in warning  # topped up by the user
    assert "working days" not in warning  # the PRC calendar reaches well past 2026-11-16


def test_warning_names_the_prc_calendar_when_it_ends_too_soon(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("create schema staging; create schema reference")
    con.execute(
        "create table staging.stg_customs__export_declarations as"
        " select date '2026-12-28' as export_date, 'EUR' as currency"
    )
    con.execute(
        "create table staging.stg_reference__fx_rates as select date '2026-12-28' as rate_date, 'EUR' as currency"
    )
    con.execute(
        "create table reference.prc_working_days as select cast(range as date) as calendar_date,"
        " isodow(cast(range as date)) <= 5 as is_working_day"
        " from range(date '2026-12-01', date '2027-01-01', interval 1 day)"
    )
    warning = build.reference_coverage_warning(con, reporting_currency="EUR")
    con.close()
    assert warning is not None and "\n" not in warning
    assert "PRC working days end 2026-12-31" in warning and "ree refresh-reference" in warning
    assert "FX" not in warning
