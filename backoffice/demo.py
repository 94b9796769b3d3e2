"""Demo data for a fresh install (``manage.py seed_demo``): a Bengaluru lab, its hours, its catalog, a week of slots
from today, staff of every role, customers with pets, promotions, bookings in every state, and site content (FAQs, an
announcement, a reviewed visit shown as a testimonial: ``demo_content.py``).

Everything goes through the services (clinic, catalog import, slots, roles, registration, addresses, pets, the
booking flow), so the demo data obeys the same rules as real data. Idempotent: each piece is looked up by a natural
key first (phone, name, code, a booking's idempotency key) and only what is missing is created; bookings are moved
forward only as far as their demo state. Running it twice leaves every table as it was.

Not one transaction: the services it calls are entry points with their own (durable) transactions. A run that
stops half-way is completed by running it again.

Demo passwords are printed by the command and documented here on purpose; never run this on a production database.
"""

import datetime
import io
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.apps import apps
from django.core.files.base import ContentFile
from django.utils import timezone
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from accounts.models import Address, StaffRole, User
from accounts.roles import roles_setup, staff_create
from accounts.services import address_create, user_register
from backoffice.demo_content import seed_content
from billing.models import BillingRecord, DistancePricingConfig
from billing.services import amount_due, category_totals_rebuild, invoice_assign_number, payment_record
from bookings.models import Booking, BookingItem, CollectionSlot, CollectionType, TestReport
from bookings.services import (
    booking_assign_collector,
    booking_cancel,
    booking_confirm,
    booking_create,
    booking_mark_collected,
    item_receive,
    item_start_processing,
    report_deliver,
    report_upload,
    report_verify,
    slot_generate,
)
from bookings.services.results import ResultEntry, results_save, results_submit
from catalog.models import Analyte, LabTest
from catalog.services import ANALYTES_CSV, RANGES_CSV, analytes_import_csv, catalog_import_csv
from clinic.models import ClinicHoliday
from clinic.services import clinic_info_upsert, opening_hours_set
from diagnopet.money import to_money
from pets.models import Pet
from pets.services import pet_create
from promotions.models import Coupon, Offer
from settlement.models import CashHandover, CollectorFee
from settlement.selectors import collector_cash_held
from settlement.services import cash_handover_record, collector_fee_add

Log = Callable[[str], None]

CATALOG_CSV = Path(apps.get_app_config("catalog").path) / "data" / "vet_tests.csv"
SLOT_DAYS = 7

SUPERUSER = {
    "phone": "+919000000000",
    "password": "diagnopet-admin",
    "full_name": "Demo Administrator",
    "email": "admin@diagnopet.in",
}
# Demo-only passwords, printed by the command on purpose.
STAFF_PASSWORD = "staff-demo-2026"  # noqa: S105
CUSTOMER_PASSWORD = "diagnopet-demo"  # noqa: S105

CLINIC = {
    "name": "DiagnoPet Veterinary Diagnostics",
    "whatsapp_number": "+919845012345",
    "phone": "+918041234567",
    "email": "care@diagnopet.in",
    "address": "No. 14, 80 Feet Road, HAL 2nd Stage, Indiranagar, Bengaluru, Karnataka 560038",
    "google_maps_link": "https://www.google.com/maps/search/?api=1&query=12.9716,77.6400",
    "latitude": Decimal("12.971600"),
    "longitude": Decimal("77.640000"),
    "opening_time": datetime.time(8, 0),
    "closing_time": datetime.time(18, 0),
    "slot_minutes": 60,
    "home_slot_capacity": 4,
    "lab_slot_capacity": 6,
    "home_daily_capacity": 30,
    "road_factor": Decimal("1.30"),
}

# Monday to Saturday 08:00–18:00; Sunday mornings 08:00–12:00, so that "today" has visits whatever the day the demo is
# seeded (closed days are shown by the holidays).
WEEKLY_HOURS = {weekday: [(datetime.time(8, 0), datetime.time(18, 0))] for weekday in range(6)}
WEEKLY_HOURS[6] = [(datetime.time(8, 0), datetime.time(12, 0))]

# Keyed by ``effective_from``. The first is the rate card in force; the second is last year's, kept as history.
DISTANCE_PRICING = [
    {
        "effective_from": datetime.date(2025, 4, 1),
        "effective_until": None,
        "base_charge": Decimal("50.00"),
        "charge_per_km": Decimal("10.00"),
        "max_free_distance_km": Decimal("3.00"),
        "max_service_distance_km": Decimal("25.00"),
        "notes": "Rate card from FY 2025-26.",
    },
    {
        "effective_from": datetime.date(2024, 4, 1),
        "effective_until": datetime.date(2025, 3, 31),
        "base_charge": Decimal("40.00"),
        "charge_per_km": Decimal("8.00"),
        "max_free_distance_km": Decimal("3.00"),
        "max_service_distance_km": Decimal("20.00"),
        "notes": "FY 2024-25 rate card (expired).",
    },
]

