"""The LIFT Executive's report as HTML and PDF (A4 portrait, read on paper), with its charts.

Three charts, drawn on matplotlib's Agg canvas as PNGs: the whole wait's distribution by need type,
waits by half-term, and progress from entry to exit by need type. The HTML embeds them as data: URIs
(one self-contained file); the PDF draws them with ReportLab's Image. Dates read dd/mm/yyyy, days are
school days, and no case is ever named: counts only. Every value is escaped (HTML, and ReportLab's
paragraph mark-up).
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from datetime import date
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO
from xml.sax.saxutils import escape as xml_escape

from allocator.model.executive import DistrictFigures, ExecutiveReport, Spread

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

NONE = "none"
"""What a figure over no cases reads."""
HEADINGS: tuple[str, ...] = (
    "Requests received",
    "Days to meeting",
    "Agreements and weeks to start",
    "The whole wait",
    "Cases running and finished",
    "Reviews due and overdue",
    "Progress from entry to exit",
)
"""The report's sections, in order (each district's, and the county's summary)."""
CHART_TITLES: tuple[str, ...] = (
    "Whole wait by need type",
    "Waits by half-term",
    "Progress from entry to exit by need type",
)
COUNTS_ONLY = "Counts only: no case or child is named in this report."

Rows = list[tuple[str, str]]
Table = tuple[list[str], list[list[str]]]
"""A header row and the body rows."""


def _day(value: date) -> str:
    return value.strftime("%d/%m/%Y")


def _num(value: float | None) -> str:
    if value is None:
        return NONE
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def _spread(s: Spread, unit: str) -> str:
    if s.count == 0:
        return f"{NONE} (no cases)"
    return f"median {_num(s.median)} {unit}, 90th percentile {_num(s.p90)} ({s.count} in all)"


def title(report: ExecutiveReport) -> str:
    """The report's title."""
    where = (
        f"{report.county_name} county"
        if report.county
        else f"{report.summary.district}, {report.county_name}"
    )
    return f"LIFT Executive report: {where}, {report.period.label}"


def period_text(report: ExecutiveReport) -> str:
    """The period in plain words."""
    p = report.period
    term = f"{_day(p.first_day)} to {_day(p.last_day)}"
    if p.half_term is None:
        return f"The whole academic year {report.academic_year} ({term})."
    start = "anything before it" if p.start is None else None
    end = "anything after it" if p.end is None else f"the holiday to {_day(p.end)}"
    extra = ", ".join(x for x in (start, end) if x)
    return f"Half-term {p.half_term} of {report.academic_year}: {term} (counting {extra})."


def intro(report: ExecutiveReport) -> Rows:
    """What the report covers and what its figures rest on."""
    meetings = (
        "the agenda planned on the rota"
        if report.meetings_basis == "agenda"
        else "the decision dates recorded with the requests"
    )
    return [
        ("Period", period_text(report)),
        ("Figures as of", _day(report.as_of)),
        ("Start dates from", report.plan_source),
        ("Meeting dates from", meetings),
        ("Days", "school days (term days less bank holidays and closures); weeks: school weeks"),
    ]


