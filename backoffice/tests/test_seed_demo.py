import base64
import datetime
import re
import zlib
from decimal import Decimal
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.utils import timezone

from accounts.models import StaffProfile, StaffRole, User
from backoffice import demo
from billing.models import BillingRecord, DistancePricingConfig
from billing.services import distance_pricing_active
from bookings.models import Booking, BookingItem, CollectionSlot, ResultValue, TestReport
from bookings.services import booking_create
from catalog.models import LabTest
from catalog.models import TestCategory as Category  # aliased: pytest collects Test* names
from clinic.models import ClinicHoliday, ClinicInfo
from clinic.services import clinic_info_upsert
from diagnopet.errors import ValidationFailed
from diagnopet.files import REPORT_TYPES, upload_check
from pets.models import Pet
from promotions.models import Coupon, Offer

pytestmark = pytest.mark.django_db

EXPECTED_STATES = {
    "demo-1": Booking.Status.PENDING,
    "demo-2": Booking.Status.PENDING,
    "demo-3": Booking.Status.CONFIRMED,
    "demo-4": Booking.Status.COLLECTED,
    "demo-5": Booking.Status.PROCESSING,
    "demo-6": Booking.Status.COMPLETED,
    "demo-7": Booking.Status.CANCELLED,
    "demo-8": Booking.Status.CONFIRMED,
}


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # The seed hashes a dozen passwords per run; the production hasher would make this module slow.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def row_counts() -> dict[str, int]:
    """Rows of every model of every installed app (ours, auth groups and permissions, tokens, …)."""
    return {model._meta.label: model.objects.count() for model in apps.get_models()}


def booking_states() -> dict[str, str]:
    return dict(Booking.objects.filter(idempotency_key__startswith="demo-").values_list("idempotency_key", "status"))


def test_running_it_twice_gives_identical_row_counts_for_every_model():
    seed()
    first = row_counts()
    states = booking_states()

    seed()

    assert row_counts() == first
    assert booking_states() == states
    # A guard: the first run really made the data (and today's visits).
    assert first["bookings.Booking"] == len(EXPECTED_STATES) + len(demo.TODAY_BOOKINGS)


def test_clinic_pricing_catalog_and_calendar():
    seed()
    today = timezone.localdate()

    clinic = ClinicInfo.objects.get()
    assert (clinic.latitude, clinic.longitude) == (Decimal("12.971600"), Decimal("77.640000"))
    assert (clinic.opening_time, clinic.closing_time) == (datetime.time(8), datetime.time(18))
    assert clinic.whatsapp_link == "https://wa.me/919845012345"
    assert "Bengaluru" in clinic.address

    active = distance_pricing_active(on=today)
    assert (active.base_charge, active.charge_per_km) == (Decimal("50.00"), Decimal("10.00"))
    assert (active.max_free_distance_km, active.max_service_distance_km) == (Decimal("3.00"), Decimal("25.00"))
    assert DistancePricingConfig.objects.filter(effective_until__lt=today).count() == 1

    assert LabTest.objects.count() == 48
    assert Category.objects.count() == 10

    holidays = set(ClinicHoliday.objects.filter(opens_at__isnull=True).values_list("date", flat=True))
    assert holidays
    assert all(day > today for day in holidays)
    half_day = ClinicHoliday.objects.get(opens_at__isnull=False)
    assert half_day.date == min(holidays) - datetime.timedelta(days=1)
    assert (half_day.opens_at, half_day.closes_at) == (datetime.time(8), datetime.time(13))
    assert sorted(clinic.opening_hours.values_list("weekday", flat=True)) == [0, 1, 2, 3, 4, 5, 6]
    assert clinic.opening_hours.get(weekday=6).closes_at == datetime.time(12)  # Sunday mornings only
    hours = [datetime.time(hour) for hour in range(8, 18)]
    for offset in range(demo.SLOT_DAYS):  # from today
        day = today + datetime.timedelta(days=offset)
        slots = CollectionSlot.objects.filter(date=day).order_by("start_time")
        if day in holidays:
            expected = []
        elif day == half_day.date:
            expected = hours[:5]  # 08:00–13:00
        elif day.weekday() == 6:
            expected = hours[:4]  # 08:00–12:00
        else:
            expected = hours
        assert [s.start_time for s in slots] == expected, day
        assert all(s.capacity == 4 and s.end_time.hour == s.start_time.hour + 1 for s in slots)


