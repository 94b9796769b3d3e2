"""Every ModelAdmin of our apps opens: changelist, search, add, change; and no changelist runs a query per row.

Also the admin behaviour that guards data: read-only snapshots, the single clinic row, unlocking accounts,
creating a user with a phone login.
"""

import datetime
import itertools
import warnings
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets
from django.core.paginator import UnorderedObjectListWarning
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import (
    Address,
    CollectorArea,
    Notification,
    NotificationDelivery,
    PhoneOTP,
    StaffProfile,
    User,
)
from accounts.tests import factories as accounts_f
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
from billing.tests import factories as billing_f
from bookings import models as bookings_models
from bookings.models import (
    Booking,
    BookingItem,
    CollectionDay,
    CollectionSlot,
    CollectorAssignment,
    PrescriptionUpload,
    TestBatchGroup,
    TestReport,
)
from bookings.tests import factories as bookings_f
from catalog import models as catalog_models
from catalog.tests import factories as catalog_f
from clinic.models import ClinicHoliday, ClinicInfo, OpeningHours
from clinic.tests import factories as clinic_f
from content import models as content_models
from content.tests import factories as content_f
from pets.models import Pet
from pets.tests import factories as pets_f
from privacy.models import AccountClosure
from privacy.tests.factories import AccountClosureFactory
from promotions.models import Coupon, CouponRedemption, Offer
from promotions.tests import factories as promotions_f
from reviews.models import CollectorRating, Review
from reviews.tests import factories as reviews_f
from settlement import models as settlement_models
from settlement.tests import factories as settlement_f

OUR_APPS = (
    *("accounts", "pets", "catalog", "clinic", "promotions", "billing", "bookings", "reviews", "settlement"),
    *("content", "privacy"),
)

_unique = itertools.count(1)


def _slot():
    # Slots are unique per (date, start time): give each its own day.
    return bookings_f.CollectionSlotFactory(date=timezone.localdate() + datetime.timedelta(days=next(_unique)))


# One way to make a row of each model, with its nullable foreign keys filled in, so that a missing
# select_related shows up as a query per row.
MAKERS = {
    User: lambda: accounts_f.StaffProfileFactory().user,
    Address: accounts_f.AddressFactory,
    PhoneOTP: accounts_f.PhoneOTPFactory,
    StaffProfile: accounts_f.StaffProfileFactory,
    CollectorArea: accounts_f.CollectorAreaFactory,
    Notification: accounts_f.NotificationFactory,
    NotificationDelivery: accounts_f.NotificationDeliveryFactory,
    Pet: pets_f.PetFactory,
    catalog_models.TestCategory: catalog_f.TestCategoryFactory,
    catalog_models.TestTag: catalog_f.TestTagFactory,
    catalog_models.LabTest: catalog_f.LabTestFactory,
    catalog_models.PackageComponent: catalog_f.PackageComponentFactory,
    catalog_models.Analyte: catalog_f.AnalyteFactory,
    catalog_models.ReferenceRange: catalog_f.ReferenceRangeFactory,
    ClinicInfo: clinic_f.ClinicInfoFactory,
    ClinicHoliday: clinic_f.ClinicHolidayFactory,
    OpeningHours: clinic_f.OpeningHoursFactory,
    Offer: promotions_f.OfferFactory,
    Coupon: promotions_f.CouponFactory,
    CouponRedemption: promotions_f.CouponRedemptionFactory,
    DistancePricingConfig: lambda: billing_f.DistancePricingConfigFactory(updated_by=accounts_f.StaffUserFactory()),
    BillingRecord: billing_f.BillingRecordFactory,
    Payment: lambda: billing_f.PaymentFactory(received_by=accounts_f.StaffUserFactory()),
    InvoiceSequence: lambda: billing_f.InvoiceSequenceFactory(year=2000 + next(_unique)),
    CategoryDayTotal: billing_f.CategoryDayTotalFactory,
    PaymentDayTotal: billing_f.PaymentDayTotalFactory,
    BillingDocument: billing_f.BillingDocumentFactory,
    PaymentOrder: billing_f.PaymentOrderFactory,
    ProviderEvent: billing_f.ProviderEventFactory,
    CollectionSlot: _slot,
    CollectionDay: bookings_f.CollectionDayFactory,
    Booking: lambda: bookings_f.BookingFactory(slot=_slot(), collection_staff=accounts_f.StaffUserFactory()),
    BookingItem: bookings_f.BookingItemFactory,
    TestBatchGroup: bookings_f.TestBatchGroupFactory,
    TestReport: bookings_f.TestReportFactory,
    PrescriptionUpload: bookings_f.PrescriptionUploadFactory,
    bookings_models.ResultValue: bookings_f.ResultValueFactory,
    bookings_models.ReportShare: bookings_f.ReportShareFactory,
    bookings_models.ReportShareAccess: bookings_f.ReportShareAccessFactory,
    Review: lambda: reviews_f.ReviewFactory(testimonial_consent=True),  # one a testimonial may be made of
    CollectorRating: reviews_f.ReviewFactory,
    content_models.FaqTopic: content_f.FaqTopicFactory,
    content_models.Faq: content_f.FaqFactory,
    content_models.Announcement: content_f.AnnouncementFactory,
    content_models.Testimonial: content_f.TestimonialFactory,
    CollectorAssignment: bookings_f.CollectorAssignmentFactory,
    settlement_models.CollectorFee: lambda: settlement_f.CollectorFeeFactory(created_by=accounts_f.StaffUserFactory()),
    settlement_models.CashHandover: settlement_f.CashHandoverFactory,
    settlement_models.CollectorPayout: settlement_f.CollectorPayoutFactory,
    settlement_models.CollectorStatement: settlement_f.collector_user,
    AccountClosure: AccountClosureFactory,
}

