"""The customer's hottest reads — the bookings list, one booking, the reports list — as plain dicts, read with
``values()``: no model instances and no serializer fields per row. Each dict is exactly what the serializer named
beside it shows (bookings/tests/test_api_selectors.py compares them); the serializers stay the schema, and show
everything else (create, cancel, a pet's reports).

Values come from the database in the shape the API shows, so most go out as they are. Three kinds need the
serializer's formatting: money (a ``Decimal`` with two places, shown as text), dates and times (ISO 8601), and
moments (ISO 8601 in the clinic's time zone, ``Z`` for UTC).
"""

import datetime

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from bookings.models import BookingItem


def _money(value):
    """DRF's ``DecimalField(decimal_places=2)`` output for a two-place column: its text."""
    return None if value is None else format(value, "f")


def _moment(value: datetime.datetime | None, tz):
    """DRF's ``DateTimeField`` output: ISO 8601 in the current time zone, ``Z`` for UTC."""
    if value is None:
        return None
    text = value.astimezone(tz).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _day(value: datetime.date | datetime.time | None):
    return None if value is None else value.isoformat()


# --- Bookings (BookingSerializer) --------------------------------------------------------------------------------

BOOKING_COLUMNS = (
    "id",
    "code",
    "status",
    "pet_id",
    "pet__name",
    "collection_type",
    "slot_id",
    "slot__date",
    "slot__start_time",
    "slot__end_time",
    "slot__capacity",
    "slot__booked",
    "slot__lab_capacity",
    "slot__lab_booked",
    "booking_date",
    "address_id",
    "address_text",
    "notes",
    "subtotal",
    "discount_amount",
    "estimated_distance_km",
    "distance_charge",
    "total_amount",
    "coupon_id",
    "coupon__code",
    "created_at",
    "confirmed_at",
    "collected_at",
    "completed_at",
    "cancelled_at",
    "cancellation_reason",
)

ITEM_COLUMNS = (
    "id",
    "booking_id",
    "sequence",
    "test_id",
    "test__code",
    "test__name",
    "test__tube_type",
    "quantity",
    "unit_price",
    "status",
    "rejection_reason",
    "due_at",
)


def booking_rows(bookings):
    """``bookings`` (a queryset of the customer's, filtered and ordered) as rows with the columns shown: page it,
    then give the page to ``bookings_shown``."""
    return bookings.values(*BOOKING_COLUMNS)


def bookings_shown(rows) -> list[dict]:
    """What ``BookingSerializer`` shows for each row of ``booking_rows``, with their items (one more query)."""
    rows = list(rows)
    tz = timezone.get_current_timezone()
    items: dict[int, list[dict]] = {row["id"]: [] for row in rows}
    if items:
        found = BookingItem.objects.filter(booking_id__in=items).order_by("sequence").values(*ITEM_COLUMNS)
        for item in found:
            items[item["booking_id"]].append(_item(item, tz))
    return [_booking(row, items[row["id"]], tz) for row in rows]


def _booking(row: dict, items: list[dict], tz) -> dict:
    return {
        "id": row["id"],
        "code": row["code"],
        "status": row["status"],
        "pet": row["pet_id"],
        "pet_name": row["pet__name"],
        "collection_type": row["collection_type"],
        "slot": _slot(row),
        "booking_date": _day(row["booking_date"]),
        "address": row["address_id"],
        "address_text": row["address_text"],
        "notes": row["notes"],
        "currency": settings.CURRENCY,
        "subtotal": _money(row["subtotal"]),
        "discount": _money(row["discount_amount"]),
        "distance_km": _money(row["estimated_distance_km"]),
        "distance_charge": _money(row["distance_charge"]),
        "total": _money(row["total_amount"]),
        "coupon": _coupon(row),
        "items": items,
        "created_at": _moment(row["created_at"], tz),
        "confirmed_at": _moment(row["confirmed_at"], tz),
        "collected_at": _moment(row["collected_at"], tz),
        "completed_at": _moment(row["completed_at"], tz),
        "cancelled_at": _moment(row["cancelled_at"], tz),
        "cancellation_reason": row["cancellation_reason"],
    }


def _slot(row: dict) -> dict | None:
    """SlotSerializer."""
    if row["slot_id"] is None:
        return None
    lab_capacity = row["slot__lab_capacity"]
    return {
        "id": row["slot_id"],
        "date": _day(row["slot__date"]),
        "start": _day(row["slot__start_time"]),
        "end": _day(row["slot__end_time"]),
        "capacity": row["slot__capacity"],
        "remaining": max(row["slot__capacity"] - row["slot__booked"], 0),
        "lab_remaining": None if lab_capacity is None else max(lab_capacity - row["slot__lab_booked"], 0),
    }


def _coupon(row: dict) -> dict | None:
    """BookingSerializer.get_coupon."""
    if row["coupon_id"] is None:
        return None
    return {"code": row["coupon__code"], "valid": True, "reason": None, "discount": str(row["discount_amount"])}


def _item(row: dict, tz) -> dict:
    """BookingItemSerializer."""
    return {
        "id": row["id"],
        "sequence": row["sequence"],
        "test": row["test_id"],
        "test_code": row["test__code"],
        "test_name": row["test__name"],
        "tube_type": row["test__tube_type"],
        "quantity": row["quantity"],
        "unit_price": _money(row["unit_price"]),
        "status": row["status"],
        "rejection_reason": row["rejection_reason"],
        "due_at": _moment(row["due_at"], tz),
    }


# --- Reports (ReportSerializer) ----------------------------------------------------------------------------------

REPORT_COLUMNS = (
    "id",
    "pet_id",
    "pet__name",
    "test_id",
    "test__code",
    "test__name",
    "booking_id",
    "booking__code",
    "status",
    "version",
    "findings",
    "delivered_at",
)


def report_rows(reports):
    """``reports`` (a queryset of the customer's, filtered and ordered) as rows with the columns shown."""
    return reports.values(*REPORT_COLUMNS)


def reports_shown(rows, request) -> list[dict]:
    """What ``ReportSerializer`` shows for each row of ``report_rows``."""
    tz = timezone.get_current_timezone()
    # The download route is the report's own URL plus "download": routed once per page, not once per report.
    reports_url = request.build_absolute_uri(reverse("bookings:report-list"))
    return [
        {
            "id": row["id"],
            "pet": row["pet_id"],
            "pet_name": row["pet__name"],
            "test": {"id": row["test_id"], "code": row["test__code"], "name": row["test__name"]},
            "booking": row["booking_id"],
            "booking_code": row["booking__code"],
            "status": row["status"],
            "version": row["version"],
            "findings": row["findings"],
            "delivered_at": _moment(row["delivered_at"], tz),
            "download_url": f"{reports_url}{row['id']}/download",
        }
        for row in rows
    ]
