"""Every write of collector settlement: fees, hand-overs, payouts. Only the clinic admin records them.

Nothing is edited or deleted: a wrong hand-over or payout is put right with a correction (a new row with a negative
amount that names the one it corrects); a fee changes with a new dated row.
"""

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts.models import StaffRole
from accounts.permissions import user_has_role
from diagnopet.errors import DomainError, ValidationFailed
from diagnopet.money import ZERO, to_money
from settlement.locks import lock_collector
from settlement.models import CashHandover, CollectorFee, CollectorPayout
from settlement.selectors import collector_cash_held


class SettlementNotAllowed(DomainError):
    status_code = 403
    default_code = "settlement_not_allowed"


def settlement_allowed(user) -> bool:
    """Who records fees, hand-overs and payouts and sees every statement: the clinic admin (a superuser too)."""
    return user_has_role(user, StaffRole.ADMIN)


def _check_by(by) -> None:
    if not settlement_allowed(by):
        raise SettlementNotAllowed("Only a clinic admin records collector settlement.", code="settlement_not_allowed")


def _check_collector(collector) -> None:
    profile = getattr(collector, "staff_profile", None)
    if profile is None or profile.role != StaffRole.COLLECTOR:
        raise ValidationFailed("Choose a sample collector.", code="not_a_collector", field="collector")


def _check_not_future(when, *, field: str) -> None:
    """A hand-over or payout records money that changed hands: never a time still to come (it would move cash and
    fees into a later month's statement while the collector's 'held now' already counts it)."""
    if when is not None and when > timezone.now():
        raise ValidationFailed("This cannot be dated in the future.", code="date_in_future", field=field)


def _amount(amount, *, corrects) -> Decimal:
    amount = to_money(amount)
    if amount == ZERO or (amount < ZERO and corrects is None):
        raise ValidationFailed(
            "The amount must be more than zero (a negative amount only as a correction of an earlier entry).",
            code="invalid_amount",
            field="amount",
        )
    return amount


def _check_correction(corrects, *, collector, amount: Decimal) -> None:
    if corrects is None:
        return
    if corrects.collector_id != collector.pk:
        raise ValidationFailed("A correction is for the same collector.", code="invalid_correction", field="corrects")
    corrected = corrects.amount + sum(c.amount for c in corrects.corrections.all())
    if corrects.amount < ZERO or corrected + amount < ZERO:
        raise ValidationFailed(
            f"A correction cannot take back more than the entry still counts ({corrected}).",
            code="invalid_correction",
            field="corrects",
        )


@transaction.atomic  # nests in the admin's own transaction
def collector_fee_add(
    *,
    collector,
    effective_from: datetime.date,
    by,
    fee_per_visit: Decimal = ZERO,
    commission_percent: Decimal = ZERO,
    notes: str = "",
) -> CollectorFee:
    """A new fee row for ``collector`` from ``effective_from`` (today or later: past statements never change)."""
    _check_by(by)
    _check_collector(collector)
    if effective_from < timezone.localdate():
        raise ValidationFailed(
            "A fee starts today or later; past visits keep the fee they were made under.",
            code="fee_in_past",
            field="effective_from",
        )
    if CollectorFee.objects.filter(collector=collector, effective_from=effective_from).exists():
        raise ValidationFailed(
            "This collector already has a fee starting that day.", code="fee_exists", field="effective_from"
        )
    return CollectorFee.objects.create(
        collector=collector,
        effective_from=effective_from,
        fee_per_visit=to_money(fee_per_visit),
        commission_percent=commission_percent,
        notes=notes,
        created_by=by,
    )


@transaction.atomic  # nests in the admin's own transaction
def cash_handover_record(
    *, collector, amount: Decimal, by, handed_at=None, notes: str = "", corrects: CashHandover | None = None
) -> CashHandover:
    """Cash the collector handed over at the desk, counted by ``by`` (a clinic admin).

    Under the collector's row lock: a hand-over is at most the cash the collector holds (400
    ``handover_exceeds_held``), so two admins recording the same cash at once cannot both count it."""
    _check_by(by)
    _check_collector(collector)
    amount = _amount(amount, corrects=corrects)
    _check_not_future(handed_at, field="handed_at")
    lock_collector(collector_id=collector.pk)
    _check_correction(corrects, collector=collector, amount=amount)
    held = collector_cash_held(collector=collector)
    if amount > held:
        raise ValidationFailed(
            f"The collector holds {held} in cash; a hand-over cannot be more.",
            code="handover_exceeds_held",
            field="amount",
        )
    return CashHandover.objects.create(
        collector=collector,
        amount=amount,
        handed_at=handed_at or timezone.now(),
        received_by=by,
        notes=notes,
        corrects=corrects,
    )


@transaction.atomic  # nests in the admin's own transaction
def collector_payout_record(
    *,
    collector,
    amount: Decimal,
    method: str,
    by,
    reference: str = "",
    paid_at=None,
    notes: str = "",
    corrects: CollectorPayout | None = None,
) -> CollectorPayout:
    """Money paid to the collector for their fees, with its method and reference (a transfer's id)."""
    _check_by(by)
    _check_collector(collector)
    amount = _amount(amount, corrects=corrects)
    if method not in CollectorPayout.Method.values:
        raise ValidationFailed("Choose how the payout was made.", code="invalid_method", field="method")
    _check_not_future(paid_at, field="paid_at")
    lock_collector(collector_id=collector.pk)
    _check_correction(corrects, collector=collector, amount=amount)
    return CollectorPayout.objects.create(
        collector=collector,
        amount=amount,
        method=method,
        reference=reference,
        paid_at=paid_at or timezone.now(),
        recorded_by=by,
        notes=notes,
        corrects=corrects,
    )
