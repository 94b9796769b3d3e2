"""Online payments and refunds: checkout orders, confirmations, provider events, refunds, reconciliation.

Every money row is written under the bill's row lock (``billing.locks.lock_bill``), so a confirmation, a webhook
and a reconciliation for the same payment queue there and the first one records it; the others find it (and the
unique (provider, payment id) index backs that up). Provider calls (HTTP) are made outside any transaction that
holds a bill's lock — refunds by a task after the refund row committed (holding only that refund row's lock, so
that two senders cannot both ask; see ``refund_send``) — except a checkout order, made under its bill's lock so
that two checkouts at once make one order (``payment_order_create``).

``Payment.amount_paid`` bookkeeping: a succeeded payment adds to the bill's ``amount_paid``; a refund takes its
amount off as soon as it is asked for (pending), so nothing can be refunded twice, and gives it back if it fails.
"""

import datetime
import logging
import uuid
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from accounts.models import Notification, StaffRole
from accounts.notifications import notification_create
from billing.documents import receipt_render_enqueue
from billing.locks import lock_bill, lock_bill_of_booking, lock_refund_to_send
from billing.models import BillingRecord, Payment, PaymentOrder, Provider, ProviderEvent
from billing.providers import (
    ProviderError,
    ProviderPayment,
    ProviderRefund,
    ProviderRefused,
    WebhookEvent,
    online_providers,
    provider_get,
)
from billing.services import (
    RefundNotAllowed,
    amount_due,
    payment_record,
    payment_refusal,
    refund_allowed,
    settle_status,
)
from diagnopet.errors import Conflict, DomainError, NotFound, ValidationFailed
from diagnopet.money import ZERO, format_money, to_money

logger = logging.getLogger(__name__)

R = Payment.Status
COUNTED_REFUND = (R.PENDING, R.SUCCEEDED)  # refunds that hold back money from what was paid


# --- Checkout --------------------------------------------------------------------------------------------------


@transaction.atomic(durable=True)
def payment_order_create(*, record: BillingRecord, provider_name: str) -> PaymentOrder:
    """A provider order for what is still due on ``record``, for the app's checkout.

    The same open order is returned while it is unexpired and for the same amount (paying twice does not make two
    orders); otherwise a new one is made at the provider (HTTP) and stored. Nothing due → 409 ``nothing_due``; a
    void bill → 409 ``billing_void``; a provider not configured → 400 ``payment_provider_unavailable``.

    "Find the open order or make one" runs under the bill's row lock, so two checkouts at once (a double tap, two
    devices) queue there and the second gets the order the first made: one order at the provider, not a second
    payment to refund later. The lock is held across the provider's call (bounded by ``PAYMENT_PROVIDER_TIMEOUT``)
    and is this transaction's only lock (durable: no caller's locks held either), so a payment or refund on the same
    bill waits at most for that call and nothing can deadlock. A provider failure rolls back; nothing is stored.
    """
    provider = provider_get(provider_name)
    if not provider.online:
        raise ValidationFailed(
            "Choose razorpay or stripe to pay online.", code="payment_provider_unavailable", field="provider"
        )
    record = lock_bill(record_id=record.pk)
    if record.status == BillingRecord.Status.VOID:
        raise Conflict("This bill is void (the booking was cancelled).", code="billing_void")
    due = amount_due(record)
    if due <= ZERO:
        raise Conflict("Nothing is due on this booking.", code="nothing_due")
    now = timezone.now()
    open_order = (
        PaymentOrder.objects.filter(
            billing_record=record, provider=provider.name, amount=due, status=PaymentOrder.Status.CREATED
        )
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .order_by("-created_at")
        .first()
    )
    if open_order is not None:
        return open_order
    # Our reference at the provider (Razorpay's receipt is at most 40 characters; Stripe's idempotency key).
    receipt = f"bill-{record.pk}-{uuid.uuid4().hex[:12]}"
    checkout = provider.create_order(bill=record, amount=due, currency=record.currency, receipt=receipt)
    if checkout.amount != due:
        raise ProviderError("The provider made an order for another amount; nothing was charged.")
    return PaymentOrder.objects.create(
        billing_record=record,
        provider=provider.name,
        amount=checkout.amount,
        currency=checkout.currency,
        provider_order_id=checkout.provider_order_id,
        client_secret=checkout.client_secret,
        expires_at=now + datetime.timedelta(minutes=settings.PAYMENT_ORDER_TTL_MINUTES),
    )


