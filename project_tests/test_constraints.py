"""Every database constraint refuses the row it exists to refuse.

Each case builds valid rows with the factories and then makes exactly one bad write. The database — not Django —
must refuse it with ``IntegrityError``, and PostgreSQL must name the constraint the case is about, so a case cannot
pass because some other rule happened to fail. Check constraints are broken with ``QuerySet.update()`` (no model
validation runs first); unique rules by inserting the duplicate.

``test_every_constraint_has_a_case`` collects every ``Meta.constraints`` entry and every unique column of our apps,
so a constraint added without a case here fails the suite.
"""

import datetime
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, transaction
from django.db.models import F

from accounts.tests.factories import (
    AddressFactory,
    CollectorAreaFactory,
    NotificationDeliveryFactory,
    NotificationFactory,
    StaffProfileFactory,
    UserFactory,
)
from billing.models import InvoiceSequence
from billing.tests.factories import (
    BillingDocumentFactory,
    BillingRecordFactory,
    DistancePricingConfigFactory,
    InvoiceSequenceFactory,
    PaymentFactory,
    PaymentOrderFactory,
    ProviderEventFactory,
)
from bookings.tests.factories import (
    BookingFactory,
    BookingItemFactory,
    CollectionDayFactory,
    CollectionSlotFactory,
    PrescriptionUploadFactory,
    ReportShareFactory,
    ResultValueFactory,
    TestReportFactory,
)

# Aliased: pytest would try to collect classes named Test* from this module.
from catalog.models import TestCategory as Category
from catalog.models import TestTag as Tag
from catalog.tests.factories import (
    AnalyteFactory,
    LabTestFactory,
    PackageComponentFactory,
    ReferenceRangeFactory,
    TestCategoryFactory,
    TestTagFactory,
)
from clinic.tests.factories import ClinicHolidayFactory, ClinicInfoFactory, OpeningHoursFactory
from content.models import FaqTopic
from content.tests.factories import AnnouncementFactory, FaqTopicFactory, TestimonialFactory
from pets.tests.factories import PetFactory
from privacy.tests.factories import AccountClosureFactory
from promotions.tests.factories import CouponFactory, CouponRedemptionFactory, OfferFactory
from reviews.tests.factories import ReviewFactory
from settlement.tests.factories import CashHandoverFactory, CollectorFeeFactory, CollectorPayoutFactory

OUR_APPS = (
    *("accounts", "pets", "catalog", "clinic", "promotions", "billing", "bookings", "reviews", "settlement"),
    *("content", "privacy"),
)

pytestmark = pytest.mark.django_db


# --- Check constraints: (constraint, factory of a valid row, the update that breaks only that constraint) ---------
# Factory money defaults: a booking/bill of 500.00 with no discount and no distance charge; a test priced 500.00.
def _refund_of_payment(**fields):
    payment = PaymentFactory()
    return PaymentFactory(billing_record=payment.billing_record, kind="refund", refund_of=payment, **fields)


def _circle_area():
    """A collector's area given as a centre and a radius, without a postal code."""
    return CollectorAreaFactory(
        postal_code="", latitude=Decimal("12.97"), longitude=Decimal("77.64"), radius_km=Decimal("3")
    )


