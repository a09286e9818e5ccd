"""`ree load LANDING`: validate a landing folder and load what is valid into the raw zone.

One call is one batch. The batch is assembled in `raw/_incoming/<batch_id>/` and made
visible with a single directory rename into `raw/batches/<batch_id>/`, so a load that
fails (a structural problem in any file) leaves the warehouse exactly as it was.

Row-level problems quarantine the row (file, line, column, value, reason) and the rest of
the file loads. Files already loaded (same sha256) are skipped, so loading a landing
twice adds nothing. See docs/architecture.md for the layout of the raw zone.
"""

from __future__ import annotations

import codecs
import csv
import fcntl
import hashlib
import html
import os
import shutil
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ree import contract, paths
from ree.contract import Extract
from ree.validate import ROW_NUMBER, SOURCE_FILE, Finding, validate

# Files are validated together, extract by extract, in frames of about this many rows
# (a file is never split, so that a duplicate key within one file is always seen).
FRAME_ROWS = 1_000_000

REJECTION_COLUMNS = ("extract", "source_file", "row_number", "column_name", "value", "reason", "batch_id", "loaded_at")


class LoadError(Exception):
    """A structural problem: the whole load fails and nothing becomes visible."""

    def __init__(self, source_file: str, problem: str):
        super().__init__(f"{source_file}: {problem}")
        self.source_file = source_file
        self.problem = problem


@dataclass
class FileStats:
    extract: str
    source_file: str
    sha256: str
    size_bytes: int
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    identical_duplicates: int = 0
    skipped: bool = False


@dataclass
class ExtractStats:
    files: list[FileStats] = field(default_factory=list)
    gx_results: list[dict] = field(default_factory=list)
    rejections: list[dict] = field(default_factory=list)
    parts: int = 0


# --------------------------------------------------------------------------- discovery


def discover(landing: Path) -> tuple[dict[str, list[Path]], list[Path]]:
    """Contract extracts -> their files (single file first, then daily files by name); and stray CSVs."""
    found: dict[str, list[Path]] = {}
    claimed: set[Path] = set()
    for ex in contract.EXTRACTS:
        single = landing / f"{ex.path}.csv"
        files = [single] if single.is_file() else []
        folder = landing / ex.path
        if folder.is_dir():
            files += sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() == ".csv")
        if files:
            found[ex.path] = files
            claimed.update(files)
    # A CSV in a source-system folder that no extract claims is reported (a typo in a file
    # name must not go unnoticed); files elsewhere in the landing folder are not ours.
    systems = {ex.system for ex in contract.EXTRACTS}
    strays = sorted(
        p for s in systems if (landing / s).is_dir() for p in (landing / s).rglob("*.csv") if p not in claimed
    )
    return found, strays


def file_digest(path: Path, rel: str) -> tuple[str, int]:
    """sha256 and size; also proves the bytes decode as UTF-8 (names the line of the first bad byte)."""
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    size = 0
    line = 1
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
            if b"\x00" in block:
                nul_line = line + block[: block.index(b"\x00")].count(b"\n")
                raise LoadError(rel, f"not parseable as CSV: binary content (a NUL byte at line {nul_line})")
            try:
                decoder.decode(block)
            except UnicodeDecodeError as err:
                bad_line = line + block[: err.start].count(b"\n")
                raise LoadError(
                    rel, f"undecodable bytes: not UTF-8 at line {bad_line} (byte offset {size + err.start})"
                ) from None
            line += block.count(b"\n")
            size += len(block)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise LoadError(rel, "undecodable bytes: the file ends inside a UTF-8 character") from None
    if size == 0:
        raise LoadError(rel, "the file is empty (0 bytes); an empty extract needs its header row")
    return digest.hexdigest(), size


# --------------------------------------------------------------------------- reading


@dataclass
class ParsedFile:
    rel: str
    columns: dict[str, pa.Array]  # contract column -> values (normalised text or null)
    row_numbers: list[int]
    rejections: list[Finding]  # rows that could not be read as a record of the header's width


