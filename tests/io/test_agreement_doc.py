"""The written agreement as HTML and PDF (read back with pypdf), and the review files."""

from __future__ import annotations

import csv
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

from pypdf import PdfReader

from allocator.io.agreement_doc import (
    HEADINGS,
    NOT_RECORDED,
    PROGRESS_COLUMNS,
    REVIEWS_DUE_COLUMNS,
    agreement_html,
    write_agreement,
    write_progress,
    write_reviews_due,
)
from allocator.model import AgreementDetails
from allocator.model.reviews import NeedProgress, ReviewDue
from allocator.pipeline.reviews import agreement_document
from tests.pipeline.cases import tiny_with_reviews

HOSTILE = '<script>alert("x")</script> & <img src=x onerror=alert(1)> </para><b>=1+1'


def pdf_text(path: Path) -> str:
    """The PDF's text with whitespace made single spaces (lines wrap where the page ends)."""
    reader = PdfReader(path)
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_a_complete_agreement_has_the_six_items_and_no_gaps(tmp_path: Path) -> None:
    doc = agreement_document(tiny_with_reviews(), "T-0001")
    html, pdf = write_agreement(doc, tmp_path)
    assert (html.name, pdf.name) == ("agreement-T-0001.html", "agreement-T-0001.pdf")
    text = pdf_text(pdf)
    for heading in HEADINGS:
        assert heading in text
    assert "T-0001" in text and "North Primary" in text and "C&I" in text
    assert "Start date 01/10/2025 (running)" in text
    assert "Specialist teacher, Northdown team" in text
    assert "10 school weeks at 60 minutes a week, from 01/10/2025 to 12/12/2025" in text
    assert "Weekly language sessions in class and one to one" in text
    # Only the review date (no date was agreed: the default schedule is shown) is not recorded.
    assert text.count(NOT_RECORDED) == 1 and "19/11/2025, 12/12/2025" in text
    assert len(PdfReader(pdf).pages) == 1
    assert PdfReader(pdf).metadata.title == "LIFT written agreement: case T-0001"


def test_missing_details_say_not_recorded(tmp_path: Path) -> None:
    doc = agreement_document(tiny_with_reviews(), "T-0002")
    html, pdf = write_agreement(doc, tmp_path)
    text = pdf_text(pdf)
    for heading in HEADINGS:
        assert heading in text
    assert "T-0002" in text and "not planned yet" in text
    # Support, criteria, entrance, exit, outcomes, measures, evidence and the review date.
    assert text.count(NOT_RECORDED) == 8
    assert html.read_text(encoding="utf-8").count(NOT_RECORDED) == 8


def test_an_agreed_review_date_is_shown(tmp_path: Path) -> None:
    details = AgreementDetails(case_id="T-0001", review_date=date(2025, 11, 5))
    doc = agreement_document(tiny_with_reviews(details=(details,)), "T-0001")
    text = pdf_text(write_agreement(doc, tmp_path)[1])
    assert "6. Quality-assurance review date 05/11/2025" in text


def test_hostile_text_is_escaped_in_the_html() -> None:
    details = AgreementDetails(case_id="T-0001", support=HOSTILE, evidence=HOSTILE)
    doc = agreement_document(tiny_with_reviews(details=(details,)), "T-0001")
    page = agreement_html(doc)
    assert "<script" not in page and "<img" not in page and "</para>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;img" in page
    parser = _Collect()
    parser.feed(page)
    assert "script" not in parser.tags and "img" not in parser.tags
    assert sum(HOSTILE in t for t in parser.text) == 2  # shown as text, whole


def test_hostile_text_is_shown_literally_in_the_pdf(tmp_path: Path) -> None:
    details = AgreementDetails(case_id="T-0001", support=HOSTILE, criteria="x" * 2000)
    doc = agreement_document(tiny_with_reviews(details=(details,)), "T-0001")
    pdf = write_agreement(doc, tmp_path)[1]
    text = pdf_text(pdf)
    assert '<script>alert("x")</script> & <img src=x onerror=alert(1)> </para><b>=1+1' in text
    assert len(PdfReader(pdf).pages) >= 1


def test_the_case_reference_only_never_a_name(tmp_path: Path) -> None:
    """People's names (the specialist's included) never reach the document: role and team only."""
    scenario = tiny_with_reviews()
    doc = agreement_document(scenario, "T-0001")
    html, pdf = write_agreement(doc, tmp_path)
    for text in (html.read_text(encoding="utf-8"), pdf_text(pdf)):
        assert not any(p.name in text for p in scenario.people)


def test_review_files(tmp_path: Path) -> None:
    due = [
        ReviewDue(
            case_id="-T1", district="=D", due_on=date(2025, 11, 19), status="due", basis="plan"
        ),
    ]
    progress = [
        NeedProgress(
            need_type="C&I", measure="m", cases=2, mean_entry=1, mean_exit=2.5, mean_change=1.5
        )
    ]
    a = write_reviews_due(due, tmp_path / "reviews_due.csv")
    b = write_progress(progress, tmp_path / "progress.csv")
    rows_a = list(csv.reader(a.open(encoding="utf-8")))
    rows_b = list(csv.reader(b.open(encoding="utf-8")))
    assert rows_a == [list(REVIEWS_DUE_COLUMNS), ["'-T1", "'=D", "2025-11-19", "due", "plan"]]
    assert rows_b == [list(PROGRESS_COLUMNS), ["C&I", "m", "2", "1.0", "2.5", "1.5"]]
