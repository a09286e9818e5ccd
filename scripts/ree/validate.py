"""Great-expectations suites derived from the raw-extract contract, and their verdicts.

The suite of an extract is built from `ree.contract` alone: one expectation per rule the
contract states (column required, enum, ISO code, decimal format and range, date and
timestamp format, key unique within a file, date order). Ranges are expressed as regular
expressions over the decimal text so that a boundary such as `0 < x <= 100` is judged
exactly, never through a float.

`validate(frame, extract)` runs the suite and returns one finding per (row, column, rule):
the rows to quarantine and why, plus the raw GX results for the validation report.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass

import pandas as pd

from ree import contract
from ree.contract import Column, Extract

ROW_NUMBER = "_row_number"
SOURCE_FILE = "_source_file"

# Decimal text: digits, optional fraction, no sign, no exponent, no thousands separator.
# At most 26 integer and 12 fraction digits: what the raw zone's decimal(38, 12) holds exactly.
_DEC = r"[0-9]{1,26}(?:\.[0-9]{1,12})?"
DATE_RE = r"^[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])$"
TIMESTAMP_RE = (
    r"^[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"
    r"(?:[T ](?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]{1,9})?)?(?:Z|[+-](?:[01][0-9]|2[0-3]):?[0-5][0-9])?)?$"
)
INTEGER_RE = r"^[0-9]+$"


def _nonzero_digits(most: int) -> str:
    """1..`most` digits, not all zero; no look-ahead, so that pyarrow's RE2 runs it (columnar)."""
    return "(?:" + "|".join(f"0{{{k}}}[1-9][0-9]{{0,{most - 1 - k}}}" for k in range(most)) + ")"


_NONZERO_INT = _nonzero_digits(26)
_NONZERO_FRACTION = _nonzero_digits(12)


def decimal_regex(column: Column) -> tuple[str, str]:
    """The regex a decimal column's text must match, and the reason when it does not.

    "Greater than 0" is written out (an integer part that is not all zeros, or an all-zero
    integer part with a fraction that is not) rather than as a look-ahead: the same
    language as `^(?!0+(?:\\.0+)?$)...$`, but one that RE2 (pyarrow, pandas) evaluates
    column-wise instead of falling back to Python's `re` row by row.
    """
    fraction = r"(?:\.[0-9]{1,12})?"
    if column.low == 0 and column.high == 100 and column.low_inclusive:
        return rf"^(?:100(?:\.0{{1,12}})?|[0-9]{{1,2}}{fraction})$", "not a decimal between 0 and 100"
    if column.low == 0 and column.high == 100:
        return (
            rf"^(?:100(?:\.0{{1,12}})?|{_nonzero_digits(2)}{fraction}|0{{1,2}}\.{_NONZERO_FRACTION})$",
            "not a decimal greater than 0 and at most 100",
        )
    if column.low == 0 and not column.low_inclusive:
        return rf"^(?:{_NONZERO_INT}{fraction}|0{{1,26}}\.{_NONZERO_FRACTION})$", "not a decimal greater than 0"
    if column.low == 0:
        return rf"^{_DEC}$", "not a decimal of 0 or more"
    return rf"^-?{_DEC}$", "not a decimal"


@dataclass(frozen=True)
class Rule:
    """One expectation of a suite, with the words a quarantine row gives for it."""

    expectation: object
    columns: tuple[str, ...]
    reason: str


