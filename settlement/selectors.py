"""Reads for collector settlement: the fee in force, and the monthly statement.

Definitions (one place):

- a **visit** of a collector is a home booking assigned to them whose samples were collected
  (``collected_at`` set; a cancelled or no-show visit earns nothing), dated by the clinic's local day of collection;
- **cash collected** is every succeeded cash payment at the door or desk (provider ``manual``) that the collector
  received (``Payment.received_by``), dated by its local day;
- **cash held** = cash collected − cash handed over, since the beginning;
- **fees owed** = fees earned − payouts, since the beginning;
- **balance** = fees owed − cash held: above 0 the clinic owes the collector, below 0 the collector owes the clinic.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from billing.models import Payment, Provider
from bookings.models import Booking, CollectionType
from diagnopet.money import ZERO, to_money
from settlement.models import CashHandover, CollectorFee, CollectorPayout

HUNDRED = Decimal("100")


def month_bounds(month: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """The first instant of ``month`` and of the next one, in the clinic's time zone."""
    first = month.replace(day=1)
    following = (first + datetime.timedelta(days=32)).replace(day=1)
    zone = timezone.get_current_timezone()
    start = datetime.datetime.combine(first, datetime.time.min, tzinfo=zone)
    end = datetime.datetime.combine(following, datetime.time.min, tzinfo=zone)
    return start, end


def local_day(moment: datetime.datetime) -> datetime.date:
    return timezone.localtime(moment).date()


def collector_fee_in_force(*, collector, on: datetime.date) -> CollectorFee | None:
    """The collector's fee row in force on ``on``: the latest ``effective_from`` on or before it."""
    return CollectorFee.objects.filter(collector=collector, effective_from__lte=on).order_by("-effective_from").first()


def visit_fee(fee: CollectorFee | None, total: Decimal) -> Decimal:
    """What one visit earns under ``fee`` (none: 0): the fixed fee plus the commission on the booking's total."""
    if fee is None:
        return ZERO
    return to_money(fee.fee_per_visit + fee.commission_percent * total / HUNDRED)


def _fee_on(fees: list[CollectorFee], day: datetime.date) -> CollectorFee | None:
    # ``fees`` newest first: the first one that started on or before the day.
    return next((fee for fee in fees if fee.effective_from <= day), None)


def collector_visits(collector):
    return Booking.objects.filter(
        collection_staff=collector, collection_type=CollectionType.HOME, collected_at__isnull=False
    )


def collector_cash_payments(collector):
    return Payment.objects.filter(
        received_by=collector,
        provider=Provider.MANUAL,
        method=Payment.Method.CASH,
        kind=Payment.Kind.PAYMENT,
        status=Payment.Status.SUCCEEDED,
    )


def _sum(queryset, field_name: str) -> Decimal:
    return queryset.aggregate(total=Coalesce(Sum(field_name), ZERO))["total"]


@dataclass
class DayRow:
    day: datetime.date
    visits: int = 0
    fees: Decimal = ZERO
    cash_collected: Decimal = ZERO
    handed_over: Decimal = ZERO
    payouts: Decimal = ZERO
    cash_held: Decimal = ZERO  # at the end of the day


@dataclass
class Statement:
    collector: object
    month: datetime.date
    opening_cash_held: Decimal
    opening_fees_owed: Decimal
    visits: list[dict] = field(default_factory=list)
    payments: list[dict] = field(default_factory=list)
    handovers: list[dict] = field(default_factory=list)
    payouts: list[dict] = field(default_factory=list)
    days: list[DayRow] = field(default_factory=list)

    @property
    def visit_count(self) -> int:
        return len(self.visits)

    @property
    def fees(self) -> Decimal:
        return sum((row["fee"] for row in self.visits), ZERO)

    @property
    def cash_collected(self) -> Decimal:
        return sum((row["amount"] for row in self.payments), ZERO)

    @property
    def handed_over(self) -> Decimal:
        return sum((row["amount"] for row in self.handovers), ZERO)

    @property
    def paid_out(self) -> Decimal:
        return sum((row["amount"] for row in self.payouts), ZERO)

    @property
    def closing_cash_held(self) -> Decimal:
        return self.opening_cash_held + self.cash_collected - self.handed_over

    @property
    def closing_fees_owed(self) -> Decimal:
        return self.opening_fees_owed + self.fees - self.paid_out

    @property
    def balance(self) -> Decimal:
        """Above 0: the clinic owes the collector; below 0: the collector owes the clinic."""
        return self.closing_fees_owed - self.closing_cash_held