def test_staff_superuser_and_customers():
    out = seed()

    for role in StaffRole.values:
        profiles = StaffProfile.objects.filter(role=role).select_related("user")
        assert profiles, role
        for profile in profiles:
            assert profile.user.is_staff
            assert profile.user.groups.filter(name=role).exists()
            assert profile.user.check_password(demo.STAFF_PASSWORD)

    admin = User.objects.get(phone="+919000000000")
    assert admin.is_superuser
    assert admin.is_staff
    assert admin.check_password("diagnopet-admin")

    customers = User.objects.filter(phone__in=[c["phone"] for c in demo.CUSTOMERS])
    assert customers.count() == len(demo.CUSTOMERS) >= 3
    for customer in customers:
        assert not customer.is_staff
        assert customer.check_password("diagnopet-demo")
        address = customer.addresses.get(is_default=True)
        assert address.latitude is not None
        assert address.city == "Bengaluru"
        assert 1 <= customer.pets.count() <= 3
    species = set(Pet.objects.filter(user__in=customers).values_list("species", flat=True))
    assert {"dog", "cat", "rabbit", "bird"} <= species

    for _who, phone, password in demo.demo_logins():
        assert re.search(rf"{re.escape(phone)}\s+{re.escape(password)}", out), phone


def test_promotions():
    seed()

    coupon = Coupon.objects.select_related("offer").get(code__iexact="welcome10")
    assert coupon.is_active
    assert coupon.offer.is_active
    assert coupon.start_at <= timezone.now() <= coupon.end_at
    assert (coupon.offer.discount_type, coupon.offer.discount_value) == ("percentage", Decimal("10.00"))
    assert coupon.offer.max_discount_amount == Decimal("300.00")

    free_collection = Offer.objects.get(auto_apply=True)
    assert free_collection.applies_to == Offer.Target.COLLECTION_CHARGE
    assert (free_collection.discount_type, free_collection.discount_value) == ("percentage", Decimal("100.00"))
    assert free_collection.start_date <= timezone.localdate() <= free_collection.end_date


def test_bookings_in_every_state_made_by_the_booking_services():
    seed()

    assert booking_states() == EXPECTED_STATES
    bookings = {b.idempotency_key: b for b in Booking.objects.filter(idempotency_key__startswith="demo-")}
    # Made by booking_create: a code, priced items, a bill per booking.
    for booking in bookings.values():
        assert re.fullmatch(r"DP-[A-Z0-9]{6}", booking.code)
        assert booking.items.exists()
        assert booking.billing_record.final_amount == booking.total_amount
    # WELCOME10 on 1,599 + 450: 10% = 204.90, below the 300 cap.
    welcome = bookings["demo-1"]
    assert (welcome.subtotal, welcome.discount_amount) == (Decimal("2049.00"), Decimal("204.90"))
    assert welcome.coupon_redemption.coupon.code == "WELCOME10"
    # Whitefield is beyond the free radius; the automatic offer waives the charge on a ₹1,700 order.
    far = bookings["demo-4"]
    assert far.distance_charge > 0
    assert far.discount_amount == far.distance_charge
    assert far.offer.auto_apply

    assert bookings["demo-3"].collection_staff.staff_profile.role == StaffRole.COLLECTOR
    assert bookings["demo-7"].billing_record.status == BillingRecord.Status.VOID
    assert bookings["demo-7"].cancellation_reason

    processing = bookings["demo-5"]
    waiting = TestReport.objects.get(booking=processing)
    assert waiting.status == TestReport.Status.GENERATED  # entered, waiting for a second pair of eyes
    # The demo dog's CBC, entered on the worklist: a raised WBC and neutrophils are flagged high.
    flags = dict(waiting.results.values_list("analyte__code", "flag"))
    assert (len(flags), flags["WBC"], flags["NEU"], flags["HCT"]) == (12, "high", "high", "normal")
    assert not ResultValue.objects.filter(report__isnull=True).exists()

    completed = bookings["demo-6"]
    # Paid in cash at the door and invoiced: its customer has an invoice and a receipt to download.
    bill = completed.billing_record
    assert (bill.status, bill.amount_paid) == (BillingRecord.Status.PAID, bill.final_amount)
    assert bill.invoice_number.startswith("INV-")
    reports = TestReport.objects.filter(booking=completed)
    assert reports.count() == completed.items.count()
    for report in reports:
        assert report.status == TestReport.Status.DELIVERED
        assert report.verified_by_id != report.uploaded_by_id
        # The CBC's report is made from results entered on the worklist; the others are uploaded PDFs.
        assert report.results.count() == (12 if report.test.code == "HEM-CBC" else 0)
        if report.report_file:
            with report.report_file.open("rb") as pdf:
                assert upload_check(pdf, allowed=REPORT_TYPES) == "application/pdf"
        else:
            assert report.results.exists()


