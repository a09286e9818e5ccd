"""Issue 11.5: as-known-at replay. Two batches are loaded; the replay as known at the first
equals a build from the first batch alone, it never touches the live marts, and `ree diff`
names the rows of the second batch that changed a line's determination."""

from __future__ import annotations

import datetime as dt
import shutil
import time

import duckdb
import pytest
from conftest import Warehouse
from landing import BASE, make_landing, write_extract
from ree import replay

AS_OF = "{as_of_date: '2026-12-01'}"
LINE = BASE["customs/export_declarations"][0]
CERT = BASE["certificates/material_declarations"][0]

# Batch 1: MOTOR-1 (4 x MAG-1, whose certificate C1 states EUR 0.25 of Chinese Dy a magnet)
# carries EUR 2.00 on EUR 1000 = 0.2 %: rule 61-1a (in force again from 2026-11-11) needs a
# licence. LIC-1 covers 2 units: L-0 (2026-11-12) draws them, L-1 (2026-11-20) finds none
# left (licence_missing).
# Batch 2: C1 is superseded (delivered again, now valid to 2026-11-14) by a newer certificate C2
# for MAG-1 (from 2026-11-15) that says the Dy is Japanese, so L-1 no longer meets the threshold
# (L-0, before C2, is unchanged; had C1 stayed valid, both documents would speak and be summed,
# RULES §3); the consignee P1 is put on the MOFCOM watch list from 2026-11-15; one more line
# arrives.
FIRST = {
    "customs/export_declarations": [
        {**LINE, "declaration_id": "L-0", "export_date": "2026-11-12"},
        {**LINE, "declaration_id": "L-1", "export_date": "2026-11-20"},
    ],
    "licences/licences": [
        {
            "licence_id": "LIC-1",
            "licence_number": "MOFCOM-2026-1",
            "licence_type": "individual",
            "holder_entity_id": "ENT-DE",
            "item_id": "MOTOR-1",
            "quantity_authorised": "2",
            "valid_from": "2026-01-01",
            "valid_to": "2026-12-31",
        },
    ],
}
C2 = {**CERT, "certificate_id": "C2", "origin_country": "JP", "issued_on": "2026-11-15", "valid_from": "2026-11-15"}
WATCH = {
    "list_id": "mofcom_watch_list",
    "entry_id": "WL-1",
    "name": "Acme Robotics Inc.",
    "country": "US",
    "listed_on": "2026-11-15",
    "source_ref": "test",
}


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    root = tmp_path_factory.mktemp("replay")
    landing = make_landing(root / "landing", FIRST)
    wh = Warehouse(root / "warehouse")
    first_batch, _, _ = wh.load(landing)
    time.sleep(0.01)
    known_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    time.sleep(0.01)
    write_extract(landing, "certificates/material_declarations", [{**CERT, "valid_to": "2026-11-14"}, C2])
    write_extract(landing, "reference/restricted_parties", [WATCH])
    write_extract(
        landing,
        "customs/export_declarations",
        [{**LINE, "declaration_id": "L-2", "export_date": "2026-11-21"}],
        daily="2026-11-21",
    )
    second_batch, _, _ = wh.load(landing)
    assert first_batch and second_batch and first_batch < second_batch
    return root, wh, first_batch, second_batch, known_at.isoformat()


def marts(database) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(database), read_only=True)
    try:
        names = [
            r[0]
            for r in con.execute(
                "select table_name from duckdb_tables() where schema_name = 'marts' order by 1"
            ).fetchall()
        ]
        return {name: sorted(con.execute(f"select * from marts.{name}").fetchall(), key=repr) for name in names}
    finally:
        con.close()


def test_replay_equals_a_build_from_the_first_batch_alone(loaded):
    root, wh, first_batch, _, known_at = loaded
    with wh:
        made = replay.build(known_at, dbt_vars=AS_OF)
    assert made.batches == [first_batch]
    assert made.database.parent.parent == wh.root / "as_known_at"
    assert not (wh.root / "ree.duckdb").exists()  # the live database was never written
    assert not (wh.root / "dbt_target" / "run_results.json").exists()  # nor the live dbt target

    alone = Warehouse(root / "first_batch_alone")
    shutil.copytree(wh.root / "raw" / "batches" / first_batch, alone.root / "raw" / "batches" / first_batch)
    assert alone.dbt("build", "--vars", AS_OF)
    replayed, expected = marts(made.database), marts(alone.root / "ree.duckdb")
    assert set(replayed) == set(expected) and "fct_shipment_determinations" in replayed
    for name in expected:
        assert replayed[name] == expected[name], name
    assert len(replayed["fct_shipment_determinations"]) == 2  # L-0 and L-1; L-2 came later


def test_diff_names_the_evidence_that_changed_the_line(loaded):
    _, wh, _, second_batch, known_at = loaded
    with wh:
        result = replay.diff(known_at, "now", AS_OF)
    (line,) = result["changed"]
    assert line["shipment_line_id"] == "L-1-1"
    assert line["changes"]["compliance_status"][0] == "licence_missing"
    assert line["changes"]["rules_triggered"] == ("61-1a", "")
    evidence = {(e["extract"], e["key"], e["change"], e["batch_id"]) for e in line["evidence"]}
    assert evidence == {
        ("certificates/material_declarations", "C1|1", "superseded", second_batch),
        ("certificates/material_declarations", "C2|1", "new", second_batch),
        ("reference/restricted_parties", "WL-1", "new", second_batch),
    }
    assert result["new_lines"] == ["L-2-1"]
    described = [replay.describe(e) for e in line["evidence"]]
    assert "new certificate C2|1" in " ".join(described)


def test_diff_cli_prints_the_evidence(loaded, capsys):
    _, wh, _, _, known_at = loaded
    with wh:
        assert replay.diff_main(known_at, "now", AS_OF) == 0  # both states are reused, not rebuilt
    out = capsys.readouterr().out
    assert "L-1-1" in out and "compliance_status: licence_missing →" in out
    assert "new certificate C2|1" in out and "new list entry WL-1" in out


def test_a_replay_var_on_the_live_target_is_refused(loaded):
    _, wh, _, _, _ = loaded
    assert not wh.dbt("build", "--select", "stg_erp__items", "--vars", "{as_known_at: '2026-11-01 00:00:00'}")
    assert (
        not (wh.root / "ree.duckdb").exists()
        or not duckdb.connect(str(wh.root / "ree.duckdb"), read_only=True)
        .execute("select count(*) from duckdb_tables() where schema_name = 'staging'")
        .fetchone()[0]
    )


def test_instants():
    assert replay.parse_instant("2026-11-20") == dt.datetime(2026, 11, 20, 23, 59, 59, 999999)
    assert replay.parse_instant("2026-11-20T08:00:00+01:00") == dt.datetime(2026, 11, 20, 7, 0)
    assert replay.parse_instant("2026-11-20T07:00:00Z") == dt.datetime(2026, 11, 20, 7, 0)
    with pytest.raises(replay.ReplayError):
        replay.parse_instant("yesterday")
