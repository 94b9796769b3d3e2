"""Creating and cancelling bookings: the money-moving writes of the booking flow."""

import datetime
import hashlib
import json

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone

from accounts.models import Notification
from accounts.notifications import notification_create
from billing.gateway import bill_cancel, bill_refund
from billing.locks import lock_bill_of_booking
from billing.models import Payment
from billing.services import billing_record_create_draft
from bookings.codes import booking_code_new, item_code
from bookings.locks import lock_booking, slot_release, slot_take
from bookings.models import Booking, BookingItem, CollectionType
from bookings.services.notifications import notify_booking_placed
from bookings.services.pricing import Quote, booking_quote, quote_items, slot_starts_at
from bookings.states import check_transition
from diagnopet.errors import Conflict, DomainError, NotFound, ValidationFailed
from diagnopet.money import ZERO
from diagnopet.system_settings import system_settings
from promotions.services import REASON_MESSAGES, coupon_redeem, coupon_release

__all__ = ["IdempotencyKeyReused", "booking_cancel", "booking_create", "booking_expire", "booking_quote"]

_CREATE_ATTEMPTS = 3
_IDEMPOTENCY_KEY_MAX = Booking._meta.get_field("idempotency_key").max_length


class IdempotencyKeyReused(DomainError):
    """The Idempotency-Key already made a booking from another request (HTTP 422)."""

    status_code = 422
    default_code = "idempotency_key_reused"


def _idempotency_key_clean(raw) -> str | None:
    """The key as stored: surrounding blanks removed, empty = none. Printable ASCII only (an HTTP structured-field
    string), at most the column's length; anything else is refused rather than cut or stored."""
    key = (raw or "").strip()
    if not key:
        return None
    if len(key) > _IDEMPOTENCY_KEY_MAX or not all(" " <= ch <= "~" for ch in key):
        raise ValidationFailed(
            f"The Idempotency-Key header must be 1 to {_IDEMPOTENCY_KEY_MAX} printable ASCII characters.",
            code="invalid_idempotency_key",
        )
    return key


