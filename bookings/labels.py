"""Tube labels as a PDF: one page per booking item, sized for a roll of 62 × 38 mm labels.

Each label carries the booking code twice (a QR code and a Code128 barcode: both encode only the code, like the
booking's QR in the API), the item number, the test code, the tube type and the pet's name.
"""

import io
from collections.abc import Iterable

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode import code128, qr
from reportlab.graphics.shapes import Drawing
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from bookings.models import BookingItem

LABEL_WIDTH, LABEL_HEIGHT = 62 * mm, 38 * mm
_MARGIN = 2 * mm
_QR_SIZE = 22 * mm


def _fit(text: str, limit: int) -> str:
    return text if len(text) <= limit else f"{text[: limit - 1]}…"


def _draw_qr(pdf: canvas.Canvas, value: str, x: float, y: float) -> None:
    widget = qr.QrCodeWidget(value)
    left, bottom, right, top = widget.getBounds()
    width, height = right - left, top - bottom
    drawing = Drawing(_QR_SIZE, _QR_SIZE, transform=[_QR_SIZE / width, 0, 0, _QR_SIZE / height, 0, 0])
    drawing.add(widget)
    renderPDF.draw(drawing, pdf, x, y)


def _draw_label(pdf: canvas.Canvas, item: BookingItem) -> None:
    booking, test = item.booking, item.test
    top = LABEL_HEIGHT - _MARGIN
    _draw_qr(pdf, booking.code, _MARGIN, top - _QR_SIZE)

    text_x = _MARGIN + _QR_SIZE + 2 * mm
    pdf.setFont("Helvetica-Bold", 10)
    pdf.drawString(text_x, top - 4 * mm, booking.code)
    pdf.setFont("Helvetica", 8)
    lines = (
        f"Item {item.sequence}",
        _fit(f"Test: {test.code}", 24),
        _fit(f"Tube: {test.tube_type or '—'}", 24),
        _fit(f"Pet: {booking.pet.name}", 24),
    )
    for n, line in enumerate(lines, start=1):
        pdf.drawString(text_x, top - 4 * mm - n * 4 * mm, line)

    barcode = code128.Code128(booking.code, barHeight=8 * mm, barWidth=0.33 * mm, humanReadable=False)
    barcode.drawOn(pdf, max((LABEL_WIDTH - barcode.width) / 2, 0), _MARGIN)


def tube_labels_pdf(items: Iterable[BookingItem]) -> bytes:
    """The labels of ``items`` in order, one page each. Items need their booking, pet and test loaded
    (``select_related("booking__pet", "test")``) so that drawing runs no query."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=(LABEL_WIDTH, LABEL_HEIGHT), pageCompression=0)
    pdf.setTitle("Tube labels")
    pdf.setCreator("DiagnoPet")
    drawn = 0
    for item in items:
        _draw_label(pdf, item)
        pdf.showPage()
        drawn += 1
    if not drawn:
        # A PDF needs a page; say why it is empty instead of failing.
        pdf.setFont("Helvetica", 9)
        pdf.drawString(_MARGIN, LABEL_HEIGHT / 2, "No items to label.")
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()
