"""The monthly statement adds up to exactly the rows it lists, and those are the collector's cash payments,
hand-overs, payouts and visits of the month (a property test over random days and amounts)."""

import datetime
import random
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import StaffRole
from accounts.tests.staff import clinic_admin, staff_of
from billing.models import Payment, Provider
from billing.tests.factories import BillingRecordFactory, PaymentFactory
from bookings.models import Booking, CollectionType
from bookings.tests.factories import BookingFactory
from diagnopet.errors import DomainError
from settlement.models import CollectorPayout
from settlement.selectors import collector_statement
from settlement.services import cash_handover_record, collector_fee_add, collector_payout_record
from settlement.tests.factories import CollectorFeeFactory

MONTH = datetime.date(2026, 3, 1)


def _at(day: int, hour: int = 11) -> datetime.datetime:
    return datetime.datetime(2026, 3, day, hour, tzinfo=timezone.get_current_timezone())


def _visit(collector, at, total=Decimal("500.00")):
    return BookingFactory(
        collection_staff=collector,
        status=Booking.Status.COMPLETED,
        collected_at=at,
        subtotal=total,
        booking_date=timezone.localtime(at).date(),
    )


def _cash(collector, at, amount, **kwargs):
    record = BillingRecordFactory(booking=_visit(collector, at, total=amount))
    return PaymentFactory(
        billing_record=record, amount=amount, method="cash", received_by=collector, received_at=at, **kwargs
    )


@pytest.fixture
def collector(db):
    return staff_of(StaffRole.COLLECTOR)


@pytest.fixture
def other(db):
    return staff_of(StaffRole.COLLECTOR, phone="+919800000002")


@pytest.mark.django_db
@pytest.mark.parametrize("seed", range(5))
def test_statement_sums_are_the_rows_it_lists(seed, collector, other):
    rng = random.Random(seed)
    CollectorFeeFactory(collector=collector, effective_from=datetime.date(2026, 1, 1), fee_per_visit=Decimal("75"))
    CollectorFeeFactory(
        collector=collector,
        effective_from=datetime.date(2026, 3, 15),
        fee_per_visit=Decimal("50"),
        commission_percent=Decimal("2.5"),
    )
    admin = clinic_admin()
    cash_by_day, handed_by_day = {}, {}
    # Before the month: what the opening figures carry.
    _cash(collector, datetime.datetime(2026, 2, 27, 10, tzinfo=timezone.get_current_timezone()), Decimal("300.00"))
    for day in rng.sample(range(1, 32), 8):
        amount = Decimal(rng.randint(100, 5000)) + Decimal(rng.randint(0, 99)) / 100
        _cash(collector, _at(day, rng.randint(0, 23)), amount)
        cash_by_day[day] = cash_by_day.get(day, Decimal(0)) + amount
        # Noise the statement must leave out: other collectors' cash, card at the door, failed cash.
        _cash(other, _at(day), Decimal("999.00"))
        PaymentFactory(received_by=collector, method="card", received_at=_at(day))
        PaymentFactory(received_by=collector, method="cash", received_at=_at(day), provider=Provider.RAZORPAY)
        PaymentFactory(received_by=collector, method="cash", received_at=_at(day), status=Payment.Status.FAILED)
    for day in sorted(rng.sample(range(1, 32), 4)):
        held = collector_statement(collector=collector, month=MONTH).closing_cash_held
        amount = min(held, Decimal(rng.randint(50, 3000)))
        if amount > 0:
            cash_handover_record(collector=collector, amount=amount, by=admin, handed_at=_at(day, 23))
            handed_by_day[day] = handed_by_day.get(day, Decimal(0)) + amount
    collector_payout_record(
        collector=collector,
        amount=Decimal("200.00"),
        method="upi",
        reference="UPI1",
        by=admin,
        paid_at=_at(rng.randint(1, 31)),
    )

    statement = collector_statement(collector=collector, month=MONTH)

    assert statement.cash_collected == sum(cash_by_day.values()) == sum(p["amount"] for p in statement.payments)
    assert statement.handed_over == sum(handed_by_day.values(), Decimal(0))
    assert statement.handed_over == sum((h["amount"] for h in statement.handovers), Decimal(0))
    assert statement.paid_out == Decimal("200.00")
    assert statement.opening_cash_held == Decimal("300.00")
    assert statement.visit_count == len(cash_by_day)  # one visit per cash payment of the collector in the month
    # Per day: the days' rows add up to the month's totals, and the held cash runs on from the opening.
    assert sum(row.cash_collected for row in statement.days) == statement.cash_collected
    assert sum(row.handed_over for row in statement.days) == statement.handed_over
    assert sum(row.fees for row in statement.days) == statement.fees
    assert statement.days[-1].cash_held == statement.closing_cash_held
    assert statement.closing_cash_held == Decimal("300.00") + statement.cash_collected - statement.handed_over
    for row in statement.days:
        assert row.cash_collected == cash_by_day.get(row.day.day, Decimal(0))
    # Fees: 75 a visit before the 15th; 50 + 2.5 % of the total from then on.
    for visit in statement.visits:
        expected = (
            Decimal("75.00")
            if visit["day"].day < 15
            else (Decimal("50") + visit["total"] / 40).quantize(Decimal("0.01"))
        )
        assert visit["fee"] == expected
    assert statement.balance == statement.closing_fees_owed - statement.closing_cash_held