def payment_confirm(*, user, provider_name: str, payload: dict) -> tuple[Payment, bool]:
    """What the app sends after checkout: verified with the provider (Razorpay's signature by its SDK; Stripe's
    PaymentIntent retrieved from Stripe), then recorded once. Returns the payment and whether this call recorded it
    (False: a confirmation or webhook recorded it before).

    An order that is not the caller's answers 404, and nothing is captured for it: a payment only authorized (an
    account that does not capture automatically) is captured after that check, never before. A payment not
    captured yet answers 409 ``payment_not_captured``.
    """
    provider = provider_get(provider_name)
    if not provider.online:
        raise ValidationFailed(
            "Choose razorpay or stripe to pay online.", code="payment_provider_unavailable", field="provider"
        )
    proven = provider.verify_confirmation(payload)
    order = PaymentOrder.objects.filter(
        provider=provider.name, provider_order_id=proven.provider_order_id, billing_record__user=user
    ).first()
    if order is None:
        raise NotFound("Payment not found.")
    if proven.authorized:
        proven = provider.capture(proven)
    if not proven.captured:
        raise Conflict("The provider has not taken this payment (yet).", code="payment_not_captured")
    payment, created = provider_payment_record(provider_name=provider.name, proven=proven)
    if payment is None:  # pragma: no cover - the order was found above
        raise NotFound("Payment not found.")
    return payment, created


@transaction.atomic
def provider_payment_record(*, provider_name: str, proven: ProviderPayment) -> tuple[Payment | None, bool]:
    """Record a captured provider payment once (None when its order is not one of ours).

    Money the provider took is recorded whatever the bill says (it was taken): what is more than the bill needs
    (paid twice, or paid after the booking was cancelled) is refunded at once through the provider. The customer is
    told once; its receipt is rendered after commit. Events that waited for this payment (a refund that arrived
    first) are processed after commit.
    """
    order = PaymentOrder.objects.filter(provider=provider_name, provider_order_id=proven.provider_order_id).first()
    if order is None or not proven.captured:
        return None, False
    record = lock_bill(record_id=order.billing_record_id)
    existing = Payment.objects.filter(
        provider=provider_name, provider_payment_id=proven.provider_payment_id, kind=Payment.Kind.PAYMENT
    ).first()
    if existing is not None:
        return existing, False
    now = timezone.now()
    amount = to_money(proven.amount)
    payment = Payment.objects.create(
        billing_record=record,
        kind=Payment.Kind.PAYMENT,
        amount=amount,
        method=Payment.Method.ONLINE,
        status=R.SUCCEEDED,
        reference=proven.provider_payment_id,
        received_at=now,
        provider=provider_name,
        provider_order_id=proven.provider_order_id,
        provider_payment_id=proven.provider_payment_id,
        notes=f"Paid online ({proven.method})" if proven.method else "Paid online",
    )
    record.amount_paid += amount
    record.save(update_fields=["amount_paid", "updated_at", *settle_status(record, now)])
    PaymentOrder.objects.filter(pk=order.pk).update(status=PaymentOrder.Status.PAID, updated_at=now)
    receipt_render_enqueue(payment)  # after commit, as payment_record does
    notification_create(
        user=record.user,
        kind=Notification.Kind.GENERAL,
        title=f"Payment of {format_money(amount)} received",
        body=f"Thank you: we received {format_money(amount)} for your booking (ref. {proven.provider_payment_id}).",
        data={"billing_record": record.pk, "payment": payment.pk},
        event_key=f"payment:{payment.pk}:received",
    )
    excess = record.amount_paid if _booking_cancelled(record) else record.amount_paid - record.final_amount
    if excess > ZERO:
        refund_issue(payment=payment, amount=min(excess, amount), reason="More than the bill needed.")
    transaction.on_commit(lambda: _events_retry(provider_name), robust=True)
    return payment, True


