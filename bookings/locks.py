"""Row locks for the booking flow — the only module here that calls select_for_update.

Lock order (every transaction takes them in this order, so none can deadlock another):
customer (booking_create, with the pet read; booking_reschedule) → booking → its items and reports → collection
slots (conditional UPDATEs, by primary key) → their days (by date) → coupon (promotions.locks) → billing record
(billing.locks). A prescription is locked on its own (verification takes no other lock). Making windows
(slot_generate, slot_regenerate) takes the clinic's row first (clinic.locks), then the slots it deletes (by
primary key), then their days.
"""

from django.contrib.auth import get_user_model
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery

from bookings.models import (
    Booking,
    BookingItem,
    CollectionDay,
    CollectionSlot,
    CollectionType,
    PrescriptionUpload,
    TestReport,
)


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


def lock_booking_after_its_first(*, booking_id: int) -> Booking:
    """A booking that samples may be refused or rejected on, locked after the first booking it re-collects (if it is
    a free re-collection): a sample taken again goes into a re-collection of that first booking
    (``bookings.services.lifecycle.recollection_add``), so both are held, first booking first — the order a rejection
    on the first booking takes too."""
    first = Booking.objects.filter(pk=booking_id).values_list("recollection_of_id", flat=True).first()
    if first is not None:
        lock_booking(booking_id=first)
    return lock_booking(booking_id=booking_id)


def lock_customer_row(*, user_id: int):
    """The customer's own row, for a change of the account itself (anonymisation)."""
    return get_user_model().objects.select_for_update(of=("self",)).get(pk=user_id)


def lock_item(*, item_id: int) -> BookingItem:
    """One item, with its test (not locked)."""
    return BookingItem.objects.select_for_update(of=("self",)).select_related("test").get(pk=item_id)


def lock_items_of(booking: Booking) -> list[BookingItem]:
    """Every item of a booking (lock them after the booking), with their tests, in id order."""
    return list(booking.items.select_related("test").select_for_update(of=("self",)).order_by("pk"))


def lock_items(*, item_ids) -> list[BookingItem]:
    """Items by id, in id order (after their bookings when those are locked too), with their tests and bookings'
    pets (not locked): the samples a batch of results is entered for."""
    return list(
        BookingItem.objects.select_for_update(of=("self",))
        .select_related("test", "booking__pet")
        .filter(pk__in=item_ids)
        .order_by("pk")
    )


def lock_report(*, report_id: int) -> TestReport:
    # With what its name reads (the audit log writes it on each save): only the report's own row is locked.
    return TestReport.objects.select_related("booking", "test", "pet").select_for_update(of=("self",)).get(pk=report_id)


def lock_current_report(item: BookingItem) -> TestReport | None:
    """The item's current report, locked (None when it has none yet)."""
    return TestReport.objects.select_for_update(of=("self",)).filter(booking_item=item, is_current=True).first()


def lock_prescription(*, prescription_id: int) -> PrescriptionUpload:
    return PrescriptionUpload.objects.select_for_update(of=("self",)).get(pk=prescription_id)


def _counted(collection_type: str) -> tuple[str, str]:
    """The (capacity, booked) columns a kind of visit counts on, in a slot and in its day."""
    return ("capacity", "booked") if collection_type == CollectionType.HOME else ("lab_capacity", "lab_booked")


def _slot_take(slot_id: int, collection_type: str) -> bool:
    capacity, booked = _counted(collection_type)
    room = Q(**{f"{booked}__lt": F(capacity)})
    if collection_type != CollectionType.HOME:
        room |= Q(lab_capacity__isnull=True)  # lab visits: no limit when lab_capacity is empty
    return CollectionSlot.objects.filter(room, pk=slot_id).update(**{booked: F(booked) + 1}) == 1


def _slot_release(slot_id: int, collection_type: str) -> None:
    _capacity, booked = _counted(collection_type)
    CollectionSlot.objects.filter(pk=slot_id, **{f"{booked}__gt": 0}).update(**{booked: F(booked) - 1})