def test_a_run_that_stopped_half_way_is_completed_by_the_next():
    # As if an earlier run stopped right after creating booking demo-6.
    demo.seed_clinic()
    demo.seed_distance_pricing()
    demo.seed_catalog()
    demo.seed_calendar()
    demo.seed_staff()
    demo.seed_customers()
    customer = User.objects.get(phone="+919000000011")
    started = booking_create(
        user=customer,
        pet_id=customer.pets.get(name="Mishti").pk,
        test_ids=list(LabTest.objects.filter(code__in=["HEM-CBC"]).values_list("pk", flat=True)),
        collection_type="home",
        slot_id=CollectionSlot.objects.filter(date__gt=timezone.localdate()).order_by("date", "start_time").first().pk,
        address_id=customer.addresses.get().pk,
        idempotency_key="demo-6",
    )

    seed()

    started.refresh_from_db()
    assert started.status == Booking.Status.COMPLETED
    assert Booking.objects.filter(user=customer, idempotency_key="demo-6").count() == 1
    assert booking_states() == EXPECTED_STATES


def test_report_pdf_is_a_valid_pdf_made_by_reportlab():
    pdf = demo.report_pdf(title="Report (demo)", lines=["Patient: Bruno (Dog)", "Result: within range", "Demo data"])

    assert pdf.startswith(b"%PDF-1.")
    assert b"ReportLab Generated PDF document" in pdf[:100]
    assert pdf.rstrip().endswith(b"%%EOF")
    # The cross-reference table is where startxref says, and each entry points at the start of its object.
    xref_at = int(re.search(rb"startxref\n(\d+)\n%%EOF", pdf).group(1))
    assert pdf[xref_at:].startswith(b"xref")
    entries = re.findall(rb"(\d{10}) 00000 n ", pdf[xref_at:])
    assert entries
    for number, offset in enumerate(entries, start=1):
        assert pdf[int(offset) :].startswith(b"%d 0 obj" % number)
    assert b"/Count 1" in pdf  # one page
    assert b"/Title (Report \\(demo\\))" in pdf
    # The page's text, as reportlab compresses it (ASCII85, then Flate).
    stream = re.search(rb"stream\r?\n(.*?)endstream", pdf, re.S).group(1).strip()
    text = zlib.decompress(base64.a85decode(stream.removesuffix(b"~>")))
    assert b"(Patient: Bruno \\(Dog\\)) Tj" in text
    assert b"(Demo data) Tj" in text
    assert demo.report_pdf(title="Report (demo)", lines=["Demo data"]) == demo.report_pdf(
        title="Report (demo)", lines=["Demo data"]
    )  # no dates or random ids: the same report, the same bytes


