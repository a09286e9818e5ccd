"""Where a run writes: everything lives under REE_WAREHOUSE_DIR."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_WAREHOUSE_DIR = "warehouse"
PROJECT_DIR = Path(__file__).resolve().parents[2]


def warehouse_dir() -> Path:
    """The warehouse folder, absolute (relative values are taken from the project folder)."""
    path = Path(os.environ.get("REE_WAREHOUSE_DIR", DEFAULT_WAREHOUSE_DIR))
    return path if path.is_absolute() else (PROJECT_DIR / path)


def raw_dir() -> Path:
    return warehouse_dir() / "raw"


def database_path() -> Path:
    return warehouse_dir() / "ree.duckdb"


def reports_dir() -> Path:
    return warehouse_dir() / "reports"


def fault_point(name: str) -> None:
    """A named step where tests kill -9 the process: with REE_FAULT_POINT=<name> it writes
    ``<warehouse>/.fault-<name>`` and waits to be killed (tests/python/test_faults.py)."""
    if os.environ.get("REE_FAULT_POINT") == name:
        (warehouse_dir() / f".fault-{name}").touch()
        import time

        time.sleep(600)