# Rows that only the business flows create (or that are read-only records): no add page.
ADD_DISABLED = {
    PhoneOTP,
    NotificationDelivery,
    CouponRedemption,
    BillingRecord,
    InvoiceSequence,
    CategoryDayTotal,
    PaymentDayTotal,
    BillingDocument,
    PaymentOrder,
    ProviderEvent,
    Booking,
    BookingItem,
    TestReport,
    PrescriptionUpload,
    Review,
    CollectorRating,
    CollectorAssignment,
    bookings_models.ResultValue,
    settlement_models.CollectorStatement,
    AccountClosure,
    bookings_models.ReportShare,
    bookings_models.ReportShareAccess,
}

REGISTERED = sorted(
    (model for model in admin.site._registry if model._meta.app_label in OUR_APPS), key=lambda m: m._meta.label
)


def _url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _make(model, count: int = 1) -> list:
    return [MAKERS[model]() for _ in range(count)]


def test_every_model_of_our_apps_is_registered():
    ours = {model for app in OUR_APPS for model in apps.get_app_config(app).get_models()}
    assert set(REGISTERED) == ours
    assert set(MAKERS) == ours


# Fields deliberately left off an admin that lists its fields: secrets, internals, and files (shown by name only).
HIDDEN_FIELDS = {
    PhoneOTP: {"code_hash"},
    ClinicInfo: {"singleton"},
    TestReport: {"report_file"},
    PrescriptionUpload: {"file"},
    BillingDocument: {"file"},
    Booking: {"idempotency_request_hash"},  # a hash that only tells a replay from a reused key
    PaymentOrder: {"client_secret"},  # Stripe's secret for the customer's app only
    # Edited in the component tests inline (PackageComponent rows, with their order).
    catalog_models.LabTest: {"components"},
}


def _listed_fields(model) -> set[str]:
    model_admin = admin.site._registry[model]
    names = flatten_fieldsets(model_admin.fieldsets) if model_admin.fieldsets else model_admin.fields or ()
    # A field shown by its label through a display function named after it counts as shown.
    return {name if isinstance(name, str) else name.__name__ for name in names}


@pytest.mark.parametrize("model", [m for m in REGISTERED if _listed_fields(m)], ids=lambda m: m._meta.label)
def test_admins_that_list_their_fields_show_every_field(model):
    shown = _listed_fields(model)
    fields = {f.name for f in model._meta.get_fields() if f.concrete and not f.auto_created}

    assert fields - shown == HIDDEN_FIELDS.get(model, set())


@pytest.mark.django_db
@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
def test_changelist_and_search_render(admin_client, model):
    if model is ClinicInfo:  # a single row: its list opens that row
        _make(model)
        response = admin_client.get(_url(model, "changelist"))
        assert response["Location"] == _url(model, "change", ClinicInfo.objects.get().pk)
        return
    if model is CollectorRating:  # a collector's own averages: figures, not a list of rows
        _make(model)
        assert admin_client.get(_url(model, "changelist")).status_code == 200
        return
    _make(model, 2)

    response = admin_client.get(_url(model, "changelist"))
    assert response.status_code == 200
    assert response.context["cl"].result_count >= 1

    for term in ("1", "no-such-thing"):
        assert admin_client.get(_url(model, "changelist"), {"q": term}).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
def test_add_page(admin_client, model):
    response = admin_client.get(_url(model, "add"))

    assert response.status_code == (403 if model in ADD_DISABLED else 200)


@pytest.mark.django_db
@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
def test_change_page_renders(admin_client, model):
    (obj,) = _make(model)

    if model in (CollectorRating, settlement_models.CollectorStatement):
        # No page per review (who rated stays hidden); a collector's page is their statement.
        assert admin_client.get(_url(model, "change", obj.pk)).status_code == 403
        return
    response = admin_client.get(_url(model, "change", obj.pk))

    assert response.status_code == 200
    assert response.context["original"].pk == obj.pk


