"""`ree report --period YYYY-MM|YYYY-Qn [--compare-previous]`: the regulatory exposure report.

Reads the published serving copy (`ree publish`), never the live build database, and writes one
self-contained HTML file (inline CSS, charts as inline PNG) and its PDF (WeasyPrint) to
``$REE_WAREHOUSE_DIR/reports/exposure-<period>.{html,pdf}``. Every value that comes from the
data goes through Jinja2's autoescaping: a party or item name with markup stays text.
"""

from __future__ import annotations

import base64
import calendar
import io
import json
import re
import sys
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb

from ree import paths

TEMPLATES = Path(__file__).with_name("templates")
COMPLIANCE_ORDER = ("blocked", "licence_missing", "review", "notify_due", "clear")


# --- shared with notices.py ----------------------------------------------------------------------


def open_serving() -> tuple[duckdb.DuckDBPyConnection, Path]:
    """A read-only connection to the serving file of the current published release."""
    from ree.publish import PublishError, serving_path

    path = serving_path()
    if not path.exists():
        raise PublishError(f"the published release has no serving file at {path}")
    return duckdb.connect(str(path), read_only=True), path


def rows(con: duckdb.DuckDBPyConnection, sql: str, params=None) -> list[dict]:
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def has_table(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from duckdb_tables() where schema_name = ? and table_name = ?", [schema, name]
        ).fetchone()[0]
    )


def fmt_money(value) -> str:
    if value is None:
        return "–"
    return f"{Decimal(value).quantize(Decimal('0.01'), ROUND_HALF_UP):,.2f}"


def fmt_int(value) -> str:
    return "–" if value is None else f"{int(value):,}"


def fmt_pct(value, places: int = 4) -> str:
    """A percentage as an exact decimal, rounded half-up to `places`, trailing zeros dropped."""
    if value is None:
        return "–"
    text = f"{Decimal(value).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def jinja_env():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html", "j2"], default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(money=fmt_money, int=fmt_int, pct=fmt_pct)
    return env


def write_pdf(html: str, pdf_path: Path, base_url: Path) -> None:
    from weasyprint import HTML

    HTML(string=html, base_url=str(base_url)).write_pdf(str(pdf_path))


# --- the period ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    label: str
    start: date
    end: date

    @property
    def months(self) -> list[str]:
        out, day = [], self.start
        while day <= self.end:
            out.append(day.strftime("%Y-%m"))
            day = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
        return out

    def previous(self) -> Period:
        if "-Q" in self.label:
            year, quarter = int(self.label[:4]), int(self.label[-1])
            return parse_period(f"{year - 1}-Q4" if quarter == 1 else f"{year}-Q{quarter - 1}")
        last = self.start - timedelta(days=1)
        return parse_period(last.strftime("%Y-%m"))


def parse_period(text: str) -> Period:
    text = text.strip().upper()
    if m := re.fullmatch(r"(\d{4})-(0[1-9]|1[0-2])", text):
        year, month = int(m[1]), int(m[2])
        return Period(text, date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]))
    if m := re.fullmatch(r"(\d{4})-Q([1-4])", text):
        year, quarter = int(m[1]), int(m[2])
        first = 3 * quarter - 2
        return Period(text, date(year, first, 1), date(year, first + 2, calendar.monthrange(year, first + 2)[1]))
    raise ValueError(f"period {text!r} is neither YYYY-MM nor YYYY-Qn")


def trailing_months(period: Period, count: int = 12) -> list[str]:
    months, day = [], period.end.replace(day=1)
    for _ in range(max(count, len(period.months))):
        months.append(day.strftime("%Y-%m"))
        day = (day - timedelta(days=1)).replace(day=1)
    return months[::-1]


# --- the figures -----------------------------------------------------------------------------------

HEADLINE = {
    # key: (label, kind)
    "line_count": ("Export lines", "int"),
    "line_value_reporting": ("Export value", "money"),
    "controlled_line_count": ("Controlled lines (a rule fires as published)", "int"),
    "controlled_value_reporting": ("Controlled value", "money"),
    "licence_required_line_count": ("Lines needing a licence (legal view)", "int"),
    "licence_missing_line_count": ("Licence missing", "int"),
    "licence_missing_value_reporting": ("Licence-missing value", "money"),
    "blocked_line_count": ("Blocked (deny presumption)", "int"),
    "review_line_count": ("Review", "int"),
    "notify_due_line_count": ("Humanitarian notification due", "int"),
    "cn_part1_value_reporting": ("China-origin Part 1 content value", "money"),
    "latent_licence_line_count": ("Lines needing a licence if every suspension ended", "int"),
    "latent_licence_value_reporting": ("Value needing a licence if every suspension ended", "money"),
    "lines_without_reporting_value": ("Lines without a reporting-currency value", "int"),
}


