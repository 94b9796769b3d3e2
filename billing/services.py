"""Billing services: home-collection charges, billing records, invoices and payments.

This app never imports ``bookings``; it receives booking objects and reads them through their fields.
"""

import math
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import OperationalError, connection, transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from accounts.models import StaffRole
from accounts.permissions import user_has_role
from billing.documents import invoice_render_enqueue, receipt_render_enqueue
from billing.locks import lock_bill, lock_bill_of_booking, lock_invoice_sequence, lock_open_distance_pricing
from billing.models import BillingRecord, CategoryDayTotal, DistancePricingConfig, Payment, PaymentDayTotal
from billing.selectors import (
    CATEGORY_TOTALS_JOB,
    bill_refunded,
    local_midnight,
    payments_by_day,
    record_payment,
)
from diagnopet.errors import Conflict, DomainError, ValidationFailed
from diagnopet.money import ZERO, format_money, to_money
from diagnopet.reference_cache import reference_get, reference_key
from diagnopet.scheduling import scheduled_run

EARTH_RADIUS_KM = 6371.0088


DISTANCE_PRICING_CACHE = reference_key("distance-pricing")


def distance_pricing_active(*, on: date, cached: bool = False) -> DistancePricingConfig | None:
    """The config in force on ``on``: the latest ``effective_from`` ≤ ``on`` whose ``effective_until`` is empty or ≥
    ``on`` (among active rows).

    Read from the database (one query: what a booking charges), or with ``cached`` (a quote) from the shared cache's
    rows (``billing.signals`` invalidates it on every save and delete); the date rule is applied here either way, so
    a cached row is never used outside its dates.
    """
    if not cached:
        in_force = DistancePricingConfig.objects.filter(
            Q(effective_until__isnull=True) | Q(effective_until__gte=on), is_active=True, effective_from__lte=on
        )
        return in_force.order_by("-effective_from", "-id").first()
    for row in reference_get(DISTANCE_PRICING_CACHE, _distance_pricing_rows):
        if row["effective_from"] <= on and (row["effective_until"] is None or row["effective_until"] >= on):
            return DistancePricingConfig(**row)
    return None


def distance_pricing_start_refusal(*, effective_from: date) -> str | None:
    """Why a new distance pricing cannot start on ``effective_from`` (None when it can): not in the past (bookings
    already charged keep their price), and after every pricing already on record, so each day has one price; or on
    the very day of a pricing that has not started yet, which it replaces (a mistake corrected before it charged
    anyone)."""
    today = timezone.localdate()
    if effective_from < today:
        return "A new pricing cannot start in the past: bookings already charged keep their price."
    latest = DistancePricingConfig.objects.filter(is_active=True).order_by("-effective_from").first()
    if latest is None or latest.effective_from < effective_from:
        return None
    if latest.effective_from == effective_from and effective_from > today:
        return None
    return (
        f"A pricing already starts on {latest.effective_from:%d/%m/%Y}; the new one must start after it "
        "(or on that day, to replace it, while it has not started)."
    )


@transaction.atomic  # not durable: the admin's add view runs it inside its own transaction
def distance_pricing_start(*, pricing: DistancePricingConfig, by) -> DistancePricingConfig:
    """Put a new distance pricing (unsaved, its amounts and ``effective_from`` filled) in force from its date.

    Pricing is history, never edited: the rows still open end the day before the new one starts
    (``effective_until``), in the same transaction, so the charge for any day is the one recorded then; a pricing
    not started yet that begins the same day is switched off instead (kept, never used). The open rows are locked
    first (billing/locks.py) and the date rule re-checked under the lock.
    """
    open_rows = lock_open_distance_pricing()
    refusal = distance_pricing_start_refusal(effective_from=pricing.effective_from)
    if refusal:
        raise ValidationFailed(refusal, code="pricing_date", field="effective_from")
    last_day = pricing.effective_from - timedelta(days=1)
    for row in open_rows:
        if row.effective_from >= pricing.effective_from:
            row.is_active = False  # replaced before its first day
        else:
            row.effective_until = last_day
        row.updated_by = by
        row.save(update_fields=["effective_until", "is_active", "updated_by", "updated_at"])
    pricing.effective_until = None
    pricing.is_active = True
    pricing.updated_by = by
    pricing.save()
    return pricing


