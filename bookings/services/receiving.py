"""Receiving samples at the lab by scanning their tube labels (the back-office's receive page).

A tube's label carries its item's code (``DP-7K3Q9X-01``); scanning it receives exactly that item. The booking's code
(``DP-7K3Q9X``, on the booking's QR and the collector's sheet) finds the whole booking and receives every tube of it
that was collected, so a bag of tubes can be checked in at once. Each item is received through ``item_receive`` (the
one transition), under its row lock, and the outcome says for each tube what happened and why.
"""

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from bookings.codes import booking_code_normalize
from bookings.locks import lock_item
from bookings.models import Booking, BookingItem
from bookings.services.lifecycle import item_receive
from diagnopet.errors import NotFound

It = BookingItem.Status


class UnknownCode(NotFound):
    """No tube and no booking has the scanned code (HTTP 404)."""

    default_code = "unknown_code"


@dataclass
class ScanOutcome:
    """What a scan did: the booking it found, the tube scanned (None for a booking code), the items received now,
    and the others with why they were left (already received, not collected yet, cancelled, rejected)."""

    code: str
    booking: Booking
    item: BookingItem | None
    received: list[BookingItem] = field(default_factory=list)
    left: list[tuple[BookingItem, str]] = field(default_factory=list)


def _why_left(item: BookingItem) -> str:
    if item.status in (It.RECEIVED, It.PROCESSING, It.COMPLETED):
        when = f" on {timezone.localtime(item.received_at):%d %b %Y at %H:%M}" if item.received_at else ""
        return f"already received{when}"
    if item.status == It.PENDING:
        return "not collected yet"
    return f"{item.get_status_display().lower()}, not to be received"


@transaction.atomic(durable=True)
def items_receive_by_scan(*, code: str, by) -> ScanOutcome:
    """Receive the tube whose item code was scanned, or every collected tube of the booking whose code was scanned.

    ``code`` is what the scanner or a person typed (``booking_code_normalize``: case, spaces and the missing prefix
    do not matter). Raises ``UnknownCode`` when nothing has that code. Items that cannot be received are left as
    they are and listed with the reason; a scan that receives nothing is not an error (the tube was already in).
    """
    normalized = booking_code_normalize(code)
    scanned = BookingItem.objects.select_related("booking__pet").filter(code=normalized).first()
    if scanned is not None:
        booking, item_ids = scanned.booking, [scanned.pk]
    else:
        booking = Booking.objects.select_related("pet").filter(code=normalized).first()
        if booking is None:
            raise UnknownCode(f"No tube or booking has the code {normalized}. Check the label and scan again.")
        item_ids = list(booking.items.order_by("pk").values_list("pk", flat=True))
    outcome = ScanOutcome(code=normalized, booking=booking, item=scanned)
    for item_id in item_ids:  # in id order, as every lock of items is taken
        item = lock_item(item_id=item_id)
        if item.status == It.COLLECTED:
            outcome.received.append(item_receive(item=item, by=by))
        else:
            outcome.left.append((item, _why_left(item)))
    outcome.received.sort(key=lambda i: i.sequence)
    outcome.left.sort(key=lambda pair: pair[0].sequence)
    return outcome