# Fixed-date public holidays in Karnataka; the next two after today become clinic holidays.
PUBLIC_HOLIDAYS = [
    ((1, 26), "Republic Day"),
    ((5, 1), "May Day"),
    ((8, 15), "Independence Day"),
    ((10, 2), "Gandhi Jayanti"),
    ((11, 1), "Kannada Rajyotsava"),
    ((12, 25), "Christmas"),
]

STAFF = [
    {"phone": "+919000000101", "full_name": "Priya Raghavan", "role": StaffRole.ADMIN, "email": "priya@diagnopet.in"},
    {
        "phone": "+919000000102",
        "full_name": "Ravi Kumar",
        "role": StaffRole.COLLECTOR,
        "email": "ravi@diagnopet.in",
        "assigned_area": "Indiranagar, Koramangala, Jayanagar",
    },
    {
        "phone": "+919000000103",
        "full_name": "Manjunath Gowda",
        "role": StaffRole.COLLECTOR,
        "email": "manjunath@diagnopet.in",
        "assigned_area": "Whitefield, HSR Layout",
    },
    {
        "phone": "+919000000104",
        "full_name": "Dr. Kavya Iyer",
        "role": StaffRole.LAB_TECH,
        "email": "kavya@diagnopet.in",
    },
    {"phone": "+919000000105", "full_name": "Sandeep Rao", "role": StaffRole.LAB_TECH, "email": "sandeep@diagnopet.in"},
    {"phone": "+919000000106", "full_name": "Neha Joshi", "role": StaffRole.ANALYST, "email": "neha@diagnopet.in"},
]

CUSTOMERS = [
    {
        "phone": "+919000000011",
        "full_name": "Ananya Sharma",
        "email": "ananya.sharma@example.com",
        "address": {
            "label": "Home",
            "line1": "No. 221, 12th Main Road",
            "line2": "HAL 2nd Stage",
            "landmark": "Near Indiranagar Metro",
            "postal_code": "560038",
            "latitude": Decimal("12.978400"),
            "longitude": Decimal("77.640800"),
        },
        "pets": [
            {
                "name": "Bruno",
                "species": Pet.Species.DOG,
                "breed": "Labrador Retriever",
                "sex": Pet.Sex.MALE,
                "date_of_birth": datetime.date(2019, 3, 14),
                "weight_kg": Decimal("31.50"),
                "neutered": True,
                "microchip_id": "0985112003456789",
            },
            {
                "name": "Mishti",
                "species": Pet.Species.CAT,
                "breed": "Indian Domestic Shorthair",
                "sex": Pet.Sex.FEMALE,
                "date_of_birth": datetime.date(2021, 7, 2),
                "weight_kg": Decimal("3.80"),
                "neutered": True,
            },
        ],
    },
    {
        "phone": "+919000000012",
        "full_name": "Rahul Menon",
        "email": "rahul.menon@example.com",
        "address": {
            "label": "Home",
            "line1": "No. 48, 5th Cross, 6th Block",
            "line2": "Koramangala",
            "landmark": "Opposite Sony World Signal",
            "postal_code": "560095",
            "latitude": Decimal("12.935200"),
            "longitude": Decimal("77.624500"),
        },
        "pets": [
            {
                "name": "Simba",
                "species": Pet.Species.DOG,
                "breed": "Golden Retriever",
                "sex": Pet.Sex.MALE,
                "date_of_birth": datetime.date(2020, 11, 20),
                "weight_kg": Decimal("29.00"),
            },
            {
                "name": "Coco",
                "species": Pet.Species.RABBIT,
                "breed": "Holland Lop",
                "sex": Pet.Sex.FEMALE,
                "date_of_birth": datetime.date(2023, 2, 10),
                "weight_kg": Decimal("1.60"),
            },
        ],
    },
    {
        "phone": "+919000000013",
        "full_name": "Lakshmi Narayanan",
        "email": "lakshmi.n@example.com",
        "address": {
            "label": "Home",
            "line1": "No. 7, 11th Main Road, 4th Block",
            "line2": "Jayanagar",
            "landmark": "Behind Jayanagar Shopping Complex",
            "postal_code": "560011",
            "latitude": Decimal("12.925000"),
            "longitude": Decimal("77.593800"),
        },
        "pets": [
            {
                "name": "Tiger",
                "species": Pet.Species.DOG,
                "breed": "Indian Pariah Dog",
                "sex": Pet.Sex.MALE,
                "age_years": Decimal("6.0"),
                "weight_kg": Decimal("22.00"),
                "neutered": True,
                "medical_history": "Tick fever (ehrlichiosis) treated in 2024.",
            },
            {
                "name": "Mithu",
                "species": Pet.Species.BIRD,
                "breed": "Indian Ringneck Parakeet",
                "sex": Pet.Sex.MALE,
                "age_years": Decimal("3.0"),
                "weight_kg": Decimal("0.12"),
            },
            {
                "name": "Bella",
                "species": Pet.Species.CAT,
                "breed": "Persian",
                "sex": Pet.Sex.FEMALE,
                "date_of_birth": datetime.date(2016, 5, 5),
                "weight_kg": Decimal("4.20"),
                "neutered": True,
            },
        ],
    },
    {
        "phone": "+919000000014",
        "full_name": "Arjun Reddy",
        "email": "arjun.reddy@example.com",
        "address": {
            "label": "Home",
            "line1": "Flat 304, Tower B, Prestige Shantiniketan",
            "line2": "ITPL Main Road, Whitefield",
            "postal_code": "560048",
            "latitude": Decimal("12.969800"),
            "longitude": Decimal("77.750000"),
        },
        "pets": [
            {
                "name": "Zara",
                "species": Pet.Species.CAT,
                "breed": "Persian",
                "sex": Pet.Sex.FEMALE,
                "date_of_birth": datetime.date(2015, 9, 12),
                "weight_kg": Decimal("3.90"),
                "neutered": True,
                "medical_history": "Senior cat; drinks more water than before.",
            },
        ],
    },
    {
        "phone": "+919000000015",
        "full_name": "Fatima Khan",
        "email": "fatima.khan@example.com",
        "address": {
            "label": "Home",
            "line1": "No. 1123, 24th Main Road, Sector 2",
            "line2": "HSR Layout",
            "landmark": "Near Agara Lake",
            "postal_code": "560102",
            "latitude": Decimal("12.911600"),
            "longitude": Decimal("77.647400"),
        },
        "pets": [
            {
                "name": "Sheru",
                "species": Pet.Species.DOG,
                "breed": "German Shepherd",
                "sex": Pet.Sex.MALE,
                "date_of_birth": datetime.date(2018, 1, 25),
                "weight_kg": Decimal("36.00"),
            },
            {
                "name": "Pepper",
                "species": Pet.Species.DOG,
                "breed": "Beagle",
                "sex": Pet.Sex.FEMALE,
                "date_of_birth": datetime.date(2022, 8, 30),
                "weight_kg": Decimal("11.50"),
                "neutered": True,
            },
        ],
    },
]