def _distance_pricing_rows() -> list[dict]:
    # Newest first: the first row whose dates contain the day is the one in force.
    return list(DistancePricingConfig.objects.filter(is_active=True).order_by("-effective_from", "-id").values())


def road_distance_km(*, origin: tuple, destination: tuple, road_factor: Decimal) -> Decimal:
    """Great-circle (haversine) distance between two (lat, lon) points × the road factor, in km (2 places)."""
    lat1, lon1 = (math.radians(float(v)) for v in origin)
    lat2, lon2 = (math.radians(float(v)) for v in destination)
    a = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    straight = 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))
    # Decimal(str(...)) keeps the float's shortest repr, so rounding is on the digits people see.
    return to_money(Decimal(str(straight)) * Decimal(road_factor))


@dataclass(frozen=True)
class DistanceCharge:
    distance_km: Decimal
    charge: Decimal
    config: DistancePricingConfig


def distance_charge_compute(*, distance_km: Decimal, on: date, cached: bool = False) -> DistanceCharge:
    """The home-collection charge for ``distance_km`` under the config in force on ``on``.

    0 within the free radius (inclusive); else ``base_charge + (km − free km) × charge_per_km``, rounded half-up to
    paise. Beyond ``max_service_distance_km`` home collection is refused. ``cached``: see ``distance_pricing_active``.
    """
    config = distance_pricing_active(on=on, cached=cached)
    if config is None:
        raise ValidationFailed(
            "Home collection is not available right now. Please choose a lab visit.",
            code="home_collection_unavailable",
            field="collection_type",
        )
    if distance_km > config.max_service_distance_km:
        raise ValidationFailed(
            f"This address is {distance_km} km away; we collect at home up to "
            f"{config.max_service_distance_km} km. Please choose a lab visit.",
            code="beyond_service_area",
            field="address",
        )
    return DistanceCharge(distance_km=distance_km, charge=distance_charge_for(config, distance_km), config=config)


def distance_charge_for(config: DistancePricingConfig, distance_km: Decimal) -> Decimal:
    """The pricing rule itself: 0 within the free radius (inclusive), else ``base_charge + (km − free km) ×
    charge_per_km``, rounded half-up to paise. No service-area check: a visit that took place is charged."""
    if distance_km <= config.max_free_distance_km:
        return ZERO
    return to_money(config.base_charge + (distance_km - config.max_free_distance_km) * config.charge_per_km)


# savepoint=False: called inside the booking transaction; a failure here fails the whole booking anyway.
@transaction.atomic(savepoint=False)
def billing_record_create_draft(*, booking, items) -> BillingRecord:
    """Snapshot a booking's money as a draft billing record (called inside the booking transaction, after its
    items were created; each item's ``test`` is loaded)."""
    record = BillingRecord(
        booking=booking,
        user=booking.user,  # the booking's loaded customer: the record's name (audit log) reads it
        base_amount=booking.subtotal,
        discount_amount=booking.discount_amount,
        distance_charge=booking.distance_charge,
        final_amount=booking.total_amount,
        billing_date=booking.booking_date,
        billing_period=f"{booking.booking_date:%Y-%m}",
        collection_type=booking.collection_type,
        status=BillingRecord.Status.DRAFT,
    )
    record.amount_refunded = ZERO  # a new bill has no refunds: its name (audit log) needs no query for them
    record.save(force_insert=True)
    if items:
        # One INSERT for the test links (the record is new: nothing to compare with).
        BillingRecord.tests.through.objects.bulk_create(
            BillingRecord.tests.through(billingrecord_id=record.pk, labtest_id=item.test_id) for item in items
        )
    return record