def rules_for(extract: Extract) -> list[Rule]:
    """Every expectation the contract implies for one extract, in column order."""
    import great_expectations.expectations as gxe

    rules: list[Rule] = []
    for col in extract.columns:
        name = col.name
        if col.required:
            rules.append(Rule(gxe.ExpectColumnValuesToNotBeNull(column=name), (name,), "required value missing"))
        if col.kind == contract.ENUM:
            rules.append(
                Rule(
                    gxe.ExpectColumnValuesToBeInSet(column=name, value_set=list(col.enum)),
                    (name,),
                    f"not one of {', '.join(col.enum)}",
                )
            )
        elif col.kind == contract.FLAG:
            rules.append(
                Rule(gxe.ExpectColumnValuesToBeInSet(column=name, value_set=["Y", "N"]), (name,), "not Y or N")
            )
        elif col.kind == contract.COUNTRY:
            rules.append(
                Rule(
                    gxe.ExpectColumnValuesToBeInSet(column=name, value_set={"$PARAMETER": "iso_countries"}),
                    (name,),
                    "not an ISO 3166-1 alpha-2 country code",
                )
            )
        elif col.kind == contract.CURRENCY:
            rules.append(
                Rule(
                    gxe.ExpectColumnValuesToBeInSet(column=name, value_set={"$PARAMETER": "iso_currencies"}),
                    (name,),
                    "not an ISO 4217 currency code",
                )
            )
        elif col.kind == contract.DECIMAL:
            regex, reason = decimal_regex(col)
            rules.append(Rule(gxe.ExpectColumnValuesToMatchRegex(column=name, regex=regex), (name,), reason))
        elif col.kind == contract.INTEGER:
            rules.append(
                Rule(gxe.ExpectColumnValuesToMatchRegex(column=name, regex=INTEGER_RE), (name,), "not a whole number")
            )
        elif col.kind == contract.DATE:
            rules.append(
                Rule(
                    gxe.ExpectColumnValuesToMatchRegex(column=name, regex=DATE_RE), (name,), "invalid date (YYYY-MM-DD)"
                )
            )
        elif col.kind == contract.TIMESTAMP:
            rules.append(
                Rule(
                    gxe.ExpectColumnValuesToMatchRegex(column=name, regex=TIMESTAMP_RE),
                    (name,),
                    "invalid timestamp (ISO 8601)",
                )
            )
        if col.pattern:
            rules.append(
                Rule(
                    gxe.ExpectColumnValuesToMatchRegex(column=name, regex=col.pattern),
                    (name,),
                    f"does not match {col.pattern}",
                )
            )
    for earlier, later in extract.date_orders:
        rules.append(
            Rule(
                gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                    column_A=later, column_B=earlier, or_equal=True, ignore_row_if="either_value_is_missing"
                ),
                (later, earlier),
                f"{later} is before {earlier}",
            )
        )
    rules.append(
        Rule(
            gxe.ExpectCompoundColumnsToBeUnique(column_list=[SOURCE_FILE, *extract.key]),
            extract.key,
            f"duplicate key ({', '.join(extract.key)}) with different contents in the same file",
        )
    )
    return rules


@dataclass(frozen=True)
class Finding:
    row_number: int
    source_file: str
    column_name: str
    value: str | None
    reason: str


@dataclass
class Verdict:
    findings: list[Finding]
    results: list[dict]  # one per expectation: type, columns, success, unexpected_count


_CONTEXT: dict = {}
_CONTEXT_LOCK = threading.Lock()


def warm_up() -> None:
    """Import great-expectations and set up its ephemeral context (seconds): `ree load` calls
    this in a thread at its start, so that the import overlaps the reading of the files."""
    with _CONTEXT_LOCK:
        if "bd" in _CONTEXT:
            return
        logging.getLogger("great_expectations").setLevel(logging.ERROR)
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        context = gx.get_context(mode="ephemeral")
        context.variables.progress_bars = ProgressBarsConfig(globally=False)
        source = context.data_sources.add_pandas("landing")
        _CONTEXT["bd"] = source.add_dataframe_asset("extract").add_batch_definition_whole_dataframe("rows")


def _batch(frame: pd.DataFrame):
    """A GX batch over an in-memory frame (one ephemeral context per process)."""
    warm_up()
    return _CONTEXT["bd"].get_batch(batch_parameters={"dataframe": frame})


def validate(frame: pd.DataFrame, extract: Extract) -> Verdict:
    """Run the extract's suite on a frame of normalised text (plus _source_file, _row_number)."""
    import great_expectations as gx

    rules = rules_for(extract)
    for number, rule in enumerate(rules):
        rule.expectation.meta = {"rule": number}
    suite = gx.ExpectationSuite(name=extract.path.replace("/", "__"), expectations=[r.expectation for r in rules])
    batch = _batch(frame)
    result = batch.validate(
        suite,
        # the ISO code lists are suite parameters: GX copies an expectation's configuration
        # many times per run, and a 250-code list inline in ~20 expectations costs seconds
        expectation_parameters={
            "iso_countries": sorted(contract.iso_countries()),
            "iso_currencies": sorted(contract.iso_currencies()),
        },
        result_format={
            "result_format": "COMPLETE",
            "unexpected_index_column_names": [ROW_NUMBER, SOURCE_FILE],
            "return_unexpected_index_query": False,
        },
    )
    findings: list[Finding] = []
    summary: list[dict] = []
    for res in result.results:
        rule = rules[res.expectation_config.meta["rule"]]
        if res.exception_info and res.exception_info.get("raised_exception"):
            raise RuntimeError(f"{extract.path}: expectation {rule.reason!r} failed to run: {res.exception_info}")
        unexpected = res.result.get("unexpected_index_list") or []
        summary.append(
            {
                "expectation": res.expectation_config.type,
                "columns": ", ".join(rule.columns),
                "rule": rule.reason,
                "success": bool(res.success),
                "unexpected_count": len(unexpected),
            }
        )
        for hit in unexpected:
            values = [None if pd.isna(v) else str(v) for v in (hit.get(c) for c in rule.columns)]
            value = None if all(v is None for v in values) else " | ".join(v or "" for v in values)
            findings.append(
                Finding(
                    row_number=int(hit[ROW_NUMBER]),
                    source_file=str(hit[SOURCE_FILE]),
                    column_name=", ".join(rule.columns),
                    value=value,
                    reason=rule.reason,
                )
            )
    return Verdict(findings=findings, results=summary)