def _booking_cancelled(record: BillingRecord) -> bool:
    # Through the relation: billing never imports bookings.
    return record.status == BillingRecord.Status.VOID or (
        BillingRecord.objects.filter(pk=record.pk, booking__status="cancelled").exists()
    )


# --- Refunds ---------------------------------------------------------------------------------------------------


def refundable(payment: Payment) -> Decimal:
    """What may still be refunded from a payment: its amount less its refunds that are not failed."""
    taken = payment.refunds.filter(status__in=COUNTED_REFUND).aggregate(total=Sum("amount"))["total"] or ZERO
    return max(payment.amount - taken, ZERO)


@transaction.atomic
def refund_issue(*, payment: Payment, amount: Decimal, by=None, reason: str = "", done: bool = False) -> Payment:
    """Give ``amount`` of ``payment`` back: a refund row, pending until the money is back.

    Online payments are refunded through their provider by a task after commit (``refund_send``); the provider's
    answer or its webhook settles the row. Money taken at the door or desk is handed back there: the row stays
    pending ("to refund at the desk", the original method) until the clinic admin marks it done, or is done at
    once when ``done`` (the admin recording a refund they are handing over). Limits: ``payment_refusal`` (a clinic
    admin, or the system; at most what was paid) and at most what is left of this payment.
    """
    amount = to_money(amount)
    if amount <= ZERO:
        raise ValidationFailed("The amount must be more than zero.", code="invalid_amount", field="amount")
    record = lock_bill(record_id=payment.billing_record_id)
    payment = Payment.objects.get(pk=payment.pk)
    if payment.kind != Payment.Kind.PAYMENT or payment.status != R.SUCCEEDED:
        raise ValidationFailed("Only a received payment can be refunded.", code="not_refundable", field="amount")
    refusal = payment_refusal(record=record, amount=amount, kind=Payment.Kind.REFUND, by=by)
    if refusal is not None:
        raise refusal
    left = refundable(payment)
    if amount > left or amount > record.amount_paid:
        raise ValidationFailed(
            f"At most {min(left, record.amount_paid)} of this payment can be refunded.",
            code="refund_too_large",
            field="amount",
        )
    now = timezone.now()
    online = payment.provider != Provider.MANUAL
    refund = Payment.objects.create(
        billing_record=record,
        kind=Payment.Kind.REFUND,
        amount=amount,
        method=payment.method,
        status=R.SUCCEEDED if done and not online else R.PENDING,
        reference=payment.reference,
        received_by=by,
        received_at=now,
        provider=payment.provider,
        provider_order_id=payment.provider_order_id,
        refund_of=payment,
        notes=(reason or "Refund")[:255] if online or done else f"To refund at the desk. {reason}".strip()[:255],
    )
    record.amount_paid -= amount
    record.save(update_fields=["amount_paid", "updated_at", *settle_status(record, now)])
    how = (
        "through the way you paid; it can take 5–7 working days to show"
        if online
        else "at the clinic desk"
        if not done
        else "at the clinic"
    )
    notification_create(
        user=record.user,
        kind=Notification.Kind.GENERAL,
        title=f"Refund of {format_money(amount)} issued",
        body=f"{format_money(amount)} is being refunded {how}."
        if refund.status == R.PENDING
        else f"{format_money(amount)} was refunded {how}.",
        data={"billing_record": record.pk, "payment": payment.pk, "refund": refund.pk},
        event_key=f"refund:{refund.pk}:issued",
    )
    if online:
        from billing.tasks import refund_send_task  # the tasks module imports this one

        transaction.on_commit(lambda: refund_send_task.delay(refund.pk), robust=True)
    _void_if_settled(record)
    return refund