@transaction.atomic(savepoint=False)
def billing_record_void(*, booking) -> BillingRecord | None:
    """Void the booking's billing record. Only unpaid, uninvoiced records can be voided; anything else needs a
    refund first (a cancellation goes through ``billing.gateway.bill_cancel``, which refunds)."""
    record = lock_bill_of_booking(booking=booking)
    if record is None or record.status == BillingRecord.Status.VOID:
        return record
    if record.amount_paid > ZERO:
        raise Conflict("This bill holds money; refund it first.", code="billing_not_voidable")
    if record.status not in (BillingRecord.Status.DRAFT, BillingRecord.Status.FINALIZED):
        raise Conflict(
            f"The bill for this booking is already {record.get_status_display().lower()}; refund it first.",
            code="billing_not_voidable",
        )
    record.status = BillingRecord.Status.VOID
    record.voided_at = timezone.now()
    record.save(update_fields=["status", "voided_at", "updated_at"])
    return record


@transaction.atomic(savepoint=False)
def billing_record_finalize(*, booking) -> BillingRecord | None:
    """Mark the booking's draft bill final (the booking is completed); later states are left as they are."""
    record = lock_bill_of_booking(booking=booking)
    if record is None or record.status != BillingRecord.Status.DRAFT:
        return record
    record.status = BillingRecord.Status.FINALIZED
    record.finalized_at = timezone.now()
    record.save(update_fields=["status", "finalized_at", "updated_at"])
    return record


@transaction.atomic(savepoint=False)
def billing_record_distance_adjust(
    *, booking, distance_charge: Decimal, discount_amount: Decimal, note: str
) -> BillingRecord | None:
    """Charge the home visit for where it really took place: set the bill's distance charge (and the discount that
    follows it) and its final amount, with ``note`` on the bill saying what changed (django-auditlog keeps the
    before and after). Called in the collection transaction, before any door payment.

    Only a draft bill changes, and only if what was paid still fits the new final amount: a bill that is final,
    invoiced, paid or void, or paid above the new amount, is left as it is and gets a note for staff instead.
    Returns the record when its money changed, else None.
    """
    record = lock_bill_of_booking(booking=booking)
    if record is None:
        return None
    final_amount = record.base_amount - discount_amount + distance_charge
    if record.status != BillingRecord.Status.DRAFT or record.amount_paid > final_amount:
        why = (
            f"the bill is {record.get_status_display().lower()}"
            if record.status != BillingRecord.Status.DRAFT
            else f"{format_money(record.amount_paid)} is paid already"
        )
        record.distance_note = f"{note} Not applied: {why}. Staff to review."
        record.save(update_fields=["distance_note", "updated_at"])
        return None
    record.distance_charge, record.discount_amount, record.final_amount = distance_charge, discount_amount, final_amount
    record.distance_note = note
    record.save(update_fields=["distance_charge", "discount_amount", "final_amount", "distance_note", "updated_at"])
    return record


def settle_status(record: BillingRecord, now) -> list[str]:
    """Move an invoiced record to paid when what was paid covers it, refunds included (money given back is not due
    again: ``bill_payment``), and back when a failed refund or a reversed payment uncovers it."""
    if record.status not in (BillingRecord.Status.INVOICED, BillingRecord.Status.PAID):
        return []
    covered = record.amount_paid + bill_refunded(record) >= record.final_amount
    if record.status == BillingRecord.Status.INVOICED and covered:
        record.status, record.paid_date = BillingRecord.Status.PAID, now
        return ["status", "paid_date"]
    if record.status == BillingRecord.Status.PAID and not covered:
        record.status, record.paid_date = BillingRecord.Status.INVOICED, None
        return ["status", "paid_date"]
    return []


@transaction.atomic
def invoice_assign_number(*, record: BillingRecord, now=None) -> BillingRecord:
    """Give a finalized bill the next invoice number of its year, ``INV-YYYY-NNNNNN``.

    Numbers are gap-free per year, also under concurrency: the year's ``InvoiceSequence`` row is locked while the
    number is taken and the bill updated, in the same transaction, so a rollback gives the number back.
    """
    from billing.models import InvoiceSequence

    now = now or timezone.now()
    record = lock_bill(record_id=record.pk)
    if record.invoice_number:
        return record
    if record.status != BillingRecord.Status.FINALIZED:
        raise Conflict(
            f"Only finalized bills can be invoiced; this one is {record.get_status_display().lower()}.",
            code="not_invoiceable",
        )
    year = timezone.localdate(now).year
    # Create the year's counter if it is the first invoice of the year (a concurrent creator is ignored), then
    # lock it: concurrent invoicers queue here and each sees the previous one's number.
    InvoiceSequence.objects.bulk_create([InvoiceSequence(year=year, last_number=0)], ignore_conflicts=True)
    sequence = lock_invoice_sequence(year=year)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number", "updated_at"])
    record.invoice_number = f"INV-{year}-{sequence.last_number:06d}"
    record.invoice_date = now
    record.status = BillingRecord.Status.INVOICED
    fields = ["invoice_number", "invoice_date", "status", "updated_at", *settle_status(record, now)]
    record.save(update_fields=fields)
    invoice_render_enqueue(record)
    return record