def parse_file(path: Path, rel: str, ex: Extract) -> ParsedFile:
    """Read one CSV (already known to be UTF-8): header check, normalisation, line numbers."""
    upper = {c.name for c in ex.columns if c.kind in (contract.COUNTRY, contract.CURRENCY)}
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh, strict=True)
        try:
            header = next(reader, None)
        except csv.Error as err:
            raise LoadError(rel, f"not parseable as CSV at line 1: {err}") from None
        if not header or not any(h.strip() for h in header):
            raise LoadError(rel, "no header row")
        names = [h.strip().lower() for h in header]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise LoadError(rel, f"header names a column twice: {', '.join(dupes)}")
        missing = [c for c in ex.column_names if c not in names]
        if missing:
            raise LoadError(
                rel,
                f"missing required column(s) {', '.join(missing)} "
                f"(header has: {', '.join(names)}; see contracts/raw_extracts.md)",
            )
        index = [names.index(c) for c in ex.column_names]
        width = len(names)
        records: list[list[str]] = []
        row_numbers: list[int] = []
        rejections: list[Finding] = []
        start = 2
        try:
            for record in reader:
                line = start
                start = reader.line_num + 1
                if len(record) == width:
                    records.append(record)
                    row_numbers.append(line)
                elif not record or (len(record) == 1 and not record[0].strip()):
                    continue  # blank line
                else:
                    rejections.append(
                        Finding(line, rel, "", ",".join(record)[:500], f"row has {len(record)} fields, header has {width}")
                    )
        except csv.Error as err:
            raise LoadError(rel, f"not parseable as CSV near line {start}: {err}") from None
    # Normalise column-wise in Arrow (C++), not field by field in Python.
    by_position = list(zip(*records, strict=True)) if records else [() for _ in names]
    columns: dict[str, pa.Array] = {}
    for name, pos in zip(ex.column_names, index, strict=True):
        values = pc.utf8_trim_whitespace(pa.array(by_position[pos], type=pa.string()))
        values = pc.if_else(pc.equal(values, ""), pa.scalar(None, pa.string()), values)
        columns[name] = pc.utf8_upper(values) if name in upper else values
    return ParsedFile(rel, columns, row_numbers, rejections)


# --------------------------------------------------------------------------- one frame


def _cast_sql(ex: Extract) -> tuple[str, str]:
    """Typed select list, and a `list_value(...)` of reasons for values a cast cannot take."""
    typed, failures = [], []
    for col in ex.columns:
        name = col.name
        if col.kind == contract.TIMESTAMP:
            expr = f"timezone('UTC', try_cast({name} as timestamptz))"
        elif col.kind in (contract.DECIMAL, contract.INTEGER, contract.DATE):
            expr = f"try_cast({name} as {col.duckdb_type})"
        else:
            typed.append(name)
            continue
        typed.append(f"{expr} as {name}")
        failures.append(f"case when {name} is not null and {expr} is null then '{name}' end")
    return ", ".join(typed), ", ".join(failures) or "null"


