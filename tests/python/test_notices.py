"""`ree notices`: Declarations of Compliance (MOFCOM 2025 No. 61 Appendix 2), Chinese and English."""

from __future__ import annotations

import ctypes

import pytest
from ree import notices
from ree import publish as pub
from test_report import MARKUP, dark_fraction, escaped_copy, render_pages


@pytest.fixture(scope="module")
def published(sample_warehouse):
    with sample_warehouse:
        pub.publish()
    return sample_warehouse


def test_one_declaration_per_open_or_overdue_notice(published, tmp_path):
    expected = {
        r[0]
        for r in published.query("""select shipment_line_id from marts.fct_declaration_obligations
        where obligation_type = 'compliance_notice' and status in ('open', 'overdue')""")
    }
    assert expected
    with published:
        written = notices.generate(out_dir=tmp_path, pdf=False)
    assert {w["shipment_line_id"] for w in written} == expected
    assert (tmp_path / "index.json").exists()


def test_declaration_follows_the_template(published, tmp_path):
    with published:
        (foreign,) = notices.generate("DE-261113-01-1", out_dir=tmp_path, pdf=False)
        (domestic,) = notices.generate("CN-251020-01-1", out_dir=tmp_path, pdf=False)
    html = (tmp_path / foreign["html"]).read_text()
    assert "合规告知书" in html and "Declaration of Compliance" in html
    assert "本中文文本为项目译文" in html and "project&#39;s translation" in html  # RULES.md §8
    assert "Hollis Surgical Robotics Inc." in html  # the recipient
    assert '价值的<span class="pct">0.1%</span>' in html and 'constitutes <span class="pct">0.1%</span>' in html
    for stipulation in ("一、", "二、", "三、", "1. When exporting", "2. If this item", "3. When transferring"):
        assert stipulation in html
    assert "境外特定出口经营者" in html and "E-DE01" in html and "2026年11月13日" in html and "13 November 2026" in html
    cn = (tmp_path / domestic["html"]).read_text()
    assert "中国境内出口经营者" in cn and '<span class="pct">100%</span>' in cn  # Part 1 item, domestic exporter


def font_names(textpage, start: int, count: int) -> set[str]:
    import pypdfium2.raw as raw

    names = set()
    for index in range(start, start + count):
        flags = ctypes.c_int()
        size = raw.FPDFText_GetFontInfo(textpage.raw, index, None, 0, ctypes.byref(flags))
        buffer = ctypes.create_string_buffer(size)
        raw.FPDFText_GetFontInfo(textpage.raw, index, buffer, size, ctypes.byref(flags))
        if buffer.value:
            names.add(buffer.value.decode())
    return names


def test_pdf_embeds_a_cjk_font_and_the_chinese_title_renders(published, tmp_path):
    assert notices.cjk_fonts_installed(), "no CJK font: `make system-deps` installs fonts-noto-cjk"
    with published:
        (written,) = notices.generate("DE-261113-01-1", out_dir=tmp_path)
    pdf, pages = render_pages(tmp_path / written["pdf"], scale=2.0)
    assert len(pages) == 2  # Chinese, then English
    textpage = pdf[0].get_textpage()
    start, count = textpage.search("合").get_next()
    title = textpage.get_text_range(start, 9).replace(" ", "")
    assert title.startswith("合规告知书")
    fonts = font_names(textpage, start, 9)
    assert any("CJK" in name or "WenQuanYi" in name or "Han" in name for name in fonts), fonts
    # dark pixels where the title is: the glyphs were drawn, not empty boxes or nothing
    boxes = [textpage.get_charbox(i) for i in range(start, start + count)]
    left, bottom = min(b[0] for b in boxes), min(b[1] for b in boxes)
    right, top = max(b[2] for b in boxes), max(b[3] for b in boxes)
    height = pdf[0].get_height()
    crop = (int(left * 2), int((height - top) * 2), int(right * 2), int((height - bottom) * 2))
    assert dark_fraction(pages[0], crop) > 0.08, crop
    assert dark_fraction(pages[1]) > 0.01


def test_markup_in_a_party_or_item_name_stays_text(published, tmp_path):
    wh = escaped_copy(published, tmp_path / "wh")
    with wh:
        (written,) = notices.generate("DE-261113-01-1", out_dir=tmp_path / "out", pdf=False)
    html = (tmp_path / "out" / written["html"]).read_text()
    assert "<script>" not in html and "<b>Co</b>" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &lt;b&gt;Co&lt;/b&gt;" in html
    assert MARKUP not in html


def test_unknown_shipment_is_an_error(published):
    with published:
        assert notices.main("NO-SUCH-LINE") == 1
