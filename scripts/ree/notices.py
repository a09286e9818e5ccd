"""`ree notices [--shipment ID]`: one Declaration of Compliance (合规告知书) per open or overdue
`compliance_notice` obligation, following the template of MOFCOM 2025 No. 61 Appendix 2.

Each declaration is written in Chinese and English, as HTML and PDF, to ``$REE_WAREHOUSE_DIR/notices/``.
The Chinese text of MOFCOM's official template is the definitive one; it is not held by the project
(regulation/ has only the English translation), so the Chinese here is the project's own translation,
to be checked against the official template, and every document says so (RULES.md §8). The exporter
is printed with its legal names, address and signatory from `erp/legal_entities` (mart
dim_legal_entities); an entity missing there is printed by its id, and the document says that its
legal name is missing. Values come from the published serving copy and are HTML-escaped (a party
name with markup stays text).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from ree import paths
from ree.report import fmt_pct, has_table, jinja_env, open_serving, rows, write_pdf

# Fonts tried for the Chinese text, in order (Debian: fonts-noto-cjk, fonts-wqy-zenhei).
CJK_FONTS = ("Noto Serif CJK SC", "Noto Sans CJK SC", "Source Han Serif SC", "WenQuanYi Zen Hei")
TRANSLATION_NOTE_ZH = (
    "本中文文本为项目译文，须与商务部官方模板（商务部公告2025年第61号附件2）核对后方可使用；"
    "以商务部官方模板的中文文本为准。"
)
TRANSLATION_NOTE_EN = (
    "The Chinese text is the project's translation of the template in Appendix 2 of MOFCOM "
    "Notice 2025 No. 61; check it against MOFCOM's official template before use. The Chinese "
    "text of MOFCOM's official template is definitive, not this translation."
)
NAME_MISSING_ZH = "法定名称缺失：erp/legal_entities 中无此实体，签署前须补全"
NAME_MISSING_EN = "legal name missing: the entity is not in erp/legal_entities; complete it before signing"
OFFICIAL_TEXT_REF = "https://perma.cc/JQ7E-JWRL"


def notices_dir() -> Path:
    return paths.warehouse_dir() / "notices"


def cjk_fonts_installed() -> list[str]:
    """Families fontconfig knows that cover Simplified Chinese (empty: the PDF would show boxes)."""
    if not shutil.which("fc-list"):
        return []
    out = subprocess.run(["fc-list", ":lang=zh-cn", "family"], capture_output=True, text=True, check=False).stdout
    return sorted({name.strip() for line in out.splitlines() for name in line.split(",") if name.strip()})


def cjk_font_file(family: str, style: str) -> tuple[Path, int] | None:
    """The font file (and face index in a collection) fontconfig picks for family:style, if it is that family."""
    if not shutil.which("fc-match"):
        return None
    out = subprocess.run(
        ["fc-match", "-f", "%{family}\t%{file}\t%{index}", f"{family}:style={style}"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    parts = out.split("\t")
    if len(parts) != 3 or family not in parts[0].split(","):
        return None
    return Path(parts[1]), int(parts[2] or 0)


def subset_cjk_fonts(text: str, folder: Path, fonts: list[str]) -> list[dict]:
    """Subset the first installed CJK family to the characters of `text` (regular and bold).

    WeasyPrint subsets fonts on every write_pdf; a CJK collection of 20-30 MB takes it ~10 s per
    document. Subsetting once per run with fontTools and pointing @font-face at the small files
    makes each PDF take well under a second, with the same glyphs embedded."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    for family in [f for f in CJK_FONTS if f in fonts]:
        faces = []
        for style, weight in (("Regular", "normal"), ("Bold", "bold")):
            found = cjk_font_file(family, style)
            if found is None or (style == "Bold" and "bold" not in found[0].name.lower()):
                continue
            font = TTFont(str(found[0]), fontNumber=found[1], lazy=False)
            options = subset.Options()
            options.layout_features = ["*"]
            options.name_IDs = ["*"]
            options.notdef_outline = True
            subsetter = subset.Subsetter(options)
            subsetter.populate(text=text)
            subsetter.subset(font)
            target = folder / f"cjk-{style.lower()}.otf"
            font.save(str(target))
            faces.append({"url": target.as_uri(), "weight": weight, "family": family})
        if faces:
            return faces
    return []


def date_zh(value: date) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


def date_en(value: date) -> str:
    return f"{value.day} {value.strftime('%B')} {value.year}"


def safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_") or "notice"


