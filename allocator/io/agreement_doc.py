"""The written agreement as HTML and PDF for the school, and the review files (reviews_due.csv,
progress.csv).

The document holds the prospectus's six items (the support; criteria for specialist intervention;
entrance and exit strategies; duration; expected outcomes, progress measures and how they will be
evidenced; the quality-assurance review date), the start date, the specialist's role, the school, need
type, minutes a week and weeks. A missing item reads "not recorded". Case reference only: the child is
never named, nor the specialist (their role and team only). Every value is escaped (HTML, and
ReportLab's paragraph mark-up); the PDF is drawn by ReportLab alone, with no system library.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from datetime import date
from html import escape
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

from allocator.io.cells import csv_row
from allocator.model.details import AgreementDocument
from allocator.model.reviews import NeedProgress, ReviewDue

NOT_RECORDED = "not recorded"
NOT_PLANNED = "not planned yet"
HEADINGS: tuple[str, ...] = (
    "1. The support",
    "2. Criteria for specialist intervention",
    "3. Entrance and exit strategies",
    "4. Duration",
    "5. Expected outcomes, progress measures and how they will be evidenced",
    "6. Quality-assurance review date",
)
"""The six items of the prospectus, in its order."""
REVIEWS_DUE_COLUMNS = ("case_id", "district", "due_on", "status", "basis")
PROGRESS_COLUMNS = ("need_type", "measure", "cases", "mean_entry", "mean_exit", "mean_change")

Section = tuple[str, list[tuple[str | None, str]]]
"""A heading and its (label or None, text) lines."""


def _day(value: date) -> str:
    return value.strftime("%d/%m/%Y")


def _text(value: str | None) -> str:
    return NOT_RECORDED if value is None else value


def document_facts(doc: AgreementDocument) -> list[tuple[str, str]]:
    """The facts above the six items: label and value, in order."""
    start = NOT_PLANNED if doc.start is None else _day(doc.start)
    if doc.status is not None:
        start = f"{start} ({doc.status})"
    return [
        ("Case reference", doc.case_id),
        ("School", doc.school),
        ("District", doc.district),
        ("Need type", doc.need_type.value),
        ("Agreed at the LIFT meeting on", _day(doc.agreed_on)),
        ("Start date", start),
        ("Specialist's role", doc.specialist_role or NOT_PLANNED),
        ("Minutes a week", str(doc.minutes_per_week)),
        ("Weeks", str(doc.weeks)),
    ]


def _duration(doc: AgreementDocument) -> str:
    text = f"{doc.weeks} school weeks at {doc.minutes_per_week} minutes a week"
    if doc.start is None or doc.end is None:
        return f"{text}; start {NOT_PLANNED}"
    return f"{text}, from {_day(doc.start)} to {_day(doc.end)} in the plan"


def _review(doc: AgreementDocument) -> str:
    if doc.details.review_date is not None:
        return _day(doc.details.review_date)
    if not doc.review_dates:
        return NOT_RECORDED
    dates = ", ".join(_day(d) for d in doc.review_dates)
    basis = "the plan's" if doc.start is not None else "the earliest possible"
    return (
        f"{NOT_RECORDED}; by the default schedule (every {doc.every_weeks} school weeks from "
        f"{basis} start of support, and at its end): {dates}"
    )


def document_sections(doc: AgreementDocument) -> list[Section]:
    """The six items, each a heading and its lines."""
    d = doc.details
    return [
        (HEADINGS[0], [(None, _text(d.support))]),
        (HEADINGS[1], [(None, _text(d.criteria))]),
        (
            HEADINGS[2],
            [
                ("Entrance strategy", _text(d.entry_strategy)),
                ("Exit strategy", _text(d.exit_strategy)),
            ],
        ),
        (HEADINGS[3], [(None, _duration(doc))]),
        (
            HEADINGS[4],
            [
                ("Expected outcomes", _text(d.expected_outcomes)),
                ("Progress measures", _text(d.progress_measures)),
                ("Evidence", _text(d.evidence)),
            ],
        ),
        (HEADINGS[5], [(None, _review(doc))]),
    ]


def _title(doc: AgreementDocument) -> str:
    return f"LIFT written agreement: case {doc.case_id}"


_STYLE = (
    "body{font-family:sans-serif;margin:2em;max-width:44em;line-height:1.4}"
    "dl{display:grid;grid-template-columns:max-content 1fr;gap:.2em 1em}"
    "dt{font-weight:bold}dd{margin:0}"
    "h2{font-size:1.1em;margin-top:1.4em;border-bottom:1px solid #444}"
    ".missing{font-style:italic}"
    "@media print{body{margin:0}}"
)


def _html_line(label: str | None, text: str) -> str:
    mark = ' class="missing"' if text == NOT_RECORDED else ""
    head = f"<strong>{escape(label)}:</strong> " if label else ""
    return f"<p{mark}>{head}{escape(text)}</p>"


def agreement_html(doc: AgreementDocument) -> str:
    """The written agreement as one printable HTML page; every value escaped."""
    title = escape(_title(doc))
    facts = "\n".join(
        f"<dt>{escape(label)}</dt><dd>{escape(value)}</dd>" for label, value in document_facts(doc)
    )
    sections = "\n".join(
        f"<section>\n<h2>{escape(heading)}</h2>\n"
        + "\n".join(_html_line(label, text) for label, text in lines)
        + "\n</section>"
        for heading, lines in document_sections(doc)
    )
    return f"""<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>{_STYLE}</style>
