"""Every factory builds a valid row on PostgreSQL (so every other test can rely on them)."""

import pytest

from accounts.tests import factories as accounts_f
from billing.tests import factories as billing_f
from bookings.tests import factories as bookings_f
from catalog.tests import factories as catalog_f
from clinic.tests import factories as clinic_f
from content.tests import factories as content_f
from pets.tests import factories as pets_f
from privacy.tests.factories import AccountClosureFactory
from promotions.tests import factories as promotions_f
from reviews.tests import factories as reviews_f
from settlement.tests import factories as settlement_f

FACTORIES = [
    accounts_f.UserFactory,
    accounts_f.StaffProfileFactory,
    accounts_f.AddressFactory,
    accounts_f.PhoneOTPFactory,
    accounts_f.NotificationFactory,
    pets_f.PetFactory,
    catalog_f.TestCategoryFactory,
    catalog_f.TestTagFactory,
    catalog_f.LabTestFactory,
    clinic_f.ClinicInfoFactory,
    clinic_f.ClinicHolidayFactory,
    clinic_f.OpeningHoursFactory,
    promotions_f.OfferFactory,
    promotions_f.CouponFactory,
    promotions_f.CouponRedemptionFactory,
    billing_f.DistancePricingConfigFactory,
    billing_f.BillingRecordFactory,
    billing_f.PaymentFactory,
    billing_f.InvoiceSequenceFactory,
    bookings_f.CollectionSlotFactory,
    bookings_f.CollectionDayFactory,
    bookings_f.BookingFactory,
    bookings_f.TestBatchGroupFactory,
    bookings_f.BookingItemFactory,
    bookings_f.TestReportFactory,
    bookings_f.PrescriptionUploadFactory,
    reviews_f.CompletedBookingFactory,
    reviews_f.ReviewFactory,
    content_f.FaqTopicFactory,
    content_f.FaqFactory,
    content_f.AnnouncementFactory,
    content_f.TestimonialFactory,
    settlement_f.CollectorFeeFactory,
    settlement_f.CashHandoverFactory,
    settlement_f.CollectorPayoutFactory,
    AccountClosureFactory,
]


@pytest.mark.django_db
@pytest.mark.parametrize("factory_class", FACTORIES, ids=lambda f: f.__name__)
def test_factory_creates_a_valid_row(factory_class):
    obj = factory_class()
    obj.full_clean()
    assert type(obj).objects.filter(pk=obj.pk).exists()