CHECK_CASES = [
    # accounts
    ("accounts_user_locked_has_until", UserFactory, {"is_locked": True, "locked_until": None}),
    ("accounts_address_latitude_range", AddressFactory, {"latitude": Decimal("90.000001")}),
    ("accounts_address_longitude_range", AddressFactory, {"longitude": Decimal("-180.000001")}),
    ("accounts_staff_visit_cap_positive", StaffProfileFactory, {"daily_visit_cap": 0}),
    ("accounts_collectorarea_centre_whole", _circle_area, {"radius_km": None}),
    ("accounts_collectorarea_postal_or_centre", CollectorAreaFactory, {"postal_code": ""}),
    ("accounts_collectorarea_radius_positive", _circle_area, {"radius_km": Decimal("0")}),
    ("accounts_collectorarea_latitude_range", _circle_area, {"latitude": Decimal("-90.000001")}),
    ("accounts_collectorarea_longitude_range", _circle_area, {"longitude": Decimal("180.000001")}),
    # pets
    ("pets_pet_weight_positive", PetFactory, {"weight_kg": Decimal("0")}),
    ("pets_pet_age_non_negative", PetFactory, {"age_years": Decimal("-1")}),
    # catalog
    ("catalog_labtest_price_non_negative", LabTestFactory, {"price": Decimal("-1")}),
    ("catalog_labtest_discounted_price_range", LabTestFactory, {"discounted_price": Decimal("500.01")}),
    ("catalog_labtest_discounted_price_range", LabTestFactory, {"discounted_price": Decimal("-1")}),
    ("catalog_labtest_sample_quantity_positive", LabTestFactory, {"sample_quantity_ml": Decimal("0")}),
    ("catalog_labtest_tat_positive", LabTestFactory, {"tat_hours": 0}),
    ("catalog_component_not_itself", PackageComponentFactory, {"test": F("package")}),
    ("catalog_component_position_positive", PackageComponentFactory, {"position": 0}),
    ("catalog_analyte_decimals_at_most_6", AnalyteFactory, {"decimals": 7}),
    ("catalog_range_low_not_above_high", ReferenceRangeFactory, {"low": Decimal("18.1")}),
    ("catalog_range_critical_low_below_low", ReferenceRangeFactory, {"critical_low": Decimal("12.1")}),
    ("catalog_range_critical_high_above_high", ReferenceRangeFactory, {"critical_high": Decimal("17.9")}),
    ("catalog_range_age_band_ordered", ReferenceRangeFactory, {"min_age_months": 12, "max_age_months": 12}),
    # clinic
    ("clinic_clinicinfo_single_row", ClinicInfoFactory, {"singleton": False}),
    (
        "clinic_clinicinfo_opens_before_closing",
        ClinicInfoFactory,
        {"opening_time": datetime.time(18, 0), "closing_time": datetime.time(8, 0)},
    ),
    ("clinic_clinicinfo_road_factor_min_1", ClinicInfoFactory, {"road_factor": Decimal("0.99")}),
    ("clinic_clinicinfo_slot_minutes_positive", ClinicInfoFactory, {"slot_minutes": 0}),
    ("clinic_clinicinfo_tax_rate_range", ClinicInfoFactory, {"tax_rate": Decimal("100.00")}),
    ("clinic_hours_opens_before_closing", OpeningHoursFactory, {"closes_at": F("opens_at")}),
    ("clinic_hours_weekday_range", OpeningHoursFactory, {"weekday": 7}),
    ("clinic_holiday_closed_or_hours", ClinicHolidayFactory, {"opens_at": datetime.time(8)}),  # no closing time
    (
        "clinic_holiday_closed_or_hours",
        ClinicHolidayFactory,
        {"opens_at": datetime.time(13), "closes_at": datetime.time(8)},
    ),
    # promotions
    ("promotions_offer_value_non_negative", OfferFactory, {"discount_value": Decimal("-1")}),
    ("promotions_offer_percentage_max_100", OfferFactory, {"discount_value": Decimal("100.01")}),
    ("promotions_offer_cap_non_negative", OfferFactory, {"max_discount_amount": Decimal("-1")}),
    ("promotions_offer_min_order_non_negative", OfferFactory, {"minimum_order_value": Decimal("-1")}),
    (
        "promotions_offer_dates_ordered",
        OfferFactory,
        {"start_date": datetime.date(2026, 5, 2), "end_date": datetime.date(2026, 5, 1)},
    ),
    ("promotions_coupon_uses_non_negative", CouponFactory, {"current_uses": -1}),
    ("promotions_coupon_uses_within_max", lambda: CouponFactory(max_uses=5), {"current_uses": 6}),
    ("promotions_coupon_per_user_min_1", CouponFactory, {"max_uses_per_user": 0}),
    ("promotions_coupon_dates_ordered", CouponFactory, {"end_at": F("start_at") - datetime.timedelta(seconds=1)}),
    ("promotions_redemption_discount_non_negative", CouponRedemptionFactory, {"discount_amount": Decimal("-0.01")}),
    # billing
    ("billing_distance_base_non_negative", DistancePricingConfigFactory, {"base_charge": Decimal("-1")}),
    ("billing_distance_per_km_non_negative", DistancePricingConfigFactory, {"charge_per_km": Decimal("-1")}),
    ("billing_distance_free_non_negative", DistancePricingConfigFactory, {"max_free_distance_km": Decimal("-1")}),
    ("billing_distance_service_covers_free", DistancePricingConfigFactory, {"max_service_distance_km": Decimal("2")}),
    (
        "billing_distance_dates_ordered",
        DistancePricingConfigFactory,
        {"effective_from": datetime.date(2026, 4, 1), "effective_until": datetime.date(2026, 3, 31)},
    ),
    (
        "billing_record_base_non_negative",
        BillingRecordFactory,
        {"base_amount": Decimal("-10"), "distance_charge": Decimal("10"), "final_amount": Decimal("0")},
    ),
    (
        "billing_record_discount_within_gross",
        BillingRecordFactory,
        {"discount_amount": Decimal("500.01"), "final_amount": Decimal("-0.01")},
    ),
    (
        "billing_record_discount_within_gross",
        BillingRecordFactory,
        {"discount_amount": Decimal("-1"), "final_amount": Decimal("501")},
    ),
    (
        "billing_record_distance_non_negative",
        BillingRecordFactory,
        {"distance_charge": Decimal("-10"), "final_amount": Decimal("490")},
    ),
    ("billing_record_final_is_sum", BillingRecordFactory, {"final_amount": Decimal("499.99")}),
    ("billing_record_paid_non_negative", BillingRecordFactory, {"amount_paid": Decimal("-0.01")}),
    ("billing_record_invoiced_has_number", BillingRecordFactory, {"status": "invoiced", "invoice_number": None}),
    ("billing_record_period_format", BillingRecordFactory, {"billing_period": "2026-1"}),
    ("billing_payment_amount_positive", PaymentFactory, {"amount": Decimal("0")}),
    ("billing_payment_refund_of_only_refunds", _refund_of_payment, {"kind": "payment"}),
    ("billing_paymentorder_amount_positive", PaymentOrderFactory, {"amount": Decimal("0")}),
    ("billing_invoiceseq_non_negative", InvoiceSequenceFactory, {"last_number": -1}),
    ("billing_document_receipt_has_payment", BillingDocumentFactory, {"kind": "receipt"}),
    # bookings
    ("bookings_slot_start_before_end", CollectionSlotFactory, {"end_time": F("start_time")}),
    ("bookings_slot_booked_within_capacity", CollectionSlotFactory, {"booked": F("capacity") + 1}),
    ("bookings_slot_lab_booked_within_capacity", lambda: CollectionSlotFactory(lab_capacity=2), {"lab_booked": 3}),
    ("bookings_day_booked_within_cap", CollectionDayFactory, {"booked": F("capacity") + 1}),
    ("bookings_day_lab_booked_within_cap", lambda: CollectionDayFactory(lab_capacity=2), {"lab_booked": 3}),
    (
        "bookings_booking_subtotal_non_negative",
        BookingFactory,
        {"subtotal": Decimal("-10"), "distance_charge": Decimal("10"), "total_amount": Decimal("0")},
    ),
    (
        "bookings_booking_discount_within_gross",
        BookingFactory,
        {"discount_amount": Decimal("500.01"), "total_amount": Decimal("-0.01")},
    ),
    (
        "bookings_booking_discount_within_gross",
        BookingFactory,
        {"discount_amount": Decimal("-1"), "total_amount": Decimal("501")},
    ),
    (
        "bookings_booking_distance_non_negative",
        BookingFactory,
        {"distance_charge": Decimal("-10"), "total_amount": Decimal("490")},
    ),
    ("bookings_booking_total_is_sum", BookingFactory, {"total_amount": Decimal("500.01")}),
    ("bookings_booking_distance_km_non_negative", BookingFactory, {"estimated_distance_km": Decimal("-0.01")}),
    ("bookings_booking_home_has_address", BookingFactory, {"address_text": ""}),
    ("bookings_item_quantity_positive", BookingItemFactory, {"quantity": 0}),
    ("bookings_item_price_non_negative", BookingItemFactory, {"unit_price": Decimal("-0.01")}),
    ("bookings_item_rejected_has_reason", BookingItemFactory, {"status": "rejected", "rejection_reason": ""}),
    ("bookings_report_version_positive", TestReportFactory, {"version": 0}),
    ("bookings_report_verifier_not_uploader", TestReportFactory, {"verified_by": F("uploaded_by")}),
    ("bookings_prescription_not_empty", PrescriptionUploadFactory, {"file_size_bytes": 0}),
    ("bookings_share_expires_later", ReportShareFactory, {"expires_at": F("created_at")}),
    ("bookings_booking_pet_weight_range", BookingFactory, {"pet_weight_kg": Decimal("150.01")}),
    # reviews
    ("reviews_review_visit_rating_range", ReviewFactory, {"visit_rating": 6}),
    ("reviews_review_collector_rating_range", ReviewFactory, {"collector_rating": 0}),
    ("reviews_review_collector_rating_has_collector", ReviewFactory, {"collector": None}),
    # settlement
    ("settlement_fee_non_negative", CollectorFeeFactory, {"fee_per_visit": Decimal("-1")}),
    ("settlement_fee_commission_range", CollectorFeeFactory, {"commission_percent": Decimal("100.01")}),
    ("settlement_handover_amount_sign", CashHandoverFactory, {"amount": Decimal("-1")}),
    ("settlement_payout_amount_sign", CollectorPayoutFactory, {"amount": Decimal("0")}),
    # privacy
    (
        "privacy_closure_anonymise_after_closing",
        AccountClosureFactory,
        {"anonymise_after": F("closed_at") - datetime.timedelta(days=1)},
    ),
    # content
    ("content_announcement_ends_after_start", AnnouncementFactory, {"ends_at": F("starts_at")}),
]