def headline(con, period: Period) -> dict:
    sums = ", ".join(f"coalesce(sum({key}), 0) as {key}" for key in HEADLINE)
    out = rows(
        con,
        f"select {sums} from marts.rpt_regulatory_exposure where export_month between ? and ?",
        [period.months[0], period.months[-1]],
    )[0]
    currency = con.execute("select any_value(reporting_currency) from marts.rpt_regulatory_exposure").fetchone()[0]
    out["reporting_currency"] = currency
    return out


def breakdown(con, period: Period, column: str) -> list[dict]:
    return rows(
        con,
        f"""
        select {column} as key, sum(line_count) as lines, sum(controlled_line_count) as controlled_lines,
            sum(controlled_value_reporting) as controlled_value, sum(licence_missing_line_count) as licence_missing,
            sum(latent_licence_value_reporting) as latent_value
        from marts.rpt_regulatory_exposure where export_month between ? and ?
        group by all order by controlled_value desc, lines desc, key""",
        [period.months[0], period.months[-1]],
    )


def by_month(con, months: list[str]) -> list[dict]:
    found = {
        r["month"]: r
        for r in rows(
            con,
            """
        select strftime(export_date, '%Y-%m') as month,
            coalesce(sum(line_value_reporting) filter (where rules_triggered != ''), 0) as controlled_value,
            coalesce(sum(line_value_reporting) filter (where licence_requirement = 'required'), 0) as legal_value,
            coalesce(sum(line_value_reporting) filter (where licence_requirement_as_published = 'required'), 0)
                as latent_value
        from marts.fct_shipment_determinations
        where strftime(export_date, '%Y-%m') between ? and ? group by all""",
            [months[0], months[-1]],
        )
    }
    zero = Decimal(0)
    return [
        found.get(m, {"month": m, "controlled_value": zero, "legal_value": zero, "latent_value": zero}) for m in months
    ]


def line_lists(con, period: Period) -> dict[str, list[dict]]:
    parties = has_table(con, "marts", "dim_parties")
    party_join = (
        "left join marts.dim_parties as consignee on d.consignee_party_id = consignee.party_id" if parties else ""
    )
    party_name = "consignee.party_name" if parties else "cast(null as varchar)"
    lines = rows(
        con,
        f"""
        select d.shipment_line_id, d.export_date, d.exporter_entity_id, d.destination_country, d.item_id,
            items.item_description, d.consignee_party_id, {party_name} as consignee_name, d.control_basis,
            d.regime_status, d.licence_requirement, d.end_use_outcome, d.screening_status, d.compliance_status,
            d.line_value_reporting, d.cn_part1_value_share_pct, d.data_quality_flags, d.explanation
        from marts.fct_shipment_determinations as d
        left join marts.dim_items as items on d.item_id = items.item_id
        {party_join}
        where d.export_date between ? and ? and d.compliance_status != 'clear'
        order by d.export_date, d.shipment_line_id""",
        [period.start, period.end],
    )
    return {
        status: [line for line in lines if line["compliance_status"] == status]
        for status in COMPLIANCE_ORDER
        if status != "clear"
    }


def obligations(con, period: Period) -> dict:
    summary = rows(
        con,
        """
        select o.obligation_type, o.status, count(*) as obligations
        from marts.fct_declaration_obligations as o
        where o.due_date between ? and ?
        group by all order by all""",
        [period.start, period.end],
    )
    parties = has_table(con, "marts", "dim_parties")
    outstanding = rows(
        con,
        f"""
        select o.obligation_type, o.status, o.due_date, o.shipment_line_id, o.legal_basis, o.recipient,
            {"party.party_name" if parties else "cast(null as varchar)"} as recipient_name,
            o.value_share_pct_to_declare, o.is_due_date_outside_calendar, o.status_as_of
        from marts.fct_declaration_obligations as o
        inner join marts.fct_shipment_determinations as d on o.shipment_line_id = d.shipment_line_id
        {"left join marts.dim_parties as party on o.recipient = party.party_id" if parties else ""}
        where o.status in ('open', 'overdue')
            and (o.due_date between ? and ? or (o.status = 'overdue' and o.due_date < ?)
                 or (o.due_date is null and d.export_date between ? and ?))
        order by o.status desc, o.due_date nulls first, o.obligation_type, o.shipment_line_id""",
        [period.start, period.end, period.start, period.start, period.end],
    )
    as_of = con.execute("select max(status_as_of) from marts.fct_declaration_obligations").fetchone()[0]
    return {"summary": summary, "outstanding": outstanding, "as_of": as_of}