WELCOME_OFFER = {
    "name": "Welcome offer",
    "description": "10% off your first booking, up to ₹300.",
    "event_tag": "Welcome",
    "discount_type": Offer.DiscountType.PERCENTAGE,
    "discount_value": Decimal("10.00"),
    "max_discount_amount": Decimal("300.00"),
    "applies_to": Offer.Target.TESTS,
    "auto_apply": False,
}
WELCOME_COUPON = "WELCOME10"
FREE_COLLECTION_OFFER = {
    "name": "Free home collection",
    "description": "No home-collection charge on orders of ₹1,500 or more.",
    "event_tag": "Pet Health Month",
    "discount_type": Offer.DiscountType.PERCENTAGE,
    "discount_value": Decimal("100.00"),
    "minimum_order_value": Decimal("1500.00"),
    "applies_to": Offer.Target.COLLECTION_CHARGE,
    "auto_apply": True,
}
PROMOTION_DAYS = 365

B = Booking.Status
# The state each demo booking is brought to. Keys are the bookings' idempotency keys.
DEMO_BOOKINGS = [
    {"key": "demo-1", "phone": "+919000000011", "pet": "Bruno", "tests": ["BIO-CHEM", "HEM-CBC"], "type": "home",
     "coupon": WELCOME_COUPON, "status": B.PENDING, "notes": "Bruno is shy with strangers; please call on arrival."},
    {"key": "demo-2", "phone": "+919000000012", "pet": "Coco", "tests": ["HEM-CBC", "PAR-FEC"], "type": "lab",
     "status": B.PENDING},
    {"key": "demo-3", "phone": "+919000000013", "pet": "Tiger", "tests": ["PKG-TICK"], "type": "home",
     "status": B.CONFIRMED, "notes": "Fever for three days, low appetite."},
    {"key": "demo-4", "phone": "+919000000014", "pet": "Zara", "tests": ["END-T4", "BIO-KFT"], "type": "home",
     "status": B.COLLECTED},
    {"key": "demo-5", "phone": "+919000000015", "pet": "Sheru", "tests": ["HEM-CBC", "BIO-LFT", "URI-RM"],
     "type": "home", "status": B.PROCESSING},
    {"key": "demo-6", "phone": "+919000000011", "pet": "Mishti", "tests": ["HEM-CBC", "BIO-KFT"], "type": "home",
     "status": B.COMPLETED},
    {"key": "demo-7", "phone": "+919000000012", "pet": "Simba", "tests": ["PKG-WELL"], "type": "home",
     "status": B.CANCELLED, "cancel_reason": "Customer is travelling this week and will rebook."},
    {"key": "demo-8", "phone": "+919000000013", "pet": "Mithu", "tests": ["HEM-CBC", "PAR-FEC"], "type": "lab",
     "status": B.CONFIRMED},
]  # fmt: skip
# Today's visits, whatever the hour the demo is seeded: home visits for both collectors' day sheets, and collected
# tubes for the lab to receive by scanning. ``window`` is the visit's place among today's windows (0 = the first);
# ``collector`` indexes the demo collectors. Their keys get today's date (``_today_key``), so each day's run adds
# that day's visits and a second run the same day finds them.
TODAY_BOOKINGS = [
    {"key": "visit-1", "phone": "+919000000011", "pet": "Bruno", "tests": ["HEM-CBC", "BIO-GLU"], "type": "home",
     "window": 1, "collector": 0, "status": B.CONFIRMED, "notes": "Ring the bell twice; the dog barks but is gentle."},
    {"key": "visit-2", "phone": "+919000000012", "pet": "Simba", "tests": ["PKG-WELL"], "type": "home",
     "window": 2, "collector": 0, "status": B.CONFIRMED},
    {"key": "visit-3", "phone": "+919000000013", "pet": "Tiger", "tests": ["HEM-BPAR", "BIO-CRP"], "type": "home",
     "window": 3, "collector": 0, "status": B.CONFIRMED, "notes": "Fever again since yesterday."},
    {"key": "visit-4", "phone": "+919000000014", "pet": "Zara", "tests": ["BIO-SDMA", "URI-RM"], "type": "home",
     "window": 1, "collector": 1, "status": B.CONFIRMED},
    {"key": "visit-5", "phone": "+919000000015", "pet": "Pepper", "tests": ["HEM-CBC", "PAR-GIAR"], "type": "home",
     "window": 0, "collector": 1, "status": B.COLLECTED},
    {"key": "visit-6", "phone": "+919000000013", "pet": "Bella", "tests": ["BIO-KFT", "END-T4"], "type": "lab",
     "window": 0, "status": B.COLLECTED},
]  # fmt: skip
# Visits already made happened on the previous days, not in today's or the week's windows to come.
VISITED_DAYS_AGO = {B.COLLECTED: 1, B.PROCESSING: 1, B.COMPLETED: 2}
# How far along each state is, for moving a booking forward to its demo state.
_PROGRESS = [B.PENDING, B.CONFIRMED, B.COLLECTED, B.PROCESSING, B.COMPLETED]


