"""The lab report PDF generated from a report's result values, drawn with reportlab's platypus like the invoices
(``billing/pdf.py``).

Pure rendering: ``report_pdf`` takes what it shows, already read and formatted, and returns the PDF's bytes. The
verification QR code is drawn by reportlab itself (``reportlab.graphics.barcode.qr``), so a report costs no image
encoding. ``invariant`` leaves out the creation date and the random document id: the same report renders to the same
bytes.
"""

import io
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import Flowable

CRITICAL_COLOUR = colors.HexColor("#b00020")
FLAG_TEXT = {
    "normal": "",
    "low": "L",
    "high": "H",
    "critical_low": "LL critical",
    "critical_high": "HH critical",
    "no_range": "",
}
CRITICAL_FLAGS = frozenset({"critical_low", "critical_high"})


@dataclass(frozen=True)
class Row:
    """One analyte's line, its numbers already formatted to the analyte's decimals."""

    code: str
    name: str
    value: str
    unit: str
    range_text: str
    flag: str
    comment: str = ""
    method: str = ""


@dataclass(frozen=True)
class ReportDocument:
    lab_name: str
    lab_address: str
    lab_contact: str
    test: str
    report_label: str  # "Report v2 (amended: …)"
    facts: list[tuple[str, str]]  # pet, owner, sample code, collected, received, …
    rows: list[Row]
    findings: str
    verified_by: str
    verified_at: str
    verification_url: str
    verification_code: str


def decimal_text(value: Decimal | None, decimals: int) -> str:
    """``value`` rounded half-up to ``decimals`` places, as reported ("" when there is none)."""
    if value is None:
        return ""
    return f"{value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP):f}"


def range_text(low: Decimal | None, high: Decimal | None, decimals: int) -> str:
    """ "12.0 – 18.0", "≥ 5.0", "≤ 3.0", or "" without limits."""
    if low is not None and high is not None:
        return f"{decimal_text(low, decimals)} – {decimal_text(high, decimals)}"
    if low is not None:
        return f">= {decimal_text(low, decimals)}"
    if high is not None:
        return f"<= {decimal_text(high, decimals)}"
    return ""


_STYLES = getSampleStyleSheet()
_SMALL = ParagraphStyle("small", parent=_STYLES["BodyText"], fontSize=8, leading=10)
_CELL = ParagraphStyle("cell", parent=_STYLES["BodyText"], fontSize=9, leading=11)


def _text(value: str) -> str:
    """Text for a Paragraph: its markup characters escaped, line breaks kept."""
    escaped = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return escaped.replace("\n", "<br/>")


def _qr(url: str, size: float = 30 * mm) -> Drawing:
    widget = QrCodeWidget(url, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(widget)
    return drawing


def _header(doc: ReportDocument) -> Table:
    lab = [Paragraph(_text(doc.lab_name), _STYLES["Title"]), Paragraph(_text(doc.lab_address), _STYLES["Normal"])]
    if doc.lab_contact:
        lab.append(Paragraph(_text(doc.lab_contact), _STYLES["Normal"]))
    table = Table([[lab, _qr(doc.verification_url)]], colWidths=[140 * mm, 34 * mm])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("ALIGN", (1, 0), (1, 0), "RIGHT")]))
    return table


def _facts(rows: list[tuple[str, str]]) -> Table:
    # Two label/value pairs per line.
    cells = [[Paragraph(f"<b>{_text(k)}</b>", _CELL), Paragraph(_text(v), _CELL)] for k, v in rows]
    lines = [cells[i] + (cells[i + 1] if i + 1 < len(cells) else ["", ""]) for i in range(0, len(cells), 2)]
    table = Table(lines, colWidths=[26 * mm, 61 * mm, 26 * mm, 61 * mm], hAlign="LEFT")
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOTTOMPADDING", (0, 0), (-1, -1), 1)]))
    return table


def _results(rows: list[Row]) -> Table:
    data = [["Analyte", "Result", "Unit", "Reference range", "Flag"]]
    style = TableStyle(
        [
            ("FONT", (0, 0), (-1, -1), "Helvetica", 9),
            ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 9),
            ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.grey),
            ("ALIGN", (1, 0), (1, -1), "RIGHT"),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]
    )
    for row in rows:
        name = f"<b>{_text(row.code)}</b> {_text(row.name)}"
        notes = "; ".join(_text(n) for n in (row.comment, f"Method: {row.method}" if row.method else "") if n)
        if notes:
            name += f'<br/><font size="7">{notes}</font>'
        data.append([Paragraph(name, _CELL), row.value, row.unit, row.range_text, FLAG_TEXT.get(row.flag, "")])
        line = len(data) - 1
        if row.flag in CRITICAL_FLAGS:
            style.add("FONT", (1, line), (-1, line), "Helvetica-Bold", 9)
            style.add("TEXTCOLOR", (1, line), (-1, line), CRITICAL_COLOUR)
        elif row.flag in ("low", "high"):
            style.add("FONT", (1, line), (1, line), "Helvetica-Bold", 9)
    table = Table(data, colWidths=[70 * mm, 24 * mm, 22 * mm, 36 * mm, 22 * mm], repeatRows=1)
    table.setStyle(style)
    return table


def report_pdf(doc: ReportDocument) -> bytes:
    """The report: letterhead and verification QR code, who and which sample, one row per analyte (value, unit,
    range, flag; critical values bold and red), findings, who verified it and when, and how to check it."""
    parts: list[Flowable] = [
        _header(doc),
        Spacer(1, 3 * mm),
        Paragraph(_text(f"{doc.test} — {doc.report_label}"), _STYLES["Heading2"]),
        _facts(doc.facts),
        Spacer(1, 5 * mm),
        _results(doc.rows),
        Spacer(1, 3 * mm),
        Paragraph("L/H: below/above the reference range. LL/HH: critical, outside the critical limits.", _SMALL),
    ]
    if doc.findings:
        parts += [Spacer(1, 4 * mm), Paragraph("<b>Findings</b>", _CELL), Paragraph(_text(doc.findings), _CELL)]
    parts += [
        Spacer(1, 6 * mm),
        Paragraph(_text(f"Verified by {doc.verified_by} on {doc.verified_at}."), _CELL),
        Paragraph(
            _text(
                f"Check that this report is genuine: scan the QR code or open {doc.verification_url} "
                f"(code {doc.verification_code})."
            ),
            _SMALL,
        ),
    ]
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=f"{doc.test} report",
        invariant=True,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=14 * mm,
        bottomMargin=14 * mm,
    )
    document.build(parts)
    return buffer.getvalue()