@transaction.atomic
def bill_refund_all(*, record: BillingRecord, reason: str) -> list[Payment]:
    """Refund everything still paid on a bill (a cancelled booking), payment by payment, newest first.

    At most what the bill holds (``amount_paid``, read under its lock): a refund recorded without naming its payment
    (the admin's form before providers, ``payment_record``) is in that figure though no payment's ``refunds``."""
    refunds, held = [], record.amount_paid
    for payment in record.payments.filter(kind=Payment.Kind.PAYMENT, status=R.SUCCEEDED).order_by("-received_at"):
        part = min(refundable(payment), held)
        if part > ZERO:
            refunds.append(refund_issue(payment=payment, amount=part, reason=reason))
            held -= part
    return refunds


@transaction.atomic
def bill_cancel(*, booking, reason: str = "The booking was cancelled.") -> BillingRecord | None:
    """The bill of a booking being cancelled (called in the cancellation's transaction, after the booking's lock).

    A bill never vanishes with money on it: everything still paid is refunded (``bill_refund_all``: online through
    the provider, door and desk payments as pending desk refunds); the bill is voided now when it holds nothing and
    no refund is pending, else once the last refund is done (``_void_if_settled``). Invoiced or paid bills (a
    completed booking) are not voided here: ``billing_not_voidable``.
    """
    record = lock_bill_of_booking(booking=booking)
    if record is None or record.status == BillingRecord.Status.VOID:
        return record
    if record.status not in (BillingRecord.Status.DRAFT, BillingRecord.Status.FINALIZED):
        raise Conflict(
            f"The bill for this booking is already {record.get_status_display().lower()}; refund it first.",
            code="billing_not_voidable",
        )
    bill_refund_all(record=record, reason=reason)
    record.refresh_from_db()
    if record.amount_paid == ZERO and not record.payments.filter(kind=Payment.Kind.REFUND, status=R.PENDING).exists():
        record.status, record.voided_at = BillingRecord.Status.VOID, timezone.now()
        record.save(update_fields=["status", "voided_at", "updated_at"])
    return record


def refund_method_refusal(*, record: BillingRecord, amount: Decimal, method: str) -> DomainError | None:
    """Why a refund of ``amount`` given back by ``method`` may not come from ``record``, or None when it may.

    Staff say how money goes back, and it goes back that way only: a refund by a method draws on the bill's payments
    made by that method (cash handed back at most the cash taken; online, through the provider, at most what was
    paid online). Choosing cash never sends part of it online: the rest is a second refund, chosen explicitly.
    ``bill_refund`` asks this under the bill's row lock; the admin's payment form asks first, to show it on the
    amount.
    """
    if method not in Payment.Method.values:
        return ValidationFailed("Choose cash, card, UPI or online.", code="invalid_method", field="method")
    payments = record.payments.filter(kind=Payment.Kind.PAYMENT, status=R.SUCCEEDED, method=method)
    available = min(sum((refundable(payment) for payment in payments), ZERO), record.amount_paid)
    if amount <= available:
        return None
    label = Payment.Method(method).label
    return ValidationFailed(
        f"Refunds by {label} on this bill: at most {available} (what its {label} payments still hold). Refund the "
        "rest separately, the way it was paid (choose Online for what was paid online).",
        code="refund_too_large",
        field="amount",
    )


@transaction.atomic
def bill_refund(*, record: BillingRecord, amount: Decimal, by=None, method: str = "", reason: str = "", done=False):
    """Refund ``amount`` of a bill, spread over its payments newest first; online portions go through the provider.

    ``method`` (the admin's refund forms): only the payments made that way, and at most what they hold
    (``refund_method_refusal``); none (a sample not re-collected, a system refund): any payment."""
    amount = to_money(amount)
    record = lock_bill(record_id=record.pk)
    refusal = payment_refusal(record=record, amount=amount, kind=Payment.Kind.REFUND, by=by)
    if refusal is None and method:
        refusal = refund_method_refusal(record=record, amount=amount, method=method)
    if refusal is not None:
        raise refusal
    payments = record.payments.filter(kind=Payment.Kind.PAYMENT, status=R.SUCCEEDED).order_by("-received_at")
    if method:
        payments = payments.filter(method=method)
    refunds, left = [], amount
    for payment in payments:
        part = min(left, refundable(payment))
        if part > ZERO:
            refunds.append(refund_issue(payment=payment, amount=part, by=by, reason=reason, done=done))
            left -= part
        if left <= ZERO:
            break
    if left > ZERO:
        raise ValidationFailed(
            f"Only {amount - left} of the payments can still be refunded.", code="refund_too_large", field="amount"
        )
    return refunds