def _day_take(slot_id: int, collection_type: str) -> bool:
    """One place of the slot's day; True when the day has no row or no cap for this kind of visit."""
    capacity, booked = _counted(collection_type)
    day = CollectionDay.objects.filter(date=Subquery(CollectionSlot.objects.filter(pk=slot_id).values("date")))
    room = Q(**{f"{capacity}__isnull": True}) | Q(**{f"{booked}__lt": F(capacity)})
    if day.filter(room).update(**{booked: F(booked) + 1}) == 1:
        return True
    return not day.exists()


def _day_release(slot_id: int, collection_type: str) -> None:
    _capacity, booked = _counted(collection_type)
    day = CollectionDay.objects.filter(date=Subquery(CollectionSlot.objects.filter(pk=slot_id).values("date")))
    day.filter(**{f"{booked}__gt": 0}).update(**{booked: F(booked) - 1})


def _known_day_take(day_id: int | None, collection_type: str) -> bool:
    """``_day_take`` for a day row already found with the slot (``day_id``; None: the day had no row, so no cap)."""
    if day_id is None:
        return True
    capacity, booked = _counted(collection_type)
    room = Q(**{f"{capacity}__isnull": True}) | Q(**{f"{booked}__lt": F(capacity)})
    day = CollectionDay.objects.filter(pk=day_id)
    if day.filter(room).update(**{booked: F(booked) + 1}) == 1:
        return True
    return not day.exists()  # full, unless the row was deleted since it was read


def slot_take(*, slot_id: int, day_id: int | None, collection_type: str) -> bool:
    """Take one place in a slot, and in its day, with conditional UPDATEs; False when either is full (the caller
    raises, which rolls the other back).

    N concurrent takers of a slot with C places succeed exactly min(N, C) times: the UPDATE's row lock serialises
    them and each re-evaluates ``booked < capacity`` on the committed row. Slot row, then day row. ``day_id`` is
    the slot's day row as the caller read it with the slot (``bookings.services.pricing``: ``day_row``), so a day with a
    row costs one UPDATE and a day without one none. A row added after that read starts uncounted, as a row made
    for a day that already has bookings does (``bookings.services.slots``).
    """
    return _slot_take(slot_id, collection_type) and _known_day_take(day_id, collection_type)


def slot_release(*, slot_id: int, collection_type: str) -> None:
    _slot_release(slot_id, collection_type)
    _day_release(slot_id, collection_type)


def slot_move(*, from_slot_id: int | None, to_slot_id: int, collection_type: str) -> bool:
    """Give back the place in ``from_slot_id`` (none for a booking without a slot) and take one in ``to_slot_id``;
    False when the new slot (or its day) is full — the caller raises, rolling the release back too.

    Both slot rows are updated in primary-key order, then both day rows in date order, as every other taker does
    (one slot, then its day): two customers swapping slots, or days, wait for each other instead of deadlocking.
    """
    moves = sorted([(to_slot_id, +1), *([(from_slot_id, -1)] if from_slot_id else [])])
    dates = dict(CollectionSlot.objects.filter(pk__in=[slot_id for slot_id, _ in moves]).values_list("pk", "date"))
    for slot_id, step in moves:
        if step > 0 and not _slot_take(slot_id, collection_type):
            return False
        if step < 0:
            _slot_release(slot_id, collection_type)
    for slot_id, step in sorted(moves, key=lambda move: (dates.get(move[0]), move[0])):
        if step > 0 and not _day_take(slot_id, collection_type):
            return False
        if step < 0:
            _day_release(slot_id, collection_type)
    return True


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


def lock_unused_slots(slots: QuerySet) -> list[int]:
    """The windows of ``slots`` that hold no place and that no booking ever used, locked (FOR UPDATE, in primary-key
    order) so that they can be deleted; returns their ids.

    A booking taking a place in one of them meanwhile either went first (its conditional UPDATE made ``booked`` 1:
    PostgreSQL waits for it and re-checks the condition on the committed row, so the window is not locked, and is
    kept), or comes second (its UPDATE waits for this lock, then finds the window gone and changes no row: the
    booking is refused with ``slot_full``, never a foreign-key error)."""
    used = Exists(Booking.objects.filter(slot=OuterRef("pk")))
    unused = slots.filter(~used, booked=0, lab_booked=0).order_by("pk")
    return list(unused.select_for_update(of=("self",)).values_list("pk", flat=True))