@dataclass(frozen=True)
class DemoStaff:
    admin: User
    collectors: list[User]
    lab_techs: list[User]
    analyst: User


def _nothing(message: str) -> None:
    return None


# --- Clinic, pricing, catalog, calendar -----------------------------------------------------------------------------


def seed_clinic(log: Log = _nothing) -> None:
    info = clinic_info_upsert(**CLINIC)
    opening_hours_set(week=WEEKLY_HOURS)
    log(f"Clinic: {info.name}, Mon–Sat {info.opening_time:%H:%M}–{info.closing_time:%H:%M}, Sunday 08:00–12:00")


def seed_distance_pricing(log: Log = _nothing) -> None:
    for values in DISTANCE_PRICING:
        config, created = DistancePricingConfig.objects.get_or_create(
            effective_from=values["effective_from"], defaults=values
        )
        if created:
            log(f"Distance pricing: {config}")


def seed_catalog(log: Log = _nothing) -> None:
    result = catalog_import_csv(file=CATALOG_CSV)
    if result.errors:  # the shipped file is valid; this guards against it being edited badly
        raise ValueError("; ".join(str(error) for error in result.errors))
    log(f"Catalog: {result.created} created, {result.updated} updated, {result.unchanged} unchanged")
    analytes = analytes_import_csv(analytes_file=ANALYTES_CSV, ranges_file=RANGES_CSV)
    if analytes.errors:
        raise ValueError("; ".join(str(error) for error in analytes.errors))
    log(f"Analytes: {analytes.analytes['created']} created; reference ranges: {analytes.ranges['created']} created")


def next_public_holidays(today: datetime.date, count: int = 2) -> list[tuple[datetime.date, str]]:
    """The next ``count`` fixed-date public holidays strictly after ``today``."""
    upcoming = []
    for year in (today.year, today.year + 1):
        for (month, day), name in PUBLIC_HOLIDAYS:
            date = datetime.date(year, month, day)
            if date > today:
                upcoming.append((date, name))
    return sorted(upcoming)[:count]


