"""`ree publish`: every mart as Parquet and in a read-only serving file, swapped atomically."""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from conftest import Warehouse
from ree import publish as pub

V1_STORAGE_NUMBER = 64  # the storage number DuckDB 1.0-1.1 read (2.x writes 69+ by default)


def storage_number(path: Path) -> int:
    magic, number = struct.Struct("<8x4sQ").unpack(path.read_bytes()[:20])
    assert magic == b"DUCK"
    return number


@pytest.fixture(scope="module")
def published(sample_warehouse) -> Path:
    with sample_warehouse:
        release = pub.publish()
    return release.path


def test_every_mart_is_published_with_its_rows(sample_warehouse, published):
    build_marts = {
        name for (name,) in sample_warehouse.query("select table_name from duckdb_tables() where schema_name = 'marts'")
    }
    assert set(pub.REQUIRED_MARTS) <= build_marts
    current = sample_warehouse.root / "published" / "current"
    assert current.is_symlink() and current.resolve() == published.resolve()
    con = duckdb.connect(str(current / "serving.duckdb"), read_only=True)
    try:
        for mart in sorted(build_marts):
            (expected,) = sample_warehouse.query(f"select count(*) from marts.{mart}")[0]
            assert con.execute(f"select count(*) from marts.{mart}").fetchone()[0] == expected, mart
            parquet = current / "parquet" / f"{mart}.parquet"
            assert pq.read_metadata(parquet).num_rows == expected, mart
        # the calendar the report prints travels with the marts
        assert con.execute("select count(*) from reference.regulatory_suspensions").fetchone()[0] > 0
        release = con.execute("select release_id, dbt_vars_json from publish.release").fetchone()
    finally:
        con.close()
    assert release[0] == published.name
    assert json.loads(release[1])["as_of_date"] == "2026-12-01"  # the --vars the fixture built with
    manifest = json.loads((current / "manifest.json").read_text())
    assert manifest["release_id"] == published.name
    assert not list(published.glob("*.wal"))


def test_serving_file_is_readable_by_older_duckdb(published):
    # the header's storage number is what an older release checks before anything else
    assert storage_number(published / "serving.duckdb") == V1_STORAGE_NUMBER
    con = duckdb.connect(str(published / "serving.duckdb"), read_only=True)
    try:
        tags = con.execute("select tags from duckdb_databases() where database_name = 'serving'").fetchone()[0]
    finally:
        con.close()
    assert tags.get("storage_version", "").startswith("v1.0.0")