</head>
<body>
<h1>{title}</h1>
<dl>
{facts}
</dl>
{sections}
<footer><p>Case reference only: this agreement never names the child.</p></footer>
</body>
</html>
"""


def _pdf_text(text: str) -> str:
    """Text for a ReportLab paragraph: its mark-up characters escaped."""
    return xml_escape(text)


def agreement_pdf(doc: AgreementDocument, path: Path) -> Path:
    """The written agreement as an A4 PDF (ReportLab's standard fonts, page numbers)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.pdfgen.canvas import Canvas
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    styles = getSampleStyleSheet()
    body, heading = styles["BodyText"], styles["Heading2"]
    heading.fontSize, heading.leading = 12, 15
    story: list[object] = [Paragraph(_pdf_text(_title(doc)), styles["Title"])]
    facts = [
        [Paragraph(f"<b>{_pdf_text(label)}</b>", body), Paragraph(_pdf_text(value), body)]
        for label, value in document_facts(doc)
    ]
    table = Table(facts, colWidths=[5.5 * cm, 11.5 * cm])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.grey),
            ]
        )
    )
    story += [table, Spacer(1, 0.4 * cm)]
    for title, lines in document_sections(doc):
        story.append(Paragraph(_pdf_text(title), heading))
        for label, text in lines:
            head = f"<b>{_pdf_text(label)}:</b> " if label else ""
            shown = f"<i>{_pdf_text(text)}</i>" if text == NOT_RECORDED else _pdf_text(text)
            story.append(Paragraph(head + shown, body))

    def footer(canvas: Canvas, template: SimpleDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 8)
        canvas.drawString(
            2 * cm,
            1.2 * cm,
            f"Case {doc.case_id}: case reference only, never the child's name. "
            f"Page {template.page}",
        )
        canvas.restoreState()

    path.parent.mkdir(parents=True, exist_ok=True)
    template = SimpleDocTemplate(
        str(path),
        pagesize=A4,
        leftMargin=2 * cm,
        rightMargin=2 * cm,
        topMargin=2 * cm,
        bottomMargin=2 * cm,
        title=_title(doc),
        author="LIFT",
        subject=f"Written agreement for case {doc.case_id}",
    )
    template.build(story, onFirstPage=footer, onLaterPages=footer)
    return path


def write_agreement(doc: AgreementDocument, folder: Path) -> list[Path]:
    """`agreement-<case>.html` and `agreement-<case>.pdf` in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    html = folder / f"agreement-{doc.case_id}.html"
    html.write_text(agreement_html(doc), encoding="utf-8")
    return [html, agreement_pdf(doc, folder / f"agreement-{doc.case_id}.pdf")]


def _write(path: Path, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        writer.writerows(csv_row(row) for row in rows)
    return path


def write_reviews_due(rows: Iterable[ReviewDue], path: Path) -> Path:
    """reviews_due.csv: `case_id, district, due_on, status` (due | overdue), `basis` (details | plan
    | estimated)."""
    return _write(
        path,
        REVIEWS_DUE_COLUMNS,
        ((r.case_id, r.district, r.due_on, r.status, r.basis) for r in rows),
    )


def write_progress(rows: Iterable[NeedProgress], path: Path) -> Path:
    """progress.csv: per need type and measure, cases with entry and exit, mean entry, exit and change."""
    return _write(
        path,
        PROGRESS_COLUMNS,
        (
            (
                r.need_type.value,
                r.measure,
                r.cases,
                round(r.mean_entry, 2),
                round(r.mean_exit, 2),
                round(r.mean_change, 2),
            )
            for r in rows
        ),
    )