def seed_calendar(log: Log = _nothing) -> None:
    """Holidays and one half day (the eve of the first holiday) first, so that slots follow them; then a week of
    slots from today (today's too, so that the day's pages have windows and visits)."""
    today = timezone.localdate()
    holidays = next_public_holidays(today)
    for date, name in holidays:
        _holiday, created = ClinicHoliday.objects.get_or_create(date=date, defaults={"name": name})
        if created:
            log(f"Holiday: {date:%d %b %Y} {name}")
    eve, name = holidays[0][0] - datetime.timedelta(days=1), holidays[0][1]
    half_day = {"name": f"{name} eve (half day)", "opens_at": datetime.time(8, 0), "closes_at": datetime.time(13, 0)}
    _exception, created = ClinicHoliday.objects.get_or_create(date=eve, defaults=half_day)
    if created:
        log(f"Special hours: {eve:%d %b %Y} 08:00–13:00")
    new = slot_generate(start=today, days=SLOT_DAYS)
    log(f"Collection slots: {new} new for today and the next {SLOT_DAYS - 1} days")
    past = max(VISITED_DAYS_AGO.values())
    new = slot_generate(start=today - datetime.timedelta(days=past), days=past)
    log(f"Collection slots: {new} new for the last {past} days (the visits already made)")


# --- People ---------------------------------------------------------------------------------------------------------


def seed_staff(log: Log = _nothing) -> DemoStaff:
    roles_setup()
    users = {}
    for person in STAFF:
        users[person["phone"]] = staff_create(password=STAFF_PASSWORD, **person)
    log(f"Staff: {len(STAFF)} users in the roles {', '.join(StaffRole.values)}")
    by_role = {role: [users[p["phone"]] for p in STAFF if p["role"] == role] for role in StaffRole.values}
    return DemoStaff(
        admin=by_role[StaffRole.ADMIN][0],
        collectors=by_role[StaffRole.COLLECTOR],
        lab_techs=by_role[StaffRole.LAB_TECH],
        analyst=by_role[StaffRole.ANALYST][0],
    )


def seed_superuser(log: Log = _nothing) -> User:
    user = User.objects.filter(phone=SUPERUSER["phone"]).first()
    if user is None:
        user = User.objects.create_superuser(**SUPERUSER)
        log(f"Superuser: {user.phone}")
    return user


def seed_customers(log: Log = _nothing) -> None:
    for customer in CUSTOMERS:
        user = User.objects.filter(phone=customer["phone"]).first()
        if user is None:
            user = user_register(
                phone=customer["phone"],
                password=CUSTOMER_PASSWORD,
                full_name=customer["full_name"],
                email=customer["email"],
            )
            log(f"Customer: {user}")
        address = customer["address"]
        if not Address.objects.filter(user=user, label=address["label"]).exists():
            address_create(user=user, city="Bengaluru", state="Karnataka", is_default=True, **address)
        for pet in customer["pets"]:
            if not Pet.objects.filter(user=user, name=pet["name"]).exists():
                pet_create(user=user, **pet)


# --- Promotions -----------------------------------------------------------------------------------------------------


def seed_promotions(log: Log = _nothing) -> None:
    today = timezone.localdate()
    window = {
        "start_date": today - datetime.timedelta(days=30),
        "end_date": today + datetime.timedelta(days=PROMOTION_DAYS),
    }
    welcome, _ = Offer.objects.get_or_create(name=WELCOME_OFFER["name"], defaults={**WELCOME_OFFER, **window})
    _coupon, created = Coupon.objects.get_or_create(
        code__iexact=WELCOME_COUPON,
        defaults={
            "code": WELCOME_COUPON,
            "offer": welcome,
            "start_at": timezone.now() - datetime.timedelta(days=30),
            "end_at": timezone.now() + datetime.timedelta(days=PROMOTION_DAYS),
            "max_uses": 1000,
            "max_uses_per_user": 1,
        },
    )
    if created:
        log(f"Coupon: {WELCOME_COUPON} (10% off, up to ₹300)")
    _offer, created = Offer.objects.get_or_create(
        name=FREE_COLLECTION_OFFER["name"], defaults={**FREE_COLLECTION_OFFER, **window}
    )
    if created:
        log("Offer: free home collection on orders of ₹1,500 or more (automatic)")


# --- Bookings -------------------------------------------------------------------------------------------------------


def report_pdf(*, title: str, lines: list[str]) -> bytes:
    """A one-page A4 PDF: the title, then one line of text each (Helvetica), drawn by reportlab.

    ``invariant`` leaves out the creation date and random document id, so the same report is the same bytes.
    """
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=True)
    pdf.setTitle(title)
    pdf.setFont("Helvetica-Bold", 16)
    pdf.drawString(56, 780, title)
    pdf.setFont("Helvetica", 11)
    for number, line in enumerate(lines, start=1):
        pdf.drawString(56, 780 - 22 * number, line)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _report_file(item: BookingItem) -> ContentFile:
    booking, test = item.booking, item.test
    pdf = report_pdf(
        title=f"{CLINIC['name']} - Laboratory report",
        lines=[
            f"Booking: {booking.code}    Item: {item.sequence}",
            f"Patient: {booking.pet.name} ({booking.pet.get_species_display()}), owner {booking.user.full_name}",
            f"Test: {test.code} - {test.name}",
            f"Sample: {test.sample_type or 'as collected'}",
            "Result: all values within the reference intervals for the species.",
            "Demo data - not a real result.",
        ],
    )
    return ContentFile(pdf, name="report.pdf")


