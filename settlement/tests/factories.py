import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from accounts.models import StaffRole
from accounts.tests.factories import StaffProfileFactory
from settlement.models import CashHandover, CollectorFee, CollectorPayout


def collector_user():
    return StaffProfileFactory(role=StaffRole.COLLECTOR).user


def admin_user():
    return StaffProfileFactory(role=StaffRole.ADMIN).user


class CollectorFeeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CollectorFee

    collector = factory.LazyFunction(collector_user)
    fee_per_visit = Decimal("80.00")
    commission_percent = Decimal("0")
    effective_from = factory.Sequence(lambda n: timezone.localdate() - datetime.timedelta(days=400 + n))


class CashHandoverFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CashHandover

    collector = factory.LazyFunction(collector_user)
    amount = Decimal("500.00")
    handed_at = factory.LazyFunction(timezone.now)
    received_by = factory.LazyFunction(admin_user)


class CollectorPayoutFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CollectorPayout

    collector = factory.LazyFunction(collector_user)
    amount = Decimal("1000.00")
    method = CollectorPayout.Method.BANK_TRANSFER
    reference = factory.Sequence(lambda n: f"NEFT{n:06d}")
    paid_at = factory.LazyFunction(timezone.now)
    recorded_by = factory.LazyFunction(admin_user)