@pytest.mark.django_db
@pytest.mark.parametrize(
    "model", [m for m in REGISTERED if m not in (ClinicInfo, CollectorRating)], ids=lambda m: m._meta.label
)  # ClinicInfo has one row at most; "My rating" lists no rows (its queries: reviews/tests/test_averages.py).
def test_changelist_query_count_does_not_grow_with_rows(admin_client, model):
    url = _url(model, "changelist")
    _make(model, 5)
    admin_client.get(url)  # warm-up: session, content types

    with CaptureQueriesContext(connection) as few:
        response = admin_client.get(url)
    assert response.context["cl"].result_count >= 5
    _make(model, 195)  # 200 rows: more than a changelist page (100) shows
    with CaptureQueriesContext(connection) as many:
        response = admin_client.get(url)
    assert response.context["cl"].result_count >= 200

    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


AUTOCOMPLETE_FIELDS = [
    (model, name) for model in REGISTERED for name in admin.site._registry[model].autocomplete_fields
]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("model", "field_name"), AUTOCOMPLETE_FIELDS, ids=lambda v: v if isinstance(v, str) else v._meta.label
)
def test_autocomplete_lookups_answer_in_a_stable_order(admin_client, model, field_name):
    target = model._meta.get_field(field_name).related_model
    _make(target, 2)
    params = {"app_label": model._meta.app_label, "model_name": model._meta.model_name, "field_name": field_name}

    with warnings.catch_warnings():
        warnings.simplefilter("error", UnorderedObjectListWarning)
        response = admin_client.get(reverse("admin:autocomplete"), params | {"term": ""})

    assert response.status_code == 200
    assert len(response.json()["results"]) >= 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("model", "field_name"), AUTOCOMPLETE_FIELDS, ids=lambda v: v if isinstance(v, str) else v._meta.label
)
@pytest.mark.parametrize("forged", ["x", "\x00", "1\x00", "9" * 40])
def test_a_forged_id_in_an_autocomplete_field_is_a_form_error(admin_client, model, field_name, forged):
    """The add form shown again with the field's error: Django's picker looked the id up to show it and raised."""
    response = admin_client.post(_url(model, "add"), {field_name: forged})
    assert response.status_code in (200, 403), response.status_code
    if response.status_code == 200:
        assert field_name in response.context["adminform"].form.errors


@pytest.mark.django_db
@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
def test_bulk_delete_confirmation_renders_or_is_refused(admin_client, model):
    pks = {obj.pk for obj in _make(model, 2)}
    data = {"action": "delete_selected", admin.helpers.ACTION_CHECKBOX_NAME: sorted(pks)}

    response = admin_client.post(_url(model, "changelist"), data)

    if "delete_selected" in admin.site._registry[model].get_actions(response.wsgi_request):
        assert response.status_code == 200
        assert "deletable_objects" in response.context  # the "are you sure?" page
    # Nothing is deleted before confirming (and never where the action is not offered).
    assert model.objects.filter(pk__in=pks).count() == len(pks)


# --- Data guards --------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_clinic_info_is_a_single_undeletable_row(admin_client):
    assert admin_client.get(_url(ClinicInfo, "add")).status_code == 200

    clinic = clinic_f.ClinicInfoFactory()

    assert admin_client.get(_url(ClinicInfo, "add")).status_code == 403
    assert admin_client.get(_url(ClinicInfo, "delete", clinic.pk)).status_code == 403
    assert ClinicInfo.objects.count() == 1


@pytest.mark.django_db
def test_phone_otp_page_never_shows_the_code_hash(admin_client):
    otp = accounts_f.PhoneOTPFactory(code_hash="pbkdf2_sha256$secret-hash-value")

    for url in (_url(PhoneOTP, "change", otp.pk), _url(PhoneOTP, "changelist")):
        response = admin_client.get(url)
        assert response.status_code == 200
        assert b"secret-hash-value" not in response.content


