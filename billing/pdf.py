"""Invoice and receipt PDFs, drawn with reportlab's platypus (flowing paragraphs and tables on A4).

Pure rendering: each function takes what it shows, already read, and returns the PDF's bytes. Amounts are shown
with the currency code (the standard fonts have no rupee sign). ``invariant`` leaves out the creation date and the
random document id, so the same bill renders to the same bytes.
"""

import io
from dataclasses import dataclass
from decimal import Decimal

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import Flowable

from diagnopet.money import to_money


@dataclass(frozen=True)
class Letterhead:
    name: str
    address: str
    phone: str = ""
    email: str = ""
    gstin: str = ""
    hsn_sac_code: str = ""
    tax_rate: Decimal = Decimal("0")


@dataclass(frozen=True)
class Line:
    code: str
    name: str
    quantity: int
    unit_price: Decimal

    @property
    def amount(self) -> Decimal:
        return self.unit_price * self.quantity


_STYLES = getSampleStyleSheet()
_TABLE = TableStyle(
    [
        ("FONT", (0, 0), (-1, -1), "Helvetica", 9),
        ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 9),
        ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.grey),
        ("ALIGN", (-2, 0), (-1, -1), "RIGHT"),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
)
_TOTALS = TableStyle(
    [
        ("FONT", (0, 0), (-1, -1), "Helvetica", 10),
        ("ALIGN", (1, 0), (1, -1), "RIGHT"),
    ]
)


def _text(value: str) -> str:
    """Text for a Paragraph: its markup characters escaped, line breaks kept."""
    escaped = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return escaped.replace("\n", "<br/>")


def _letterhead(clinic: Letterhead) -> list[Flowable]:
    parts = [Paragraph(_text(clinic.name), _STYLES["Title"]), Paragraph(_text(clinic.address), _STYLES["Normal"])]
    contact = "   ".join(v for v in (clinic.phone, clinic.email) if v)
    if contact:
        parts.append(Paragraph(_text(contact), _STYLES["Normal"]))
    if clinic.gstin:
        parts.append(Paragraph(_text(f"GSTIN: {clinic.gstin}"), _STYLES["Normal"]))
    return [*parts, Spacer(1, 6 * mm)]


def _facts(rows: list[tuple[str, str]]) -> Table:
    table = Table([[label, value] for label, value in rows], colWidths=[40 * mm, 120 * mm], hAlign="LEFT")
    table.setStyle(
        TableStyle([("FONT", (0, 0), (-1, -1), "Helvetica", 10), ("FONT", (0, 0), (0, -1), "Helvetica-Bold", 10)])
    )
    return table


def _money(currency: str, value: Decimal) -> str:
    return f"{currency} {to_money(value):,.2f}"


def _render(title: str, flowables: list[Flowable]) -> bytes:
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=title,
        invariant=True,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
    )
    document.build(flowables)
    return buffer.getvalue()


def tax_included(total: Decimal, rate: Decimal) -> tuple[Decimal, Decimal]:
    """The taxable value and the tax within a total that includes tax at ``rate`` %, each rounded half-up to paise
    (the tax is what is left, so the two add up to the total)."""
    taxable = to_money(total * 100 / (100 + rate))
    return taxable, total - taxable