def obligation_status(con, period: Period) -> dict:
    """Every obligation's status by type, the obligation records that match nothing, our entities."""
    by_type = rows(
        con,
        """
        select o.obligation_type,
            count(*) filter (where o.status = 'open') as open,
            count(*) filter (where o.status = 'overdue') as overdue,
            count(*) filter (where o.status = 'fulfilled') as fulfilled,
            count(*) filter (where o.fulfilment_source = 'obligation_record') as fulfilled_by_record,
            count(*) filter (where o.status = 'fulfilled' and o.is_fulfilled_late) as fulfilled_late,
            count(*) as total
        from marts.fct_declaration_obligations as o
        inner join marts.fct_shipment_determinations as d on o.shipment_line_id = d.shipment_line_id
        where d.export_date <= ?
        group by all order by o.obligation_type""",
        [period.end],
    )
    unmatched = (
        rows(
            con,
            """
        select record_id, shipment_line_id, obligation_type, fulfilled_on, record_reference, match_reason
        from marts.fct_obligation_records where match_status in ('no_such_shipment_line', 'obligation_not_raised')
        order by fulfilled_on, record_id""",
        )
        if has_table(con, "marts", "fct_obligation_records")
        else []
    )
    entities = (
        rows(
            con,
            """
        select d.exporter_entity_id as entity_id, e.legal_name, e.legal_name_local, e.entity_address,
            e.signatory_name, count(*) as lines
        from marts.fct_shipment_determinations as d
        left join marts.dim_legal_entities as e on d.exporter_entity_id = e.entity_id
        where d.export_date between ? and ?
        group by all order by entity_id""",
            [period.start, period.end],
        )
        if has_table(con, "marts", "dim_legal_entities")
        else []
    )
    return {"by_type": by_type, "unmatched": unmatched, "entities": entities}


def evidence_gaps(con, top: int = 20) -> dict:
    """The chase list's first `top` gaps (rpt_evidence_gaps; as of as_of_date, not the period)."""
    if not has_table(con, "marts", "rpt_evidence_gaps"):
        return {"top": [], "total": 0, "available": False}
    from ree.chase import top_gaps

    total = con.execute("select count(*) from marts.rpt_evidence_gaps").fetchone()[0]
    return {"top": top_gaps(con, top), "total": total, "available": True}


def data_quality(con, period: Period) -> dict:
    quarantine = rows(
        con,
        """
        select coalesce(extract, '(whole file)') as extract, reason, count(*) as rejected,
            min(loaded_at) as first_loaded_at, max(loaded_at) as last_loaded_at
        from marts.rpt_load_rejections group by all order by rejected desc, extract, reason""",
    )
    flags = rows(
        con,
        """
        select flag, count(*) as lines from (
            select unnest(string_split(data_quality_flags, ';')) as flag
            from marts.fct_shipment_determinations
            where export_date between ? and ? and data_quality_flags != ''
        ) group by all order by lines desc, flag""",
        [period.start, period.end],
    )
    unverified = rows(
        con,
        """
        select shipment_line_id, export_date, item_id, destination_country, control_basis, compliance_status
        from marts.fct_shipment_determinations
        where export_date between ? and ? and contains(data_quality_flags, 'origin_unverified')
        order by export_date, shipment_line_id""",
        [period.start, period.end],
    )
    coverage = (
        rows(con, "select * from reference.reference_data_coverage order by dataset")
        if has_table(con, "reference", "reference_data_coverage")
        else []
    )
    for row in coverage:
        row["covers_period"] = (row["first_date"] is None or row["first_date"] <= period.start) and (
            row["last_date"] is None or row["last_date"] >= period.end
        )
    return {
        "quarantine": quarantine,
        "quarantine_total": sum(r["rejected"] for r in quarantine),
        "flags": flags,
        "unverified": unverified,
        "coverage": coverage,
    }