@pytest.mark.django_db
def test_a_visit_not_collected_or_at_the_lab_earns_nothing(collector):
    CollectorFeeFactory(collector=collector, effective_from=datetime.date(2026, 1, 1))
    _visit(collector, _at(3))
    BookingFactory(collection_staff=collector, status=Booking.Status.NO_SHOW, collected_at=None)
    BookingFactory(collection_staff=collector, collection_type=CollectionType.LAB, address=None, collected_at=_at(4))

    statement = collector_statement(collector=collector, month=MONTH)

    assert statement.visit_count == 1
    assert statement.fees == Decimal("80.00")


@pytest.mark.django_db
def test_a_handover_cannot_exceed_the_cash_held_and_corrections_are_new_entries(collector):
    admin = clinic_admin()
    _cash(collector, _at(2), Decimal("1000.00"))

    with pytest.raises(DomainError) as refused:
        cash_handover_record(collector=collector, amount=Decimal("1000.01"), by=admin, handed_at=_at(3))
    assert refused.value.code == "handover_exceeds_held"

    wrong = cash_handover_record(collector=collector, amount=Decimal("900.00"), by=admin, handed_at=_at(3))
    with pytest.raises(DomainError) as negative:
        cash_handover_record(collector=collector, amount=Decimal("-100.00"), by=admin, handed_at=_at(3))
    assert negative.value.code == "invalid_amount"
    cash_handover_record(collector=collector, amount=Decimal("-90.00"), by=admin, handed_at=_at(4), corrects=wrong)
    with pytest.raises(DomainError) as too_much:
        cash_handover_record(collector=collector, amount=Decimal("-900.00"), by=admin, corrects=wrong)
    assert too_much.value.code == "invalid_correction"

    statement = collector_statement(collector=collector, month=MONTH)
    assert statement.handed_over == Decimal("810.00")
    assert statement.closing_cash_held == Decimal("190.00")


@pytest.mark.django_db
def test_only_a_clinic_admin_records_settlement_and_only_for_collectors(collector):
    analyst = staff_of(StaffRole.ANALYST, phone="+919800000003")

    with pytest.raises(DomainError) as refused:
        collector_payout_record(collector=collector, amount=Decimal("10"), method="upi", by=collector)
    assert refused.value.code == "settlement_not_allowed"
    with pytest.raises(DomainError) as not_collector:
        collector_payout_record(collector=analyst, amount=Decimal("10"), method="upi", by=clinic_admin())
    assert not_collector.value.code == "not_a_collector"
    assert not CollectorPayout.objects.exists()


@pytest.mark.django_db
def test_a_fee_starts_today_or_later(collector):
    admin = clinic_admin()
    today = timezone.localdate()

    with pytest.raises(DomainError) as past:
        collector_fee_add(collector=collector, effective_from=today - datetime.timedelta(days=1), by=admin)
    assert past.value.code == "fee_in_past"
    fee = collector_fee_add(collector=collector, effective_from=today, fee_per_visit=Decimal("60"), by=admin)
    with pytest.raises(DomainError) as twice:
        collector_fee_add(collector=collector, effective_from=today, by=admin)
    assert twice.value.code == "fee_exists"
    assert fee.created_by == admin
