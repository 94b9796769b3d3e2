"""Billing figures for staff: per day or per month over a date range.

Each part of the summary is one aggregate query (GROUP BY the billing date), never a loop over records:
the bills by collection type (a column of the bill), and the tests by category from ``CategoryDayTotal``, which
``billing.services.category_totals_rebuild`` recomputes from the items every few minutes (not from millions of
booking items on each request; the summary says how old those figures are). Void bills (cancelled bookings) are
not revenue and are left out of the bill figures.

Money that moved is counted apart, by the day it moved: gross ``payments`` and ``refunds`` are the succeeded payment
rows received in the period, whatever their bill's date or state — so money taken on a bill later voided (a
cancelled booking) and the refund that returned it both show, each in its own period — and ``net`` = payments −
refunds. Past days come from ``PaymentDayTotal`` (rebuilt with the category totals), the days since from the
payments.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, DecimalField, F, Max, OuterRef, Subquery, Sum, TextChoices, Value
from django.db.models.functions import Coalesce, TruncDate, TruncDay, TruncMonth
from django.utils import timezone

from billing.models import BillingRecord, CategoryDayTotal, Payment, PaymentDayTotal
from diagnopet.db_routers import reads_from_replica
from diagnopet.errors import ValidationFailed
from diagnopet.models import ScheduledRun
from diagnopet.money import ZERO

PERIODS = {"day": TruncDay, "month": TruncMonth}
MONEY = DecimalField(max_digits=14, decimal_places=2)
BILL_SUMMED = ("base", "discount", "distance", "final", "paid")
CASH_SUMMED = ("payments", "refunds")
SUMMED = (*BILL_SUMMED, *CASH_SUMMED)
FIGURES = (*BILL_SUMMED, "outstanding", *CASH_SUMMED, "net")
MAX_RANGE_DAYS = 3 * 366
# The scheduled job that rebuilds the category totals; its last success is the figures' "as of".
CATEGORY_TOTALS_JOB = "rebuild-category-totals"


# --- What a customer has paid on a bill -------------------------------------------------------------------------


class PaymentStatus(TextChoices):
    UNPAID = "unpaid", "Unpaid"
    PARTIALLY_PAID = "partially_paid", "Partially paid"
    PAID = "paid", "Paid"
    REFUNDED = "refunded", "Refunded"
    PARTIALLY_REFUNDED = "partially_refunded", "Partially refunded"


@dataclass(frozen=True)
class BillPayment:
    payment_status: str
    amount_due: Decimal


def bill_payment(*, final_amount: Decimal, amount_paid: Decimal, amount_refunded: Decimal, void: bool) -> BillPayment:
    """The one statement of a bill's payment status and amount due, from its final amount, what has been paid net
    of refunds (``BillingRecord.amount_paid``), the refunds given or pending (``refunded_amount``) and whether it is
    void.

    - amount due: ``final − paid − refunded``, never below zero; nothing on a void bill (the booking was cancelled).
      Money given back is given back for good (a test not done, a goodwill refund): it never becomes due again.
    - ``refunded``: money was given back and none is held now; ``partially_refunded``: some was given back and some
      is still held (less than the final amount, or anything on a void bill).
    - otherwise ``paid`` when what is paid covers the final amount (a bill of zero is paid), ``unpaid`` when nothing
      is paid, else ``partially_paid``.
    """
    due = ZERO if void else max(final_amount - amount_paid - amount_refunded, ZERO)
    if amount_refunded > ZERO and amount_paid <= ZERO:
        status = PaymentStatus.REFUNDED
    elif amount_refunded > ZERO and (void or amount_paid < final_amount):
        status = PaymentStatus.PARTIALLY_REFUNDED
    elif amount_paid >= final_amount:
        status = PaymentStatus.PAID
    elif amount_paid <= ZERO:
        status = PaymentStatus.UNPAID
    else:
        status = PaymentStatus.PARTIALLY_PAID
    return BillPayment(payment_status=status.value, amount_due=due)


def record_payment(record: BillingRecord, *, amount_refunded: Decimal, booking_cancelled: bool = False) -> BillPayment:
    """``bill_payment`` of a loaded bill. A cancelled booking's bill counts as void: it stays open only while a
    refund of it is pending (``billing.gateway.bill_cancel``), and nothing is due on it."""
    return bill_payment(
        final_amount=record.final_amount,
        amount_paid=record.amount_paid,
        amount_refunded=amount_refunded,
        void=record.status == BillingRecord.Status.VOID or booking_cancelled,
    )


def bill_refunded(record: BillingRecord) -> Decimal:
    """The refunds given or promised (succeeded or pending) of one bill: ``refunded_amount`` for a loaded bill."""
    refunds = Payment.objects.filter(
        billing_record=record, kind=Payment.Kind.REFUND, status__in=[Payment.Status.SUCCEEDED, Payment.Status.PENDING]
    )
    return refunds.aggregate(total=Sum("amount"))["total"] or ZERO


def refunded_amount(bill: str = "pk"):
    """An expression: the refunds given or promised (succeeded or pending: a pending refund is already taken off
    ``amount_paid``) of the bill whose id is the outer query's ``bill`` (0 when none), for ``annotate`` (one subquery
    in the same statement, whatever the number of rows)."""
    refunds = (
        Payment.objects.filter(
            billing_record=OuterRef(bill),
            kind=Payment.Kind.REFUND,
            status__in=[Payment.Status.SUCCEEDED, Payment.Status.PENDING],
        )
        .order_by()
        .values("billing_record")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return Coalesce(Subquery(refunds, output_field=MONEY), Value(ZERO), output_field=MONEY)


# --- The billing summary -----------------------------------------------------------------------------------------


def _money_sum(field: str):
    return Coalesce(Sum(field), Value(ZERO), output_field=MONEY)


def _figures():
    return {
        "bookings": Count("id"),
        "base": _money_sum("base_amount"),
        "discount": _money_sum("discount_amount"),
        "distance": _money_sum("distance_charge"),
        "final": _money_sum("final_amount"),
        "paid": _money_sum("amount_paid"),
    }


@dataclass
class BillingSummary:
    period: str
    date_from: datetime.date
    date_to: datetime.date
    rows: list[dict]
    totals: dict
    by_collection_type: list[dict]
    by_category: list[dict]
    categories_as_of: datetime.datetime | None  # when the split by category was computed (None: never yet)


def _records(date_from, date_to):
    return BillingRecord.objects.filter(billing_date__range=(date_from, date_to)).exclude(
        status=BillingRecord.Status.VOID
    )


# Figures that tolerate a few seconds of replication lag: read from the replica when one is configured.
@reads_from_replica()
def billing_summary(*, period: str, date_from: datetime.date, date_to: datetime.date) -> BillingSummary:
    """Bookings, base, discount, distance charge, final, paid and outstanding of the bills dated per day or month in
    [date_from, date_to], gross payments, refunds and net received in each, with the split by collection type and the
    tests' gross amount by category."""
    if period not in PERIODS:
        raise ValidationFailed("Period must be 'day' or 'month'.", code="invalid_period", field="period")
    if date_from > date_to:
        raise ValidationFailed("'from' must not be after 'to'.", code="invalid_range", field="from")
    if date_from.year < 1900 or date_to.year > 2999:
        # The day after 9999-12-31, or 0001-01-01's local midnight in UTC, is off the calendar (OverflowError).
        field = "from" if date_from.year < 1900 else "to"
        raise ValidationFailed("Choose dates between 1900 and 2999.", code="date_out_of_range", field=field)
    if (date_to - date_from).days > MAX_RANGE_DAYS:
        raise ValidationFailed("Choose a range of at most three years.", code="range_too_long", field="to")
    trunc = PERIODS[period]
    # Grouped per period by PostgreSQL: a month summary's bills come as at most 2 × 37 rows instead of 2 × 1,098
    # days to add up here (EXPLAIN ANALYZE: the same time either way on 110k bills; a day is the stored column).
    by_period = (
        _records(date_from, date_to)
        .values("collection_type", period=F("billing_date") if period == "day" else trunc("billing_date"))
        .annotate(**_figures())
        .order_by()
    )
    by_type = _add_up([*by_period, *_cash(trunc, date_from, date_to)], period=period, keys=("collection_type",))
    # The per-period rows are the per-type rows added up: one query less over the whole range.
    rows = _add_up(by_type, period=period, keys=())
    by_category = _by_category(trunc, date_from, date_to)
    totals = {"bookings": sum(r["bookings"] for r in rows)}
    for key in FIGURES:
        totals[key] = sum((r[key] for r in rows), Decimal("0.00"))
    return BillingSummary(
        period=period,
        date_from=date_from,
        date_to=date_to,
        rows=rows,
        totals=totals,
        by_collection_type=by_type,
        by_category=by_category,
        categories_as_of=category_totals_as_of(),
    )