def policy(con, period: Period) -> dict:
    release = rows(con, "select * from publish.release")[0] if has_table(con, "publish", "release") else {}
    dbt_vars = json.loads(release.get("dbt_vars_json") or "{}")
    clauses = (
        rows(con, "select * from reference.regulatory_clauses order by effective_from, clause_id")
        if has_table(con, "reference", "regulatory_clauses")
        else []
    )
    for row in clauses:
        row["in_force_in_period"] = (row["effective_from"] is None or row["effective_from"] <= period.end) and (
            row["effective_to"] is None or row["effective_to"] >= period.start
        )
    suspensions = (
        rows(con, "select * from reference.regulatory_suspensions order by suspended_from, clause_id")
        if has_table(con, "reference", "regulatory_suspensions")
        else []
    )
    for row in suspensions:
        row["overlaps_period"] = row["suspended_from"] <= period.end and (
            row["suspended_to"] is None or row["suspended_to"] >= period.start
        )
    return {"release": release, "vars": dbt_vars, "clauses": clauses, "suspensions": suspensions}


def comparison(current: dict, previous: dict) -> list[dict]:
    out = []
    for key, (label, kind) in HEADLINE.items():
        now, before = Decimal(current[key] or 0), Decimal(previous[key] or 0)
        change = now - before
        out.append(
            {
                "label": label,
                "kind": kind,
                "current": now,
                "previous": before,
                "change": change,
                "change_pct": None if before == 0 else change * 100 / before,
            }
        )
    return out


# --- charts (matplotlib, Agg, to inline PNG) -------------------------------------------------------

PALETTE = {"main": "#1f4e79", "accent": "#c0504d", "muted": "#9dc3e6", "latent": "#f4b183", "grid": "#d9d9d9"}


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=160, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _axes(width=7.0, height=2.6):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(width, height))
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", color=PALETTE["grid"], linewidth=0.6)
    ax.set_axisbelow(True)
    ax.tick_params(labelsize=8)
    return fig, ax


def _thousands(ax, axis="y"):
    from matplotlib.ticker import FuncFormatter

    fmt = FuncFormatter(
        lambda v, _: f"{v / 1e6:,.1f}M" if abs(v) >= 1e6 else f"{v / 1e3:,.0f}k" if abs(v) >= 1e3 else f"{v:,.0f}"
    )
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)


def chart_by_month(monthly: list[dict], period: Period, currency: str) -> str:
    fig, ax = _axes()
    months = [m["month"] for m in monthly]
    values = [float(m["controlled_value"]) for m in monthly]
    colours = [PALETTE["main"] if m in period.months else PALETTE["muted"] for m in months]
    ax.bar(months, values, color=colours)
    ax.set_ylabel(f"controlled value ({currency})", fontsize=8)
    ax.set_title("Controlled value by export month (the period in dark blue)", fontsize=9, loc="left")
    _thousands(ax)
    ax.tick_params(axis="x", labelrotation=45)
    return _png(fig)


def chart_latent(monthly: list[dict], period: Period, currency: str) -> str:
    import numpy as np

    fig, ax = _axes()
    months = [m["month"] for m in monthly]
    x = np.arange(len(months))
    ax.bar(
        x - 0.2,
        [float(m["legal_value"]) for m in monthly],
        0.4,
        color=PALETTE["main"],
        label="licence required (legal view, suspensions applied)",
    )
    ax.bar(
        x + 0.2,
        [float(m["latent_value"]) for m in monthly],
        0.4,
        color=PALETTE["latent"],
        label="licence required if every suspension ended (as published)",
    )
    ax.set_xticks(x, months, rotation=45)
    for i, month in enumerate(months):
        if month in period.months:
            ax.axvspan(i - 0.5, i + 0.5, color="#fff2cc", zorder=0)
    ax.set_ylabel(f"value ({currency})", fontsize=8)
    ax.set_title("Latent exposure: value needing a licence, legal view vs. as published", fontsize=9, loc="left")
    ax.legend(fontsize=7, frameon=False, loc="upper left")
    _thousands(ax)
    return _png(fig)


def chart_breakdown(items: list[dict], title: str, currency: str, limit: int = 12) -> str | None:
    shown = [i for i in items if i["controlled_value"]][:limit]
    if not shown:
        return None
    fig, ax = _axes(width=3.8, height=0.24 * len(shown) + 0.8)
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", color=PALETTE["grid"], linewidth=0.6)
    labels = [str(i["key"]) for i in shown][::-1]
    ax.barh(labels, [float(i["controlled_value"]) for i in shown][::-1], color=PALETTE["main"])
    ax.set_xlabel(f"controlled value ({currency})", fontsize=8)
    ax.set_title(title, fontsize=9, loc="left")
    _thousands(ax, "x")
    return _png(fig)