# PostgreSQL tests CHECK constraints in name order. ``current_uses`` is a PositiveIntegerField whose own ``>= 0``
# column check says the same as ours and sorts first, so the database names that one.
SAME_RULE_AS = {
    "promotions_coupon_uses_non_negative": {"promotions_coupon_current_uses_check"},
}


def _receipt(payment):
    return BillingDocumentFactory(kind="receipt", billing_record=payment.billing_record, payment=payment)


# --- Unique constraints in Meta: (constraint, make the first row, make the duplicate of it) ------------------------
UNIQUE_CONSTRAINT_CASES = [
    (
        "settlement_fee_one_per_day",
        CollectorFeeFactory,
        lambda first: CollectorFeeFactory(collector=first.collector, effective_from=first.effective_from),
    ),
    (
        "billing_payment_provider_payment_unique",
        lambda: PaymentFactory(provider="razorpay", provider_payment_id="pay_1"),
        lambda first: PaymentFactory(provider="razorpay", provider_payment_id="pay_1"),
    ),
    (
        "billing_payment_provider_refund_unique",
        lambda: _refund_of_payment(provider="stripe", provider_refund_id="re_1"),
        lambda first: _refund_of_payment(provider="stripe", provider_refund_id="re_1"),
    ),
    (
        "billing_paymentorder_unique",
        PaymentOrderFactory,
        lambda first: PaymentOrderFactory(provider=first.provider, provider_order_id=first.provider_order_id),
    ),
    (
        "billing_providerevent_unique",
        ProviderEventFactory,
        lambda first: ProviderEventFactory(provider=first.provider, event_id=first.event_id),
    ),
    (
        "clinic_hours_unique_start",
        OpeningHoursFactory,
        lambda first: OpeningHoursFactory(weekday=first.weekday, opens_at=first.opens_at, closes_at=first.closes_at),
    ),
    (
        "accounts_user_email_ci_unique",
        lambda: UserFactory(email="asha.rao@example.com"),
        lambda first: UserFactory(email="Asha.Rao@EXAMPLE.com"),
    ),
    (
        "accounts_address_one_default_per_user",
        lambda: AddressFactory(is_default=True),
        lambda first: AddressFactory(user=first.user, is_default=True),
    ),
    (
        "accounts_notification_once_per_event",
        lambda: NotificationFactory(event_key="booking:1:confirmed"),
        lambda first: NotificationFactory(user=first.user, event_key=first.event_key),
    ),
    (
        "billing_document_one_invoice_per_bill",
        BillingDocumentFactory,
        lambda first: BillingDocumentFactory(billing_record=first.billing_record),
    ),
    (
        "billing_document_one_receipt_per_payment",
        lambda: _receipt(PaymentFactory()),
        lambda first: _receipt(first.payment),
    ),
    (
        "accounts_delivery_once_per_channel",
        lambda: NotificationDeliveryFactory(channel="whatsapp"),
        lambda first: NotificationDeliveryFactory(notification=first.notification, channel="whatsapp"),
    ),
    (
        "catalog_labtest_code_ci_unique",
        lambda: LabTestFactory(code="HEM-CBC"),
        lambda first: LabTestFactory(code="hem-cbc"),
    ),
    (
        "promotions_coupon_code_ci_unique",
        lambda: CouponFactory(code="WELCOME10"),
        lambda first: CouponFactory(code="Welcome10"),
    ),
    (
        "bookings_slot_unique_start",
        CollectionSlotFactory,
        lambda first: CollectionSlotFactory(date=first.date, start_time=first.start_time, end_time=first.end_time),
    ),
    (
        "bookings_booking_idempotency_unique",
        lambda: BookingFactory(idempotency_key="checkout-1"),
        lambda first: BookingFactory(user=first.user, idempotency_key="checkout-1"),
    ),
    (
        "bookings_item_unique_test_per_booking",
        BookingItemFactory,
        lambda first: BookingItemFactory(booking=first.booking, test=first.test),
    ),
    (
        "catalog_component_unique_test",
        PackageComponentFactory,
        lambda first: PackageComponentFactory(package=first.package, test=first.test),
    ),
    (
        "catalog_component_unique_position",
        PackageComponentFactory,
        lambda first: PackageComponentFactory(package=first.package, position=first.position),
    ),
    (
        "bookings_item_unique_sequence",
        BookingItemFactory,
        lambda first: BookingItemFactory(booking=first.booking, sequence=first.sequence),
    ),
    (
        "bookings_report_one_current_per_item",
        TestReportFactory,
        lambda first: TestReportFactory(booking_item=first.booking_item, version=2, is_current=True),
    ),
    (
        "bookings_report_unique_version",
        TestReportFactory,
        lambda first: TestReportFactory(booking_item=first.booking_item, version=first.version, is_current=False),
    ),
    (
        "catalog_analyte_code_unique_per_test",
        AnalyteFactory,
        lambda first: AnalyteFactory(test=first.test, code=first.code.lower()),
    ),
    (
        "catalog_range_unique_band",
        ReferenceRangeFactory,
        lambda first: ReferenceRangeFactory(analyte=first.analyte, species=first.species),
    ),
    (
        "bookings_result_one_draft",
        ResultValueFactory,
        lambda first: ResultValueFactory(item=first.item, analyte=first.analyte),
    ),
    (
        "bookings_result_unique_per_report",
        lambda: ResultValueFactory(report=TestReportFactory()),
        lambda first: ResultValueFactory(item=first.item, analyte=first.analyte, report=first.report),
    ),
]