def _open_slots(collection_type: str) -> list[CollectionSlot]:
    """Slots not started yet (today's remaining ones first) on days the clinic is open, with room for this kind of
    visit, earliest first."""
    now = timezone.localtime()
    closed = ClinicHoliday.objects.filter(date__gte=now.date(), opens_at__isnull=True).values_list("date", flat=True)
    slots = CollectionSlot.objects.filter(date__gte=now.date(), is_active=True).exclude(date__in=closed)
    slots = slots.exclude(date=now.date(), start_time__lte=now.time()).order_by("date", "start_time")
    if collection_type == CollectionType.HOME:
        return [slot for slot in slots if slot.booked < slot.capacity]
    return [slot for slot in slots if slot.lab_capacity is None or slot.lab_booked < slot.lab_capacity]


def _create(plan: dict, index: int) -> Booking:
    user = User.objects.get(phone=plan["phone"])
    pet = Pet.objects.get(user=user, name=plan["pet"])
    tests = {test.code: test.pk for test in LabTest.objects.filter(code__in=plan["tests"])}
    address = Address.objects.filter(user=user, is_default=True).first()
    slots = _visited_day_slots(plan)
    if slots:  # a visit already made: on a past day's window, booked as of that morning
        slot = slots[index % len(slots)]
        now = _morning(slot.date)
    else:
        slots = _open_slots(plan["type"])
        # Spread the bookings over the first windows of the week, one window each while there is room.
        slot, now = slots[min(index, len(slots) - 1)], None
    return booking_create(
        user=user,
        pet_id=pet.pk,
        test_ids=[tests[code] for code in plan["tests"]],
        collection_type=plan["type"],
        slot_id=slot.pk,
        address_id=address.pk if plan["type"] == CollectionType.HOME else None,
        coupon_code=plan.get("coupon"),
        notes=plan.get("notes", ""),
        idempotency_key=plan["key"],
        now=now,
    )


def _morning(day: datetime.date) -> datetime.datetime:
    """The start of ``day`` (clinic time): when the demo's bookings of that day count as made."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _visited_day_slots(plan: dict) -> list[CollectionSlot]:
    """The windows of the day a visit already made (collected, in the lab, completed) took place, ``VISITED_DAYS_AGO``
    before today; none for a visit still to come, or when that day has none (then it takes an upcoming window)."""
    days_ago = VISITED_DAYS_AGO.get(plan["status"])
    if days_ago is None:
        return []
    day = timezone.localdate() - datetime.timedelta(days=days_ago)
    return list(CollectionSlot.objects.filter(date=day, is_active=True).order_by("start_time"))


def _collector_for(booking: Booking, staff: DemoStaff) -> User:
    """The collector whose area covers the address (the second one covers the east and south-east)."""
    east = ("Whitefield", "HSR Layout")
    return staff.collectors[1] if any(area in booking.address_text for area in east) else staff.collectors[0]


def _current_report(item: BookingItem) -> TestReport | None:
    return TestReport.objects.filter(booking_item=item, is_current=True).first()


# Results entered on the worklist for some demo samples (booking key, test code → analyte code → value), so that their
# reports are made from results: the demo dog Sheru's CBC waits for a second technician's verification, the cat
# Mishti's was verified and delivered. The other demo reports are uploaded PDFs (tests sent to partner labs).
DEMO_RESULTS = {
    ("demo-5", "HEM-CBC"): {
        "HCT": "44.8", "HGB": "15.2", "RBC": "6.85", "WBC": "18.4", "PLT": "312", "MCV": "65.4", "MCH": "22.2",
        "MCHC": "33.9", "NEU": "13.90", "LYM": "3.10", "MONO": "0.90", "EOS": "0.50",
    },
    ("demo-6", "HEM-CBC"): {
        "HCT": "36.2", "HGB": "12.1", "RBC": "8.10", "WBC": "9.8", "PLT": "350", "MCV": "44.7", "MCH": "14.9",
        "MCHC": "33.4", "NEU": "6.20", "LYM": "2.90", "MONO": "0.35", "EOS": "0.35",
    },
}  # fmt: skip
DEMO_INSTRUMENT = {"method": "Impedance with optical differential", "instrument": "Haematology analyser 1"}


def _results_enter(item: BookingItem, values: dict[str, str], *, by: User) -> TestReport:
    """Enter the demo values of ``item`` on the worklist's service and submit them (a report version, generated)."""
    analytes = {a.code: a.pk for a in Analyte.objects.filter(test_id=item.test_id, is_active=True)}
    entries = [
        ResultEntry(item_id=item.pk, analyte_id=analytes[code], value=value, **DEMO_INSTRUMENT)
        for code, value in values.items()
    ]
    results_save(entries=entries, by=by)
    return results_submit(item=item, by=by)