class RefundNotAllowed(DomainError):
    """Only the clinic admin role gives money back (HTTP 403)."""

    status_code = 403
    default_code = "refund_not_allowed"


def amount_due(record: BillingRecord) -> Decimal:
    """What is still to be paid on a bill: its final amount less what has been paid and what was given back (never
    below zero; nothing on a void bill). The rule is ``billing.selectors.bill_payment``'s."""
    return record_payment(record, amount_refunded=bill_refunded(record)).amount_due


def refund_allowed(user) -> bool:
    """Who may give money back: the clinic admin role (a superuser too). Forms ask it to offer refunds at all."""
    return user_has_role(user, StaffRole.ADMIN)


def payment_refusal(*, record: BillingRecord, amount: Decimal, kind: str, by=None) -> DomainError | None:
    """Why this payment or refund may not be recorded against ``record`` as it stands, or None when it may.

    The one statement of the rule: a payment is at most what is still due, and a void bill takes none; a refund is
    at most what was paid (net of earlier refunds) and is given only by a clinic admin (the admin role or a
    superuser), void bill or not (money that came back to a void bill, a refund that failed, must go out again).
    ``by`` None is code acting on its own (a command, a payment provider's event), not a person. ``payment_record``
    asks this under the bill's row lock; forms ask it first so that the refusal shows on the field.
    """
    from billing.models import Payment

    if kind == Payment.Kind.PAYMENT:
        if record.status == BillingRecord.Status.VOID:
            return Conflict("This bill is void (the booking was cancelled).", code="billing_void")
        due = amount_due(record)
        if amount > due:
            message = (
                f"This bill has {format_money(due)} still due; a payment cannot be more than that."
                if due
                else "This bill is fully paid; nothing is due."
            )
            return ValidationFailed(message, code="payment_exceeds_due", field="amount")
        return None
    if kind == Payment.Kind.REFUND:
        if by is not None and not refund_allowed(by):
            return RefundNotAllowed("Only a clinic admin can record a refund.", field="kind")
        if amount > record.amount_paid:
            return ValidationFailed(
                f"A refund cannot exceed what was paid ({format_money(record.amount_paid)}).",
                code="refund_too_large",
                field="amount",
            )
        return None
    return ValidationFailed("Kind must be payment or refund.", code="invalid_kind", field="kind")


@transaction.atomic
def payment_record(
    *,
    record: BillingRecord,
    amount: Decimal,
    method: str,
    by=None,
    reference: str = "",
    kind: str = "payment",
    notes: str = "",
    now=None,
):
    """Record money received for a bill (or refunded from it) and update what has been paid.

    A payment may be taken before the bill is final (e.g. at the door); the bill becomes ``paid`` once it is
    invoiced and its payments cover the final amount. Limits (``payment_refusal``) are checked on the bill read
    under its row lock, so concurrent payments queue there and each sees what the previous one paid: together
    they never exceed the amount due.
    """
    from billing.models import Payment

    now = now or timezone.now()
    amount = to_money(amount)
    if amount <= ZERO:
        raise ValidationFailed("The amount must be more than zero.", code="invalid_amount", field="amount")
    if method not in Payment.Method.values:
        raise ValidationFailed("Choose cash, card, UPI or online.", code="invalid_method", field="method")
    record = lock_bill(record_id=record.pk)
    refusal = payment_refusal(record=record, amount=amount, kind=kind, by=by)
    if refusal is not None:
        raise refusal
    record.amount_paid += -amount if kind == Payment.Kind.REFUND else amount
    payment = Payment.objects.create(
        billing_record=record,
        kind=kind,
        amount=amount,
        method=method,
        status=Payment.Status.SUCCEEDED,
        reference=reference,
        received_by=by,
        received_at=now,
        notes=notes,
    )
    record.save(update_fields=["amount_paid", "updated_at", *settle_status(record, now)])
    if kind == Payment.Kind.PAYMENT:
        receipt_render_enqueue(payment)
    return payment


