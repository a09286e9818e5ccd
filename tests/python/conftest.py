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
