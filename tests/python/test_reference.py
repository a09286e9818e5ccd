"""The project-owned reference data (seeds/) and `ree refresh-reference`."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import chinese_calendar
import duckdb
import pytest
from ree import contract, reference

SEEDS = reference.SEEDS_DIR
GENERATED = ("calendar/prc_working_days.csv", "reference/ecb_fx_rates.csv", "reference/reference_data_coverage.csv")


def read_seed(relative: str) -> list[dict[str, str]]:
    with (SEEDS / relative).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def all_seed_files() -> list[Path]:
    return sorted(SEEDS.rglob("*.csv"))


# ---------------------------------------------------------------- generated seeds


def test_refresh_check_is_clean_on_committed_seeds():
    assert reference.refresh(check=True) == 0


def test_refresh_writes_and_check_detects_drift(tmp_path):
    seeds = tmp_path / "seeds"
    assert reference.refresh(check=True, seeds_dir=seeds) == 1  # nothing there yet
    assert reference.refresh(check=False, seeds_dir=seeds) == 0
    for relative in GENERATED:
        assert (seeds / relative).read_bytes() == (SEEDS / relative).read_bytes()
    assert reference.refresh(check=True, seeds_dir=seeds) == 0
    fx = seeds / "reference/ecb_fx_rates.csv"
    fx.write_bytes(fx.read_bytes().replace(b"1.0321", b"1.0322", 1))
    assert reference.refresh(check=True, seeds_dir=seeds) == 1
    assert b"1.0322" in fx.read_bytes()  # --check never writes


def test_generate_is_deterministic():
    assert reference.generate() == reference.generate()


def test_generated_files_are_utf8_with_lf_line_ends():
    for path in all_seed_files():
        content = path.read_bytes()
        content.decode("utf-8")
        assert b"\r" not in content, path
        assert content.endswith(b"\n"), path


# ---------------------------------------------------------------- PRC working days


@pytest.fixture(scope="module")
def working_days() -> dict[str, dict[str, str]]:
    return {row["calendar_date"]: row for row in read_seed("calendar/prc_working_days.csv")}


def test_working_days_cover_every_date_the_package_covers(working_days):
    dates = sorted(working_days)
    assert dates[0] == "2025-01-01"
    assert dates[-1] == "2026-12-31"
    assert len(dates) == 365 + 365
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(dt.date(2027, 1, 1))
    coverage = {row["dataset"]: row for row in read_seed("reference/reference_data_coverage.csv")}
    assert coverage["prc_working_days"]["first_date"] == "2025-01-01"
    assert coverage["prc_working_days"]["last_date"] == "2026-12-31"
    assert coverage["prc_working_days"]["source_version"] == "1.11.0"


def test_spring_festival_2026(working_days):
    for day in range(15, 24):
        row = working_days[f"2026-02-{day:02d}"]
        assert row["is_working_day"] == "false"
        assert row["is_statutory_holiday"] == "true"
        assert row["holiday_name"] == "Spring Festival"
    # Saturday 14 Feb and Saturday 28 Feb 2026 are make-up working days for the festival
    for date in ("2026-02-14", "2026-02-28"):
        assert dt.date.fromisoformat(date).isoweekday() == 6
        assert chinese_calendar.is_workday(dt.date.fromisoformat(date))
        row = working_days[date]
        assert (row["is_working_day"], row["is_makeup_working_day"], row["is_statutory_holiday"]) == (
            "true",
            "true",
            "false",
        )
    assert working_days["2026-02-24"]["is_working_day"] == "true"


def test_plain_weekend_and_weekday(working_days):
    saturday = working_days["2025-03-01"]
    assert (saturday["is_working_day"], saturday["is_statutory_holiday"], saturday["holiday_name"]) == (
        "false",
        "false",
        "",
    )
    monday = working_days["2025-03-03"]
    assert (monday["is_working_day"], monday["is_makeup_working_day"]) == ("true", "false")


def test_working_days_agree_with_the_package(working_days):
    for date, row in working_days.items():
        day = dt.date.fromisoformat(date)
        assert row["is_working_day"] == ("true" if chinese_calendar.is_workday(day) else "false"), date


# ---------------------------------------------------------------- ECB rates


@pytest.fixture(scope="module")
def fx_rows() -> list[dict[str, str]]:
    return read_seed("reference/ecb_fx_rates.csv")


def test_fx_rates_only_on_publishing_days(fx_rows):
    dates = {row["rate_date"] for row in fx_rows}
    assert all(dt.date.fromisoformat(date).isoweekday() <= 5 for date in dates)
    assert "2025-01-01" not in dates  # TARGET holiday
    assert "2025-12-25" not in dates
    assert min(dates) == "2025-01-02"
    coverage = {row["dataset"]: row for row in read_seed("reference/reference_data_coverage.csv")}
    assert coverage["ecb_fx_rates"]["first_date"] == min(dates)
    assert coverage["ecb_fx_rates"]["last_date"] == max(dates)


def test_fx_rates_as_published(fx_rows):
    rates = {(row["rate_date"], row["currency"]): row["units_per_eur"] for row in fx_rows}
    assert rates[("2025-01-02", "USD")] == "1.0321"
    assert rates[("2025-01-02", "JPY")] == "162.04"
    assert rates[("2025-01-02", "EUR")] == "1"
    assert len(rates) == len(fx_rows)  # one row per (rate_date, currency)
    for value in rates.values():
        assert "e" not in value.lower() and float(value) > 0
    currencies = {currency for _, currency in rates}
    assert currencies == {"EUR", *reference.FX_CURRENCIES}
    # every publishing day has EUR and every listed currency
    days = {date for date, _ in rates}
    assert len(rates) == len(days) * len(currencies)


# ---------------------------------------------------------------- curated seeds


def test_every_seed_row_carries_source_and_confidence():
    for path in all_seed_files():
        relative = path.relative_to(SEEDS).as_posix()
        if relative in GENERATED[:2]:
            continue  # row-level generated data: its source and confidence are in reference_data_coverage
        rows = read_seed(relative)
        assert rows, relative
        for number, row in enumerate(rows, start=2):
            citation = row.get("source_ref") or row.get("source")
            assert citation and citation.strip(), f"{relative}:{number} has no source_ref"
            assert row.get("confidence") in ("verified", "unverified"), f"{relative}:{number} confidence"


def test_part1_substances_match_the_contract():
    rows = read_seed("control_list/rare_earth_substances.csv")
    part1 = {row["substance"] for row in rows if row["is_part1_item"] == "true"}
    assert part1 == set(contract.PART1_SUBSTANCES)
    by_code = {row["substance"]: row for row in rows}
    for not_part1 in ("Nd_metal", "Ho_metal", "DyF3", "Sm_oxide"):
        assert by_code[not_part1]["is_part1_item"] == "false"
        assert "not Part 1" in by_code[not_part1]["note"]
    assert by_code["DyF3"]["control_code_no18"] == "1C905.c"
    assert by_code["TbDyFe_alloy"]["elements"] == "Tb;Dy"
    assert by_code["Nd_metal"]["control_code_no18"] == ""
    # the assumed element order is marked as such
    assert by_code["Dy_oxide"]["confidence"] == "unverified"


def test_part2_targets_read_as_published():
    rows = {row["target_material"]: row for row in read_seed("control_list/part2_target_materials.csv")}
    listed = {name for name, row in rows.items() if row["is_part2_item"] == "true"}
    assert listed == {
        "Sm",
        "SmCo",
        "SmFe",
        "Gd",
        "GdFe",
        "GdCo",
        "Tb",
        "TbCo",
        "TbDyFe",
        "Dy",
        "Lu",
        "Sc",
        "Y",
        "YAl",
        "YCo",
    }
    assert rows["TbDyFe"]["list_ref"] == "II.3.c;II.4.b"
    assert rows["ScAl"]["is_part2_item"] == "false"
    assert "not in the published list" in rows["ScAl"]["note"]


def test_magnet_categories_are_the_mart_vocabulary():
    rows = read_seed("control_list/part2_magnet_categories.csv")
    assert {(row["list_ref"], row["part2_category"], row["magnet_type"], row["required_element"]) for row in rows} == {
        ("I.1", "magnet_smco", "SmCo", ""),
        ("I.2", "magnet_ndfeb_tb", "NdFeB", "Tb"),
        ("I.3", "magnet_ndfeb_dy", "NdFeB", "Dy"),
        ("I.4", "magnet_part", "", ""),
    }


def test_clause_calendar():
    clauses = {row["clause_id"]: row for row in read_seed("calendar/regulatory_clauses.csv")}
    assert {"18", "57", "61-1a", "61-1b", "61-1c", "61-2", "61-3", "61-4", "61-5", "61-7", "62"} <= set(clauses)
    effective = {clause_id: row["effective_from"] for clause_id, row in clauses.items()}
    assert effective["18"] == "2025-04-04"
    assert effective["57"] == "2025-11-08"
    assert effective["61-1a"] == effective["61-1b"] == "2025-12-01"
    assert effective["61-1c"] == effective["62"] == "2025-10-09"
    suspensions = read_seed("calendar/regulatory_suspensions.csv")
    suspended = {row["clause_id"] for row in suspensions}
    assert suspended <= set(clauses)
    assert "18" not in suspended
    assert suspended == set(clauses) - {"18"}
    assert {(row["suspended_from"], row["suspended_to"]) for row in suspensions} == {("2025-11-07", "2026-11-10")}


def test_end_use_codes_match_the_contract():
    rows = read_seed("end_use/end_use_codes.csv")
    assert {row["end_use_code"] for row in rows} == set(contract.END_USE_CODES)
    precedence = {"deny_presumption": "1", "case_by_case": "2", "humanitarian_notify": "3", "standard": "4"}
    for row in rows:
        assert row["outcome_precedence"] == precedence[row["end_use_outcome"]]


def _classify(statements: list[str]) -> dict[str, str | None]:
    """The intended use of end_use_statement_patterns: first match by priority decides."""
    con = duckdb.connect()
    patterns = SEEDS / "end_use/end_use_statement_patterns.csv"
    con.execute(f"create table patterns as select * from read_csv('{patterns}', all_varchar = true)")
    con.execute("create table statements (statement varchar)")
    con.executemany("insert into statements values (?)", [(s,) for s in statements])
    rows = con.execute(
        """
        with matched as (
            select
                statements.statement,
                cast(patterns.priority as integer) as priority,
                case
                    when patterns.pattern_kind = 'keyword' then patterns.end_use_code_if_met
                    when patterns.comparator = 'le'
                        and cast(regexp_extract(statements.statement, patterns.pattern, 1) as decimal(38, 12))
                            <= cast(patterns.threshold as decimal(38, 12)) then patterns.end_use_code_if_met
                    when patterns.comparator = 'ge'
                        and cast(regexp_extract(statements.statement, patterns.pattern, 1) as decimal(38, 12))
                            >= cast(patterns.threshold as decimal(38, 12)) then patterns.end_use_code_if_met
                    else patterns.end_use_code_if_not_met
                end as end_use_code
            from statements
            inner join patterns on regexp_matches(statements.statement, patterns.pattern)
            qualify row_number() over (partition by statements.statement order by priority) = 1
        )
        select statements.statement, coalesce(matched.end_use_code, 'review')
        from statements
        left join matched on statements.statement = matched.statement
        """
    ).fetchall()
    con.close()
    return dict(rows)


def test_end_use_statement_patterns():
    expected = {
        "R&D of 14 nm logic chips": "logic_chips_le_14nm",
        "16nm logic": "civil",
        "256-layer 3D NAND": "memory_chips_ge_256_layers",
        "232-layer NAND": "civil",
        "for general industrial motors": "review",
        "logic chips at 7 nm": "logic_chips_le_14nm",
        "NAND flash with 300 layers": "memory_chips_ge_256_layers",
        "not for military use": "review",
        "counter-terrorism surveillance": "review",
        "guidance section for missiles": "wmd",
        "TERRORIST purposes": "terrorism",
        "R&D of AI with potential military applications": "ai_military_potential",
        "radar for the navy": "military",
        "14nm logic chips for a defence radar": "military",
        "EUV lithography scanner, 13.5 nm": "advanced_chip_equipment",
        "ArF lithography at 193 nm": "review",
        "earthquake relief shelters": "humanitarian_disaster",
        "earthquake sensors for buildings": "review",
        "emergency medical MRI": "humanitarian_medical",
        "public health emergency ventilators": "humanitarian_medical",
        "12-layer PCB for motors": "review",
        "5 nm process": "review",
    }
    assert _classify(list(expected)) == expected


def test_restricted_party_entries_use_contract_columns():
    rows = read_seed("parties/restricted_party_entries.csv")
    columns = contract.extract("reference/restricted_parties").column_names
    assert tuple(rows[0])[: len(columns)] == columns
    list_ids = contract.extract("reference/restricted_parties").column("list_id").enum
    for row in rows:
        assert row["list_id"] in list_ids
        assert row["confidence"] == "unverified"
        assert row["country"] in contract.iso_countries()
    assert len({row["entry_id"] for row in rows}) == len(rows)


def test_reference_prices_cover_every_part1_substance():
    rows = read_seed("reference/rare_earth_reference_prices.csv")
    assert set(contract.PART1_SUBSTANCES) <= {row["substance"] for row in rows}
    substances = {row["substance"] for row in read_seed("control_list/rare_earth_substances.csv")}
    for row in rows:
        assert row["substance"] in substances
        assert float(row["price_per_kg"]) > 0
        assert row["confidence"] == "unverified"
