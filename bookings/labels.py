"""Tube labels as a PDF: one page per booking item, sized for a roll of 62 × 38 mm labels.

Each label carries the item's own code (``DP-7K3Q9X-01``: the booking's code and the item number) twice, as a QR
code and as a Code 128 barcode (both encode only that code), and in text the code, the pet and its species, the
test, the sample type and the tube. Scanning either symbol on the lab's receive page receives exactly that tube.
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
_BAR_WIDTH = 0.33 * mm


def _fit(text: str, limit: int) -> str:
    return text if len(text) <= limit else f"{text[: limit - 1]}…"


def _draw_qr(pdf: canvas.Canvas, value: str, x: float, y: float) -> None:
    widget = qr.QrCodeWidget(value)
    left, bottom, right, top = widget.getBounds()
    width, height = right - left, top - bottom
    drawing = Drawing(_QR_SIZE, _QR_SIZE, transform=[_QR_SIZE / width, 0, 0, _QR_SIZE / height, 0, 0])
    drawing.add(widget)
    renderPDF.draw(drawing, pdf, x, y)


def _barcode(value: str) -> code128.Code128:
    """A Code 128 barcode of ``value`` as wide as the label allows: bars of 0.33 mm, thinner for a long code."""
    available = LABEL_WIDTH - 2 * _MARGIN
    barcode = code128.Code128(value, barHeight=8 * mm, barWidth=_BAR_WIDTH, humanReadable=False)
    if barcode.width > available:
        bar_width = _BAR_WIDTH * available / barcode.width
        barcode = code128.Code128(value, barHeight=8 * mm, barWidth=bar_width, humanReadable=False)
    return barcode


def _draw_label(pdf: canvas.Canvas, item: BookingItem) -> None:
    test, pet = item.test, item.booking.pet
    top = LABEL_HEIGHT - _MARGIN
    _draw_qr(pdf, item.code, _MARGIN, top - _QR_SIZE)

    text_x = _MARGIN + _QR_SIZE + 2 * mm
    pdf.setFont("Helvetica-Bold", 9)
    pdf.drawString(text_x, top - 3.5 * mm, item.code)
    pdf.setFont("Helvetica", 7)
    lines = (
        _fit(f"Pet: {pet.name} ({pet.get_species_display()})", 27),
        _fit(f"Test: {test.code}", 27),
        _fit(f"Sample: {test.sample_type or '—'}", 27),
        _fit(f"Tube: {test.tube_type or '—'}", 27),
    )
    for n, line in enumerate(lines, start=1):
        pdf.drawString(text_x, top - 3.5 * mm - n * 3.8 * mm, line)

    barcode = _barcode(item.code)
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