def invoice_pdf(
    *,
    clinic: Letterhead,
    currency: str,
    invoice_number: str,
    invoice_date: str,
    customer: str,
    booking_code: str,
    pet: str,
    lines: list[Line],
    base_amount: Decimal,
    distance_charge: Decimal,
    distance_km: Decimal | None,
    discount_amount: Decimal,
    final_amount: Decimal,
    amount_paid: Decimal,
    amount_refunded: Decimal,
    amount_due: Decimal,
    as_of: str,
) -> bytes:
    """A tax invoice: letterhead, who and what for, one line per test, then subtotal, home-collection charge,
    discount, total (and the tax within it when the clinic's rate is above 0), paid, refunded and due."""
    heading = [("Invoice", invoice_number), ("Date", invoice_date), ("Billed to", customer), ("Booking", booking_code)]
    heading.append(("Pet", pet))
    if clinic.hsn_sac_code:
        heading.append(("HSN/SAC", clinic.hsn_sac_code))
    rows = [["#", "Code", "Test", "Qty", "Unit price", "Amount"]]
    for number, line in enumerate(lines, start=1):
        rows.append(
            [
                str(number),
                line.code,
                Paragraph(_text(line.name), _STYLES["BodyText"]),
                str(line.quantity),
                _money(currency, line.unit_price),
                _money(currency, line.amount),
            ]
        )
    items = Table(rows, colWidths=[8 * mm, 22 * mm, 70 * mm, 12 * mm, 28 * mm, 32 * mm], repeatRows=1)
    items.setStyle(_TABLE)

    distance = "Home collection charge"
    if distance_km is not None:
        distance += f" ({distance_km} km)"
    totals = [["Subtotal", _money(currency, base_amount)], [distance, _money(currency, distance_charge)]]
    totals.append(["Discount", "- " + _money(currency, discount_amount)])
    totals.append(["Total", _money(currency, final_amount)])
    if clinic.tax_rate > 0:
        taxable, tax = tax_included(final_amount, clinic.tax_rate)
        totals.append(["Taxable value", _money(currency, taxable)])
        totals.append([f"GST @ {clinic.tax_rate.normalize():f}% (included in the total)", _money(currency, tax)])
    totals.append([f"Paid (as of {as_of})", _money(currency, amount_paid + amount_refunded)])
    if amount_refunded > 0:
        totals.append(["Refunded", "- " + _money(currency, amount_refunded)])
    totals.append(["Amount due", _money(currency, amount_due)])
    summary = Table(totals, colWidths=[120 * mm, 52 * mm])
    style = TableStyle(_TOTALS.getCommands())
    total_row = 3
    style.add("FONT", (0, total_row), (-1, total_row), "Helvetica-Bold", 10)
    style.add("LINEABOVE", (0, total_row), (-1, total_row), 0.5, colors.grey)
    style.add("FONT", (0, -1), (-1, -1), "Helvetica-Bold", 10)
    summary.setStyle(style)

    return _render(
        f"Invoice {invoice_number}",
        [
            *_letterhead(clinic),
            Paragraph("Tax invoice" if clinic.gstin else "Invoice", _STYLES["Heading2"]),
            _facts(heading),
            Spacer(1, 6 * mm),
            items,
            Spacer(1, 4 * mm),
            summary,
        ],
    )


def receipt_pdf(
    *,
    clinic: Letterhead,
    currency: str,
    receipt_number: str,
    received_at: str,
    customer: str,
    booking_code: str,
    invoice_number: str,
    amount: Decimal,
    method: str,
    reference: str,
    final_amount: Decimal,
    amount_paid: Decimal,
    amount_due: Decimal,
    as_of: str,
) -> bytes:
    """A payment receipt: letterhead, the payment (amount, method, reference, when) and where the bill stands."""
    facts = [
        ("Receipt", receipt_number),
        ("Received", received_at),
        ("From", customer),
        ("Booking", booking_code),
        ("Invoice", invoice_number or "not yet issued"),
        ("Method", method),
    ]
    if reference:
        facts.append(("Reference", reference))
    summary = Table(
        [
            ["Amount received", _money(currency, amount)],
            ["Bill total", _money(currency, final_amount)],
            [f"Paid on the bill (as of {as_of})", _money(currency, amount_paid)],
            ["Amount due", _money(currency, amount_due)],
        ],
        colWidths=[120 * mm, 52 * mm],
    )
    style = TableStyle(_TOTALS.getCommands())
    style.add("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 11)
    summary.setStyle(style)
    return _render(
        f"Receipt {receipt_number}",
        [
            *_letterhead(clinic),
            Paragraph("Payment receipt", _STYLES["Heading2"]),
            _facts(facts),
            Spacer(1, 6 * mm),
            summary,
        ],
    )