def sections(f: DistrictFigures) -> list[tuple[str, Rows, Table | None]]:
    """Each section of one district's (or the county's) figures: heading, facts, an optional table."""
    r, m, a, c, v = f.requests, f.meetings, f.agreements, f.cases, f.reviews
    waits: list[list[str]] = [
        [w.group, str(w.waits.count), _num(w.waits.median), _num(w.waits.p90), _num(w.waits.mean)]
        for w in (f.whole_wait, *f.by_urgency, *f.by_need_type)
    ]
    waits[0][0] = "all cases started"
    progress = [
        [
            p.need_type.value,
            p.measure,
            str(p.cases),
            _num(round(p.mean_entry, 1)),
            _num(round(p.mean_exit, 1)),
            _num(round(p.mean_change, 1)),
        ]
        for p in f.progress
    ]
    return [
        (
            HEADINGS[0],
            [
                ("Requests received", str(r.received)),
                ("of them urgent", str(r.urgent)),
                ("for looked-after children", str(r.looked_after)),
                ("hearing or vision (county coordinators)", str(r.county_route)),
                ("without consent", str(r.no_consent)),
            ],
            (["outcome", "requests"], [[o.label, str(o.count)] for o in r.outcomes]),
        ),
        (
            HEADINGS[1],
            [
                ("Requests that had their meeting in the period", str(m.days_to_meeting.count)),
                ("School days from request to meeting", _spread(m.days_to_meeting, "days")),
                ("Urgent requests", _spread(m.urgent_days, "days")),
                ("Waiting for a meeting at the period's end", str(m.awaiting)),
            ],
            None,
        ),
        (
            HEADINGS[2],
            [
                ("Agreements made", str(a.made)),
                ("of them traced to their request", str(a.from_request)),
                ("Support started", str(a.started)),
                ("School weeks from agreement to start", _spread(a.weeks_to_start, "weeks")),
            ],
            None,
        ),
        (
            HEADINGS[3],
            [
                (
                    "School days from request to start of support",
                    _spread(f.whole_wait.waits, "days"),
                )
            ],
            (["cases", "started", "median", "90th percentile", "mean"], waits),
        ),
        (
            HEADINGS[4],
            [
                ("Support started", str(c.started)),
                ("Support running in the period", str(c.running)),
                ("Support finished", str(c.finished)),
                ("Stopped: consent withdrawn", str(c.withdrawn)),
                ("Agreed and not started by the period's end", str(c.waiting)),
            ],
            None,
        ),
        (
            HEADINGS[5],
            [
                ("Reviews falling in the period", str(v.due)),
                ("done (a measure recorded on or after the date)", str(v.done)),
                ("overdue", str(v.overdue)),
                ("still to come", str(v.to_come)),
            ],
            None,
        ),
        (
            HEADINGS[6],
            [("Measures with an entry and an exit value", str(sum(p.cases for p in f.progress)))],
            (
                ["need type", "measure", "cases", "mean entry", "mean exit", "mean change"],
                progress,
            )
            if progress
            else None,
        ),
    ]


def county_table(report: ExecutiveReport) -> Table:
    """The county version's one row per district."""
    rows = [
        [
            d.name,
            str(d.requests.received),
            _num(d.meetings.days_to_meeting.median),
            str(d.agreements.made),
            _num(d.agreements.weeks_to_start.median),
            _num(d.whole_wait.waits.median),
            str(d.cases.running),
            str(d.reviews.overdue),
        ]
        for d in (*report.districts, report.summary)
    ]
    header = [
        "district",
        "requests",
        "median days to meeting",
        "agreed",
        "median weeks to start",
        "median whole wait",
        "running",
        "reviews overdue",
    ]
    return header, rows


# Charts ------------------------------------------------------------------------------------------


def _figure() -> tuple[Figure, Axes]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7.0, 3.2), dpi=110, layout="constrained")
    FigureCanvasAgg(figure)
    return figure, figure.add_subplot()


def _empty(axes: Axes, text: str) -> None:
    axes.text(0.5, 0.5, text, ha="center", va="center", transform=axes.transAxes)
    axes.set_axis_off()


def wait_chart(f: DistrictFigures) -> Figure:
    """Box plot of the whole wait (school days) of each need type's cases started in the period."""
    figure, axes = _figure()
    groups = [g for g in f.wait_values if g.values]
    if not groups:
        _empty(axes, "No support started in the period")
    else:
        axes.boxplot(
            [list(g.values) for g in groups],
            tick_labels=[f"{g.need_type.value}\n({len(g.values)})" for g in groups],
            showmeans=True,
        )
        axes.set_ylabel("school days, request to start")
        axes.grid(axis="y", alpha=0.3)
    axes.set_title(f"{CHART_TITLES[0]}: {f.name}")
    return figure


def half_term_chart(f: DistrictFigures, chosen: int | None) -> Figure:
    """Median school days to meeting and median whole wait in each half-term (the report's marked)."""
    figure, axes = _figure()
    terms = [h.half_term for h in f.half_terms]
    width = 0.38
    meet = [h.median_to_meeting or 0 for h in f.half_terms]
    whole = [h.median_whole_wait or 0 for h in f.half_terms]
    axes.bar(
        [t - width / 2 for t in terms], meet, width, label="median days to meeting", color="#4c72b0"
    )
    axes.bar(
        [t + width / 2 for t in terms], whole, width, label="median whole wait", color="#dd8452"
    )
    labels = [
        f"HT{h.half_term}{' *' if h.half_term == chosen else ''}\n{h.started} started"
        for h in f.half_terms
    ]
    axes.set_xticks(terms, labels)
    axes.set_ylabel("school days")
    axes.legend(loc="upper left", fontsize="small")
    axes.grid(axis="y", alpha=0.3)
    axes.set_title(f"{CHART_TITLES[1]}: {f.name}" + (" (* this report)" if chosen else ""))
    return figure