def process_frame(
    ex: Extract, parsed: list[ParsedFile], batch_id: str, out_dir: Path, part: int, stats: ExtractStats
) -> None:
    """Validate a group of whole files of one extract and write the valid rows as one Parquet part."""
    table = pa.table(
        {
            **{c: pa.chunked_array([pf.columns[c] for pf in parsed], type=pa.string()) for c in ex.column_names},
            SOURCE_FILE: pa.chunked_array(
                [pa.array([pf.rel] * len(pf.row_numbers), type=pa.string()) for pf in parsed], type=pa.string()
            ),
            ROW_NUMBER: pa.chunked_array([pa.array(pf.row_numbers, type=pa.int64()) for pf in parsed], type=pa.int64()),
        }
    )
    frame = table.to_pandas(types_mapper={pa.string(): pd.StringDtype("pyarrow")}.get)

    # An identical repeat of a row within one file says nothing new: keep the first.
    identical = frame.duplicated(subset=[SOURCE_FILE, *ex.column_names], keep="first")
    if identical.any():
        for rel, count in frame.loc[identical, SOURCE_FILE].value_counts().items():
            next(f for f in stats.files if f.source_file == rel).identical_duplicates += int(count)
        frame = frame.loc[~identical].reset_index(drop=True)

    findings = [f for pf in parsed for f in pf.rejections]
    verdict = validate(frame, ex) if len(frame) else None
    if verdict:
        findings += verdict.findings
        _merge_gx_results(stats, verdict.results)

    rejected = pd.MultiIndex.from_tuples(
        {(f.source_file, f.row_number) for f in findings}, names=[SOURCE_FILE, ROW_NUMBER]
    )
    keep = ~pd.MultiIndex.from_arrays([frame[SOURCE_FILE], frame[ROW_NUMBER]]).isin(rejected)
    valid = frame.loc[keep] if len(frame) else frame

    typed_sql, failure_sql = _cast_sql(ex)
    con = duckdb.connect()
    try:
        con.register("valid_rows", pa.Table.from_pandas(valid, preserve_index=False))
        # A value GX's format check passed but the type cannot hold (2025-02-30): quarantine.
        late = con.execute(
            f"""
            select {SOURCE_FILE}, {ROW_NUMBER}, failed from (
                select {SOURCE_FILE}, {ROW_NUMBER}, unnest(list_filter(list_value({failure_sql}), lambda x: x is not null)) as failed
                from valid_rows
            )
            """
        ).fetchall()
        for rel, row_number, column in late:
            value = valid.loc[(valid[SOURCE_FILE] == rel) & (valid[ROW_NUMBER] == row_number), column].iloc[0]
            findings.append(Finding(int(row_number), rel, column, str(value), f"{column} cannot be read as {ex.column(column).kind}"))
        late_keys = {(rel, int(rn)) for rel, rn, _ in late}
        con.register("late_rejects", pa.table({"f": [k[0] for k in late_keys], "r": [k[1] for k in late_keys]}, schema=pa.schema([("f", pa.string()), ("r", pa.int64())])))
        target = out_dir / ex.system / ex.name
        target.mkdir(parents=True, exist_ok=True)
        con.execute(
            f"""
            copy (
                select {typed_sql},
                    '{batch_id}' as _batch_id,
                    {SOURCE_FILE},
                    {ROW_NUMBER}
                from valid_rows
                anti join late_rejects on valid_rows.{SOURCE_FILE} = late_rejects.f and valid_rows.{ROW_NUMBER} = late_rejects.r
            ) to '{target / f"part-{part:05d}.parquet"}' (format parquet, compression zstd)
            """
        )
    finally:
        con.close()

    per_file_rejected: dict[str, set[int]] = {}
    for f in findings:
        per_file_rejected.setdefault(f.source_file, set()).add(f.row_number)
        stats.rejections.append(
            {
                "extract": ex.path,
                "source_file": f.source_file,
                "row_number": f.row_number,
                "column_name": f.column_name or None,
                "value": f.value,
                "reason": f.reason,
            }
        )
    for fs in stats.files:
        if fs.skipped or fs.source_file not in {pf.rel for pf in parsed}:
            continue
        pf = next(p for p in parsed if p.rel == fs.source_file)
        fs.rows_read = len(pf.row_numbers) + len(pf.rejections)
        fs.rows_rejected = len(per_file_rejected.get(fs.source_file, ()))
        fs.rows_loaded = fs.rows_read - fs.rows_rejected - fs.identical_duplicates


def _merge_gx_results(stats: ExtractStats, results: list[dict]) -> None:
    if not stats.gx_results:
        stats.gx_results = [dict(r) for r in results]
        return
    for have, new in zip(stats.gx_results, results, strict=True):
        have["success"] = have["success"] and new["success"]
        have["unexpected_count"] += new["unexpected_count"]


