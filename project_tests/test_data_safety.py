"""Nothing financial is lost to a cascade: deleting anything a booking, bill, payment, coupon use or report points
at is refused with ``ProtectedError``, and every row is still there afterwards (SPEC "Data safety")."""

from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db.models import ProtectedError

from accounts.models import StaffRole
from accounts.tests.factories import AddressFactory, StaffProfileFactory
from billing.tests.factories import BillingRecordFactory, PaymentFactory
from bookings.tests.factories import BookingFactory, BookingItemFactory, CollectionSlotFactory, TestReportFactory
from pets.tests.factories import PetFactory
from promotions.tests.factories import CouponFactory, CouponRedemptionFactory
from settlement.tests.factories import CashHandoverFactory, CollectorFeeFactory, CollectorPayoutFactory

OUR_APPS = (
    *("accounts", "pets", "catalog", "clinic", "promotions", "billing", "bookings", "reviews", "settlement"),
    *("content", "privacy"),
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def history():
    """One booking with everything money touches: a slot, a collector, an item with its report, a coupon use,
    the bill and a payment taken by the collector."""
    collector = StaffProfileFactory(role=StaffRole.COLLECTOR).user
    coupon = CouponFactory()
    booking = BookingFactory(
        slot=CollectionSlotFactory(), collection_staff=collector, coupon=coupon, offer=coupon.offer
    )
    item = BookingItemFactory(booking=booking)
    report = TestReportFactory(booking_item=item)
    redemption = CouponRedemptionFactory(booking=booking, coupon=coupon)
    record = BillingRecordFactory(booking=booking)
    payment = PaymentFactory(billing_record=record, received_by=collector)
    # The collector's settlement: fee, a hand-over of that cash, a payout.
    CollectorFeeFactory(collector=collector)
    CashHandoverFactory(collector=collector)
    CollectorPayoutFactory(collector=collector)
    return SimpleNamespace(
        booking=booking, item=item, report=report, redemption=redemption, record=record, payment=payment
    )


def _row_counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count() for model in apps.get_models() if model._meta.app_label in OUR_APPS
    }


# What someone might try to delete, reached from the history fixture.
TARGETS = {
    "customer": lambda h: h.booking.user,
    "pet": lambda h: h.booking.pet,
    "lab_test": lambda h: h.item.test,
    "test_category": lambda h: h.item.test.category,
    "coupon": lambda h: h.redemption.coupon,
    "offer": lambda h: h.redemption.coupon.offer,
    "booking": lambda h: h.booking,
    "booking_item": lambda h: h.item,
    "billing_record": lambda h: h.record,
    "collection_slot": lambda h: h.booking.slot,
    "collector": lambda h: h.booking.collection_staff,
    "report_uploader": lambda h: h.report.uploaded_by,
}


DELETE_VIA = {
    "instance": lambda obj: obj.delete(),
    # The admin's bulk "delete selected" path.
    "queryset": lambda obj: type(obj).objects.filter(pk=obj.pk).delete(),
}


@pytest.mark.parametrize("target", list(TARGETS))
@pytest.mark.parametrize("via", list(DELETE_VIA))
def test_deleting_what_financial_rows_point_at_is_refused(history, target, via):
    obj = TARGETS[target](history)
    before = _row_counts()

    with pytest.raises(ProtectedError):
        DELETE_VIA[via](obj)

    assert _row_counts() == before
    assert type(obj).objects.filter(pk=obj.pk).exists()


def test_the_history_fixture_holds_every_kind_of_financial_row(history):
    """Guard for the test above: each protected kind of row really exists, so a refusal means something."""
    counts = _row_counts()
    for label in (
        "bookings.Booking",
        "bookings.BookingItem",
        "bookings.TestReport",
        "promotions.CouponRedemption",
        "billing.BillingRecord",
        "billing.Payment",
    ):
        assert counts[label] >= 1, label


def test_without_financial_rows_ownership_still_cascades():
    """The protection is aimed at money, not blanket: a customer who never booked can be removed with their
    addresses and pets (ownership foreign keys cascade)."""
    pet = PetFactory()
    AddressFactory(user=pet.user)
    user = pet.user

    user.delete()

    assert not type(pet).objects.filter(user_id=user.pk).exists()
    assert not type(user).objects.filter(pk=user.pk).exists()