# --- Unique columns (unique=True, OneToOneField): (app_label.Model.field, make the first row, make the duplicate) --
UNIQUE_FIELD_CASES = [
    (
        "bookings.TestReport.verification_code",
        lambda: TestReportFactory(verification_code="c0de" * 6),
        lambda first: TestReportFactory(verification_code=first.verification_code),
    ),
    (
        "bookings.ReportShare.token_sha256",
        ReportShareFactory,
        lambda first: ReportShareFactory(token_sha256=first.token_sha256),
    ),
    (
        "bookings.BookingItem.code",
        BookingItemFactory,
        lambda first: BookingItemFactory(booking__code="DP-OTHER1", code=first.code),
    ),
    ("accounts.User.phone", UserFactory, lambda first: UserFactory(phone=first.phone)),
    ("accounts.StaffProfile.user", StaffProfileFactory, lambda first: StaffProfileFactory(user=first.user)),
    (
        "catalog.TestCategory.name",
        TestCategoryFactory,
        lambda first: Category.objects.create(name=first.name, slug="another-slug"),
    ),
    (
        "catalog.TestCategory.slug",
        TestCategoryFactory,
        lambda first: Category.objects.create(name="Another category", slug=first.slug),
    ),
    ("catalog.TestTag.name", TestTagFactory, lambda first: Tag.objects.create(name=first.name, slug="another")),
    ("catalog.TestTag.slug", TestTagFactory, lambda first: Tag.objects.create(name="another", slug=first.slug)),
    # "Exactly one clinic row": the factory is get-or-create, so the second row is built and saved by hand.
    ("clinic.ClinicInfo.singleton", ClinicInfoFactory, lambda first: ClinicInfoFactory.build().save()),
    ("clinic.ClinicHoliday.date", ClinicHolidayFactory, lambda first: ClinicHolidayFactory(date=first.date)),
    ("bookings.CollectionDay.date", CollectionDayFactory, lambda first: CollectionDayFactory(date=first.date)),
    ("promotions.Offer.name", OfferFactory, lambda first: OfferFactory(name=first.name)),
    (
        "promotions.CouponRedemption.booking",
        CouponRedemptionFactory,
        lambda first: CouponRedemptionFactory(booking=first.booking),
    ),
    ("billing.BillingRecord.booking", BillingRecordFactory, lambda first: BillingRecordFactory(booking=first.booking)),
    (
        "billing.BillingRecord.invoice_number",
        lambda: BillingRecordFactory(invoice_number="INV-2026-000001"),
        lambda first: BillingRecordFactory(invoice_number="INV-2026-000001"),
    ),
    (
        "billing.InvoiceSequence.year",
        InvoiceSequenceFactory,
        lambda first: InvoiceSequence.objects.create(year=first.year),
    ),
    ("bookings.Booking.code", BookingFactory, lambda first: BookingFactory(code=first.code)),
    (
        "bookings.TestReport.supersedes",
        lambda: TestReportFactory(supersedes=TestReportFactory()),
        lambda first: TestReportFactory(supersedes=first.supersedes),
    ),
    ("reviews.Review.booking", ReviewFactory, lambda first: ReviewFactory(booking=first.booking)),
    ("content.FaqTopic.name", FaqTopicFactory, lambda first: FaqTopic.objects.create(name=first.name)),
    ("content.Testimonial.review", TestimonialFactory, lambda first: TestimonialFactory(review=first.review)),
    ("privacy.AccountClosure.user", AccountClosureFactory, lambda first: AccountClosureFactory(user=first.user)),
]