def money_record_by_staff(
    *, record: BillingRecord, amount: Decimal, method: str, by, kind: str = "payment", reference: str = "", notes=""
) -> Payment:
    """What the admin's payment forms record: a payment through ``payment_record``; a refund (the clinic admin's)
    through ``bill_refund`` — online payments refunded through their provider, money taken at the door or desk
    handed back now (done). Returns the payment, or the (first) refund."""
    if kind != Payment.Kind.REFUND:
        return payment_record(
            record=record, amount=amount, method=method, by=by, kind=kind, reference=reference, notes=notes
        )
    return bill_refund(record=record, amount=amount, by=by, method=method, reason=notes, done=True)[0]


def refund_send(*, refund_id: int) -> Payment:
    """Ask the provider for a pending online refund that has no provider id yet (the task after commit; again by
    ``payments_reconcile``). The reference ``refund-<id, 10 digits>`` makes a retry return the same refund at the
    provider (Razorpay's idempotency header, Stripe's idempotency key).

    A provider that refuses the refund (``ProviderRefused``, a 4xx: more than it captured, already refunded) would
    refuse it again: the refund is failed at once with the provider's words, its amount counts as paid again (so it
    can be refunded another way) and the clinic admins are told; nothing is retried. A provider that cannot be
    reached (``ProviderError``) raises, for the task to retry and the reconciliation to send later.

    The refund's row is locked (``lock_refund_to_send``) across the call and until its provider id is stored, so
    two senders at once (a task's retry and the reconciliation) cannot both ask: the second finds it held and
    skips. Only that row is locked there (never the bill), and the bill is settled after, in its own transaction.
    """
    refusal = ""
    with transaction.atomic():
        refund = lock_refund_to_send(refund_id=refund_id)
        if refund is None:  # another sender is asking the provider right now
            return Payment.objects.get(pk=refund_id)
        if refund.status != R.PENDING or refund.provider_refund_id or refund.provider == Provider.MANUAL:
            return refund
        provider = provider_get(refund.provider)
        try:
            answer = provider.refund(
                provider_payment_id=refund.refund_of.provider_payment_id,
                amount=refund.amount,
                reference=refund_reference(refund),
            )
        except ProviderRefused as exc:
            # Settled below, after this transaction: the bill's lock is never taken while holding the refund's.
            answer = ProviderRefund(
                provider_refund_id="", provider_payment_id="", amount=refund.amount, status=R.FAILED
            )
            refusal = exc.reason
        if answer.provider_refund_id:
            other = Payment.objects.filter(provider=refund.provider, provider_refund_id=answer.provider_refund_id)
            if not other.exclude(pk=refund.pk).exists():
                refund.provider_refund_id = answer.provider_refund_id
                refund.save(update_fields=["provider_refund_id", "updated_at"])
    return _refund_settle(refund_id=refund.pk, answer=answer, reason=refusal)


def refund_reference(refund: Payment) -> str:
    """Our reference for a refund at the provider: at least 10 digits, as Razorpay's idempotency key needs."""
    return f"refund-{refund.pk:010d}"


@transaction.atomic
def _refund_settle(*, refund_id: int, answer: ProviderRefund, reason: str = "") -> Payment:
    refund = Payment.objects.get(pk=refund_id)
    record = lock_bill(record_id=refund.billing_record_id)
    refund = Payment.objects.get(pk=refund_id)
    _refund_status(record, refund, answer.status, reason=reason)
    return refund


