"""Shared fixtures: temporary warehouses built from small landings, and dbt driven in-process."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb
import pytest

PROJECT = Path(__file__).resolve().parents[2]
SAMPLE = PROJECT / "data" / "sample"
SHARED = PROJECT.parent / "shared"


class Warehouse:
    """A warehouse folder of its own: load landings into it, build it, query it read-only."""

    def __init__(self, root: Path):
        self.root = root

    def __enter__(self):
        self._saved = {k: os.environ.get(k) for k in ("REE_WAREHOUSE_DIR", "DBT_TARGET_PATH", "DBT_LOG_PATH")}
        os.environ["REE_WAREHOUSE_DIR"] = str(self.root)
        os.environ["DBT_TARGET_PATH"] = str(self.root / "dbt_target")
        os.environ["DBT_LOG_PATH"] = str(self.root / "dbt_logs")
        return self

    def __exit__(self, *exc):
        for key, value in self._saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

    def load(self, landing: Path):
        from ree.load import run

        with self:
            return run(landing)

    def dbt(self, *args: str) -> bool:
        from ree.build import dbt

        with self:
            return dbt(*args)

    def query(self, sql: str, params=None) -> list[tuple]:
        con = duckdb.connect(str(self.root / "ree.duckdb"), read_only=True)
        try:
            return con.execute(sql, params or []).fetchall()
        finally:
            con.close()

    def dicts(self, sql: str) -> list[dict]:
        con = duckdb.connect(str(self.root / "ree.duckdb"), read_only=True)
        try:
            cur = con.execute(sql)
            names = [d[0] for d in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
        finally:
            con.close()

    def raw(self, sql: str) -> list[tuple]:
        """Query the raw zone's Parquet directly (`{raw}` is replaced by its path)."""
        con = duckdb.connect()
        try:
            return con.execute(sql.replace("{raw}", str(self.root / "raw"))).fetchall()
        finally:
            con.close()


@pytest.fixture
def warehouse(tmp_path: Path) -> Warehouse:
    return Warehouse(tmp_path / "warehouse")


@pytest.fixture(scope="session")
def sample_warehouse(tmp_path_factory) -> Warehouse:
    """The embedded sample, loaded and fully built once per test session."""
    wh = Warehouse(tmp_path_factory.mktemp("sample") / "warehouse")
    batch_id, _, _ = wh.load(SAMPLE)
    assert batch_id, "the sample landing loaded nothing"
    assert wh.dbt("build", "--vars", "{as_of_date: '2026-12-01'}"), "dbt build on the sample failed"
    return wh


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    root = tmp_path / "landing"
    root.mkdir()
    return root


def copy_landing(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("expected", "README.md"))
    return dst


# --- landings as data: read, mutate, merge, write (the landing-shape, var-matrix, determinism
# --- and fault tests build their landings with these) ---------------------------------------------

MAY_BE_EMPTY = ("erp/bom", "procurement/purchase_lines", "certificates/material_declarations")
DAILY = "customs/export_declarations"


def read_landing(root: Path) -> dict[str, list[dict]]:
    """Every contract extract of a landing folder as rows (one file or a folder of daily files)."""
    import csv

    from ree import contract

    data: dict[str, list[dict]] = {}
    for ex in contract.EXTRACTS:
        files = sorted((root / ex.path).glob("*.csv")) if (root / ex.path).is_dir() else []
        if (root / f"{ex.path}.csv").is_file():
            files.insert(0, root / f"{ex.path}.csv")
        if not files:
            continue
        rows: list[dict] = []
        for path in files:
            with path.open(encoding="utf-8-sig", newline="") as fh:
                rows += [{k.strip().lower(): v for k, v in row.items()} for row in csv.DictReader(fh)]
        data[ex.path] = rows
    return data


def write_landing(root: Path, data: dict[str, list[dict]]) -> Path:
    """Write a landing: declarations as daily files (one per export date), the rest as one file each.
    An extract given with no rows is written header-only ("may be empty")."""
    from landing import write_extract

    root.mkdir(parents=True, exist_ok=True)
    for path, rows in data.items():
        if path != DAILY:
            write_extract(root, path, rows)
            continue
        by_date: dict[str, list[dict]] = {}
        for row in rows:
            by_date.setdefault(row["export_date"], []).append(row)
        for export_date, day_rows in sorted(by_date.items()):
            write_extract(root, path, day_rows, daily=export_date)
        if not rows:
            write_extract(root, path, [], daily="empty")
    return root


def merge_landings(*landings: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """One landing holding the rows of all: per extract, the first landing's row wins a key."""
    from ree import contract

    merged: dict[str, list[dict]] = {}
    for data in landings:
        for path, rows in data.items():
            key = contract.extract(path).key
            have = merged.setdefault(path, [])
            seen = {tuple(r.get(k) for k in key) for r in have}
            have += [r for r in rows if tuple(r.get(k) for k in key) not in seen]
    return merged


def generated_landing(out: Path, lines: int, seed: int) -> Path:
    """`ree sample --out OUT --lines N --seed S` (the realistic generator), once per folder."""
    from ree.sample import generate

    if not out.exists():
        generate(out=out, lines=lines, seed=seed, workers=1, with_fx_rates=False)
    return out


def mart_digests(wh: Warehouse) -> dict[str, tuple[int, str]]:
    """Per table in the marts schema: (rows, sha256 of its rows in a total order)."""
    import hashlib

    con = duckdb.connect(str(wh.root / "ree.duckdb"), read_only=True)
    try:
        tables = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts' order by 1"
            ).fetchall()
        ]
        digests = {}
        for table in tables:
            digest = hashlib.sha256()
            count = 0
            for row in con.execute(f'select * from marts."{table}" order by all').fetchall():
                digest.update(repr(row).encode())
                count += 1
            digests[table] = (count, digest.hexdigest())
        return digests
    finally:
        con.close()


def column_types(wh: Warehouse, schemas=("staging", "intermediate", "marts")) -> dict[tuple[str, str, str], str]:
    rows = wh.query(
        "select table_schema, table_name, column_name, data_type from information_schema.columns "
        "where table_schema in (select unnest(?)) order by all",
        [list(schemas)],
    )
    return {(s, t, c): ty for s, t, c, ty in rows}


# --- slow tests: deselected (not run, not reported as skipped) unless --run-slow or REE_RUN_SLOW=1 ---


def pytest_addoption(parser):
    parser.addoption("--run-slow", action="store_true", default=False, help="also run tests marked slow")


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: extra coverage, deselected unless --run-slow or REE_RUN_SLOW=1")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--run-slow") or os.environ.get("REE_RUN_SLOW") == "1":
        return
    slow = [item for item in items if "slow" in item.keywords]
    if slow:
        config.hook.pytest_deselected(items=slow)
        items[:] = [item for item in items if "slow" not in item.keywords]