def _violated_constraint(excinfo) -> str:
    """The constraint PostgreSQL names in the error (psycopg's diagnostics of the wrapped error)."""
    return excinfo.value.__cause__.diag.constraint_name


def _ids(cases) -> list[str]:
    return [case[0] for case in cases]


def _unique_constraints_on(model, column: str) -> set[str]:
    """Names of the database's single-column unique constraints/indexes on ``column``."""
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
    return {name for name, info in constraints.items() if info["unique"] and info["columns"] == [column]}


@pytest.mark.parametrize(("name", "make_row", "changes"), CHECK_CASES, ids=_ids(CHECK_CASES))
def test_check_constraint_refuses_the_bad_value(name, make_row, changes):
    row = make_row()
    model = type(row)
    before = model.objects.values(*changes).get(pk=row.pk)

    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        model.objects.filter(pk=row.pk).update(**changes)

    assert _violated_constraint(excinfo) in {name} | SAME_RULE_AS.get(name, set())
    # The transaction is still usable and the row kept its valid values.
    assert model.objects.values(*changes).get(pk=row.pk) == before


@pytest.mark.parametrize(
    ("name", "make_first", "make_duplicate"),
    UNIQUE_CONSTRAINT_CASES,
    ids=_ids(UNIQUE_CONSTRAINT_CASES),
)
def test_unique_constraint_refuses_the_duplicate(name, make_first, make_duplicate):
    first = make_first()
    model = type(first)
    count = model.objects.count()

    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        make_duplicate(first)

    assert _violated_constraint(excinfo) == name
    assert model.objects.count() == count