def _request_hash(**request) -> str:
    """sha256 of a booking request as the service reads it (keys sorted), so a replay can be told from a new
    request that reuses the key."""
    text = json.dumps(request, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def booking_create(
    *,
    user,
    pet_id,
    test_ids,
    collection_type,
    slot_id,
    address_id=None,
    coupon_code=None,
    notes="",
    idempotency_key=None,
    now: datetime.datetime | None = None,
) -> Booking:
    """Book tests for a pet: booking, items, slot place, coupon use, draft bill and the "booking placed"
    notification (sent after commit), all in one transaction.

    A package is booked as one item per component test (its own tube code, report and turnaround), priced at its
    share of the package's price (``bookings.services.pricing.package_line``), so the items still add up to the
    booking's subtotal.

    Prices come from ``booking_quote`` (the same function the quote endpoint uses). With an ``idempotency_key``,
    the same key from the same user returns the booking the first request made (also under concurrency: the unique
    (user, key) index decides); the same key with a different request raises ``IdempotencyKeyReused`` (422), and a
    key longer than the column or with non-printable characters is refused (400). The returned booking has
    ``was_replayed`` set to say which happened; a new one comes with its pet, slot, coupon and items (``shown_items``:
    the rows it inserted, with their tests) loaded, so showing it needs no further query.

    ``now`` is the moment the booking counts as made for the rules that depend on time (a slot must not have started,
    a coupon or offer must be valid); default: this instant. The API never passes it; the demo data does, to book
    the day's earlier windows as if the customers had booked them that morning (``backoffice.demo``).
    """
    idempotency_key = _idempotency_key_clean(idempotency_key)
    request_hash = None
    if idempotency_key:
        request_hash = _request_hash(
            pet_id=pet_id,
            test_ids=list(test_ids or []),
            collection_type=collection_type,
            slot_id=slot_id,
            address_id=address_id,
            coupon_code=(coupon_code or "").strip() or None,
            notes=notes or "",
        )
    for attempt in range(_CREATE_ATTEMPTS):
        # A first attempt goes straight to booking: the unique (user, key) index turns a replay into an
        # IntegrityError, and a replay refused by the rules (the slot it filled is full now) finds its booking below.
        if attempt and (existing := _booking_with_key(user, idempotency_key, request_hash)) is not None:
            return existing
        try:
            booking = _booking_create_once(
                user=user,
                pet_id=pet_id,
                test_ids=test_ids,
                collection_type=collection_type,
                slot_id=slot_id,
                address_id=address_id,
                coupon_code=coupon_code,
                notes=notes,
                idempotency_key=idempotency_key,
                request_hash=request_hash,
                now=now,
            )
        except IntegrityError as exc:
            # Either this key's booking exists (a replay, or a concurrent request with the same key won: the loop
            # returns it), or the random booking code collided (the loop draws a new one). Anything else (a pet
            # deleted meanwhile, a check) is not retried.
            if attempt == _CREATE_ATTEMPTS - 1 or not _booking_unique_violation(exc):
                raise
            continue
        except (ValidationFailed, Conflict):
            if (existing := _booking_with_key(user, idempotency_key, request_hash)) is not None:
                return existing
            raise
        booking.was_replayed = False
        return booking
    raise AssertionError("unreachable")  # pragma: no cover


def _booking_unique_violation(exc: IntegrityError) -> bool:
    """A unique index of the booking row refused it (its code, or the user's idempotency key). A database that
    does not say which (SQLite in development) counts as one."""
    cause = exc.__cause__
    sqlstate = getattr(cause, "sqlstate", None)
    if sqlstate is None:
        return True
    return sqlstate == "23505" and getattr(cause.diag, "table_name", None) == Booking._meta.db_table


def _booking_with_key(user, idempotency_key, request_hash) -> Booking | None:
    """The booking this user already made with this idempotency key, marked as replayed; ``IdempotencyKeyReused``
    when it was made from another request (a booking from before hashes were kept matches any)."""
    if not idempotency_key:
        return None
    existing = Booking.objects.filter(user=user, idempotency_key=idempotency_key).first()
    if existing is None:
        return None
    if existing.idempotency_request_hash is not None and existing.idempotency_request_hash != request_hash:
        raise IdempotencyKeyReused(
            "This Idempotency-Key was already used for a different booking request; use a new key.",
        )
    existing.was_replayed = True
    return existing


@transaction.atomic(durable=True)
def _booking_create_once(
    *,
    user,
    pet_id,
    test_ids,
    collection_type,
    slot_id,
    address_id,
    coupon_code,
    notes,
    idempotency_key,
    request_hash,
    now: datetime.datetime | None,
) -> Booking:
    now = now or timezone.now()
    quote: Quote = booking_quote(
        user=user,
        pet_id=pet_id,
        test_ids=test_ids,
        collection_type=collection_type,
        address_id=address_id,
        slot_id=slot_id,
        coupon_code=coupon_code,
        now=now,
        for_booking=True,
    )
    verdict = quote.coupon
    if verdict is not None and not verdict.valid:
        raise ValidationFailed(REASON_MESSAGES[verdict.reason], code=f"coupon_{verdict.reason}", field="coupon_code")

    address = quote.address
    applied = quote.applied
    booking = Booking.objects.create(
        code=booking_code_new(),
        user=user,
        pet=quote.pet,
        collection_type=quote.collection_type,
        slot=quote.slot,
        booking_date=quote.slot.date,
        address=address,
        address_text=address.one_line if address else "",
        latitude=address.latitude if address else None,
        longitude=address.longitude if address else None,
        notes=notes or "",
        estimated_distance_km=quote.distance_km,
        subtotal=quote.subtotal,
        discount_amount=quote.discount,
        distance_charge=quote.distance_charge,
        total_amount=quote.total,
        coupon=applied.coupon if applied else None,
        offer=applied.offer if applied else None,
        idempotency_key=idempotency_key,
        idempotency_request_hash=request_hash,
    )
    # Lock order: slot, then coupon (bookings.locks).
    if not slot_take(slot_id=quote.slot.id, day_id=quote.slot.day_row, collection_type=quote.collection_type):
        raise Conflict("This slot is fully booked; choose another one.", code="slot_full")
    # The loaded slot counts the place just taken, as the row now does (the UPDATE added 1 with F()).
    if quote.collection_type == CollectionType.HOME:
        quote.slot.booked += 1
    else:
        quote.slot.lab_booked += 1
    # One INSERT for every item, a package's tests included (each with its tube code and its share of the price).
    items = BookingItem.objects.bulk_create(
        BookingItem(
            booking=booking,
            sequence=n,
            code=item_code(booking.code, n),
            test=item.test,
            package=item.package,
            quantity=item.quantity,
            unit_price=item.unit_price,
        )
        for n, item in enumerate(quote_items(quote.lines), start=1)
    )
    if applied is not None and applied.coupon is not None:
        coupon_redeem(coupon=applied.coupon, booking=booking, user=user, discount_amount=applied.amount, now=now)
    billing_record_create_draft(booking=booking, items=items)
    notify_booking_placed(booking)
    # What the API shows of the items (bookings.querysets.bookings_for_customer's shown_items): the rows just
    # inserted, in sequence order, with their tests and packages as the booking read them (their code, name, tube).
    booking.shown_items = items
    return booking


def cancellation_deadline(booking: Booking) -> datetime.datetime | None:
    """Until when the customer may cancel: the slot's start minus the clinic's cutoff hours."""
    if booking.slot is None:
        return None
    cutoff_hours = system_settings().cancellation_cutoff_hours
    return slot_starts_at(booking.slot) - datetime.timedelta(hours=cutoff_hours)


@transaction.atomic(durable=True)
def booking_cancel(*, booking: Booking, by, reason: str = "", as_staff: bool | None = None) -> Booking:
    """Cancel a pending or confirmed booking: give back the slot place and the coupon use, refund what was paid and
    void the draft bill (``billing.gateway.bill_cancel``), cancel the items, and tell the customer.

    A customer may cancel only their own booking, until the cancellation cutoff before the slot; staff may cancel
    any pending or confirmed booking. ``as_staff`` defaults to ``by.is_staff``; the customer API passes False, so a
    staff member booking for their own pet follows the customer's rules there. The booking row is locked, so two
    cancellations cannot both succeed.
    """
    booking = lock_booking(booking_id=booking.pk)
    as_staff = bool(by.is_staff) if as_staff is None else as_staff
    if not as_staff and booking.user_id != by.pk:
        raise NotFound("Booking not found.")
    check_transition("booking", booking.status, Booking.Status.CANCELLED)
    if not as_staff:
        deadline = cancellation_deadline(booking)
        if deadline is not None and timezone.now() > deadline:
            raise Conflict(
                f"Bookings can be cancelled online until {timezone.localtime(deadline):%d %b %Y %H:%M}. "
                "Please call the clinic.",
                code="cancellation_cutoff_passed",
            )
    role = Booking.CancelledBy.STAFF if as_staff else Booking.CancelledBy.CUSTOMER
    return _cancel(booking, by=by, role=role, reason=reason)


class _PaymentRecorded(Exception):
    """A payment was recorded for the booking being expired: its expiry is rolled back."""


def booking_expire(*, booking: Booking, reason: str = "Not confirmed before its slot started.") -> Booking | None:
    """Cancel a booking that is still pending when its slot has started or its hold ran out (the system does it;
    nobody to blame), in one transaction. Returns None when the booking is no longer pending (e.g. confirmed
    meanwhile) or a payment (of any status) is recorded for it: a booking someone paid for is never expired."""
    try:
        return _expire(booking, reason)
    except _PaymentRecorded:
        return None


@transaction.atomic
def _expire(booking: Booking, reason: str) -> Booking | None:
    booking = lock_booking(booking_id=booking.pk)
    if booking.status != Booking.Status.PENDING:
        return None
    cancelled = _cancel(booking, by=None, role=Booking.CancelledBy.SYSTEM, reason=reason)
    # Checked after the cancellation locked the bill (bill_cancel), in the lock order: a payment recorded
    # before is seen here and undoes the expiry; one recorded after finds the bill void and is refused.
    if Payment.objects.filter(billing_record__booking_id=booking.pk).exists():
        raise _PaymentRecorded
    return cancelled


def _refund_tests_not_recollected(recollection: Booking) -> None:
    """A free re-collection is cancelled: its samples will not be taken again, so the tests it stood for are given
    back from the original booking's bill — what their items charged there, at most what that bill still holds
    (``billing.gateway.bill_refund``: online money through its provider, door money as a desk refund). A refund is
    never due again (``billing.selectors.bill_payment``); what the original still owes for them is left to staff."""
    tests = recollection.items.filter(status=BookingItem.Status.PENDING).values_list("test_id", flat=True)
    charged = BookingItem.objects.filter(
        booking_id=recollection.recollection_of_id,
        test_id__in=list(tests),
        status__in=[BookingItem.Status.REJECTED, BookingItem.Status.CANCELLED],
    ).aggregate(total=Sum(F("unit_price") * F("quantity")))["total"]
    record = lock_bill_of_booking(booking=recollection.recollection_of_id)
    if record is None or not charged:
        return
    amount = min(charged, record.amount_paid)
    if amount > ZERO:
        bill_refund(
            record=record,
            amount=amount,
            reason=f"Re-collection {recollection.code} cancelled: the tests were not done.",
        )


def _cancel(booking: Booking, *, by, role: str, reason: str) -> Booking:
    """The cancellation itself, on a locked booking whose transition was checked."""
    now = timezone.now()
    if booking.slot_id:
        slot_release(slot_id=booking.slot_id, collection_type=booking.collection_type)
    coupon_release(booking=booking)
    bill_cancel(booking=booking, reason=f"Booking {booking.code} cancelled. {reason}".strip())
    if booking.recollection_of_id is not None:
        _refund_tests_not_recollected(booking)
    booking.items.filter(status=BookingItem.Status.PENDING).update(status=BookingItem.Status.CANCELLED, updated_at=now)
    booking.status = Booking.Status.CANCELLED
    booking.cancelled_at = now
    booking.cancelled_by = by
    booking.cancelled_by_role = role
    booking.cancellation_reason = reason or ""
    booking.save(
        update_fields=[
            "status",
            "cancelled_at",
            "cancelled_by",
            "cancelled_by_role",
            "cancellation_reason",
            "updated_at",
        ]
    )
    notification_create(
        user=booking.user,
        kind=Notification.Kind.BOOKING_CANCELLED,
        title=f"Booking {booking.code} cancelled",
        body=reason or "Your booking was cancelled.",
        data={"booking": booking.pk},
        event_key=f"booking:{booking.pk}:cancelled",
    )
    return booking
