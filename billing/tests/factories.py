import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from billing.models import (
    BillingDocument,
    BillingRecord,
    CategoryDayTotal,
    DistancePricingConfig,
    InvoiceSequence,
    Payment,
    PaymentDayTotal,
    PaymentOrder,
    ProviderEvent,
)


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
        skip_postgeneration_save = True

    booking = factory.SubFactory("bookings.tests.factories.BookingFactory")
    user = factory.SelfAttribute("booking.user")
    base_amount = factory.SelfAttribute("booking.subtotal")
    discount_amount = factory.SelfAttribute("booking.discount_amount")
    distance_charge = factory.SelfAttribute("booking.distance_charge")
    final_amount = factory.SelfAttribute("booking.total_amount")
    billing_date = factory.SelfAttribute("booking.booking_date")
    billing_period = factory.LazyAttribute(lambda o: f"{o.billing_date:%Y-%m}")
    collection_type = factory.SelfAttribute("booking.collection_type")


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


class CategoryDayTotalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CategoryDayTotal

    day = factory.LazyFunction(timezone.localdate)
    category = factory.SubFactory("catalog.tests.factories.TestCategoryFactory")
    items = 1
    amount = Decimal("450.00")


class PaymentDayTotalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PaymentDayTotal

    day = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=1))
    collection_type = "home"
    kind = "payment"
    amount = Decimal("950.00")


class BillingDocumentFactory(factory.django.DjangoModelFactory):
    """An invoice document (a tiny but well-formed PDF); ``kind="receipt"`` needs a ``payment`` of the bill."""

    class Meta:
        model = BillingDocument

    kind = BillingDocument.Kind.INVOICE
    billing_record = factory.SubFactory(BillingRecordFactory)
    number = factory.Sequence(lambda n: f"INV-2000-{n:06d}")
    file = factory.django.FileField(data=b"%PDF-1.4\n%%EOF\n", filename="invoice.pdf")


def item_add(record: BillingRecord, *, test, unit_price: Decimal, quantity: int = 1):
    """An item on the bill's booking (billing's tests need no bookings factory: a bill's booking comes from
    BillingRecordFactory)."""
    booking = record.booking
    sequence = booking.items.count() + 1
    # The item's tube code as bookings.codes.item_code spells it (billing does not import bookings).
    code = f"{booking.code}-{sequence:02d}"
    item = booking.items.create(sequence=sequence, code=code, test=test, unit_price=unit_price, quantity=quantity)
    return item


class PaymentOrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PaymentOrder

    billing_record = factory.SubFactory(BillingRecordFactory)
    provider = "razorpay"
    amount = factory.SelfAttribute("billing_record.final_amount")
    provider_order_id = factory.Sequence(lambda n: f"order_T{n:010d}")


class ProviderEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProviderEvent

    provider = "razorpay"
    event_id = factory.Sequence(lambda n: f"evt_T{n:010d}")
    event_type = "payment.captured"
    payload = factory.LazyFunction(dict)
    received_at = factory.LazyFunction(timezone.now)