def _refund_status(record: BillingRecord, refund: Payment, status: str, *, reason: str = "") -> None:
    """Move a refund to what the provider (or the admin) says; a failed one gives its amount back to the bill (it
    may be refunded again, another way), keeps why (``reason``: the provider's words) and tells the clinic admins."""
    if status == refund.status or refund.status == R.FAILED or status == R.PENDING:
        return
    now = timezone.now()
    refund.status = status
    if status == R.FAILED:
        refund.failure_reason = (reason or f"{refund.get_provider_display()} reported the refund as failed.")[:255]
    refund.save(update_fields=["status", "failure_reason", "updated_at"])
    if status == R.FAILED:
        record.amount_paid += refund.amount
        record.save(update_fields=["amount_paid", "updated_at", *settle_status(record, now)])
        logger.warning("Refund %s of %s failed at %s; staff to review.", refund.pk, refund.amount, refund.provider)
        _refund_failed_notify(record, refund)
        return
    _void_if_settled(record)


def _refund_failed_notify(record: BillingRecord, refund: Payment) -> None:
    """Tell each clinic admin (the admin role; superusers count as clinic admins) that a refund failed and why: the
    money is still the clinic's, and someone must give it back another way or ask the customer."""
    admins = (
        get_user_model()
        .objects.filter(is_active=True, is_staff=True)
        .filter(Q(is_superuser=True) | Q(staff_profile__role=StaffRole.ADMIN))
    )
    for admin in admins.order_by("pk"):
        notification_create(
            user=admin,
            kind=Notification.Kind.GENERAL,
            title=f"Refund of {format_money(refund.amount)} failed",
            body=f"{record}: {refund.failure_reason} The amount counts as paid again; refund it another way "
            "(Billing → Payments) or contact the customer.",
            data={"billing_record": record.pk, "refund": refund.pk},
            event_key=f"refund:{refund.pk}:failed",
        )


@transaction.atomic
def refund_mark_done(*, refund: Payment, by) -> Payment:
    """The clinic admin handed a desk refund over: the pending refund is done."""
    if not refund_allowed(by):
        raise RefundNotAllowed("Only a clinic admin can give money back.")
    record = lock_bill(record_id=refund.billing_record_id)
    refund = Payment.objects.get(pk=refund.pk)
    if refund.kind != Payment.Kind.REFUND or refund.provider != Provider.MANUAL or refund.status != R.PENDING:
        raise Conflict("Only a pending desk refund can be marked done.", code="not_pending_desk_refund")
    refund.received_by = by
    refund.save(update_fields=["received_by", "updated_at"])
    _refund_status(record, refund, R.SUCCEEDED)
    return refund


def _void_if_settled(record: BillingRecord) -> None:
    """A cancelled booking's bill is voided once it holds no money and no refund is pending (its payments and
    refunds stay, visible on it). Called with the bill locked."""
    if record.status not in (BillingRecord.Status.DRAFT, BillingRecord.Status.FINALIZED) or record.amount_paid:
        return
    if record.payments.filter(kind=Payment.Kind.REFUND, status=R.PENDING).exists():
        return
    if not BillingRecord.objects.filter(pk=record.pk, booking__status="cancelled").exists():
        return
    record.status, record.voided_at = BillingRecord.Status.VOID, timezone.now()
    record.save(update_fields=["status", "voided_at", "updated_at"])