def test_old_duckdb_opens_it_when_available(published):
    """Set REE_OLD_DUCKDB_PYTHON to a python with duckdb 1.x to check the file with a real old reader."""
    old_python = os.environ.get("REE_OLD_DUCKDB_PYTHON")
    if not old_python:
        pytest.skip("REE_OLD_DUCKDB_PYTHON not set (checked by hand with duckdb 1.1.3)")
    out = subprocess.run(
        [
            old_python,
            "-c",
            textwrap.dedent(f"""
        import duckdb
        con = duckdb.connect({str(published / "serving.duckdb")!r}, read_only=True)
        print(con.execute('select count(*) from marts.fct_shipment_determinations').fetchone()[0])
        """),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert int(out.stdout.strip()) == 56


def make_build_db(root: Path, empty: bool = True) -> None:
    """A minimal build database with the required marts, some empty, with typed columns."""
    root.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(root / "ree.duckdb"))
    try:
        con.execute("create schema marts")
        con.execute("create schema reference")
        for name in pub.REQUIRED_MARTS:
            con.execute(f"""create table marts.{name} (
                {name}_key varchar not null, amount decimal(38, 12), export_date date, flag boolean,
                loaded_at timestamp, n bigint)""")
        if not empty:
            con.execute("insert into marts.dim_items values ('A', 1.5, date '2026-01-02', true, now(), 3)")
        con.execute("create table reference.regulatory_clauses as select 'x' as clause_id")
    finally:
        con.close()


def test_empty_marts_publish_as_empty_parquet_with_their_schema(tmp_path):
    wh = Warehouse(tmp_path / "wh")
    make_build_db(wh.root, empty=False)
    with wh:
        release = pub.publish(require_green_build=False)
    table = pq.read_table(release.path / "parquet" / "rpt_load_rejections.parquet")
    assert table.num_rows == 0  # no all-NULL placeholder row
    assert table.schema.names == ["rpt_load_rejections_key", "amount", "export_date", "flag", "loaded_at", "n"]
    types = {f.name: str(f.type) for f in table.schema}
    assert types == {
        "rpt_load_rejections_key": "string",
        "amount": "decimal128(38, 12)",
        "export_date": "date32[day]",
        "flag": "bool",
        "loaded_at": "timestamp[us]",
        "n": "int64",
    }
    assert pq.read_table(release.path / "parquet" / "dim_items.parquet").num_rows == 1
    con = duckdb.connect(str(release.path / "serving.duckdb"), read_only=True)
    try:
        assert con.execute("select count(*) from marts.rpt_load_rejections").fetchone()[0] == 0
        assert [c[1] for c in con.execute("describe marts.rpt_load_rejections").fetchall()][1] == "DECIMAL(38,12)"
    finally:
        con.close()


def write_run_results(wh: Warehouse, statuses: list[str], which: str = "build") -> None:
    target = wh.root / "dbt_target"
    target.mkdir(parents=True, exist_ok=True)
    (target / "run_results.json").write_text(
        json.dumps(
            {
                "metadata": {"invocation_id": "test", "dbt_version": "1.11", "generated_at": "2026-12-01T00:00:00Z"},
                "args": {"which": which, "vars": {"apply_suspensions": False}, "invocation_command": f"dbt {which}"},
                "results": [{"unique_id": f"model.ree.m{i}", "status": s} for i, s in enumerate(statuses)],
            }
        )
    )


def test_failed_build_or_failed_publish_keeps_the_last_good_release(tmp_path, monkeypatch):
    wh = Warehouse(tmp_path / "wh")
    make_build_db(wh.root)
    write_run_results(wh, ["success", "pass", "warn"])
    with wh:
        good = pub.publish()
        assert json.loads((good.path / "manifest.json").read_text())["build"]["vars"]["apply_suspensions"] is False
        current = wh.root / "published" / "current"

        write_run_results(wh, ["success", "error", "skipped"])
        with pytest.raises(pub.PublishError, match="not green"):
            pub.publish()
        assert current.resolve() == good.path.resolve()

        write_run_results(wh, ["success"], which="run")
        with pytest.raises(pub.PublishError, match="not `build`"):
            pub.publish()

        # a publish that dies half-way through writing leaves nothing behind and current as it was
        write_run_results(wh, ["success"])
        real_copy = pub._sha256

        def boom(path):
            if "fct_" in path.name:
                raise OSError("disk full")
            return real_copy(path)

        monkeypatch.setattr(pub, "_sha256", boom)
        with pytest.raises(OSError):
            pub.publish()
        assert current.resolve() == good.path.resolve()
        assert [p.name for p in (wh.root / "published" / "releases").iterdir()] == [good.release_id]
        assert not list((wh.root / "published" / ".incoming").iterdir())
        assert pub.main() == 1  # the CLI reports it and exits non-zero
    assert current.resolve() == good.path.resolve()


def test_old_releases_are_pruned_after_the_grace_period(tmp_path):
    wh = Warehouse(tmp_path / "wh")
    make_build_db(wh.root)
    with wh:
        ids = [pub.publish(require_green_build=False, keep=2).release_id for _ in range(4)]
        published = wh.root / "published"
        assert sorted(p.name for p in (published / "releases").iterdir()) == ids  # all within the grace period
        assert pub.prune(published, keep=2, grace_seconds=0) == ids[:2]
        assert sorted(p.name for p in (published / "releases").iterdir()) == ids[2:]
        assert (published / "current").resolve().name == ids[-1]


READER = textwrap.dedent("""
    import json, os, sys, time
    from pathlib import Path
    import duckdb

    current, out, stop = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    deadline = time.time() + 120
    with out.open("w") as log:
        while not stop.exists() and time.time() < deadline:
            try:
                release = current.resolve()  # one release for the whole observation
                manifest = json.loads((release / "manifest.json").read_text())
                con = duckdb.connect(str(release / "serving.duckdb"), read_only=True)
                try:
                    release_id = con.execute("select release_id from publish.release").fetchone()[0]
                    expected = dict(con.execute(
                        "select table_name, row_count from publish.tables where table_schema = 'marts'").fetchall())
                    counts = {t: con.execute(f'select count(*) from marts."{t}"').fetchone()[0] for t in expected}
                finally:
                    con.close()
                files = duckdb.connect()
                try:
                    parquet = {t: files.execute(f"select count(*) from '{release / 'parquet' / (t + '.parquet')}'")
                               .fetchone()[0] for t in expected}
                finally:
                    files.close()
                ok = (release_id == manifest["release_id"] == release.name and counts == expected == parquet
                      and len(expected) >= 6)
                log.write(json.dumps({"release": release_id, "ok": ok, "tables": len(expected)}) + "\\n")
            except Exception as exc:  # any failure to read is what the test is about
                log.write(json.dumps({"error": repr(exc)}) + "\\n")
            log.flush()
""")


def test_concurrent_reader_never_fails_nor_sees_a_partial_release(sample_warehouse, tmp_path):
    # a warehouse of its own, copied from the built sample (a rebuild must not disturb other tests)
    wh = Warehouse(tmp_path / "warehouse")
    shutil.copytree(sample_warehouse.root, wh.root, ignore=shutil.ignore_patterns("published", "reports", "notices"))
    with wh:
        first = pub.publish()
    current = wh.root / "published" / "current"
    log, stop = tmp_path / "reader.jsonl", tmp_path / "stop"
    reader = subprocess.Popen([sys.executable, "-c", READER, str(current), str(log), str(stop)])
    try:
        deadline = time.time() + 30
        while (not log.exists() or not log.read_text().strip()) and time.time() < deadline:
            time.sleep(0.05)
        assert log.read_text().strip(), "the reader never read the first release"
        # dbt writes the build database while the reader holds the serving file: it must not block
        assert wh.dbt("build", "--select", "rpt_load_rejections", "--vars", "{as_of_date: '2026-12-01'}")
        releases = [first.release_id]
        with wh:
            for _ in range(3):
                releases.append(pub.publish().release_id)
                time.sleep(0.3)
        time.sleep(0.5)
    finally:
        stop.touch()
        reader.wait(timeout=60)
    observations = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    errors = [o for o in observations if "error" in o]
    assert not errors, errors[:3]
    assert all(o["ok"] for o in observations)
    seen = {o["release"] for o in observations}
    assert seen <= set(releases)
    assert len(seen) >= 2, f"the reader saw only {seen}: the swap happened outside its loop"
    assert len(observations) > 10