def _visit_rows(fees: list[CollectorFee], queryset) -> list[dict]:
    rows = []
    for code, collected_at, total in queryset.order_by("collected_at", "id").values_list(
        "code", "collected_at", "total_amount"
    ):
        day = local_day(collected_at)
        rows.append(
            {"day": day, "at": collected_at, "code": code, "total": total, "fee": visit_fee(_fee_on(fees, day), total)}
        )
    return rows


def collector_statement(*, collector, month: datetime.date) -> Statement:
    """The collector's statement for ``month``: what it lists and what it adds up to are the same rows.

    A fixed number of queries: the fee history, the visits before and in the month (fees are per visit, with the
    row in force that day), and one sum or one list each for payments, hand-overs and payouts.
    """
    start, end = month_bounds(month)
    fees = list(CollectorFee.objects.filter(collector=collector).order_by("-effective_from", "-id"))
    visits = collector_visits(collector)
    payments = collector_cash_payments(collector)
    handovers = CashHandover.objects.filter(collector=collector)
    payouts = CollectorPayout.objects.filter(collector=collector)

    earlier_fees = sum((row["fee"] for row in _visit_rows(fees, visits.filter(collected_at__lt=start))), ZERO)
    opening_cash = _sum(payments.filter(received_at__lt=start), "amount") - _sum(
        handovers.filter(handed_at__lt=start), "amount"
    )
    opening_owed = earlier_fees - _sum(payouts.filter(paid_at__lt=start), "amount")

    statement = Statement(
        collector=collector,
        month=month.replace(day=1),
        opening_cash_held=opening_cash,
        opening_fees_owed=opening_owed,
    )
    statement.visits = _visit_rows(fees, visits.filter(collected_at__gte=start, collected_at__lt=end))
    statement.payments = [
        {"day": local_day(at), "at": at, "code": code, "amount": amount, "reference": reference}
        for at, code, amount, reference in payments.filter(received_at__gte=start, received_at__lt=end)
        .order_by("received_at", "id")
        .values_list("received_at", "billing_record__booking__code", "amount", "reference")
    ]
    statement.handovers = [
        {"day": local_day(at), "at": at, "id": pk, "amount": amount, "received_by": by or phone, "notes": notes}
        for pk, at, amount, by, phone, notes in handovers.filter(handed_at__gte=start, handed_at__lt=end)
        .order_by("handed_at", "id")
        .values_list("id", "handed_at", "amount", "received_by__full_name", "received_by__phone", "notes")
    ]
    statement.payouts = [
        {
            **{"day": local_day(at), "at": at, "id": pk, "amount": amount, "method": method, "reference": reference},
            "method_label": CollectorPayout.Method(method).label,
        }
        for pk, at, amount, method, reference in payouts.filter(paid_at__gte=start, paid_at__lt=end)
        .order_by("paid_at", "id")
        .values_list("id", "paid_at", "amount", "method", "reference")
    ]
    statement.days = _days(statement)
    return statement


def _days(statement: Statement) -> list[DayRow]:
    """One row per day of the month with anything on it, and the cash held at its end."""
    rows: dict[datetime.date, DayRow] = {}
    for visit in statement.visits:
        row = rows.setdefault(visit["day"], DayRow(visit["day"]))
        row.visits += 1
        row.fees += visit["fee"]
    for payment in statement.payments:
        rows.setdefault(payment["day"], DayRow(payment["day"])).cash_collected += payment["amount"]
    for handover in statement.handovers:
        rows.setdefault(handover["day"], DayRow(handover["day"])).handed_over += handover["amount"]
    for payout in statement.payouts:
        rows.setdefault(payout["day"], DayRow(payout["day"])).payouts += payout["amount"]
    held = statement.opening_cash_held
    ordered = [rows[day] for day in sorted(rows)]
    for row in ordered:
        held += row.cash_collected - row.handed_over
        row.cash_held = held
    return ordered


def collector_cash_held(*, collector) -> Decimal:
    """Cash the collector holds now: every cash payment they received less every hand-over."""
    return _sum(collector_cash_payments(collector), "amount") - _sum(
        CashHandover.objects.filter(collector=collector), "amount"
    )
