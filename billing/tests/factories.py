import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from billing.models import BillingRecord, DistancePricingConfig, InvoiceSequence, Payment


class DistancePricingConfigFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DistancePricingConfig

    base_charge = Decimal("50.00")
    charge_per_km = Decimal("10.00")
    max_free_distance_km = Decimal("3.00")
    max_service_distance_km = Decimal("25.00")
    effective_from = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=365))
    effective_until = None


class BillingRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BillingRecord

    booking = factory.SubFactory("bookings.tests.factories.BookingFactory")
    user = factory.SelfAttribute("booking.user")
    base_amount = factory.SelfAttribute("booking.subtotal")
    discount_amount = factory.SelfAttribute("booking.discount_amount")
    distance_charge = factory.SelfAttribute("booking.distance_charge")
    final_amount = factory.SelfAttribute("booking.total_amount")
    billing_date = factory.SelfAttribute("booking.booking_date")
    billing_period = factory.LazyAttribute(lambda o: f"{o.billing_date:%Y-%m}")


class PaymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Payment

    billing_record = factory.SubFactory(BillingRecordFactory)
    amount = factory.SelfAttribute("billing_record.final_amount")
    method = Payment.Method.UPI
    received_at = factory.LazyFunction(timezone.now)


class InvoiceSequenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InvoiceSequence
        django_get_or_create = ("year",)

    year = factory.LazyFunction(lambda: timezone.localdate().year)
    last_number = 0