@pytest.mark.parametrize(("label", "make_first", "make_duplicate"), UNIQUE_FIELD_CASES, ids=_ids(UNIQUE_FIELD_CASES))
def test_unique_column_refuses_the_duplicate(label, make_first, make_duplicate):
    first = make_first()
    app_label, model_name, field_name = label.split(".")
    model = apps.get_model(app_label, model_name)
    expected = _unique_constraints_on(model, model._meta.get_field(field_name).column)
    assert expected, f"{label} has no unique constraint in the database"
    count = model.objects.count()

    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        make_duplicate(first)

    assert _violated_constraint(excinfo) in expected
    assert model.objects.count() == count


def test_the_unique_rules_still_allow_what_they_should():
    """The partial and case-insensitive unique rules are not stricter than meant."""
    address = AddressFactory(is_default=True)
    AddressFactory(user=address.user, is_default=False)  # only one *default* address per user
    AddressFactory(is_default=True)  # another user's default
    UserFactory(email=None)
    UserFactory(email=None)  # many users without an email
    notification = NotificationFactory(event_key="")
    NotificationFactory(user=notification.user, event_key="")  # un-keyed messages are not de-duplicated
    booking = BookingFactory(idempotency_key=None)
    BookingFactory(user=booking.user, idempotency_key=None)
    BookingFactory(idempotency_key="checkout-1")
    BookingFactory(idempotency_key="checkout-1")  # the same key from two users
    report = TestReportFactory()
    report.is_current = False
    report.save(update_fields=["is_current"])
    TestReportFactory(booking_item=report.booking_item, version=2, supersedes=report)  # the amendment


def _declared_rules() -> set[str]:
    declared = set()
    for model in apps.get_models():
        if model._meta.app_label not in OUR_APPS:
            continue
        declared |= {constraint.name for constraint in model._meta.constraints}
        declared |= {
            f"{model._meta.label}.{field.name}"
            for field in model._meta.local_fields
            if field.unique and not field.primary_key
        }
    return declared


def test_every_constraint_has_a_case():
    tested = {case[0] for case in CHECK_CASES + UNIQUE_CONSTRAINT_CASES + UNIQUE_FIELD_CASES}
    declared = _declared_rules()

    assert not declared - tested, f"constraints without a test in this module: {sorted(declared - tested)}"
    assert not tested - declared, f"cases for constraints that no longer exist: {sorted(tested - declared)}"
