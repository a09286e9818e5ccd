"""House rules (shared/STYLE.md), checked on dbt's manifest so they cannot drift.

Each check names the offenders. `dbt parse` needs no database build, so this runs in seconds.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import PROJECT

MAX_SQL_LINES = 200
# A long model says why in its header: a comment line starting with this.
LONG_MODEL_REASON = re.compile(r"^--.*\blong\b", re.IGNORECASE | re.MULTILINE)
GRAIN = re.compile(r"\bone row per\b", re.IGNORECASE)


@pytest.fixture(scope="module")
def manifest(tmp_path_factory) -> dict:
    from ree.build import dbt

    target = tmp_path_factory.mktemp("house") / "target"
    import os

    saved = {k: os.environ.get(k) for k in ("DBT_TARGET_PATH", "REE_WAREHOUSE_DIR")}
    os.environ["DBT_TARGET_PATH"] = str(target)
    os.environ.setdefault("REE_WAREHOUSE_DIR", str(target.parent / "warehouse"))
    Path(os.environ["REE_WAREHOUSE_DIR"]).mkdir(parents=True, exist_ok=True)
    try:
        assert dbt("parse", "--no-partial-parse"), "dbt parse failed"
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return json.loads((target / "manifest.json").read_text())


def _models(manifest: dict) -> dict[str, dict]:
    return {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "model"}


def _tests_by_model(manifest: dict) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] != "test":
            continue
        for dep in node["depends_on"]["nodes"]:
            out.setdefault(dep.split(".")[-1], []).append(node)
    return out


def _primary_key_columns(model: dict, tests: list[dict]) -> set[str]:
    """Columns that are unique and not null, by test or by constraint (a compound key counts too)."""
    unique, not_null = set(), set()
    for test in tests:
        meta = test.get("test_metadata") or {}
        kwargs = meta.get("kwargs") or {}
        column = kwargs.get("column_name") or test.get("column_name")
        if meta.get("name") == "unique" and column:
            unique.add(column)
        elif meta.get("name") == "not_null" and column:
            not_null.add(column)
        elif meta.get("name") == "unique_combination_of_columns":
            unique.add("(" + ",".join(kwargs.get("combination_of_columns", [])) + ")")
            not_null.add("(" + ",".join(kwargs.get("combination_of_columns", [])) + ")")
    for constraint in model.get("constraints", []):
        if constraint["type"] == "primary_key":
            key = "(" + ",".join(constraint.get("columns", [])) + ")"
            unique.add(key)
            not_null.add(key)
    for name, column in model.get("columns", {}).items():
        kinds = {c["type"] for c in column.get("constraints", [])}
        if "primary_key" in kinds:
            unique.add(name)
            not_null.add(name)
        if "unique" in kinds:
            unique.add(name)
        if "not_null" in kinds:
            not_null.add(name)
    return unique & not_null


def test_every_model_has_a_yaml_entry_and_states_its_grain(manifest):
    missing = sorted(name for name, m in _models(manifest).items() if not m.get("patch_path"))
    assert not missing, f"models without a YAML entry: {missing}"
    no_grain = sorted(name for name, m in _models(manifest).items() if not GRAIN.search(m.get("description") or ""))
    assert not no_grain, f"model descriptions that do not state the grain ('One row per ...'): {no_grain}"


def test_every_model_has_a_primary_key_test(manifest):
    tests = _tests_by_model(manifest)
    offenders = sorted(
        name for name, m in _models(manifest).items() if not _primary_key_columns(m, tests.get(name, []))
    )
    assert not offenders, f"models with no primary key (unique + not_null, or a primary_key constraint): {offenders}"


def test_every_mart_has_an_enforced_contract_a_primary_key_constraint_and_an_exposure(manifest):
    exposed = {dep.split(".")[-1] for e in manifest["exposures"].values() for dep in e["depends_on"]["nodes"]}
    marts = {name: m for name, m in _models(manifest).items() if m["original_file_path"].startswith("models/marts/")}
    assert marts
    problems = []
    for name, m in sorted(marts.items()):
        if not m["config"].get("contract", {}).get("enforced"):
            problems.append(f"{name}: contract not enforced")
        has_pk = any(c["type"] == "primary_key" for c in m.get("constraints", [])) or any(
            c["type"] == "primary_key" for col in m.get("columns", {}).values() for c in col.get("constraints", [])
        )
        if not has_pk:
            problems.append(f"{name}: no primary_key constraint")
        if name not in exposed:
            problems.append(f"{name}: in no exposure")
    assert not problems, "; ".join(problems)


def test_every_project_macro_is_documented(manifest):
    """An adapter implementation (`default__x`, `spark__x`) is documented by its dispatcher `x`."""
    macros = {m["name"]: m for m in manifest["macros"].values() if m["package_name"] == "ree"}
    documented = {name for name, m in macros.items() if (m.get("description") or "").strip()}
    undocumented = sorted(
        name
        for name in macros
        if name not in documented and re.sub(r"^(default|duckdb|spark)__", "", name) not in documented
    )
    assert not undocumented, f"macros without a description in macros/_macros.yml: {undocumented}"


def test_only_staging_reads_sources(manifest):
    offenders = sorted(
        name
        for name, m in _models(manifest).items()
        if m["sources"] and not m["original_file_path"].startswith("models/staging/")
    )
    assert not offenders, f"models outside staging that call source(): {offenders}"


# Long models waiting to be split (issue 14; the value-ratio ones with the scale restructure of
# issue 12). A ratchet: a file may leave this list (the test says so) but none may join it.
KNOWN_LONG_MODELS = {
    "models/intermediate/determinations/int_declaration_lines_ruled.sql",
    "models/intermediate/end_use/int_declaration_lines_end_use_classified.sql",
    "models/intermediate/items/int_item_dates_classified.sql",
    "models/intermediate/items/int_items_classified.sql",
    "models/intermediate/parties/int_declaration_lines_screened.sql",
    "models/intermediate/parties/int_parties_ownership_resolved.sql",
    "models/intermediate/parties/int_parties_screened.sql",
    "models/intermediate/value_ratio/int_declaration_lines_valued.sql",
    "models/intermediate/value_ratio/int_item_content_valued.sql",
    "models/marts/compliance/fct_shipment_determinations.sql",
    "models/marts/reporting/rpt_evidence_gaps.sql",
}


def test_long_sql_files_say_why_in_their_header():
    offenders, no_longer_long = [], []
    for path in sorted((PROJECT / "models").rglob("*.sql")):
        text = path.read_text()
        lines = text.count("\n")
        name = str(path.relative_to(PROJECT))
        header = "\n".join(line for line in text.splitlines()[:15] if line.startswith("--"))
        is_long = lines > MAX_SQL_LINES and not LONG_MODEL_REASON.search(header)
        if is_long and name not in KNOWN_LONG_MODELS:
            offenders.append(f"{name} ({lines} lines)")
        if not is_long and name in KNOWN_LONG_MODELS:
            no_longer_long.append(name)
    assert not offenders, (
        f"SQL files over {MAX_SQL_LINES} lines without a reason in their header (a '-- ... long ...' comment): "
        f"{offenders}"
    )
    assert not no_longer_long, f"split or explained: remove from KNOWN_LONG_MODELS: {no_longer_long}"
