"""The benchmark's floor server: the real DiagnoPet WSGI app, plus ``/floor/...`` views that do the least work that
could answer the same request — the same rows read with ``.values()`` and returned with ``JsonResponse``, no DRF,
no serializers, no permission checks. Each endpoint's figure is divided by its floor's, measured in the same run
on the same machine, so the ratio says how much the framework and the app's own code add to the bare query.

Served by a second gunicorn (``gunicorn floor_app:application`` from bench/, see bench/run); the application's
settings and URLconf are untouched: requests under ``/floor/`` get this module as their URLconf through
``request.urlconf``, everything else goes to the real app.
"""

import datetime
import os
import sys
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "diagnopet.settings")

from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402

get_wsgi_application()  # django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import DecimalField, OuterRef, Subquery, Sum, Value  # noqa: E402
from django.db.models.functions import Coalesce  # noqa: E402
from django.http import JsonResponse  # noqa: E402
from django.urls import path  # noqa: E402
from django.views.decorators.csrf import csrf_exempt  # noqa: E402

from billing.models import Payment  # noqa: E402
from bookings.models import Booking, BookingItem, TestReport  # noqa: E402
from catalog.models import LabTest  # noqa: E402
from clinic.api.serializers import ClinicInfoSerializer  # noqa: E402
from clinic.models import ClinicInfo  # noqa: E402
from diagnopet.system_settings import system_settings  # noqa: E402