def _report_forward(item: BookingItem, *, staff: DemoStaff, until: str, key: str = "") -> None:
    """Move an item's report up to ``until`` (generated, verified or delivered): uploaded (or its results entered)
    by one lab technician, verified by the other (four eyes), delivered by the clinic admin."""
    uploader, verifier = staff.lab_techs[0], staff.lab_techs[-1]
    steps = [TestReport.Status.GENERATED, TestReport.Status.VERIFIED, TestReport.Status.DELIVERED]
    report = _current_report(item)
    values = DEMO_RESULTS.get((key, item.test.code))
    if (report is None or report.status == TestReport.Status.PENDING) and values:
        report = _results_enter(item, values, by=uploader)
    elif report is None or report.status == TestReport.Status.PENDING:
        report = report_upload(item=item, file=_report_file(item), by=uploader)
    if steps.index(until) >= 1 and report.status == TestReport.Status.GENERATED:
        report = report_verify(report=report, by=verifier)
    if steps.index(until) >= 2 and report.status == TestReport.Status.VERIFIED:
        report_deliver(report=report, by=staff.admin)


def _forward(booking: Booking, target: str, *, staff: DemoStaff, plan: dict) -> Booking:
    """Move ``booking`` forward through the booking services to ``target``; steps already taken are skipped."""
    if target == B.CANCELLED:
        if booking.status in (B.PENDING, B.CONFIRMED):
            booking_cancel(booking=booking, by=staff.admin, reason=plan["cancel_reason"])
        return Booking.objects.get(pk=booking.pk)
    goal = _PROGRESS.index(target)
    lab_tech = staff.lab_techs[0]
    if goal >= _PROGRESS.index(B.CONFIRMED) and booking.status == B.PENDING:
        if booking.collection_type == CollectionType.HOME:
            booking_assign_collector(booking=booking, collector=_collector_for(booking, staff), by=staff.admin)
        else:
            booking_confirm(booking=booking, by=staff.admin)
        booking.refresh_from_db()
    if goal >= _PROGRESS.index(B.COLLECTED) and booking.status == B.CONFIRMED:
        booking_mark_collected(booking=booking, by=booking.collection_staff or lab_tech)
        booking.refresh_from_db()
    if goal >= _PROGRESS.index(B.PROCESSING):
        for item in booking.items.select_related("test").order_by("sequence"):
            if item.status == BookingItem.Status.COLLECTED:
                item = item_receive(item=item, by=lab_tech)
            if item.status == BookingItem.Status.RECEIVED:
                item_start_processing(item=item, by=lab_tech)
        items = list(booking.items.select_related("test", "booking__pet", "booking__user").order_by("sequence"))
        if target == B.PROCESSING:
            # The first result is in and waits for a second lab technician to verify it.
            _report_forward(items[0], staff=staff, until=TestReport.Status.GENERATED, key=plan["key"])
        elif target == B.COMPLETED:
            for item in items:
                _report_forward(item, staff=staff, until=TestReport.Status.DELIVERED, key=plan["key"])
        booking.refresh_from_db()
    if booking.status == B.COMPLETED:
        _settle(booking, staff=staff)
    return booking


def _settle(booking: Booking, *, staff: DemoStaff) -> None:
    """A completed demo visit was paid in cash at the door and is invoiced, so that its customer finds an invoice
    and a receipt to download (``GET bills/{id}/invoice``, ``GET payments/{id}/receipt``)."""
    record = BillingRecord.objects.get(booking=booking)
    due = amount_due(record)
    if due > 0 and record.status != BillingRecord.Status.VOID:
        record = payment_record(record=record, amount=due, method="cash", by=booking.collection_staff or staff.admin)
        record = BillingRecord.objects.get(booking=booking)
    if record.status == BillingRecord.Status.FINALIZED and not record.invoice_number:
        invoice_assign_number(record=record)


def seed_bookings(*, staff: DemoStaff, log: Log = _nothing) -> list[Booking]:
    """Create the demo bookings through ``bookings.services`` and move each to its demo state.

    A booking is identified by its customer and idempotency key; one that exists is not created again, only moved
    forward if an earlier run stopped before its state.
    """
    bookings = []
    for index, plan in enumerate(DEMO_BOOKINGS):
        user = User.objects.get(phone=plan["phone"])
        booking = Booking.objects.filter(user=user, idempotency_key=plan["key"]).first()
        if booking is None:
            booking = _create(plan, index)
            log(f"Booking {booking.code}: {plan['pet']}, {', '.join(plan['tests'])}, total ₹{booking.total_amount}")
        booking = _forward(booking, plan["status"], staff=staff, plan=plan)
        bookings.append(booking)
    counts = {}
    for booking in bookings:
        counts[booking.status] = counts.get(booking.status, 0) + 1
    log("Bookings: " + ", ".join(f"{count} {status}" for status, count in counts.items()))
    return bookings