def _period_start(day: datetime.date, period: str) -> datetime.date:
    return day.replace(day=1) if period == "month" else day


def _add_up(rows, *, period: str, keys: tuple[str, ...]) -> list[dict]:
    """Rows (per day or period, and ``keys``) added up per period and ``keys``, sorted, with ``outstanding``."""
    totals: dict = {}
    for row in rows:
        start = _period_start(row["period"], period)
        group = (start, *(row[key] for key in keys))
        total = totals.get(group)
        if total is None:
            total = totals[group] = {"period": start, **{key: row[key] for key in keys}, "bookings": 0}
            total.update(dict.fromkeys(SUMMED, ZERO))
        total["bookings"] += row["bookings"]
        for key in SUMMED:
            total[key] += row.get(key, ZERO)  # a bills row has no cash figures, a cash row no bill figures
    for total in totals.values():
        total["outstanding"] = total["final"] - total["paid"]
        total["net"] = total["payments"] - total["refunds"]
    return [totals[group] for group in sorted(totals)]


def local_midnight(day: datetime.date) -> datetime.datetime:
    """The start of ``day`` in the clinic's time zone."""
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=timezone.get_current_timezone())


def payments_by_day(payments):
    """The succeeded rows of ``payments`` added up per local day of receipt, collection type of their bill and kind
    (one aggregate query): what ``PaymentDayTotal`` stores, and what the summary reads after its last stored day."""
    day = TruncDate("received_at", tzinfo=timezone.get_current_timezone())
    return (
        payments.filter(status=Payment.Status.SUCCEEDED)
        .values("kind", day=day, collection_type=F("billing_record__collection_type"))
        .annotate(amount=_money_sum("amount"))
        .order_by()
    )


