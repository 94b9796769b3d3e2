"""Read vocabulary for bookings and reports (no writes)."""

import datetime

from django.db.models import Count, F, Prefetch, Q

from bookings.models import Booking, BookingItem, TestReport


def bookings_for_customer(user):
    """A customer's bookings with everything the API shows, in a fixed number of queries."""
    return (
        Booking.objects.filter(user=user)
        .select_related("pet", "slot", "coupon")
        # Items and their tests: one query for all bookings of the page.
        .prefetch_related(Prefetch("items", queryset=BookingItem.objects.select_related("test").order_by("sequence")))
    )


def reports_for_customer(user):
    """Reports a customer may see: delivered, current versions, of their own bookings."""
    return TestReport.objects.filter(
        booking__user=user, status=TestReport.Status.DELIVERED, is_current=True
    ).select_related("test", "pet", "booking")


# --- Back-office reads ---------------------------------------------------------------------------------------

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