def seed_settlement(*, staff: DemoStaff, log: Log = _nothing) -> None:
    """Each collector is paid ₹80 a visit plus 2 % from the first demo day, and has handed over half the cash they
    took at the door (once: a collector with a fee row or a hand-over is left alone)."""
    for index, collector in enumerate(staff.collectors):
        if not CollectorFee.objects.filter(collector=collector).exists():
            collector_fee_add(
                collector=collector,
                effective_from=timezone.localdate(),
                fee_per_visit=Decimal("80.00"),
                commission_percent=Decimal("2.00") if index == 0 else Decimal("0"),
                by=staff.admin,
                notes="Demo fee",
            )
        held = collector_cash_held(collector=collector)
        if held > 0 and not CashHandover.objects.filter(collector=collector).exists():
            cash_handover_record(collector=collector, amount=to_money(held / 2), by=staff.admin, notes="Demo")
            log(f"Collector {collector.full_name}: handed over ₹{to_money(held / 2)} of ₹{held}")


def _today_key(plan: dict, today: datetime.date) -> str:
    return f"today-{today.isoformat()}-{plan['key']}"


def seed_today(*, staff: DemoStaff, log: Log = _nothing) -> list[Booking]:
    """Today's visits (``TODAY_BOOKINGS``), made through ``booking_create`` and moved on through the booking services:
    confirmed home visits assigned to the demo collectors, and visits whose tubes were collected and wait for the lab.

    Today's windows that already started cannot be booked now, so the bookings are made as of the start of the day
    (``booking_create(now=...)``): whatever the hour the demo is seeded, today's day sheets and the lab's receive page
    have work. A day the clinic is closed (a holiday an earlier run created) gets none."""
    today = timezone.localdate()
    windows = list(CollectionSlot.objects.filter(date=today, is_active=True).order_by("start_time"))
    if not windows or ClinicHoliday.objects.filter(date=today, opens_at__isnull=True).exists():
        log("Today: the clinic is closed, no visits")
        return []
    bookings = []
    for plan in TODAY_BOOKINGS:
        key = _today_key(plan, today)
        user = User.objects.get(phone=plan["phone"])
        booking = Booking.objects.filter(user=user, idempotency_key=key).first()
        if booking is None:
            pet = Pet.objects.get(user=user, name=plan["pet"])
            tests = dict(LabTest.objects.filter(code__in=plan["tests"]).values_list("code", "pk"))
            home = plan["type"] == CollectionType.HOME
            booking = booking_create(
                user=user,
                pet_id=pet.pk,
                test_ids=[tests[code] for code in plan["tests"]],
                collection_type=plan["type"],
                slot_id=windows[min(plan["window"], len(windows) - 1)].pk,
                address_id=Address.objects.get(user=user, is_default=True).pk if home else None,
                notes=plan.get("notes", ""),
                idempotency_key=key,
                now=_morning(today),
            )
        if booking.status == B.PENDING:
            if booking.collection_type == CollectionType.HOME:
                collector = staff.collectors[plan["collector"]]
                booking_assign_collector(booking=booking, collector=collector, by=staff.admin)
            else:
                booking_confirm(booking=booking, by=staff.admin)
            booking.refresh_from_db()
        if plan["status"] == B.COLLECTED and booking.status == B.CONFIRMED:
            booking_mark_collected(booking=booking, by=booking.collection_staff or staff.lab_techs[0])
            booking.refresh_from_db()
        bookings.append(booking)
    log(f"Today: {len(bookings)} visits ({', '.join(b.code for b in bookings)})")
    return bookings


# --- All of it ------------------------------------------------------------------------------------------------------


def demo_logins() -> list[tuple[str, str, str]]:
    """(who, phone, password) of every demo login."""
    logins = [("Superuser (Django admin)", SUPERUSER["phone"], SUPERUSER["password"])]
    logins += [(f"{p['full_name']} — {StaffRole(p['role']).label}", p["phone"], STAFF_PASSWORD) for p in STAFF]
    logins += [(f"{c['full_name']} — customer", c["phone"], CUSTOMER_PASSWORD) for c in CUSTOMERS]
    return logins


def seed_demo(*, log: Log = _nothing) -> None:
    """Create (or complete) the whole demo data set. See the module docstring."""
    seed_clinic(log)
    seed_distance_pricing(log)
    seed_catalog(log)
    seed_calendar(log)
    staff = seed_staff(log)
    seed_superuser(log)
    seed_customers(log)
    seed_promotions(log)
    bookings = seed_bookings(staff=staff, log=log)
    seed_today(staff=staff, log=log)
    seed_content(bookings=bookings, log=log)
    seed_settlement(staff=staff, log=log)
    # The billing report's split by category is rebuilt every 10 minutes by beat; the demo shows it at once.
    category_totals_rebuild()