# --- Category totals (the billing summary's split by test category) ---------------------------------------------
# Computed, not kept: ``category_totals_rebuild`` replaces the whole CategoryDayTotal table with what the bills'
# items add up to, every few minutes (Celery beat) and on demand (``manage.py billing_totals``). No bill change and
# no catalog change writes to it, so nothing can drift for long; the report says how old the figures are.


def category_totals_from_items():
    """The category totals computed from the bills that count and their booking items (the slow, exact way)."""
    # Through the record's booking to its items: billing never imports bookings.
    items = "booking__items__"
    return (
        BillingRecord.objects.exclude(status=BillingRecord.Status.VOID)
        .filter(booking__items__isnull=False)
        .values(day=F("billing_date"), category=F(f"{items}test__category_id"))
        .annotate(items=Count(f"{items}id"), amount=Sum(F(f"{items}unit_price") * F(f"{items}quantity")))
        .order_by("day", "category")
    )


@contextmanager
def _one_snapshot():
    """One transaction reading one snapshot of the database (REPEATABLE READ on PostgreSQL), so that bookings made
    meanwhile are either wholly in what it reads or wholly out of it, and two rebuilds at once cannot both write
    (the second is refused and starts again). Inside another transaction it is a plain savepoint."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield


def _payment_totals_rebuild(*, before: date) -> int:
    """Replace the payment day totals with what the succeeded payments received before the local day ``before``
    add up to (the days after are read from the payments by the summary). In the caller's snapshot."""
    PaymentDayTotal.objects.all().delete()
    received = Payment.objects.filter(received_at__lt=local_midnight(before))
    rows = [
        PaymentDayTotal(day=r["day"], collection_type=r["collection_type"], kind=r["kind"], amount=r["amount"])
        for r in payments_by_day(received)
    ]
    PaymentDayTotal.objects.bulk_create(rows, batch_size=5000)
    return len(rows)


def category_totals_drift() -> list[dict]:
    """Days and categories where the stored totals differ from the items now (empty when they are up to date)."""
    with _one_snapshot():
        expected = {(r["day"], r["category"]): (r["items"], r["amount"]) for r in category_totals_from_items()}
        stored = {
            (r["day"], r["category"]): (r["items"], r["amount"])
            for r in CategoryDayTotal.objects.values("day", "category", "items", "amount")
        }
    drift = []
    for day, category in sorted(expected.keys() | stored.keys()):
        want, have = expected.get((day, category), (0, ZERO)), stored.get((day, category), (0, ZERO))
        if want != have:
            drift.append({"day": day, "category": category, "expected": want, "stored": have})
    return drift


def category_totals_rebuild(*, attempts: int = 3) -> int:
    """Replace the category totals with what the bills and their items add up to now; returns the rows written (one
    per day and category). One transaction: the report reads the previous figures until it commits. Recorded as a
    run of ``CATEGORY_TOTALS_JOB``, whose time the report shows ("as of"). The payment day totals (the summary's
    money received on past days) are rebuilt in the same snapshot."""
    return scheduled_run(CATEGORY_TOTALS_JOB, lambda since, now: _rebuild(attempts))


def _rebuild(attempts: int) -> int:
    for attempt in range(1, attempts + 1):
        try:
            with _one_snapshot():
                CategoryDayTotal.objects.all().delete()
                rows = [
                    CategoryDayTotal(day=r["day"], category_id=r["category"], items=r["items"], amount=r["amount"])
                    for r in category_totals_from_items()
                ]
                CategoryDayTotal.objects.bulk_create(rows, batch_size=5000)
                _payment_totals_rebuild(before=timezone.localdate())
            return len(rows)
        except OperationalError as error:
            if getattr(error.__cause__, "sqlstate", None) != "40001" or attempt == attempts:
                raise
    raise AssertionError("unreachable")