def _cash(trunc, date_from: datetime.date, date_to: datetime.date) -> list[dict]:
    """Succeeded payments and refunds received in [date_from, date_to], per collection type of their bill (void bills
    included: the money moved all the same): the days up to the last one stored in ``PaymentDayTotal`` from there,
    per period (``trunc``), the days after it per day from the payments (a day or so since the last rebuild, read on
    the received-at index). Three small queries, whatever the number of payments; one from today on (a rebuild
    stores the days before its own, so none of them)."""
    stored_until = None
    if date_from < timezone.localdate():
        stored_until = PaymentDayTotal.objects.aggregate(last=Max("day"))["last"]
    stored: list[dict] = []
    live_from = date_from
    if stored_until is not None and stored_until >= date_from:
        stored = list(
            PaymentDayTotal.objects.filter(day__range=(date_from, min(stored_until, date_to)))
            .values("kind", "collection_type", period=trunc("day"))
            .annotate(amount=_money_sum("amount"))
            .order_by()
        )
        live_from = stored_until + datetime.timedelta(days=1)
    live: list[dict] = []
    if live_from <= date_to:
        received = Payment.objects.filter(
            received_at__gte=local_midnight(live_from),
            received_at__lt=local_midnight(date_to + datetime.timedelta(days=1)),
        )
        live = list(payments_by_day(received))
    rows = []
    for period, row in [*((row["period"], row) for row in stored), *((row["day"], row) for row in live)]:
        figure = "refunds" if row["kind"] == Payment.Kind.REFUND else "payments"
        rows.append({"period": period, "collection_type": row["collection_type"], "bookings": 0, figure: row["amount"]})
    return rows


def category_totals_as_of() -> datetime.datetime | None:
    """When the category totals were last rebuilt (None: never)."""
    return ScheduledRun.objects.filter(name=CATEGORY_TOTALS_JOB).values_list("last_success_at", flat=True).first()


def _by_category(trunc, date_from, date_to) -> list[dict]:
    """Items and their gross amount (unit price × quantity, before the booking's discount) per test category."""
    rows = (
        CategoryDayTotal.objects.filter(day__range=(date_from, date_to))
        .annotate(period=trunc("day"))
        .values("period", "category__name")
        .annotate(items=Sum("items"), amount=Coalesce(Sum("amount"), Value(ZERO), output_field=MONEY))
        .exclude(items=0)
        .order_by("period", "category__name")
    )
    return [
        _finish_period(
            {"period": r["period"], "category": r["category__name"], "items": r["items"], "amount": r["amount"]}
        )
        for r in rows
    ]


def _finish_period(row: dict) -> dict:
    if isinstance(row["period"], datetime.datetime):
        row["period"] = row["period"].date()
    return row