@transaction.atomic
def provider_refund_record(*, provider_name: str, refund: ProviderRefund) -> str:
    """Apply what the provider says about a refund (webhook, reconciliation); returns what happened.

    Known refund: its status moves on. Unknown refund of a known payment: it is the refund we asked for whose id
    we have not stored yet (same payment, same amount, pending without an id), or one made at the provider's
    dashboard, recorded now. Unknown payment: ``waiting`` (the event is kept and applied once the payment is here).
    """
    row = Payment.objects.filter(provider=provider_name, provider_refund_id=refund.provider_refund_id).first()
    if row is None:
        payment = Payment.objects.filter(
            provider=provider_name, provider_payment_id=refund.provider_payment_id, kind=Payment.Kind.PAYMENT
        ).first()
        if payment is None:
            return "waiting"
        record = lock_bill(record_id=payment.billing_record_id)
        row = Payment.objects.filter(provider=provider_name, provider_refund_id=refund.provider_refund_id).first()
        row = row or (
            payment.refunds.filter(status=R.PENDING, provider_refund_id="", amount=refund.amount).order_by("pk").first()
        )
        if row is None:
            if refund.status == R.FAILED:
                return "failed refund not made here: nothing to do"
            if refund.amount > min(refundable(payment), record.amount_paid):
                logger.error("Refund %s exceeds what is recorded as paid; staff to review.", refund.provider_refund_id)
                return "refund exceeds what is recorded as paid: staff to review"
            row = Payment.objects.create(
                billing_record=record,
                kind=Payment.Kind.REFUND,
                amount=refund.amount,
                method=payment.method,
                status=R.PENDING,
                reference=payment.reference,
                received_at=timezone.now(),
                provider=provider_name,
                provider_order_id=payment.provider_order_id,
                provider_refund_id=refund.provider_refund_id,
                refund_of=payment,
                notes="Refunded at the provider.",
            )
            record.amount_paid -= refund.amount
            record.save(update_fields=["amount_paid", "updated_at", *settle_status(record, timezone.now())])
            _refund_status(record, row, refund.status)
            return f"recorded refund {row.pk}"
        if not row.provider_refund_id:
            row.provider_refund_id = refund.provider_refund_id
            row.save(update_fields=["provider_refund_id", "updated_at"])
    else:
        record = lock_bill(record_id=row.billing_record_id)
        row = Payment.objects.get(pk=row.pk)
    _refund_status(record, row, refund.status)
    return f"refund {row.pk} {row.status}"


# --- Webhooks --------------------------------------------------------------------------------------------------


@transaction.atomic
def provider_event_store(*, provider_name: str, event: WebhookEvent) -> tuple[ProviderEvent, bool]:
    """Store a verified webhook event once by its id (a replay finds the stored row and changes nothing); a new
    one is processed by a task after commit. Returns the row and whether it was new."""
    row, created = ProviderEvent.objects.get_or_create(
        provider=provider_name,
        event_id=event.event_id,
        defaults={"event_type": event.event_type, "payload": event.payload, "received_at": timezone.now()},
    )
    if created:
        from billing.tasks import provider_event_process_task  # the tasks module imports this one

        transaction.on_commit(lambda: provider_event_process_task.delay(row.pk), robust=True)
    return row, created


def provider_event_process(*, event_id: int) -> ProviderEvent:
    """Apply a stored event: a refund moves on (an event with a refund is about it, whatever payment it carries), a
    captured payment is recorded, an authorized one is captured (when its order is ours) and recorded, a failed one
    marks its order; unknown types are kept and ignored. A refund whose
    payment is not recorded yet stays unprocessed (outcome ``waiting``) and is tried again when that payment is
    recorded and by ``payments_reconcile``."""
    row = ProviderEvent.objects.get(pk=event_id)
    if row.processed_at is not None:
        return row
    provider = provider_get(row.provider)
    # The stored payload (its signature was checked when it arrived), read as the webhook read it.
    event = provider.read_event(event_id=row.event_id, event_type=row.event_type, payload=row.payload)
    outcome = "ignored"
    # A refund first: Razorpay's refund.* events carry the refunded payment too (still ``captured`` after a
    # partial refund), and that payment is not what the event is about.
    if event.refund is not None:
        outcome = provider_refund_record(provider_name=row.provider, refund=event.refund)
    elif event.payment is not None and (event.payment.captured or event.payment.authorized):
        outcome = _payment_event_apply(provider=provider, proven=event.payment)
    elif event.payment is not None and event.payment.failed:
        failed = PaymentOrder.objects.filter(
            provider=row.provider, provider_order_id=event.payment.provider_order_id, status=PaymentOrder.Status.CREATED
        ).update(status=PaymentOrder.Status.FAILED, updated_at=timezone.now())
        outcome = "order failed" if failed else "ignored: no open order"
    row.outcome = outcome[:255]
    row.processed_at = None if outcome == "waiting" else timezone.now()
    row.save(update_fields=["outcome", "processed_at", "updated_at"])
    return row


