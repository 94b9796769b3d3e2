"""Booking services: every write of the booking flow goes through these functions."""

from bookings.services.booking import booking_cancel, booking_create, booking_quote
from bookings.services.lifecycle import (
    booking_assign_collector,
    booking_confirm,
    booking_mark_collected,
    item_receive,
    item_reject,
    item_start_processing,
    report_amend,
    report_deliver,
    report_upload,
    report_verify,
)
from bookings.services.no_show import booking_mark_no_show
from bookings.services.notifications import notify_booking_confirmed, notify_booking_placed, notify_booking_rescheduled
from bookings.services.reschedule import booking_reschedule
from bookings.services.slots import slot_generate, slot_regenerate

__all__ = [
    "booking_assign_collector",
    "booking_cancel",
    "booking_confirm",
    "booking_create",
    "booking_mark_collected",
    "booking_mark_no_show",
    "booking_quote",
    "booking_reschedule",
    "item_receive",
    "item_reject",
    "item_start_processing",
    "notify_booking_confirmed",
    "notify_booking_placed",
    "notify_booking_rescheduled",
    "report_amend",
    "report_deliver",
    "report_upload",
    "report_verify",
    "slot_generate",
    "slot_regenerate",
]