# --- the report ------------------------------------------------------------------------------------


def build_context(con, period: Period, compare_previous: bool, serving: Path) -> dict:
    head = headline(con, period)
    currency = head["reporting_currency"] or "?"
    monthly = by_month(con, trailing_months(period))
    basis = breakdown(con, period, "control_basis")
    destination = breakdown(con, period, "destination_country")
    end_use = breakdown(con, period, "end_use_outcome")
    context = {
        "period": period,
        "currency": currency,
        "headline": head,
        "headline_labels": HEADLINE,
        "by_basis": basis,
        "by_destination": destination,
        "by_end_use": end_use,
        "monthly": monthly,
        "charts": {
            "by_month": chart_by_month(monthly, period, currency),
            "latent": chart_latent(monthly, period, currency),
            "by_basis": chart_breakdown(
                [b for b in basis if b["key"] != "none"], "Controlled value by control basis", currency
            ),
            "by_destination": chart_breakdown(destination, "Controlled value by destination (top 12)", currency),
            "by_end_use": chart_breakdown(end_use, "Controlled value by end-use outcome", currency),
        },
        "lists": line_lists(con, period),
        "obligations": obligations(con, period),
        "obligation_status": obligation_status(con, period),
        "evidence_gaps": evidence_gaps(con),
        "data_quality": data_quality(con, period),
        "policy": policy(con, period),
        "serving_file": serving,
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "previous": None,
    }
    if compare_previous:
        previous = period.previous()
        context["previous"] = {
            "period": previous,
            "comparison": comparison(head, headline(con, previous)),
            "by_basis": _compare_rows(basis, breakdown(con, previous, "control_basis")),
        }
    return context


def _compare_rows(current: list[dict], previous: list[dict]) -> list[dict]:
    before = {r["key"]: r for r in previous}
    keys = [r["key"] for r in current] + [k for k in before if k not in {r["key"] for r in current}]
    now = {r["key"]: r for r in current}
    out = []
    for key in keys:
        a = Decimal((now.get(key) or {}).get("controlled_value") or 0)
        b = Decimal((before.get(key) or {}).get("controlled_value") or 0)
        out.append(
            {
                "key": key,
                "current": a,
                "previous": b,
                "change": a - b,
                "lines_current": (now.get(key) or {}).get("lines") or 0,
                "lines_previous": (before.get(key) or {}).get("lines") or 0,
            }
        )
    return out


def render(period_text: str, compare_previous: bool = False, out_dir: Path | None = None) -> tuple[Path, Path]:
    period = parse_period(period_text)
    con, serving = open_serving()
    try:
        context = build_context(con, period, compare_previous, serving)
    finally:
        con.close()
    html = jinja_env().get_template("report.html.j2").render(**context)
    out_dir = out_dir or paths.reports_dir()
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"exposure-{period.label}"
    html_path, pdf_path = out_dir / f"{stem}.html", out_dir / f"{stem}.pdf"
    # write next to the target and rename, so a reader never opens a half-written file
    tmp_html = html_path.with_suffix(".html.tmp")
    tmp_html.write_text(html, encoding="utf-8")
    tmp_html.replace(html_path)
    tmp_pdf = pdf_path.with_suffix(".pdf.tmp")
    write_pdf(html, tmp_pdf, out_dir)
    tmp_pdf.replace(pdf_path)
    return html_path, pdf_path


def busiest_month() -> str | None:
    """The month with most export lines in the published release (for `make run`)."""
    con, _ = open_serving()
    try:
        row = con.execute(
            "select export_month from marts.rpt_regulatory_exposure group by all "
            "order by sum(line_count) desc, export_month desc limit 1"
        ).fetchone()
    finally:
        con.close()
    return row[0] if row else None


def main(period: str, compare_previous: bool = False) -> int:
    from ree.publish import PublishError

    try:
        if period.lower() == "busiest":
            period = busiest_month() or datetime.now(UTC).strftime("%Y-%m")
        html_path, pdf_path = render(period, compare_previous)
    except (ValueError, PublishError, duckdb.Error) as exc:
        print(f"report failed: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {html_path}\nwrote {pdf_path}")
    return 0