def _payment_event_apply(*, provider, proven: ProviderPayment) -> str:
    """A captured or authorized payment from a webhook: an authorized one is captured only when its order is one of
    ours (an order made by ``payment_order_create``), then recorded. A capture the provider refuses (the payment
    expired, or was released) is the event's outcome; a provider that cannot be reached raises, and the event waits
    for ``provider_events_retry``."""
    ours = PaymentOrder.objects.filter(provider=provider.name, provider_order_id=proven.provider_order_id).exists()
    if not ours:
        return "not our order"
    if proven.authorized:
        try:
            proven = provider.capture(proven)
        except ProviderRefused as exc:
            return f"capture refused: {exc.reason}"
    payment, created = provider_payment_record(provider_name=provider.name, proven=proven)
    if payment is None:
        return "not captured"
    return f"payment {payment.pk} {'recorded' if created else 'known'}"


def _events_retry(provider_name: str) -> None:
    from billing.tasks import provider_events_retry_task  # the tasks module imports this one

    provider_events_retry_task.delay(provider_name)


def provider_events_retry(*, provider_name: str | None = None) -> int:
    """Process again the events still waiting (a refund that came before its payment); returns how many are done.

    An event that fails (a payload that cannot be read) is logged, its outcome says why, and it stays waiting for
    staff; the others are processed all the same."""
    waiting = ProviderEvent.objects.filter(processed_at__isnull=True)
    if provider_name:
        waiting = waiting.filter(provider=provider_name)
    done = 0
    for event_id in waiting.order_by("received_at", "id").values_list("pk", flat=True):
        try:
            done += provider_event_process(event_id=event_id).processed_at is not None
        except Exception as exc:  # noqa: BLE001 - one bad event (a payload we cannot read) must not stop the others
            logger.exception("Provider event %s could not be processed; staff to review.", event_id)
            outcome = f"error: {type(exc).__name__}: {exc}"[:255]
            ProviderEvent.objects.filter(pk=event_id).update(outcome=outcome, updated_at=timezone.now())
    return done


# --- Reconciliation --------------------------------------------------------------------------------------------


def payments_reconcile(*, since: datetime.datetime, report=None) -> dict[str, int]:
    """Ask each configured provider for the payments and refunds made since ``since`` and record what the webhooks
    missed (idempotently: what is recorded is found, not doubled); send refunds still waiting for their provider
    call; process events still waiting. ``report(line)`` hears what was done."""
    report = report or (lambda line: None)
    counts = {"payments_recorded": 0, "refunds_updated": 0, "refunds_sent": 0, "events_processed": 0}
    for provider in online_providers():
        activity = provider.fetch_payments(since=since)
        for proven in activity.payments:
            if not proven.captured:
                continue
            payment, created = provider_payment_record(provider_name=provider.name, proven=proven)
            if created:
                counts["payments_recorded"] += 1
                report(f"{provider.name}: recorded payment {proven.provider_payment_id} ({proven.amount})")
        for refund in activity.refunds:
            before = Payment.objects.filter(provider=provider.name, provider_refund_id=refund.provider_refund_id)
            status_before = before.values_list("status", flat=True).first()
            outcome = provider_refund_record(provider_name=provider.name, refund=refund)
            if status_before != before.values_list("status", flat=True).first():
                counts["refunds_updated"] += 1
                report(f"{provider.name}: refund {refund.provider_refund_id}: {outcome}")
    unsent = Payment.objects.filter(kind=Payment.Kind.REFUND, status=R.PENDING, provider_refund_id="").exclude(
        provider=Provider.MANUAL
    )
    for refund_id in unsent.values_list("pk", flat=True):
        try:
            sent = refund_send(refund_id=refund_id)
        except ProviderError as exc:
            report(f"refund {refund_id}: still not sent ({exc.message})")
            continue
        counts["refunds_sent"] += 1
        if sent.status == R.FAILED:
            report(f"refund {refund_id}: refused by the provider ({sent.failure_reason})")
            continue
        report(f"refund {refund_id}: sent ({sent.provider_refund_id or 'no id yet'}, {sent.status})")
    counts["events_processed"] = provider_events_retry()
    return counts
