"""Faults (issue 9): `kill -9` in the middle of `ree load`, `ree build` or `ree publish`, then the
same command again, leaves the raw zone and the marts equal to a clean run's and the published
release whole (the previous one, or the new one). A build that fails says which node failed and
why, and leaves the published release current; `ree publish` refuses after it.

One warehouse, driven through the real CLI in subprocesses, on a small landing (the world of
tests/python/landing.py): load, build and publish once cleanly, then break each step.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import duckdb
import pytest
from conftest import PROJECT, Warehouse, mart_digests
from landing import BASE, make_landing, write_extract

AS_OF = "{as_of_date: '2026-12-01'}"
# every node but the unit tests (they do not read the warehouse): `ree build --select`
NO_UNIT_TESTS = "resource_type:seed resource_type:model resource_type:snapshot resource_type:test"
BUILD = ("build", "--select", NO_UNIT_TESTS, "--vars", AS_OF)
LINE = BASE["customs/export_declarations"][0]
LINES = [
    {**LINE, "declaration_id": "F-1", "export_date": "2026-11-12", "quantity": "3", "line_value": "1500.00"},
    {**LINE, "declaration_id": "F-2", "export_date": "2026-11-13"},
    {**LINE, "declaration_id": "F-3", "export_date": "2026-02-12", "end_use_code": "humanitarian_medical"},
]
LICENCE = {
    "licence_id": "LIC-F",
    "licence_number": "MOFCOM-F",
    "licence_type": "individual",
    "holder_entity_id": "ENT-DE",
    "item_id": "MOTOR-1",
    "quantity_authorised": "4",
    "valid_from": "2026-11-01",
    "valid_to": "2026-12-31",
}


def ree(wh: Warehouse, *args: str, env: dict | None = None, wait: bool = True):
    environment = {
        **os.environ,
        "PYTHONPATH": str(PROJECT / "scripts"),
        "REE_WAREHOUSE_DIR": str(wh.root),
        "DBT_TARGET_PATH": str(wh.root / "dbt_target"),
        "DBT_LOG_PATH": str(wh.root / "dbt_logs"),
        "DBT_PROFILES_DIR": str(PROJECT),
        **(env or {}),
    }
    command = [sys.executable, "-m", "ree.cli", *args]
    if not wait:
        return subprocess.Popen(
            command,
            env=environment,
            cwd=PROJECT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
    return subprocess.run(command, env=environment, cwd=PROJECT, capture_output=True, text=True, timeout=600)


def kill_when(process: subprocess.Popen, ready, timeout: float = 300) -> None:
    """kill -9 the process (and its children) as soon as `ready()` holds."""
    deadline = time.monotonic() + timeout
    while not ready():
        assert process.poll() is None, f"the process ended before the kill point: {process.stderr.read()}"
        assert time.monotonic() < deadline, "the kill point was never reached"
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL


def log_has(wh: Warehouse, text: str):
    log = wh.root / "dbt_logs" / "dbt.log"
    return lambda: log.exists() and text in log.read_text(errors="replace")


def raw_rows(wh: Warehouse) -> dict[str, list[tuple]]:
    """The raw zone's rows per extract, without the batch bookkeeping (batch ids differ per load;
    the load audit, `load_audit/`, records the batch itself)."""
    rows = {}
    for part in sorted(
        {
            p.parent.relative_to(p.parents[2])
            for p in (wh.root / "raw" / "batches").glob("*/*/*/*.parquet")
            if p.parents[1].name != "load_audit"
        }
    ):
        rows[str(part)] = sorted(
            wh.raw(f"select * exclude (_batch_id) from read_parquet('{{raw}}/batches/*/{part}/*.parquet') order by all")
        )
    return rows


def release_is_whole(wh: Warehouse) -> str:
    """`published/current` resolves to a release whose files are all there and match its manifest."""
    import hashlib

    current = (wh.root / "published" / "current").resolve(strict=True)
    manifest = json.loads((current / "manifest.json").read_text())
    con = duckdb.connect(str(current / "serving.duckdb"), read_only=True)
    try:
        for table in manifest["tables"]:
            parquet = current / table["parquet_file"]
            assert hashlib.sha256(parquet.read_bytes()).hexdigest() == table["parquet_sha256"]
            count = con.execute(f'select count(*) from "{table["table_schema"]}"."{table["table_name"]}"').fetchone()
            assert count == (table["row_count"],)
    finally:
        con.close()
    return current.name


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    """Load, build, publish once; remember the raw zone, the marts and the release."""
    root = tmp_path_factory.mktemp("faults")
    landing = make_landing(root / "landing", {"customs/export_declarations": LINES, "licences/licences": [LICENCE]})
    wh = Warehouse(root / "warehouse")
    for args in (("load", str(landing)), BUILD, ("publish",)):
        done = ree(wh, *args)
        assert done.returncode == 0, (args, done.stderr[-2000:])
    release = release_is_whole(wh)
    return {
        "wh": wh,
        "landing": landing,
        "raw": raw_rows(wh),
        "marts": mart_digests(wh),
        "release": release,
        "parquet": parquet_digests(wh),
    }


def parquet_digests(wh: Warehouse) -> dict[str, str]:
    manifest = json.loads((wh.root / "published" / "current" / "manifest.json").read_text())
    return {t["table_name"]: t["parquet_sha256"] for t in manifest["tables"] if t["table_schema"] == "marts"}


def test_a_failed_build_names_the_node_and_keeps_the_release(clean):
    wh = clean["wh"]
    # an unreadable calendar bound makes int_clause_days_resolved fail (everything after it is skipped)
    failed = ree(
        wh,
        "build",
        "--select",
        "int_clause_days_resolved",
        "--vars",
        "{as_of_date: '2026-12-01', calendar_start: 'not-a-date'}",
    )
    assert failed.returncode == 1
    lines = [line for line in failed.stderr.splitlines() if line.startswith("ree build failed: ")]
    assert lines and "model.ree.int_clause_days_resolved" in lines[0] and " error: " in lines[0], failed.stderr[-3000:]
    assert "not-a-date" in lines[0]
    assert "dbt's own log: " in failed.stderr
    assert release_is_whole(wh) == clean["release"]
    refused = ree(wh, "publish")
    assert refused.returncode == 1 and "the published release was kept" in refused.stderr
    assert release_is_whole(wh) == clean["release"]


def test_a_policy_variable_outside_its_vocabulary_is_reported_in_one_line(clean):
    wh = clean["wh"]
    failed = ree(wh, "build", "--vars", "{ownership_mode: bogus}")
    assert failed.returncode == 1
    lines = [line for line in failed.stderr.splitlines() if line.startswith("ree build failed: ")]
    assert lines and "ownership_mode" in lines[0] and "bogus" in lines[0], failed.stderr[-3000:]
    assert ree(wh, "publish").returncode == 1
    assert release_is_whole(wh) == clean["release"]


@pytest.mark.parametrize(
    "marker",
    [
        "START sql table model marts.",  # marts half rebuilt
        pytest.param("START snapshot", marks=pytest.mark.slow),  # marts rebuilt, snapshot not yet
    ],
)
def test_kill_during_build_then_build_again(clean, marker):
    wh = clean["wh"]
    (wh.root / "dbt_logs" / "dbt.log").unlink(missing_ok=True)
    process = ree(wh, *BUILD, wait=False)
    kill_when(process, log_has(wh, marker))
    assert release_is_whole(wh) == clean["release"]
    refused = ree(wh, "publish")
    assert refused.returncode == 1 and "did not finish" in refused.stderr, refused.stderr[-2000:]
    again = ree(wh, *BUILD)
    assert again.returncode == 0, again.stderr[-3000:]
    assert mart_digests(wh) == clean["marts"]


@pytest.mark.parametrize("point", ["serving-written", "release-written", "release-moved"])
def test_kill_during_publish_then_publish_again(clean, point):
    wh = clean["wh"]
    if _build_state(wh) != "green":  # an earlier test left a failed or killed build
        assert ree(wh, *BUILD).returncode == 0
    before = release_is_whole(wh)
    process = ree(wh, "publish", env={"REE_FAULT_POINT": point}, wait=False)
    kill_when(process, lambda: (wh.root / f".fault-{point}").exists(), timeout=120)
    (wh.root / f".fault-{point}").unlink()
    assert release_is_whole(wh) == before  # the previous release, whole
    again = ree(wh, "publish")
    assert again.returncode == 0, again.stderr[-2000:]
    assert release_is_whole(wh) != before  # the new one, whole
    assert parquet_digests(wh) == clean["parquet"]  # byte for byte the clean run's files


def _build_state(wh: Warehouse) -> str | None:
    path = wh.root / "build_state.json"
    return json.loads(path.read_text()).get("status") if path.exists() else None


def test_kill_during_load_then_load_again(clean, tmp_path):
    wh = clean["wh"]
    before = raw_rows(wh)
    # a new daily file arrives in the landing; a load is killed while it writes its batch
    landing = clean["landing"]
    write_extract(
        landing,
        "customs/export_declarations",
        [{**LINE, "declaration_id": "F-4", "export_date": "2026-11-20"}],
        daily="2026-11-20",
    )
    # killed once the batch is assembled in _incoming, just before the rename that shows it (a
    # fault point: the loader of a 3-line landing is otherwise done before a watcher sees it)
    process = ree(wh, "load", str(landing), env={"REE_FAULT_POINT": "batch-assembled"}, wait=False)
    incoming = wh.root / "raw" / "_incoming"
    kill_when(process, lambda: (wh.root / ".fault-batch-assembled").exists())
    assert any(incoming.rglob("*.parquet"))  # the killed load had written its batch
    assert raw_rows(wh) == before  # nothing of the killed load is visible
    again = ree(wh, "load", str(landing))
    assert again.returncode == 0, again.stderr[-2000:]
    # the same as a clean load of the landing into a fresh warehouse
    fresh = Warehouse(tmp_path / "fresh")
    fresh.load(landing)
    assert raw_rows(wh).keys() == raw_rows(fresh).keys()
    assert {k: sorted(set(v)) for k, v in raw_rows(wh).items()} == {
        k: sorted(set(v)) for k, v in raw_rows(fresh).items()
    }
    assert not incoming.exists() or not any(incoming.iterdir())


def test_publish_refuses_a_killed_build_and_an_untyped_column(tmp_path):
    """Without dbt: a build state of `running` (a build killed half-way) and a mart column of DuckDB's
    "NULL" type (an all-NULL result nobody typed) each stop `ree publish`; current stays."""
    from ree import publish as pub
    from test_publish import make_build_db, write_run_results

    wh = Warehouse(tmp_path / "wh")
    make_build_db(wh.root)
    write_run_results(wh, ["success"])
    with wh:
        good = pub.publish()
        (wh.root / "build_state.json").write_text('{"status": "running"}')
        with pytest.raises(pub.PublishError, match="did not finish"):
            pub.publish()
        (wh.root / "build_state.json").write_text('{"status": "green"}')
        con = duckdb.connect(str(wh.root / "ree.duckdb"))
        try:
            con.execute("create table marts.untyped as select 'a' as k, null as licence_id")
        finally:
            con.close()
        with pytest.raises(pub.PublishError, match="marts.untyped.licence_id"):
            pub.publish()
        assert (wh.root / "published" / "current").resolve() == good.path.resolve()