# --- clinic_info_upsert (the seed's way to write the clinic row) ---------------------------------------------------


def test_clinic_info_upsert_creates_then_updates_the_single_row():
    created = clinic_info_upsert(**demo.CLINIC)
    updated = clinic_info_upsert(name="DiagnoPet Labs", home_slot_capacity=5)

    assert updated.pk == created.pk
    assert ClinicInfo.objects.count() == 1
    row = ClinicInfo.objects.get()
    assert (row.name, row.home_slot_capacity, row.road_factor) == ("DiagnoPet Labs", 5, Decimal("1.30"))


def test_clinic_info_upsert_writes_nothing_when_nothing_changes():
    first = clinic_info_upsert(**demo.CLINIC)

    again = clinic_info_upsert(**demo.CLINIC)

    assert again.updated_at == first.updated_at == ClinicInfo.objects.get().updated_at


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"whatsapp_number": "98450 12345"}, "whatsapp_number"),
        ({"opening_time": datetime.time(19)}, None),
        ({"road_factor": Decimal("0.5")}, None),
    ],
)
def test_clinic_info_upsert_refuses_invalid_values(fields, field):
    clinic_info_upsert(**demo.CLINIC)

    with pytest.raises(ValidationFailed) as excinfo:
        clinic_info_upsert(**fields)

    assert excinfo.value.field == field
    assert ClinicInfo.objects.get().road_factor == Decimal("1.30")


def test_clinic_info_upsert_refuses_unknown_fields():
    with pytest.raises(TypeError, match="singleton"):
        clinic_info_upsert(**demo.CLINIC, singleton=False)


def test_the_billing_report_shows_the_split_by_category_at_once():
    from billing.models import CategoryDayTotal
    from billing.selectors import category_totals_as_of

    seed()

    assert CategoryDayTotal.objects.exists()
    assert category_totals_as_of() is not None


def test_site_content_is_served_publicly(api_client):
    seed()
    seed()  # a second run adds nothing (row counts: above)

    faqs = api_client.get("/api/v1/content/faqs/").json()["results"]
    announcements = api_client.get("/api/v1/content/announcements/").json()["results"]
    (testimonial,) = api_client.get("/api/v1/content/testimonials/").json()["results"]

    assert len(faqs) >= 2
    assert all(topic["faqs"] for topic in faqs)
    assert len(announcements) == 1
    completed = Booking.objects.get(idempotency_key="demo-6")
    assert completed.review.testimonial_consent
    assert testimonial["first_name"] == completed.user.full_name.split()[0]
    assert testimonial["pet_species"] == completed.pet.species


@pytest.mark.parametrize("hour", [6, 13, 23])
def test_today_has_visits_for_both_collectors_and_tubes_for_the_lab_whatever_the_hour(monkeypatch, hour):
    # The clock at ``hour`` today (clinic time): before opening, mid-day, after closing.
    at = timezone.make_aware(datetime.datetime.combine(timezone.localdate(), datetime.time(hour, 30)))
    monkeypatch.setattr(timezone, "now", lambda: at)
    today = at.date()

    seed()
    seed()  # idempotent the same day

    visits = Booking.objects.filter(booking_date=today, idempotency_key__startswith=f"today-{today.isoformat()}-")
    assert visits.count() == len(demo.TODAY_BOOKINGS)
    assert all(v.slot.date == today for v in visits.select_related("slot"))
    to_collect = visits.filter(status=Booking.Status.CONFIRMED, collection_type="home")
    collectors = set(to_collect.values_list("collection_staff__phone", flat=True))
    assert collectors == {"+919000000102", "+919000000103"}
    assert to_collect.filter(collection_staff__phone="+919000000102").count() >= 2  # one collected, one no-show
    waiting = BookingItem.objects.filter(booking__in=visits, status=BookingItem.Status.COLLECTED)
    assert waiting.count() >= 2
    assert all(re.fullmatch(r"DP-[A-Z0-9]{6}-\d\d", item.code) for item in waiting)
