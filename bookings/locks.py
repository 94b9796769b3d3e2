"""Row locks for the booking flow — the only module here that calls select_for_update.

Lock order (every transaction takes them in this order, so none can deadlock another):
customer (booking_create, with the pet read) → booking → its items and reports → collection slot (conditional
UPDATE) → coupon (promotions.locks) → billing record (billing.locks). A prescription is locked on its own
(verification takes no other lock).
"""

from django.contrib.auth import get_user_model
from django.db.models import F, Q, QuerySet

from bookings.models import Booking, BookingItem, CollectionSlot, CollectionType, PrescriptionUpload, TestReport


def with_owner_locked(pets: QuerySet) -> QuerySet:
    """Pets read with their owner's row locked until the transaction ends, so one customer's bookings are made one
    after the other (their per-day limits are counted under it). FOR NO KEY UPDATE: rows that only refer to the
    account (notifications, audit entries of a cancellation running meanwhile) are not held up by it."""
    return pets.select_for_update(no_key=True, of=("user",))


def lock_customer(*, user_id: int) -> None:
    """Hold the customer's row (FOR NO KEY UPDATE, as above) so that their per-day limits across bookings, e.g. the
    upload quota, are counted one request after the other."""
    list(get_user_model().objects.select_for_update(no_key=True).filter(pk=user_id).values_list("pk", flat=True))


def lock_booking(*, booking_id: int) -> Booking:
    return Booking.objects.select_for_update(of=("self",)).get(pk=booking_id)


def lock_customer_row(*, user_id: int):
    """The customer's own row, for a change of the account itself (anonymisation)."""
    return get_user_model().objects.select_for_update(of=("self",)).get(pk=user_id)


def lock_item(*, item_id: int) -> BookingItem:
    """One item, with its test (not locked)."""
    return BookingItem.objects.select_for_update(of=("self",)).select_related("test").get(pk=item_id)


def lock_items_of(booking: Booking) -> list[BookingItem]:
    """Every item of a booking (lock them after the booking), with their tests, in id order."""
    return list(booking.items.select_related("test").select_for_update(of=("self",)).order_by("pk"))


def lock_report(*, report_id: int) -> TestReport:
    return TestReport.objects.select_for_update(of=("self",)).get(pk=report_id)


def lock_current_report(item: BookingItem) -> TestReport | None:
    """The item's current report, locked (None when it has none yet)."""
    return TestReport.objects.select_for_update(of=("self",)).filter(booking_item=item, is_current=True).first()


def lock_prescription(*, prescription_id: int) -> PrescriptionUpload:
    return PrescriptionUpload.objects.select_for_update(of=("self",)).get(pk=prescription_id)


def slot_take(*, slot_id: int, collection_type: str) -> bool:
    """Take one place in a slot with a conditional UPDATE; False when it is full.

    N concurrent takers of a slot with C places succeed exactly min(N, C) times: the UPDATE's row lock serialises
    them and each re-evaluates ``booked < capacity`` on the committed row.
    """
    slots = CollectionSlot.objects.filter(pk=slot_id)
    if collection_type == CollectionType.HOME:
        return slots.filter(booked__lt=F("capacity")).update(booked=F("booked") + 1) == 1
    # Lab visits: no limit when lab_capacity is empty.
    open_or_free = Q(lab_capacity__isnull=True) | Q(lab_booked__lt=F("lab_capacity"))
    return slots.filter(open_or_free).update(lab_booked=F("lab_booked") + 1) == 1


def slot_release(*, slot_id: int, collection_type: str) -> None:
    slots = CollectionSlot.objects.filter(pk=slot_id)
    if collection_type == CollectionType.HOME:
        slots.filter(booked__gt=0).update(booked=F("booked") - 1)
    else:
        slots.filter(lab_booked__gt=0).update(lab_booked=F("lab_booked") - 1)


def lock_unassigned_of_day(*, day) -> list[int]:
    """The day's home visits still without a collector, locked in id order (the day's auto-assignment: nobody
    assigns one of them by hand between its plan and its writes). Returns their ids."""
    rows = Booking.objects.filter(
        booking_date=day,
        collection_type=CollectionType.HOME,
        collection_staff__isnull=True,
        status__in=(Booking.Status.PENDING, Booking.Status.CONFIRMED),
    )
    return list(rows.select_for_update(of=("self",)).order_by("pk").values_list("pk", flat=True))