def _booking_post(booking: Booking, **changes) -> dict:
    data = {"notes": booking.notes, "_save": "Save"}
    for prefix in ("items", "prescriptions", "reports"):
        data |= {f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"}
    return data | changes


@pytest.mark.django_db
def test_booking_money_snapshot_cannot_be_changed_in_the_admin(admin_client):
    booking = bookings_f.BookingFactory(notes="")

    response = admin_client.post(
        _url(Booking, "change", booking.pk),
        _booking_post(booking, notes="Gate code 1234", total_amount="1.00", subtotal="1.00", status="completed"),
    )

    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.notes == "Gate code 1234"
    assert booking.total_amount == Decimal("500.00")
    assert booking.subtotal == Decimal("500.00")
    assert booking.status == Booking.Status.PENDING


@pytest.mark.django_db
def test_coupon_max_uses_below_current_uses_is_a_form_error(admin_client):
    coupon = promotions_f.CouponFactory(max_uses=10)
    Coupon.objects.filter(pk=coupon.pk).update(current_uses=3)
    data = {
        "code": coupon.code,
        "offer": coupon.offer_id,
        "start_at_0": f"{coupon.start_at:%Y-%m-%d}",
        "start_at_1": "00:00:00",
        "end_at_0": f"{coupon.end_at:%Y-%m-%d}",
        "end_at_1": "23:59:59",
        "is_active": "on",
        "max_uses": "2",
        "max_uses_per_user": "1",
    }

    response = admin_client.post(_url(Coupon, "change", coupon.pk), data)

    assert response.status_code == 200
    assert "already been used 3 times" in str(response.context["adminform"].form.errors["max_uses"])
    coupon.refresh_from_db()
    assert coupon.max_uses == 10


def _payment_post(record, **changes) -> dict:
    data = {"billing_record": record.pk, "kind": "payment", "amount": "500.00", "method": "cash"}
    return data | {"reference": "", "notes": ""} | changes


@pytest.mark.django_db
def test_payment_is_recorded_through_the_service_and_frozen_afterwards(admin_client, admin_user):
    record = billing_f.BillingRecordFactory()

    assert admin_client.post(_url(Payment, "add"), _payment_post(record)).status_code == 302

    payment = Payment.objects.get(billing_record=record)
    record.refresh_from_db()
    assert (payment.amount, payment.received_by, payment.status) == (Decimal("500.00"), admin_user, "succeeded")
    assert record.amount_paid == Decimal("500.00")

    response = admin_client.post(
        _url(Payment, "change", payment.pk), _payment_post(record, amount="1", reference="R-1")
    )

    assert response.status_code == 302
    payment.refresh_from_db()
    assert (payment.amount, payment.reference) == (Decimal("500.00"), "R-1")
    assert admin_client.get(_url(Payment, "delete", payment.pk)).status_code == 403


@pytest.mark.django_db
def test_payment_refused_by_the_service_shows_why_and_saves_nothing(admin_client):
    record = billing_f.BillingRecordFactory()

    response = admin_client.post(_url(Payment, "add"), _payment_post(record, kind="refund"), follow=True)

    assert "A refund cannot exceed what was paid" in response.content.decode()
    assert not Payment.objects.exists()
    record.refresh_from_db()
    assert record.amount_paid == Decimal("0.00")


@pytest.mark.django_db
def test_unlock_action_clears_the_lock(admin_client):
    locked = accounts_f.UserFactory(
        is_locked=True, locked_until=timezone.now() + datetime.timedelta(minutes=15), failed_login_attempts=5
    )
    other = accounts_f.UserFactory(failed_login_attempts=2)

    response = admin_client.post(
        _url(User, "changelist"), {"action": "unlock_accounts", admin.helpers.ACTION_CHECKBOX_NAME: [locked.pk]}
    )

    assert response.status_code == 302
    locked.refresh_from_db()
    other.refresh_from_db()
    assert (locked.is_locked, locked.locked_until, locked.failed_login_attempts) == (False, None, 0)
    assert other.failed_login_attempts == 2


@pytest.mark.django_db
def test_unlock_messages_name_one_account_and_count_several(admin_client):
    one, two = accounts_f.UserFactory(full_name="Asha Rao"), accounts_f.UserFactory()
    changelist = _url(User, "changelist")

    def unlock(*users):
        data = {"action": "unlock_accounts", admin.helpers.ACTION_CHECKBOX_NAME: [u.pk for u in users]}
        response = admin_client.post(changelist, data, follow=True)
        return [str(m) for m in response.context["messages"]]

    assert unlock(one) == ["Unlocked the account of Asha Rao."]
    assert unlock(one, two) == ["Unlocked 2 accounts."]


@pytest.mark.django_db
def test_user_add_form_normalises_the_phone_and_sets_the_password(admin_client):
    data = {
        "phone": "098765 43210",
        "full_name": "Asha Rao",
        "email": "",
        "usable_password": "true",
        "password1": "Vet-lab-2026!",
        "password2": "Vet-lab-2026!",
        "_save": "Save",
    }

    response = admin_client.post(_url(User, "add"), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    user = User.objects.get(phone="+919876543210")
    assert user.check_password("Vet-lab-2026!")
    assert user.email is None
    assert not user.is_staff


@pytest.mark.django_db
def test_user_add_form_rejects_a_bad_phone(admin_client):
    data = {"phone": "12345", "full_name": "X", "usable_password": "false", "_save": "Save"}

    response = admin_client.post(_url(User, "add"), data)

    assert response.status_code == 200
    assert "phone" in response.context["adminform"].form.errors