def progress_chart(f: DistrictFigures) -> Figure:
    """Mean entry and exit value of each need type's measures (cases finished in the period)."""
    figure, axes = _figure()
    if not f.progress:
        _empty(axes, "No entry and exit measures recorded for the period")
    else:
        names = [
            f"{p.need_type.value}: {p.measure}\n({p.cases} case{'' if p.cases == 1 else 's'})"
            for p in f.progress
        ]
        places = list(range(len(names)))
        height = 0.38
        axes.barh(
            [y - height / 2 for y in places],
            [p.mean_entry for p in f.progress],
            height,
            label="mean at entry",
            color="#9ecae1",
        )
        axes.barh(
            [y + height / 2 for y in places],
            [p.mean_exit for p in f.progress],
            height,
            label="mean at exit",
            color="#3182bd",
        )
        axes.set_yticks(places, names)
        axes.invert_yaxis()
        axes.legend(loc="best", fontsize="small")
        axes.grid(axis="x", alpha=0.3)
    axes.set_title(f"{CHART_TITLES[2]}: {f.name}")
    return figure


def chart_pngs(report: ExecutiveReport) -> list[tuple[str, bytes]]:
    """The three charts of the report's summary (the district, or the county): title and PNG bytes."""
    f = report.summary
    figures = (wait_chart(f), half_term_chart(f, report.period.half_term), progress_chart(f))
    out = []
    for name, figure in zip(CHART_TITLES, figures, strict=True):
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=110)
        out.append((name, buffer.getvalue()))
    return out


# HTML --------------------------------------------------------------------------------------------

_STYLE = (
    "body{font-family:sans-serif;margin:2em auto;max-width:46em;line-height:1.35}"
    "table{border-collapse:collapse;margin:.4em 0 1em}"
    "th,td{border-bottom:1px solid #bbb;padding:.15em .6em;text-align:left}"
    "td.n,th.n{text-align:right}"
    "h2{font-size:1.15em;margin-top:1.4em;border-bottom:2px solid #333}"
    "h3{font-size:1em;margin-top:1em}"
    "img{max-width:100%}"
    "section.district{break-before:page}"
    "@media print{body{margin:0;max-width:none}@page{size:A4 portrait;margin:1.8cm}}"
)


def _html_rows(rows: Rows) -> str:
    body = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in rows)
    return f"<table>{body}</table>"


