"""Read vocabulary for bookings and reports (no writes)."""

import datetime

from django.db.models import Count, F, Prefetch, Q

from bookings.models import Booking, BookingItem, TestReport

# The columns the customer API shows (bookings.api.serializers.BookingSerializer), and no more: a booking list page
# then reads 20 narrow rows instead of every column of bookings, pets, slots, coupons and tests (descriptions,
# medical history). Any other field still loads on access, one query at a time: add it here when a serializer
# needs it (the query-count tests show a forgotten one).
BOOKING_SHOWN = (
    "id",
    "code",
    "status",
    "user_id",
    "pet_id",
    "pet__name",
    "collection_type",
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
)
ITEM_SHOWN = (
    "id",
    "booking_id",
    "sequence",
    "test__code",
    "test__name",
    "test__tube_type",
    "quantity",
    "unit_price",
    "status",
    "rejection_reason",
    "due_at",
)


# A booking's items as the customer API lists them.
ITEMS_IN_ORDER = BookingItem.objects.order_by("sequence")


def items_shown():
    """A booking's items with what the customer API shows of them and their tests, in sequence order."""
    return ITEMS_IN_ORDER.select_related("test").only(*ITEM_SHOWN)


def customer_bookings(user):
    """The bookings a customer may see: their own."""
    return Booking.objects.filter(user_id=user.pk)


def bookings_for_customer(user):
    """A customer's bookings with everything the API shows, in a fixed number of queries."""
    return (
        customer_bookings(user)
        .select_related("pet", "slot", "coupon")
        .only(*BOOKING_SHOWN)
        # Items and their tests: one query for all bookings of the page.
        .prefetch_related(Prefetch("items", queryset=items_shown()))
    )


# The columns the customer's reports show (bookings.api.serializers.ReportSerializer) and the download reads.
REPORT_SHOWN = (
    "id",
    "pet",
    "pet__name",
    "test",
    "test__code",
    "test__name",
    "booking",
    "booking__code",
    "status",
    "version",
    "findings",
    "delivered_at",
    "report_file",
)


def customer_reports(user):
    """Reports a customer may see: delivered, current versions, of their own bookings (by the user's id)."""
    return TestReport.objects.filter(booking__user_id=user.pk, status=TestReport.Status.DELIVERED, is_current=True)


def reports_for_customer(user):
    """``customer_reports`` with what the API shows and the download reads, in one query."""
    return customer_reports(user).select_related("test", "pet", "booking").only(*REPORT_SHOWN)


# --- Back-office reads ---------------------------------------------------------------------------------------


def collector_visits(collector):
    """What "my visits" means for a collector (SPEC §4): the bookings assigned to them, whatever the day. The
    back-office scopes a collector's bookings, items, and the pets and addresses of those visits with it."""
    return Booking.objects.filter(collection_staff=collector)


# Items whose sample is at or on its way to the lab: only these can run late.
ITEM_OPEN_STATUSES = (BookingItem.Status.COLLECTED, BookingItem.Status.RECEIVED, BookingItem.Status.PROCESSING)


def item_overdue_q(now: datetime.datetime) -> Q:
    """Items past their due time whose report is not done yet (completed, cancelled and rejected ones never are)."""
    return Q(status__in=ITEM_OPEN_STATUSES, due_at__lt=now)


def item_is_overdue(item: BookingItem, now: datetime.datetime) -> bool:
    """``item_overdue_q`` for one loaded item (no query)."""
    return item.status in ITEM_OPEN_STATUSES and item.due_at is not None and item.due_at < now


def bookings_of_day(queryset, day: datetime.date):
    """The visits of ``day`` from ``queryset`` (already scoped to the caller) in slot order, with what the day
    sheet shows: customer, pet, slot, collector and the collector's area — one query."""
    return (
        queryset.filter(booking_date=day)
        .select_related("user", "pet", "slot", "collection_staff__staff_profile")
        .order_by(F("slot__start_time").asc(nulls_last=True), "code")
    )


def booking_status_counts(queryset) -> dict[str, int]:
    """How many bookings of ``queryset`` are in each status (every status present, zero when none) — one query."""
    counts = dict.fromkeys(Booking.Status.values, 0)
    rows = queryset.order_by().values_list("status").annotate(n=Count("pk"))
    counts.update(dict(rows))
    return counts


def bookings_for_export(queryset):
    """The rows of the bookings CSV, with their related names, in one query."""
    return queryset.select_related("user", "pet", "slot", "collection_staff").order_by(
        "booking_date", F("slot__start_time").asc(nulls_last=True), "code"
    )