def open_notices(con, shipment: str | None) -> list[dict]:
    parties = has_table(con, "marts", "dim_parties")
    recipient_cols = (
        (
            "recipient.party_name as recipient_name, recipient.party_name_local as recipient_name_local, "
            "recipient.party_country as recipient_country"
        )
        if parties
        else ("null as recipient_name, null as recipient_name_local, null as recipient_country")
    )
    joins = "left join marts.dim_parties as recipient on o.recipient = recipient.party_id " if parties else ""
    # our own exporting entity, from erp/legal_entities (a release older than the mart has none)
    if has_table(con, "marts", "dim_legal_entities"):
        exporter_cols = (
            "entity.legal_name as exporter_name, entity.legal_name_local as exporter_name_local, "
            "entity.entity_address as exporter_address, entity.signatory_name as exporter_signatory"
        )
        joins += "left join marts.dim_legal_entities as entity on d.exporter_entity_id = entity.entity_id"
    else:
        exporter_cols = (
            "null as exporter_name, null as exporter_name_local, null as exporter_address, null as exporter_signatory"
        )
    filter_sql, params = "", []
    if shipment:
        filter_sql = "and (o.shipment_line_id = ? or d.declaration_id = ?)"
        params = [shipment, shipment]
    return rows(
        con,
        f"""
        select o.obligation_id, o.shipment_line_id, o.legal_basis, o.recipient, o.value_share_pct_to_declare,
            o.due_date, o.status, o.status_as_of,
            d.declaration_id, d.line_no, d.export_date, d.exporter_entity_id, d.exporter_country,
            d.destination_country, d.item_id, d.quantity, d.control_codes, d.control_basis, d.is_part1_item,
            d.part2_category, items.item_description, {recipient_cols}, {exporter_cols}
        from marts.fct_declaration_obligations as o
        inner join marts.fct_shipment_determinations as d on o.shipment_line_id = d.shipment_line_id
        left join marts.dim_items as items on d.item_id = items.item_id
        {joins}
        where o.obligation_type = 'compliance_notice' and o.status in ('open', 'overdue') {filter_sql}
        order by d.export_date, o.shipment_line_id""",
        params,
    )


def notice_context(notice: dict, release: dict, fonts: list[str]) -> dict:
    domestic = notice["exporter_country"] == "CN"
    share = notice["value_share_pct_to_declare"]
    quantity = notice["quantity"]
    quantity_text = fmt_pct(quantity, 3) if quantity is not None else "–"
    return {
        "n": notice,
        "share_text": fmt_pct(share, 4) if share is not None else None,
        "quantity_text": quantity_text,
        "is_domestic": domestic,
        "operator_zh": "中国境内出口经营者" if domestic else "境外特定出口经营者",
        "operator_en": "Chinese domestic export operator" if domestic else "designated foreign export operator",
        "date_zh": date_zh(notice["export_date"]),
        "date_en": date_en(notice["export_date"]),
        "name_missing_zh": NAME_MISSING_ZH,
        "name_missing_en": NAME_MISSING_EN,
        "translation_note_zh": TRANSLATION_NOTE_ZH,
        "translation_note_en": TRANSLATION_NOTE_EN,
        "official_text_ref": OFFICIAL_TEXT_REF,
        "release": release,
        "cjk_fonts": [f for f in CJK_FONTS if f in fonts] or list(CJK_FONTS),
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def generate(shipment: str | None = None, out_dir: Path | None = None, pdf: bool = True) -> list[dict]:
    """Write the declarations; returns one entry per notice (paths, obligation, recipient)."""
    out_dir = out_dir or notices_dir()
    con, _ = open_serving()
    try:
        notices = open_notices(con, shipment)
        release = rows(con, "select * from publish.release")[0] if has_table(con, "publish", "release") else {}
    finally:
        con.close()
    fonts = cjk_fonts_installed()
    if pdf and not fonts:
        raise RuntimeError(
            "no font covering Chinese is installed, so the PDF would not show the Chinese text: "
            "run `make system-deps` (Debian package fonts-noto-cjk)"
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    template = jinja_env().get_template("notice.html.j2")
    contexts = [notice_context(notice, release, fonts) for notice in notices]
    # the HTML names installed families only (a browser uses the reader's own fonts)
    htmls = [template.render(**context, font_faces=[]) for context in contexts]
    written = []
    with tempfile.TemporaryDirectory(prefix="ree-notice-fonts-") as font_dir:
        faces = subset_cjk_fonts("".join(set("".join(htmls))), Path(font_dir), fonts) if pdf and notices else []
        for notice, context, html in zip(notices, contexts, htmls, strict=True):
            written.append(_write_one(notice, context, html, template, faces, out_dir, pdf))
    if not shipment:
        index = {"release_id": release.get("release_id"), "notices": written}
        (out_dir / "index.json").write_text(json.dumps(index, indent=2, default=str) + "\n")
    return written


def _write_one(notice: dict, context: dict, html: str, template, faces: list[dict], out_dir: Path, pdf: bool) -> dict:
    stem = f"DoC-{safe_name(notice['shipment_line_id'])}"
    html_path, pdf_path = out_dir / f"{stem}.html", out_dir / f"{stem}.pdf"
    tmp = html_path.with_suffix(".html.tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(html_path)
    if pdf:
        tmp = pdf_path.with_suffix(".pdf.tmp")
        write_pdf(template.render(**context, font_faces=faces) if faces else html, tmp, out_dir)
        tmp.replace(pdf_path)
    return {
        "obligation_id": notice["obligation_id"],
        "shipment_line_id": notice["shipment_line_id"],
        "recipient": notice["recipient"],
        "status": notice["status"],
        "value_share_pct_to_declare": notice["value_share_pct_to_declare"],
        "html": html_path.name,
        "pdf": pdf_path.name if pdf else None,
    }


def main(shipment: str | None = None) -> int:
    from ree.publish import PublishError

    try:
        written = generate(shipment)
    except (PublishError, RuntimeError, duckdb.Error) as exc:
        print(f"notices failed: {exc}", file=sys.stderr)
        return 1
    if shipment and not written:
        print(f"no open or overdue compliance notice for {shipment}", file=sys.stderr)
        return 1
    print(f"wrote {len(written)} Declaration(s) of Compliance to {notices_dir()}")
    return 0