def _html_table(table: Table) -> str:
    header, rows = table
    head = "".join(
        f"<th{'' if i == 0 else ' class=n'}>{escape(h)}</th>" for i, h in enumerate(header)
    )
    body = "".join(
        "<tr>"
        + "".join(f"<td{'' if i == 0 else ' class=n'}>{escape(c)}</td>" for i, c in enumerate(row))
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _html_sections(f: DistrictFigures, level: int) -> str:
    parts = []
    for heading, rows, table in sections(f):
        parts.append(f"<h{level}>{escape(heading)}</h{level}>{_html_rows(rows)}")
        if table is not None:
            parts.append(_html_table(table))
    return "\n".join(parts)


def executive_html(report: ExecutiveReport, charts: Sequence[tuple[str, bytes]] = ()) -> str:
    """The report as one printable HTML page, charts embedded as data: URIs; every value escaped."""
    name = escape(title(report))
    images = "\n".join(
        f'<figure><img alt="{escape(t)}" src="data:image/png;base64,'
        f'{base64.b64encode(png).decode("ascii")}"></figure>'
        for t, png in charts
    )
    body = [
        f"<h1>{name}</h1>",
        _html_rows(intro(report)),
    ]
    if report.county:
        body += ["<h2>Districts at a glance</h2>", _html_table(county_table(report))]
    body += [
        f"<section><h2>{escape('Summary: ' + report.summary.name)}</h2>",
        _html_sections(report.summary, 3),
        f"<h3>Charts</h3>{images}</section>",
    ]
    for d in report.districts:
        body.append(
            f'<section class="district"><h2>{escape(d.name)}</h2>{_html_sections(d, 3)}</section>'
        )
    content = "\n".join(body)
    return f"""<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<title>{name}</title>
<style>{_STYLE}</style>
</head>
<body>
{content}
<footer><p>{escape(COUNTS_ONLY)}</p></footer>
</body>
</html>
"""


# PDF ---------------------------------------------------------------------------------------------


def _p(text: str) -> str:
    return xml_escape(text)


def executive_pdf(
    report: ExecutiveReport, target: Path | BinaryIO, charts: Sequence[tuple[str, bytes]] = ()
) -> None:
    """The report as an A4 portrait PDF to a path or binary file (ReportLab's standard fonts, the
    charts as images)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.pdfgen.canvas import Canvas
    from reportlab.platypus import (
        Image,
        KeepTogether,
        PageBreak,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        TableStyle,
    )
    from reportlab.platypus import Table as PdfTable

    styles = getSampleStyleSheet()
    body, small = styles["BodyText"], styles["BodyText"].clone("small", fontSize=8, leading=10)
    h2, h3 = styles["Heading2"], styles["Heading3"]
    width = A4[0] - 3.6 * cm

    def rows_table(rows: Rows) -> PdfTable:
        data = [[Paragraph(f"<b>{_p(k)}</b>", body), Paragraph(_p(v), body)] for k, v in rows]
        table = PdfTable(data, colWidths=[0.45 * width, 0.55 * width])
        table.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.grey),
                ]
            )
        )
        return table

    def grid(table: Table) -> PdfTable:
        header, rows = table
        data = [[Paragraph(f"<b>{_p(h)}</b>", small) for h in header]] + [
            [Paragraph(_p(c), small) for c in row] for row in rows
        ]
        first = 0.3 if len(header) <= 5 else 0.2
        rest = (1 - first) / (len(header) - 1)
        out = PdfTable(
            data, colWidths=[first * width] + [rest * width] * (len(header) - 1), repeatRows=1
        )
        out.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                ]
            )
        )
        return out

    def figures(f: DistrictFigures) -> list[object]:
        story: list[object] = []
        for heading, rows, table in sections(f):
            block: list[object] = [Paragraph(_p(heading), h3), rows_table(rows)]
            if table is not None:
                block += [Spacer(1, 0.2 * cm), grid(table)]
            story.append(KeepTogether(block))
        return story

    story: list[object] = [Paragraph(_p(title(report)), styles["Title"]), rows_table(intro(report))]
    if report.county:
        story += [Paragraph("Districts at a glance", h2), grid(county_table(report))]
    story += [Paragraph(_p(f"Summary: {report.summary.name}"), h2), *figures(report.summary)]
    if charts:
        story.append(PageBreak())
        story.append(Paragraph("Charts", h2))
        for _, png in charts:
            image = Image(io.BytesIO(png), width=0.95 * width, height=0.95 * width * 3.2 / 7.0)
            image.hAlign = "CENTER"
            story += [image, Spacer(1, 0.25 * cm)]
    for d in report.districts:
        story += [PageBreak(), Paragraph(_p(d.name), h2), *figures(d)]

    stamp = f"{title(report)}. {COUNTS_ONLY}"

    def footer(canvas: Canvas, template: SimpleDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 7.5)
        canvas.drawString(1.8 * cm, 1.1 * cm, stamp[:140])
        canvas.drawRightString(A4[0] - 1.8 * cm, 1.1 * cm, f"Page {template.page}")
        canvas.restoreState()

    if isinstance(target, Path):
        target.parent.mkdir(parents=True, exist_ok=True)
    template = SimpleDocTemplate(
        str(target) if isinstance(target, Path) else target,
        pagesize=A4,
        leftMargin=1.8 * cm,
        rightMargin=1.8 * cm,
        topMargin=1.8 * cm,
        bottomMargin=1.8 * cm,
        title=title(report),
        author="LIFT",
        subject="The LIFT Executive's report",
    )
    template.build(story, onFirstPage=footer, onLaterPages=footer)


def executive_pdf_bytes(report: ExecutiveReport) -> bytes:
    """The PDF with its charts, as bytes (for the service)."""
    buffer = io.BytesIO()
    executive_pdf(report, buffer, chart_pngs(report))
    return buffer.getvalue()


def executive_html_text(report: ExecutiveReport) -> str:
    """The HTML with its charts embedded (for the service)."""
    return executive_html(report, chart_pngs(report))


def write_executive(report: ExecutiveReport, folder: Path) -> list[Path]:
    """`<stem>.html` and `<stem>.pdf` in `folder` (stem: executive-<district|county>-ht<N>), and
    the charts as `<stem>-<n>.png` beside them."""
    folder.mkdir(parents=True, exist_ok=True)
    charts = chart_pngs(report)
    html = folder / f"{report.stem}.html"
    html.write_text(executive_html(report, charts), encoding="utf-8")
    pngs = []
    for number, (_, png) in enumerate(charts, start=1):
        png_path = folder / f"{report.stem}-chart{number}.png"
        png_path.write_bytes(png)
        pngs.append(png_path)
    pdf = folder / f"{report.stem}.pdf"
    executive_pdf(report, pdf, charts)
    return [html, pdf, *pngs]