PAGE = 20
TEST_FIELDS = ("id", "code", "name", "category__name", "price", "discounted_price", "sample_type", "tat_hours")
# The columns the customer API shows for a booking and its items, listed here so that the floor does not depend on
# the app's code: the floor returns the same JSON — same fields, same nesting, the customer's total count — built
# by hand. A column added to the API and not here makes the floor a little cheaper than the API: add it here too
# when comparing figures across such a change.
BOOKING_FIELDS = (
    "id",
    "code",
    "status",
    "user_id",
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
    "coupon__code",
    "created_at",
    "confirmed_at",
    "collected_at",
    "completed_at",
    "cancelled_at",
    "cancellation_reason",
    # The bill (a LEFT JOIN: a booking without one still shows) and its refunds, for payment_status and amount_due.
    "billing_record__status",
    "billing_record__final_amount",
    "billing_record__amount_paid",
    "bill_refunded",
)
ITEM_FIELDS = (
    "id",
    "booking_id",
    "sequence",
    "code",
    "package_id",
    "package__code",
    "package__name",
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
ZERO = Decimal("0.00")
MONEY = DecimalField(max_digits=12, decimal_places=2)
# The bill's refunds given or pending, summed in one subquery of the same statement (as the API reads them).
BILL_REFUNDED = Coalesce(
    Subquery(
        Payment.objects.filter(billing_record=OuterRef("billing_record__id"), kind="refund")
        .filter(status__in=["succeeded", "pending"])
        .order_by()
        .values("billing_record")
        .annotate(total=Sum("amount"))
        .values("total"),
        output_field=MONEY,
    ),
    Value(ZERO),
    output_field=MONEY,
)
# Columns of the clinic row; the cutoff is a system setting (diagnopet.system_settings), read from its cache.
CLINIC_FIELDS = [
    name for name in ClinicInfoSerializer.Meta.fields if name not in ("whatsapp_link", "cancellation_cutoff_hours")
]


def _item(row: dict) -> dict:
    return {
        "id": row["id"],
        "sequence": row["sequence"],
        "code": row["code"],
        "package": None
        if row["package_id"] is None
        else {"id": row["package_id"], "code": row["package__code"], "name": row["package__name"]},
        "test": row["test_id"],
        "test_code": row["test__code"],
        "test_name": row["test__name"],
        "tube_type": row["test__tube_type"],
        "quantity": row["quantity"],
        "unit_price": row["unit_price"],
        "status": row["status"],
        "rejection_reason": row["rejection_reason"],
        "due_at": row["due_at"],
    }


def _payment(row: dict) -> dict:
    """``payment_status`` and ``amount_due`` by billing's rule (``billing.selectors.bill_payment``), written out: a
    booking without a bill counts as a bill of its total with nothing paid; nothing is due once it is cancelled."""
    void = row["status"] == "cancelled"
    if row["billing_record__status"] is None:
        final, paid, refunded = row["total_amount"], ZERO, ZERO
    else:
        final, paid = row["billing_record__final_amount"], row["billing_record__amount_paid"]
        refunded, void = row["bill_refunded"], void or row["billing_record__status"] == "void"
    if refunded > ZERO and paid <= ZERO:
        status = "refunded"
    elif refunded > ZERO and (void or paid < final):
        status = "partially_refunded"
    elif paid >= final:
        status = "paid"
    elif paid <= ZERO:
        status = "unpaid"
    else:
        status = "partially_paid"
    return {"payment_status": status, "amount_due": format(ZERO if void else max(final - paid - refunded, ZERO), "f")}


def _booking(row: dict, items: list[dict]) -> dict:
    slot = None
    if row["slot_id"] is not None:
        lab_capacity = row["slot__lab_capacity"]
        slot = {
            "id": row["slot_id"],
            "date": row["slot__date"],
            "start": row["slot__start_time"],
            "end": row["slot__end_time"],
            "capacity": row["slot__capacity"],
            "remaining": max(row["slot__capacity"] - row["slot__booked"], 0),
            "lab_remaining": None if lab_capacity is None else max(lab_capacity - row["slot__lab_booked"], 0),
        }
    coupon = None
    if row["coupon__code"] is not None:
        coupon = {"code": row["coupon__code"], "valid": True, "reason": None, "discount": row["discount_amount"]}
    return {
        "id": row["id"],
        "code": row["code"],
        "status": row["status"],
        "pet": row["pet_id"],
        "pet_name": row["pet__name"],
        "collection_type": row["collection_type"],
        "slot": slot,
        "booking_date": row["booking_date"],
        "address": row["address_id"],
        "address_text": row["address_text"],
        "notes": row["notes"],
        "currency": settings.CURRENCY,
        "subtotal": row["subtotal"],
        "discount": row["discount_amount"],
        "distance_km": row["estimated_distance_km"],
        "distance_charge": row["distance_charge"],
        "total": row["total_amount"],
        "coupon": coupon,
        "items": items,
        "created_at": row["created_at"],
        "confirmed_at": row["confirmed_at"],
        "collected_at": row["collected_at"],
        "completed_at": row["completed_at"],
        "cancelled_at": row["cancelled_at"],
        "cancellation_reason": row["cancellation_reason"],
        **_payment(row),
    }


def _with_items(bookings: list[dict]) -> list[dict]:
    items: dict[int, list] = {b["id"]: [] for b in bookings}
    for item in (
        BookingItem.objects.filter(booking_id__in=items).order_by("booking_id", "sequence").values(*ITEM_FIELDS)
    ):
        items[item["booking_id"]].append(_item(item))
    return [_booking(booking, items[booking["id"]]) for booking in bookings]


@csrf_exempt
def static(request):
    """The HTTP + Django floor: no database at all."""
    return JsonResponse({"ok": True, "results": []})


def catalog_list(request):
    rows = list(LabTest.objects.filter(is_active=True).values(*TEST_FIELDS).order_by("id")[:PAGE])
    return JsonResponse({"count": len(rows), "results": rows})


def catalog_detail(request, pk: int):
    return JsonResponse(LabTest.objects.values(*TEST_FIELDS).get(pk=pk))


def clinic(request):
    row = ClinicInfo.objects.values(*CLINIC_FIELDS).get()
    digits = "".join(ch for ch in row["whatsapp_number"] if ch.isdigit())
    row["whatsapp_link"] = f"https://wa.me/{digits}" if digits else ""
    row["cancellation_cutoff_hours"] = system_settings().cancellation_cutoff_hours
    return JsonResponse(row)


def bookings_list(request):
    """The first page (20) of the customer's bookings, newest first, with the total count and the next page's link."""
    user = int(request.GET["user"])
    bookings = Booking.objects.filter(user_id=user)
    count = bookings.count()
    rows = list(
        bookings.annotate(bill_refunded=BILL_REFUNDED).order_by("-created_at", "-id").values(*BOOKING_FIELDS)[:PAGE]
    )
    next_page = request.build_absolute_uri("/api/v1/bookings/?page=2") if count > PAGE else None
    return JsonResponse({"count": count, "next": next_page, "previous": None, "results": _with_items(rows)})


def booking_detail(request, pk: int):
    row = Booking.objects.annotate(bill_refunded=BILL_REFUNDED).values(*BOOKING_FIELDS).get(pk=pk)
    return JsonResponse(_with_items([row])[0])


@csrf_exempt
def quote(request):
    """The prices of the requested tests summed: what a quote must read at least."""
    import json

    data = json.loads(request.body)
    prices = list(LabTest.objects.filter(pk__in=data["tests"], is_active=True).values("id", "price"))
    return JsonResponse({"lines": prices, "subtotal": sum(p["price"] for p in prices)})


def reports_list(request):
    """The first page of the customer's delivered reports, as the API shows them (count, test, download link)."""
    user = int(request.GET["user"])
    reports = TestReport.objects.filter(booking__user_id=user, status="delivered", is_current=True)
    count = reports.count()
    rows = reports.order_by("-delivered_at", "-id").values(
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
    )[:PAGE]
    results = [
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
            "delivered_at": row["delivered_at"],
            "download_url": request.build_absolute_uri(f"/api/v1/reports/{row['id']}/download"),
        }
        for row in rows
    ]
    next_page = request.build_absolute_uri("/api/v1/reports/?page=2") if count > PAGE else None
    return JsonResponse({"count": count, "next": next_page, "previous": None, "results": results})