def write_empty(ex: Extract, out_dir: Path) -> None:
    """A typed, empty Parquet file, so that every batch has every extract."""
    target = out_dir / ex.system / ex.name
    target.mkdir(parents=True, exist_ok=True)
    cols = ", ".join(
        f"cast(null as {'timestamp' if c.kind == contract.TIMESTAMP else c.duckdb_type}) as {c.name}" for c in ex.columns
    )
    con = duckdb.connect()
    try:
        con.execute(
            f"""copy (select {cols}, cast(null as varchar) as _batch_id, cast(null as varchar) as {SOURCE_FILE},
                cast(null as bigint) as {ROW_NUMBER} limit 0) to '{target / "part-00000.parquet"}' (format parquet)"""
        )
    finally:
        con.close()


# --------------------------------------------------------------------------- the batch


def new_batch_id(batches: Path) -> str:
    """Sortable in load order, even for two loads within one clock tick."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    existing = sorted(p.name for p in batches.iterdir()) if batches.is_dir() else []
    while existing and stamp <= existing[-1]:
        stamp = existing[-1][:-1] + "0Z"  # one more digit sorts after its prefix
    return stamp


# The batch's own audit, laid out like an extract (<system>/<name>/part-*.parquet) so that
# every engine reads it with the same glob: Spark and Hadoop skip files whose names start
# with "_" (the layout before was _files.parquet / _rejections.parquet, still read here).
AUDIT_FILES = Path("load_audit") / "files" / "part-00000.parquet"
AUDIT_REJECTIONS = Path("load_audit") / "rejections" / "part-00000.parquet"
LEGACY_AUDIT_FILES = "_files.parquet"


def loaded_digests(batches: Path) -> set[str]:
    manifests = sorted([*batches.glob(f"*/{AUDIT_FILES}"), *batches.glob(f"*/{LEGACY_AUDIT_FILES}")])
    if not manifests:
        return set()
    con = duckdb.connect()
    try:
        rows = con.execute(
            "select distinct sha256 from read_parquet($files) where not skipped", {"files": [str(m) for m in manifests]}
        ).fetchall()
    finally:
        con.close()
    return {r[0] for r in rows}


@contextmanager
def raw_zone_lock(raw: Path):
    raw.mkdir(parents=True, exist_ok=True)
    with (raw / ".lock").open("w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LoadError(str(raw), "another `ree load` is writing this warehouse; try again when it ends") from None
        yield


def _write_table(rows: list[dict], columns: dict[str, pa.DataType], path: Path) -> None:
    schema = pa.schema(list(columns.items()))
    table = pa.Table.from_pylist(rows, schema=schema) if rows else schema.empty_table()
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)


def run(landing: Path, progress=None) -> tuple[str | None, dict[str, ExtractStats], list[str]]:
    """Load one landing folder. Returns (batch id or None when nothing was new, stats, notes)."""
    landing = landing.resolve()
    if not landing.is_dir():
        raise LoadError(str(landing), "the landing folder does not exist")
    raw = paths.raw_dir()
    batches = raw / "batches"
    with raw_zone_lock(raw):
        found, strays = discover(landing)
        for ex in contract.EXTRACTS:
            if ex.required and ex.path not in found:
                raise LoadError(f"{ex.path}.csv", "required extract absent (neither the file nor a folder of daily files)")
        done = loaded_digests(batches)
        batch_id = new_batch_id(batches)
        loaded_at = datetime.now(timezone.utc).replace(tzinfo=None)
        incoming = raw / "_incoming" / batch_id
        shutil.rmtree(raw / "_incoming", ignore_errors=True)
        incoming.mkdir(parents=True)
        stats: dict[str, ExtractStats] = {ex.path: ExtractStats() for ex in contract.EXTRACTS}
        notes = [f"{p.relative_to(landing)}: not a contract extract, not loaded" for p in strays]
        try:
            seen_this_batch: set[str] = set()
            all_files = [(ex, f) for ex in contract.EXTRACTS for f in found.get(ex.path, [])]
            task = progress.add_task("loading", total=len(all_files)) if progress else None
            for ex in contract.EXTRACTS:
                st = stats[ex.path]
                pending: list[ParsedFile] = []
                pending_rows = 0
                for path in found.get(ex.path, []):
                    rel = str(path.relative_to(landing))
                    sha, size = file_digest(path, rel)
                    fs = FileStats(ex.path, rel, sha, size)
                    st.files.append(fs)
                    if sha in done or sha in seen_this_batch:
                        fs.skipped = True
                    else:
                        seen_this_batch.add(sha)
                        parsed = parse_file(path, rel, ex)
                        pending.append(parsed)
                        pending_rows += len(parsed.row_numbers)
                        if pending_rows >= FRAME_ROWS:
                            process_frame(ex, pending, batch_id, incoming, st.parts, st)
                            st.parts += 1
                            pending, pending_rows = [], 0
                    if progress:
                        progress.update(task, advance=1, description=f"loading {ex.path}")
                if pending:
                    process_frame(ex, pending, batch_id, incoming, st.parts, st)
                    st.parts += 1
                if st.parts == 0:
                    write_empty(ex, incoming)
            new_files = [fs for st in stats.values() for fs in st.files if not fs.skipped]
            if not new_files:
                shutil.rmtree(incoming)
                return None, stats, notes + ["every file was loaded before: nothing new"]
            rejections = [
                {**r, "batch_id": batch_id, "loaded_at": loaded_at} for st in stats.values() for r in st.rejections
            ]
            rejections += [
                {
                    "extract": None,
                    "source_file": str(p.relative_to(landing)),
                    "row_number": None,
                    "column_name": None,
                    "value": None,
                    "reason": "not a contract extract: file not loaded",
                    "batch_id": batch_id,
                    "loaded_at": loaded_at,
                }
                for p in strays
            ]
            _write_table(
                rejections,
                {
                    "extract": pa.string(),
                    "source_file": pa.string(),
                    "row_number": pa.int64(),
                    "column_name": pa.string(),
                    "value": pa.string(),
                    "reason": pa.string(),
                    "batch_id": pa.string(),
                    "loaded_at": pa.timestamp("us"),
                },
                incoming / AUDIT_REJECTIONS,
            )
            _write_table(
                [
                    {**fs.__dict__, "batch_id": batch_id, "loaded_at": loaded_at}
                    for st in stats.values()
                    for fs in st.files
                ],
                {
                    "extract": pa.string(),
                    "source_file": pa.string(),
                    "sha256": pa.string(),
                    "size_bytes": pa.int64(),
                    "rows_read": pa.int64(),
                    "rows_loaded": pa.int64(),
                    "rows_rejected": pa.int64(),
                    "identical_duplicates": pa.int64(),
                    "skipped": pa.bool_(),
                    "batch_id": pa.string(),
                    "loaded_at": pa.timestamp("us"),
                },
                incoming / AUDIT_FILES,
            )
            batches.mkdir(parents=True, exist_ok=True)
            os.rename(incoming, batches / batch_id)  # the one step that makes the batch visible
            shutil.rmtree(raw / "_incoming", ignore_errors=True)
        except BaseException:
            shutil.rmtree(raw / "_incoming", ignore_errors=True)
            raise
        write_report(batch_id, landing, stats, notes)
        return batch_id, stats, notes


# --------------------------------------------------------------------------- reporting


def write_report(batch_id: str, landing: Path, stats: dict[str, ExtractStats], notes: list[str]) -> Path:
    """A self-contained HTML validation report for one batch (the Data Docs of this project)."""
    out = paths.reports_dir() / "validation"
    out.mkdir(parents=True, exist_ok=True)
    esc = html.escape
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>Load validation "
        f"{esc(batch_id)}</title><style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse;margin:1em 0}}"
        "td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}.fail{color:#b00}.ok{color:#070}</style></head><body>",
        f"<h1>Load validation, batch {esc(batch_id)}</h1><p>Landing folder: {esc(str(landing))}</p>",
    ]
    if notes:
        parts.append("<ul>" + "".join(f"<li>{esc(n)}</li>" for n in notes) + "</ul>")
    for path, st in stats.items():
        if not st.files:
            continue
        parts.append(f"<h2>{esc(path)}</h2><table><tr><th>file</th><th>status</th><th>rows read</th><th>loaded</th>"
                     "<th>rejected</th><th>identical repeats</th></tr>")
        for fs in st.files:
            status = "already loaded, skipped" if fs.skipped else "loaded"
            parts.append(
                f"<tr><td>{esc(fs.source_file)}</td><td>{status}</td><td>{fs.rows_read}</td><td>{fs.rows_loaded}</td>"
                f"<td>{fs.rows_rejected}</td><td>{fs.identical_duplicates}</td></tr>"
            )
        parts.append("</table>")
        if st.gx_results:
            parts.append("<table><tr><th>expectation</th><th>columns</th><th>rule</th><th>result</th><th>unexpected</th></tr>")
            for r in st.gx_results:
                cls = "ok" if r["success"] else "fail"
                parts.append(
                    f"<tr><td>{esc(r['expectation'])}</td><td>{esc(r['columns'])}</td><td>{esc(r['rule'])}</td>"
                    f"<td class='{cls}'>{'passed' if r['success'] else 'failed'}</td><td>{r['unexpected_count']}</td></tr>"
                )
            parts.append("</table>")
        if st.rejections:
            parts.append("<table><tr><th>file</th><th>line</th><th>column</th><th>value</th><th>reason</th></tr>")
            for r in st.rejections[:500]:
                parts.append(
                    f"<tr><td>{esc(r['source_file'])}</td><td>{r['row_number']}</td><td>{esc(r['column_name'] or '')}</td>"
                    f"<td>{esc(r['value'] or '')}</td><td>{esc(r['reason'])}</td></tr>"
                )
            parts.append("</table>")
            if len(st.rejections) > 500:
                parts.append(f"<p>… and {len(st.rejections) - 500} more in rpt_load_rejections.</p>")
    parts.append("</body></html>")
    report = out / f"{batch_id}.html"
    report.write_text("".join(parts), encoding="utf-8")
    (out / "latest.html").write_text("".join(parts), encoding="utf-8")
    return report


def main(landing: Path) -> int:
    """CLI entry point: run, print a summary, exit 0 on success, 1 on a structural failure."""
    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table

    console = Console(stderr=True)
    show_progress = sys.stderr.isatty() and os.environ.get("CI", "").lower() not in ("true", "1")
    started = time.perf_counter()
    try:
        if show_progress:
            with Progress(console=console, transient=True) as progress:
                batch_id, stats, notes = run(landing, progress)
        else:
            batch_id, stats, notes = run(landing)
    except LoadError as err:
        console.print(f"[bold red]load failed[/]: {err}")
        console.print("Nothing from this load was written; the warehouse is as it was before.")
        return 1
    elapsed = time.perf_counter() - started
    out = Console()
    for note in notes:
        out.print(f"note: {note}")
    if batch_id is None:
        out.print("Nothing new to load: every file in the landing folder was loaded before.")
        return 0
    table = Table(title=f"batch {batch_id}")
    for col in ("extract", "new files", "skipped", "rows read", "loaded", "rejected"):
        table.add_column(col, justify="right" if col not in ("extract",) else "left")
    total_read = total_rejected = 0
    for path, st in stats.items():
        if not st.files:
            continue
        new = [f for f in st.files if not f.skipped]
        read = sum(f.rows_read for f in new)
        rejected = sum(f.rows_rejected for f in new)
        total_read += read
        total_rejected += rejected
        table.add_row(path, str(len(new)), str(len(st.files) - len(new)), str(read), str(sum(f.rows_loaded for f in new)), str(rejected))
    out.print(table)
    out.print(
        f"{total_read} rows read, {total_rejected} rejected (see rpt_load_rejections and "
        f"{paths.reports_dir() / 'validation' / (batch_id + '.html')}), {elapsed:.1f} s, "
        f"{total_read / elapsed if elapsed else 0:,.0f} rows/s"
    )
    return 0
