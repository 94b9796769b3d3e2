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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "diagnopet.settings")

from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402

get_wsgi_application()  # django.setup()

from django.db import connection  # noqa: E402
from django.http import JsonResponse  # noqa: E402
from django.urls import path  # noqa: E402
from django.views.decorators.csrf import csrf_exempt  # noqa: E402

from bookings.models import Booking, BookingItem, TestReport  # noqa: E402
from catalog.models import LabTest  # noqa: E402

PAGE = 20
TEST_FIELDS = ("id", "code", "name", "category__name", "price", "discounted_price", "sample_type", "tat_hours")
BOOKING_FIELDS = (
    "id",
    "code",
    "status",
    "pet_id",
    "pet__name",
    "collection_type",
    "booking_date",
    "subtotal",
    "discount_amount",
    "distance_charge",
    "total_amount",
    "created_at",
)
ITEM_FIELDS = ("id", "booking_id", "sequence", "test_id", "test__code", "test__name", "unit_price", "status")


def _with_items(bookings: list[dict]) -> list[dict]:
    items: dict[int, list] = {b["id"]: [] for b in bookings}
    for item in (
        BookingItem.objects.filter(booking_id__in=items).order_by("booking_id", "sequence").values(*ITEM_FIELDS)
    ):
        items[item["booking_id"]].append(item)
    for booking in bookings:
        booking["items"] = items[booking["id"]]
    return bookings


@csrf_exempt
def static(request):
    """The HTTP + Django floor: no database at all."""
    return JsonResponse({"ok": True, "results": []})


def catalog_list(request):
    rows = list(LabTest.objects.filter(is_active=True).values(*TEST_FIELDS).order_by("id")[:PAGE])
    return JsonResponse({"count": len(rows), "results": rows})


def catalog_detail(request, pk: int):
    return JsonResponse(LabTest.objects.values(*TEST_FIELDS).get(pk=pk))


def bookings_list(request):
    user = int(request.GET["user"])
    rows = list(Booking.objects.filter(user_id=user).order_by("-created_at", "-id").values(*BOOKING_FIELDS)[:PAGE])
    return JsonResponse({"count": len(rows), "results": _with_items(rows)})


def booking_detail(request, pk: int):
    return JsonResponse(_with_items([Booking.objects.values(*BOOKING_FIELDS).get(pk=pk)])[0])


@csrf_exempt
def quote(request):
    """The prices of the requested tests summed: what a quote must read at least."""
    import json

    data = json.loads(request.body)
    prices = list(LabTest.objects.filter(pk__in=data["tests"], is_active=True).values("id", "price"))
    return JsonResponse({"lines": prices, "subtotal": sum(p["price"] for p in prices)})


def reports_list(request):
    user = int(request.GET["user"])
    rows = list(
        TestReport.objects.filter(booking__user_id=user, status="delivered", is_current=True)
        .order_by("-created_at", "-id")
        .values("id", "pet_id", "test_id", "booking_id", "status", "version", "delivered_at")[:PAGE]
    )
    return JsonResponse({"count": len(rows), "results": rows})


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
