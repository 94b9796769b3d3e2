"""The customer's hottest reads — the bookings list, one booking, the reports list — as plain dicts, read with
``values()``: no model instances and no serializer fields per row. Each dict is exactly what the serializer named
beside it shows (bookings/tests/test_api_selectors.py compares them); the serializers stay the schema, and show
everything else (create, cancel, a pet's reports).

The serializer's ``Meta.fields`` says what is shown and in which order. A name written out below (``shown_here``)
is built here; every other name is a column of the serializer's model with that name, read as it is and formatted
by its type: money (a ``Decimal`` with two places) as text, dates and times in ISO 8601, moments in ISO 8601 in the
clinic's time zone (``Z`` for UTC). So a plain new column needs the model, its migration and the serializer's
``Meta.fields``, and nothing here.
"""

import datetime

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from bookings.api.payment_status import payment_shown
from bookings.api.serializers import BookingItemSerializer, BookingSerializer, ReportSerializer
from bookings.models import BookingItem
from bookings.querysets import BILL_REFUNDED


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


class ShownColumns:
    """The fields of ``serializer_class`` that are columns of its model, sorted by how they are shown."""

    def __init__(self, serializer_class, *, shown_here: set[str]):
        meta = serializer_class.Meta
        self.order = tuple(meta.fields)
        self.columns = tuple(name for name in self.order if name not in shown_here)
        fields = {name: meta.model._meta.get_field(name) for name in self.columns}
        # DateTimeField is a DateField: moments first.
        self.moments = tuple(n for n, f in fields.items() if isinstance(f, models.DateTimeField))
        self.days = tuple(
            n for n, f in fields.items() if isinstance(f, models.DateField | models.TimeField) and n not in self.moments
        )
        self.money = tuple(n for n, f in fields.items() if isinstance(f, models.DecimalField))
        self.as_is = tuple(n for n in self.columns if n not in {*self.moments, *self.days, *self.money})

    def shown(self, row: dict, tz, built_here: dict) -> dict:
        """The serializer's output for ``row``: its columns formatted, then ``built_here`` (the other names)."""
        shown = dict.fromkeys(self.order)
        for name in self.as_is:
            shown[name] = row[name]
        for name in self.money:
            shown[name] = _money(row[name])
        for name in self.days:
            shown[name] = _day(row[name])
        for name in self.moments:
            shown[name] = _moment(row[name], tz)
        shown.update(built_here)
        return shown


# --- Bookings (BookingSerializer) --------------------------------------------------------------------------------

BOOKING = ShownColumns(
    BookingSerializer,
    shown_here={
        *("pet_name", "slot", "currency", "discount", "distance_km", "total", "coupon", "items"),
        *("payment_status", "amount_due"),
    },
)
# What the names built here read.
BOOKING_COLUMNS = (
    *BOOKING.columns,
    "pet__name",
    "slot_id",
    "slot__date",
    "slot__start_time",
    "slot__end_time",
    "slot__capacity",
    "slot__booked",
    "slot__lab_capacity",
    "slot__lab_booked",
    "discount_amount",
    "estimated_distance_km",
    "total_amount",
    "coupon__code",
    # The bill's, for payment_status and amount_due (a LEFT JOIN: a booking without a bill still shows).
    "billing_record__status",
    "billing_record__final_amount",
    "billing_record__amount_paid",
    "bill_refunded",
)

ITEM = ShownColumns(BookingItemSerializer, shown_here={"package", "test_code", "test_name", "tube_type"})
ITEM_COLUMNS = (
    *ITEM.columns,
    "booking_id",
    "package_id",
    "package__code",
    "package__name",
    "test__code",
    "test__name",
    "test__tube_type",
)


def booking_rows(bookings):
    """``bookings`` (a queryset of the customer's, filtered and ordered) as rows with the columns shown: page it,
    then give the page to ``bookings_shown``."""
    return bookings.annotate(bill_refunded=BILL_REFUNDED).values(*BOOKING_COLUMNS)


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
    return BOOKING.shown(
        row,
        tz,
        {
            "pet_name": row["pet__name"],
            "slot": _slot(row),
            "currency": settings.CURRENCY,
            "discount": _money(row["discount_amount"]),
            "distance_km": _money(row["estimated_distance_km"]),
            "total": _money(row["total_amount"]),
            "coupon": _coupon(row),
            "items": items,
            **payment_shown(
                bill_status=row["billing_record__status"],
                final_amount=row["billing_record__final_amount"],
                amount_paid=row["billing_record__amount_paid"],
                amount_refunded=row["bill_refunded"],
                booking_status=row["status"],
                total=row["total_amount"],
            ),
        },
    )


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
    if row["coupon__code"] is None:
        return None
    return {"code": row["coupon__code"], "valid": True, "reason": None, "discount": str(row["discount_amount"])}


def _item(row: dict, tz) -> dict:
    """BookingItemSerializer."""
    return ITEM.shown(
        row,
        tz,
        {
            "package": _package(row),
            "test_code": row["test__code"],
            "test_name": row["test__name"],
            "tube_type": row["test__tube_type"],
        },
    )


def _package(row: dict) -> dict | None:
    """PackageRefSerializer."""
    if row["package_id"] is None:
        return None
    return {"id": row["package_id"], "code": row["package__code"], "name": row["package__name"]}


# --- Reports (ReportSerializer) ----------------------------------------------------------------------------------

REPORT = ShownColumns(ReportSerializer, shown_here={"pet_name", "test", "booking_code", "download_url"})
REPORT_COLUMNS = (*REPORT.columns, "pet__name", "test_id", "test__code", "test__name", "booking__code")


def report_rows(reports):
    """``reports`` (a queryset of the customer's, filtered and ordered) as rows with the columns shown."""
    return reports.values(*REPORT_COLUMNS)


def reports_shown(rows, request) -> list[dict]:
    """What ``ReportSerializer`` shows for each row of ``report_rows``."""
    tz = timezone.get_current_timezone()
    # The download route is the report's own URL plus "download": routed once per page, not once per report.
    reports_url = request.build_absolute_uri(reverse("bookings:report-list"))
    return [
        REPORT.shown(
            row,
            tz,
            {
                "pet_name": row["pet__name"],
                "test": {"id": row["test_id"], "code": row["test__code"], "name": row["test__name"]},
                "booking_code": row["booking__code"],
                "download_url": f"{reports_url}{row['id']}/download",
            },
        )
        for row in rows
    ]
