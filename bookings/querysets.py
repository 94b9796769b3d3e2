"""Read vocabulary for bookings and reports (no writes)."""

import datetime

from django.db.models import Count, F, OuterRef, Prefetch, Q, QuerySet, Subquery

from billing.selectors import refunded_amount
from bookings.models import Booking, BookingItem, CollectionDay, ResultValue, TestReport
from bookings.states import BOOKING_UNSCHEDULED, ITEM_IN_LAB

# Wide columns of related rows that no customer read shows (a pet's medical history, a test's description and
# instructions, its species list, which would be parsed from JSON on every row). The bookings' own columns are all
# read: a column added to the API then needs no change here.
PET_UNSHOWN = ("pet__medical_history", "pet__microchip_id", "pet__breed")
TEST_UNSHOWN = ("test__description", "test__collection_instructions", "test__species")
PACKAGE_UNSHOWN = tuple(name.replace("test__", "package__") for name in TEST_UNSHOWN)


def items_shown():
    """Bookings' items as the customer API lists them: in sequence order, with their tests (and packages)."""
    items = BookingItem.objects.select_related("test", "package").defer(*TEST_UNSHOWN, *PACKAGE_UNSHOWN)
    return items.order_by("sequence")


def customer_bookings(user):
    """The bookings a customer may see: their own."""
    return Booking.objects.filter(user_id=user.pk)


# A booking's bill's refunds (payment_status, amount_due), for the customer's reads. An expression is copied when a
# query resolves it, so this one serves every request.
BILL_REFUNDED = refunded_amount("billing_record__id")


def bookings_for_customer(user):
    """A customer's bookings with everything the API shows: one query for the bookings (with their pet, slot,
    coupon, bill and the bill's refunds), one for the items of all of them (in ``shown_items``, a list: what
    ``BookingSerializer`` shows, and what ``booking_create`` fills with the items it made)."""
    return (
        customer_bookings(user)
        # The bill and its refunds: the booking's payment_status and amount_due (billing.selectors.bill_payment).
        .select_related("pet", "slot", "coupon", "billing_record")
        .annotate(bill_refunded=BILL_REFUNDED)
        .defer(*PET_UNSHOWN)
        .prefetch_related(Prefetch("items", queryset=items_shown(), to_attr="shown_items"))
    )


# The columns of a report and its relations that the customer's reports show and the download reads (a booking is
# wide; a report needs its code only).
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


# Report statuses whose values are published: verified ones are genuine (the verification page, the staff's
# previous values); the customer sees a report's values once the lab has released it (delivered), in the health
# record and the share links as in the reports list.
REPORT_PUBLISHED = (TestReport.Status.VERIFIED, TestReport.Status.DELIVERED)
REPORT_RELEASED = (TestReport.Status.DELIVERED,)


def published_results(*, pet_id: int, released_only: bool = False):
    """The pet's published result values (only the delivered ones with ``released_only``, what the customer sees):
    those of the current report version, or of an earlier version whose amendment is not published yet (while the
    lab corrects a report, its values stay in the record until the new version replaces them)."""
    statuses = REPORT_RELEASED if released_only else REPORT_PUBLISHED
    not_yet = [status for status in TestReport.Status.values if status not in statuses]
    return ResultValue.objects.filter(pet_id=pet_id, report__status__in=statuses).filter(
        Q(report__is_current=True) | Q(report__superseded_by__status__in=not_yet)
    )


def customer_shareable_reports(user):
    """Reports whose share links a customer manages: delivered, of their own bookings (earlier versions included,
    so that links made before an amendment can still be listed and revoked)."""
    return TestReport.objects.filter(booking__user_id=user.pk, status__in=REPORT_RELEASED)


# --- Back-office reads ---------------------------------------------------------------------------------------


def collector_visits(collector):
    """What "my visits" means for a collector (SPEC §4): the bookings assigned to them, whatever the day. The
    back-office scopes a collector's bookings, items, and the pets and addresses of those visits with it."""
    return Booking.objects.filter(collection_staff=collector)


def item_overdue_q(now: datetime.datetime) -> Q:
    """Items past their due time whose report is not done yet (completed, cancelled and rejected ones never are)."""
    return Q(status__in=ITEM_IN_LAB, due_at__lt=now)


def item_is_overdue(item: BookingItem, now: datetime.datetime) -> bool:
    """``item_overdue_q`` for one loaded item (no query)."""
    return item.status in ITEM_IN_LAB and item.due_at is not None and item.due_at < now


def bookings_of_day(queryset, day: datetime.date):
    """The visits of ``day`` from ``queryset`` (already scoped to the caller) in slot order, with what the day
    sheet shows: customer, pet, slot, collector and the collector's area in one query, the items with their tests
    (tubes, fasting, preparation) in a second."""
    return (
        # A re-collection awaiting its schedule has no visit yet (its date is only the day it was made).
        queryset.filter(booking_date=day)
        .exclude(status__in=BOOKING_UNSCHEDULED)
        .select_related("user", "pet", "slot", "collection_staff__staff_profile")
        .prefetch_related(Prefetch("items", queryset=BookingItem.objects.select_related("test").order_by("sequence")))
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


def slots_with_day_places(slots: QuerySet) -> QuerySet:
    """Collection slots with the places left in their day (the clinic's daily caps): ``day_remaining`` (home visits)
    and ``day_lab_remaining`` (lab visits), None when the day has no row or no cap of that kind. A slot with room in
    its window but none in its day is full."""
    day = CollectionDay.objects.filter(date=OuterRef("date"))
    return slots.annotate(
        day_remaining=Subquery(day.values(left=F("capacity") - F("booked"))[:1]),
        day_lab_remaining=Subquery(day.values(left=F("lab_capacity") - F("lab_booked"))[:1]),
    )


def slot_places_left(slot, collection_type: str) -> int | None:
    """Places of ``collection_type`` (``home`` or ``lab``) left in ``slot``: the fewer of its window's and its day's
    (``slots_with_day_places``); None when neither limits lab visits."""
    if collection_type == "home":
        window = max(slot.capacity - slot.booked, 0)
        day = getattr(slot, "day_remaining", None)
    else:
        window = None if slot.lab_capacity is None else max(slot.lab_capacity - slot.lab_booked, 0)
        day = getattr(slot, "day_lab_remaining", None)
    if day is None:
        return window
    day = max(day, 0)
    return day if window is None else min(window, day)
