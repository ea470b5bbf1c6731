"""The Executive's report as HTML and PDF: escaped, read back with pypdf, charts embedded, counts only."""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader

from allocator.io.executive_report import (
    CHART_TITLES,
    COUNTS_ONLY,
    HEADINGS,
    chart_pngs,
    executive_html,
    executive_pdf_bytes,
    write_executive,
)
from allocator.model.executive import ExecutiveReport
from allocator.pipeline.executive import executive_report
from tests.pipeline.test_executive import TODAY, report_scenario

PNG = b"\x89PNG\r\n\x1a\n"
CASES = ("T-0001", "T-0002", "T-0003", "R1", "R2", "R3", "R4")


@pytest.fixture(scope="module")
def district() -> ExecutiveReport:
    return executive_report(report_scenario(), district="Northdown", half_term=2, today=TODAY)


@pytest.fixture(scope="module")
def county() -> ExecutiveReport:
    return executive_report(report_scenario(), district=None, half_term=None, today=TODAY)


def _text(pdf: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(pdf))
    return reader, "\n".join(page.extract_text() for page in reader.pages)


def test_the_pdf_reads_back_with_headings_figures_and_charts(district: ExecutiveReport) -> None:
    reader, text = _text(executive_pdf_bytes(district))
    assert "LIFT Executive report: Northdown, Tiny, half-term 2" in text
    for heading in HEADINGS:
        assert heading in text
    assert "27/10/2025 to 19/12/2025" in text and "Figures as of" in text and "01/12/2025" in text
    # R3's five school days to its meeting; T-0001's exit measure: 40 -> 55.5.
    assert "median 5 days, 90th percentile 5 (1 in all)" in text
    assert "Link" in text and "55.5" in text and "15.5" in text
    assert COUNTS_ONLY in text and "Page 1" in text
    assert not any(case in text for case in CASES)
    images = [image for page in reader.pages for image in page.images]
    assert len(images) == len(CHART_TITLES)
    assert reader.metadata is not None
    assert str(reader.metadata.title).startswith("LIFT Executive")
    assert all(page.mediabox.height > page.mediabox.width for page in reader.pages)  # A4 portrait


def test_the_county_pdf_has_a_section_per_district(county: ExecutiveReport) -> None:
    reader, text = _text(executive_pdf_bytes(county))
    assert "LIFT Executive report: Tiny county, the whole year" in text
    assert "Districts at a glance" in text and "Summary: the county" in text
    assert text.count(HEADINGS[5]) == 3  # the county's summary and each district's
    assert "Northdown" in text and "Southfield" in text
    # Summary, charts, then a page (or more) per district.
    assert len(reader.pages) >= 4


def test_the_html_escapes_every_value_and_embeds_the_charts(district: ExecutiveReport) -> None:
    hostile = district.model_copy(update={"county_name": "<script>alert(1)</script> & </para>"})
    html = executive_html(hostile, chart_pngs(hostile))
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;/para&gt;" in html
    assert html.count('src="data:image/png;base64,') == len(CHART_TITLES)
    words = re.sub(r'src="data:image/png;base64,[^"]*"', "", html)
    assert not any(case in words for case in CASES)
    _, text = _text(executive_pdf_bytes(hostile))
    assert "<script>alert(1)</script> & </para>" in text


def test_the_charts_are_pngs_even_with_nothing_to_show(district: ExecutiveReport) -> None:
    empty = executive_report(report_scenario(), district="Southfield", half_term=5, today=TODAY)
    for report in (district, empty):
        charts = chart_pngs(report)
        assert [name for name, _ in charts] == list(CHART_TITLES)
        assert all(png.startswith(PNG) for _, png in charts)


def test_write_executive_names_its_files(district: ExecutiveReport, tmp_path: Path) -> None:
    paths = write_executive(district, tmp_path)
    assert [p.name for p in paths] == [
        "executive-northdown-ht2.html",
        "executive-northdown-ht2.pdf",
        "executive-northdown-ht2-chart1.png",
        "executive-northdown-ht2-chart2.png",
        "executive-northdown-ht2-chart3.png",
    ]
    assert paths[1].read_bytes().startswith(b"%PDF")
    assert date(2025, 12, 1).strftime("%d/%m/%Y") in paths[0].read_text(encoding="utf-8")
