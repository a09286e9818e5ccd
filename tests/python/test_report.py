"""`ree report`: the periodic exposure report, from the published serving copy, as HTML and PDF."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import Warehouse
from ree import publish as pub
from ree import report

MARKUP = "<script>alert('x')</script> & <b>Co</b>"


@pytest.fixture(scope="module")
def published(sample_warehouse):
    with sample_warehouse:
        pub.publish()
    return sample_warehouse


def dark_fraction(image, box=None) -> float:
    histogram = (image.crop(box) if box else image).convert("L").histogram()
    return sum(histogram[:128]) / sum(histogram)


def render_pages(pdf_path: Path, scale: float = 1.0):
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(pdf_path))
    return pdf, [pdf[i].render(scale=scale).to_pil() for i in range(len(pdf))]


def test_period_parsing():
    assert report.parse_period("2026-11").months == ["2026-11"]
    q = report.parse_period("2026-q1")
    assert (q.label, q.start.isoformat(), q.end.isoformat(), q.months) == (
        "2026-Q1",
        "2026-01-01",
        "2026-03-31",
        ["2026-01", "2026-02", "2026-03"],
    )
    assert q.previous().label == "2025-Q4"
    assert report.parse_period("2026-01").previous().label == "2025-12"
    with pytest.raises(ValueError):
        report.parse_period("2026-13")
    assert report.fmt_pct(0.125) == "0.125" and report.fmt_pct(100) == "100"


def test_report_figures_lists_and_pdf(published, tmp_path):
    with published:
        html_path, pdf_path = report.render("2026-11", compare_previous=True, out_dir=tmp_path)
    html = html_path.read_text()
    (missing,) = published.query("""select count(*) from marts.fct_shipment_determinations
        where compliance_status = 'licence_missing' and strftime(export_date, '%Y-%m') = '2026-11'""")[0]
    assert missing > 0
    assert f"Licence missing ({missing})" in html
    for (line_id,) in published.query("""select shipment_line_id from marts.fct_shipment_determinations
            where compliance_status in ('licence_missing', 'review') and strftime(export_date, '%Y-%m') = '2026-11'"""):
        assert line_id in html
    assert html.count("data:image/png;base64,") == 5  # month, latent, basis, destination, end use
    assert "Change against 2026-10" in html
    assert "no70-2025-11-07" in html  # the suspension rows in force
    assert "<code>as_of_date</code></td><td>2026-12-01" in html  # the vars dbt ran with
    assert "prc_working_days" in html and "Quarantined input rows" in html
    assert 'src="http' not in html and "<link" not in html  # self-contained
    pdf, pages = render_pages(pdf_path)
    assert len(pages) >= 3
    assert dark_fraction(pages[0]) > 0.01, "the first page renders blank"
    assert "Regulatory exposure report 2026-11" in pdf[0].get_textpage().get_text_range()


def escaped_copy(sample: Warehouse, root: Path) -> Warehouse:
    """A warehouse whose published release has markup in a party and an item name."""
    source = sample.root / "published" / "current"
    release = root / "published" / "releases" / "r1"
    shutil.copytree(source.resolve(), release)
    serving = release / "serving.duckdb"
    serving.chmod(0o644)
    con = duckdb.connect(str(serving))
    try:
        con.execute("update marts.dim_parties set party_name = ? where party_id = 'P-HOLLIS'", [MARKUP])
        con.execute("update marts.dim_items set item_description = ? where item_id = 'KSM-060'", [MARKUP])
    finally:
        con.close()
    os.symlink("releases/r1", root / "published" / "current")
    return Warehouse(root)


def test_text_from_the_data_stays_text(published, tmp_path):
    wh = escaped_copy(published, tmp_path / "wh")
    with wh:
        html_path, _ = report.render("2026-11", out_dir=tmp_path / "out")
    html = html_path.read_text()
    assert "<script>" not in html and "<b>Co</b>" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &lt;b&gt;Co&lt;/b&gt;" in html


def test_report_needs_a_published_release(tmp_path):
    with Warehouse(tmp_path / "empty"):
        assert report.main("2026-11") == 1