BARE_SUMMARY_SQL = """
    SELECT date_trunc(%s, billing_date)::date AS period, count(*) AS bookings,
           sum(base_amount) AS base, sum(discount_amount) AS discount, sum(distance_charge) AS distance,
           sum(final_amount) AS final, sum(amount_paid) AS paid
    FROM billing_billingrecord
    WHERE billing_date BETWEEN %s AND %s AND status <> 'void'
    GROUP BY 1 ORDER BY 1
"""


def billing_summary_bare(*, period: str, date_from: datetime.date, date_to: datetime.date) -> list[tuple]:
    """The bare SQL floor of the billing summary: one GROUP BY date_trunc over the same rows."""
    with connection.cursor() as cursor:
        cursor.execute(BARE_SUMMARY_SQL, [period, date_from, date_to])
        return cursor.fetchall()


def billing_summary(request):
    rows = billing_summary_bare(
        period=request.GET.get("period", "day"),
        date_from=datetime.date.fromisoformat(request.GET["from"]),
        date_to=datetime.date.fromisoformat(request.GET["to"]),
    )
    keys = ("period", "bookings", "base", "discount", "distance", "final", "paid")
    return JsonResponse({"rows": [dict(zip(keys, row, strict=True)) for row in rows]})


def admin_bookings(request):
    """What the booking changelist shows on its first page, read bare (100 rows, no count)."""
    rows = list(
        Booking.objects.order_by("-created_at", "-id").values(
            "id", "code", "user__full_name", "pet__name", "collection_type", "booking_date", "status", "total_amount"
        )[:100]
    )
    return JsonResponse({"results": rows})


urlpatterns = [
    path("floor/static", static),
    path("floor/catalog", catalog_list),
    path("floor/catalog/<int:pk>", catalog_detail),
    path("floor/clinic", clinic),
    path("floor/bookings", bookings_list),
    path("floor/bookings/<int:pk>", booking_detail),
    path("floor/quote", quote),
    path("floor/reports", reports_list),
    path("floor/billing-summary", billing_summary),
    path("floor/admin-bookings", admin_bookings),
]


class FloorHandler(WSGIHandler):
    """The project's WSGI handler; ``/floor/`` requests resolve against this module's URL patterns."""

    def get_response(self, request):
        if request.path_info.startswith("/floor/"):
            request.urlconf = __name__
        return super().get_response(request)


application = FloorHandler()
