import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from accounts.tests.factories import AddressFactory, StaffUserFactory, UserFactory
from bookings.codes import item_code
from bookings.models import (
    Booking,
    BookingItem,
    CollectionDay,
    CollectionSlot,
    CollectionType,
    CollectorAssignment,
    PrescriptionUpload,
    ReportShare,
    ReportShareAccess,
    ResultValue,
    TestBatchGroup,
    TestReport,
)
from catalog.tests.factories import AnalyteFactory, LabTestFactory
from pets.tests.factories import PetFactory


class CollectionSlotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CollectionSlot

    date = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=1))
    start_time = factory.Sequence(lambda n: datetime.time(8 + n % 10, 0))
    end_time = factory.LazyAttribute(lambda o: datetime.time(o.start_time.hour + 1, 0))
    capacity = 4


class CollectionDayFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CollectionDay

    date = factory.Sequence(lambda n: datetime.date(2031, 1, 1) + datetime.timedelta(days=n))
    capacity = 20
    lab_capacity = None


class BookingFactory(factory.django.DjangoModelFactory):
    """A home-collection booking of no items; money fields are consistent (total = sum)."""

    class Meta:
        model = Booking

    code = factory.Sequence(lambda n: f"DP-T{n:05d}")
    user = factory.SubFactory(UserFactory)
    pet = factory.SubFactory(PetFactory, user=factory.SelfAttribute("..user"))
    collection_type = CollectionType.HOME
    address = factory.SubFactory(AddressFactory, user=factory.SelfAttribute("..user"))
    address_text = factory.LazyAttribute(lambda o: o.address.one_line if o.address else "")
    booking_date = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=1))
    subtotal = Decimal("500.00")
    discount_amount = Decimal("0.00")
    distance_charge = Decimal("0.00")
    total_amount = factory.LazyAttribute(lambda o: o.subtotal - o.discount_amount + o.distance_charge)


class TestBatchGroupFactory(factory.django.DjangoModelFactory):
    __test__ = False

    class Meta:
        model = TestBatchGroup

    booking = factory.SubFactory(BookingFactory)
    batch_name = "Wellness panel"


class BookingItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BookingItem

    booking = factory.SubFactory(BookingFactory)
    sequence = factory.Sequence(lambda n: n + 1)
    code = factory.LazyAttribute(lambda o: item_code(o.booking.code, o.sequence))
    test = factory.SubFactory(LabTestFactory)
    quantity = 1
    unit_price = factory.LazyAttribute(lambda o: o.test.effective_price)


class TestReportFactory(factory.django.DjangoModelFactory):
    __test__ = False

    class Meta:
        model = TestReport

    booking_item = factory.SubFactory(BookingItemFactory)
    booking = factory.SelfAttribute("booking_item.booking")
    pet = factory.SelfAttribute("booking_item.booking.pet")
    test = factory.SelfAttribute("booking_item.test")
    uploaded_by = factory.SubFactory(StaffUserFactory)


class PrescriptionUploadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PrescriptionUpload

    booking = factory.SubFactory(BookingFactory)
    user = factory.SelfAttribute("booking.user")
    file = factory.django.FileField(filename="prescription.pdf", data=b"%PDF-1.4\n% test\n")
    file_name = "prescription.pdf"
    file_type = "application/pdf"
    file_size_bytes = 16


class CollectorAssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CollectorAssignment

    booking = factory.SubFactory(BookingFactory)
    collector = factory.SubFactory(StaffUserFactory)
    assigned_by = factory.SubFactory(StaffUserFactory)


class ResultValueFactory(factory.django.DjangoModelFactory):
    """A draft result (no report yet) of an analyte of the item's test."""

    class Meta:
        model = ResultValue

    item = factory.SubFactory(BookingItemFactory)
    analyte = factory.SubFactory(AnalyteFactory, test=factory.SelfAttribute("..item.test"))
    pet = factory.SelfAttribute("item.booking.pet")
    value = Decimal("14.5")
    unit = factory.SelfAttribute("analyte.unit")
    range_low = Decimal("12.0")
    range_high = Decimal("18.0")
    flag = ResultValue.Flag.NORMAL
    entered_by = factory.SubFactory(StaffUserFactory)
    entered_at = factory.LazyFunction(timezone.now)


class ReportShareFactory(factory.django.DjangoModelFactory):
    """An open share link of a delivered report (its token is not kept: only its hash is stored)."""

    class Meta:
        model = ReportShare

    report = factory.SubFactory(TestReportFactory, status=TestReport.Status.DELIVERED)
    created_by = factory.SelfAttribute("report.booking.user")
    token_sha256 = factory.Sequence(lambda n: f"{n:064x}")
    expires_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=7))


class ReportShareAccessFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReportShareAccess

    share = factory.SubFactory(ReportShareFactory)
    kind = ReportShareAccess.Kind.PAGE
    ip_hash = "0123456789abcdef"
    user_agent = "Mozilla/5.0"
