"""The one pricing function: ``booking_quote`` is used by the quote endpoint and by ``booking_create``.

Everything comes from the server: prices from the catalog, distance from the clinic's and the address's
coordinates, the charge from the distance pricing in force, the discount from promotions. Nothing a client sends
about money is read.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Address
from billing.services import distance_charge_compute, road_distance_km
from bookings.locks import with_owner_locked
from bookings.models import Booking, CollectionDay, CollectionSlot, CollectionType
from bookings.querysets import slot_places_left, slots_with_day_places
from bookings.states import BOOKING_SCHEDULED
from catalog.models import LabTest
from catalog.selectors import (
    bookable_tests_cached,
    bookable_tests_read,
    package_components_cached,
    package_components_read,
    tests_named,
)
from clinic.selectors import clinic_holidays_cached, clinic_info_cached
from diagnopet.errors import Conflict, ValidationFailed
from diagnopet.money import ZERO, split_amount, to_money
from diagnopet.system_settings import system_settings
from pets.models import Pet
from promotions.services import Cart, CouponVerdict, Discount, discount_choose


@dataclass(frozen=True)
class QuotePart:
    """One test of a package line and its share of the package's price: booked as an item of its own."""

    test: LabTest
    unit_price: Decimal


@dataclass(frozen=True)
class QuoteLine:
    """A test as the customer chose it. A package is one line at the package's price, with its ``parts``."""

    test: LabTest
    unit_price: Decimal
    quantity: int = 1
    parts: tuple[QuotePart, ...] = ()

    @property
    def amount(self) -> Decimal:
        return to_money(self.unit_price * self.quantity)


@dataclass(frozen=True)
class QuoteItem:
    """What a booking item is made of: the test it runs, its price, and the package it came from (if any)."""

    test: LabTest
    unit_price: Decimal
    quantity: int
    package: LabTest | None = None


def package_line(package: LabTest, components: list[LabTest]) -> QuoteLine:
    """A package as one line at its price, split across its tests (``diagnopet.money.split_amount``: in proportion
    to each test's own price, discounted if set, to the paisa, summing exactly to the package's price; the earlier
    test takes a leftover paisa on a tie). Without components (not listed yet) the package is booked as one test."""
    price = package.effective_price
    shares = split_amount(price, [test.effective_price for test in components])
    parts = tuple(QuotePart(test=test, unit_price=share) for test, share in zip(components, shares, strict=True))
    return QuoteLine(test=package, unit_price=price, parts=parts)


def quote_items(lines: list[QuoteLine]) -> list[QuoteItem]:
    """The booking items of ``lines``, in order: a package's tests in the package's order, other tests as they are."""
    items: list[QuoteItem] = []
    for line in lines:
        if line.parts:
            items.extend(
                QuoteItem(test=p.test, unit_price=p.unit_price, quantity=1, package=line.test) for p in line.parts
            )
        else:
            items.append(QuoteItem(test=line.test, unit_price=line.unit_price, quantity=line.quantity))
    return items


@dataclass
class Quote:
    pet: Pet
    collection_type: str
    slot: CollectionSlot
    address: Address | None
    lines: list[QuoteLine]
    subtotal: Decimal
    eligible_subtotal: Decimal
    discount: Decimal
    distance_km: Decimal | None
    distance_charge: Decimal
    total: Decimal
    applied: Discount | None = None
    coupon: CouponVerdict | None = None
    notes: list[str] = field(default_factory=list)


def slot_starts_at(slot: CollectionSlot) -> datetime.datetime:
    """The slot's start as an aware datetime in the clinic's time zone."""
    return timezone.make_aware(datetime.datetime.combine(slot.date, slot.start_time))


def _pets(*, pet_id, user_id):
    """The customer's pet, with its owner's row joined (``with_owner_locked`` locks it)."""
    return Pet.objects.select_related("user").filter(pk=pet_id, user_id=user_id, user__is_active=True, is_active=True)


def _active_slots(*, slot_id):
    # With the day's places left: a slot of a full day is full (the daily caps).
    return slots_with_day_places(CollectionSlot.objects.filter(pk=slot_id, is_active=True))


def _pet(user, pet_id, *, lock: bool = False) -> Pet:
    if not pet_id:
        pet = None
    elif lock:
        # Booking: the owner's row stays locked until the booking commits, so the open bookings counted with the
        # slot (_slot) include every one this customer made before.
        pet = with_owner_locked(_pets(pet_id=pet_id, user_id=user.pk)).first()
    else:
        pet = _pets(pet_id=pet_id, user_id=user.pk).first()
    if pet is None:
        raise ValidationFailed("Choose one of your pets.", code="invalid_pet", field="pet")
    if pet.is_deceased:
        raise ValidationFailed(
            f"{pet.name} is recorded as deceased; tests cannot be booked for {pet.name}.",
            code="pet_deceased",
            field="pet",
        )
    return pet


def _tests(test_ids, *, from_database: bool) -> list[LabTest]:
    ids = list(test_ids or [])
    if not ids:
        raise ValidationFailed("Choose at least one test.", code="no_tests", field="tests")
    if len(set(ids)) != len(ids):
        raise ValidationFailed("Each test can be booked only once per booking.", code="duplicate_tests", field="tests")
    found = bookable_tests_read(ids) if from_database else bookable_tests_cached()
    missing = [i for i in ids if i not in found]
    if missing:
        # Only on the way out: tell a test that exists but cannot be booked now (switched off, or its category is)
        # from an id that names no test.
        names = tests_named(missing)
        unavailable = [names[i] for i in missing if i in names]
        if unavailable:
            raise ValidationFailed(
                f"Not available for booking at the moment: {', '.join(unavailable)}.",
                code="test_unavailable",
                field="tests",
            )
        raise ValidationFailed(
            f"These tests are not available: {', '.join(str(i) for i in missing)}.",
            code="invalid_tests",
            field="tests",
        )
    return [found[i] for i in ids]


def _check_species(tests: list[LabTest], pet: Pet) -> None:
    """Each test must be offered for the pet's species (a test that names no species is for every species). The
    error points at the first test that is not, by its position in the request's ``tests``."""
    for index, test in enumerate(tests):
        if not test.offered_to(pet.species):
            raise ValidationFailed(
                f"{test.name} ({test.code}) is not offered for {pet.name}'s species ({pet.get_species_display()}); "
                f"it is for: {', '.join(test.species)}.",
                code="test_not_for_species",
                field=f"tests[{index}]",
            )


def _lines(tests: list[LabTest], *, from_database: bool) -> list[QuoteLine]:
    """One line per chosen test, packages with their parts; refuses a test booked twice through a package (the
    lab would draw and run it twice: a booking holds each test once)."""
    package_ids = [test.id for test in tests if test.is_package]
    components = {}
    if package_ids:
        components = package_components_read(package_ids) if from_database else package_components_cached()
    lines = [
        package_line(test, components[test.id])
        if test.id in components
        else QuoteLine(test=test, unit_price=test.effective_price)
        for test in tests
    ]
    booked_in: dict[int, LabTest] = {}
    for line in lines:
        for test in [part.test for part in line.parts] or [line.test]:
            first = booked_in.setdefault(test.id, line.test)
            if first is not line.test:
                packages = [t.code for t in (first, line.test) if t.id != test.id]
                where = f"also in {packages[0]}" if len(packages) == 1 else f"in both {packages[0]} and {packages[1]}"
                raise ValidationFailed(
                    f"{test.code} is {where}; book each test once (remove the test or one of the packages).",
                    code="duplicate_tests",
                    field="tests",
                )
    return lines


def _open_on_slot_day(**owner) -> Coalesce:
    """How many open bookings (pending or confirmed; free re-collections aside) ``owner`` has on the slot's day."""
    opened = Booking.objects.filter(
        **owner,
        booking_date=OuterRef("date"),
        status__in=BOOKING_SCHEDULED,
        recollection_of__isnull=True,
    )
    counted = opened.order_by().values(*owner).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def _slot_with_open_bookings(slot_id, *, pet: Pet) -> CollectionSlot | None:
    """The slot, with the open bookings of the pet's owner and of the pet on its day counted in the same statement
    (read after the owner's row lock, so the counts are final until the booking commits), and the id of its day's
    row (``day_row``, None when the day has none: ``bookings.locks.slot_take`` then has no daily cap to take)."""
    return (
        _active_slots(slot_id=slot_id)
        .annotate(
            customer_open=_open_on_slot_day(user_id=pet.user_id),
            pet_open=_open_on_slot_day(pet_id=pet.pk),
            day_row=Subquery(CollectionDay.objects.filter(date=OuterRef("date")).values("pk")),
        )
        .first()
    )


def _check_open_limits(slot: CollectionSlot, pet: Pet) -> None:
    """A customer, and a pet, may hold only so many open bookings on one day (system settings; 0 = no limit), so
    that one account cannot take a day's places."""
    day = f"{slot.date:%d %b %Y}"
    limits = system_settings()
    per_customer = limits.booking_max_open_per_customer_per_day
    if per_customer and slot.customer_open >= per_customer:
        raise Conflict(
            f"You already have {slot.customer_open} open bookings on {day}, the most allowed for one day. "
            "Choose another day, or cancel a booking first.",
            code="booking_limit",
        )
    per_pet = limits.booking_max_open_per_pet_per_day
    if per_pet and slot.pet_open >= per_pet:
        raise Conflict(
            f"{pet.name} already has {slot.pet_open} open bookings on {day}, the most allowed for one pet. "
            "Choose another day, or cancel a booking first.",
            code="booking_limit",
        )


def _slot(slot_id, collection_type: str, *, now, limits_for: Pet | None = None) -> CollectionSlot:
    if not slot_id:
        slot = None
    elif limits_for is not None:
        slot = _slot_with_open_bookings(slot_id, pet=limits_for)
    else:
        slot = _active_slots(slot_id=slot_id).first()
    if slot is None:
        raise ValidationFailed("Choose an available collection slot.", code="invalid_slot", field="slot")
    if slot_starts_at(slot) <= now:
        raise ValidationFailed("This slot has already started; choose a later one.", code="slot_in_past", field="slot")
    if slot.date in clinic_holidays_cached():
        raise ValidationFailed("The clinic is closed on this day.", code="slot_unavailable", field="slot")
    if limits_for is not None:
        _check_open_limits(slot, limits_for)
    if slot_places_left(slot, collection_type) == 0:
        day_kind = "day_remaining" if collection_type == CollectionType.HOME else "day_lab_remaining"
        if getattr(slot, day_kind) == 0:
            raise Conflict(f"{slot.date:%d %b %Y} is fully booked; choose another day.", code="slot_full")
        raise Conflict("This slot is fully booked; choose another one.", code="slot_full")
    return slot


def slot_for_visit(*, slot_id, collection_type: str, now, limits_for: Pet | None = None) -> CollectionSlot:
    """The slot a visit of ``collection_type`` may take, checked as booking checks it (active, not started, the
    clinic open that day, a place left of that kind; with ``limits_for``, the pet's owner's and the pet's open
    bookings that day within the limits, counted under the owner's row lock the caller holds)."""
    return _slot(slot_id, collection_type, now=now, limits_for=limits_for)


def _address(user, address_id) -> Address:
    if not address_id:
        raise ValidationFailed("Home collection needs an address.", code="address_required", field="address")
    address = Address.objects.filter(pk=address_id, user_id=user.pk).first()
    if address is None:
        raise ValidationFailed("Choose one of your addresses.", code="invalid_address", field="address")
    if address.latitude is None or address.longitude is None:
        raise ValidationFailed(
            "We need this address's location (latitude and longitude) to plan a home visit.",
            code="address_not_located",
            field="address",
        )
    return address


def booking_quote(
    *,
    user,
    pet_id,
    test_ids,
    collection_type,
    address_id=None,
    slot_id=None,
    coupon_code=None,
    now=None,
    for_booking=False,
) -> Quote:
    """Price a booking without saving anything: subtotal, discount, distance and its charge, total.

    Money rules (SPEC "Quote and booking"): unit price = discounted price if set, else price; subtotal = Σ unit price
    × quantity; distance = haversine(clinic, address) × road factor; charge per the active distance pricing; one
    discount (coupon or automatic offer, the better), never above what it discounts; total = subtotal − discount +
    distance charge. Raises ``ValidationFailed``/``Conflict`` with a code for anything the customer must change.

    Booking rules checked here, so a quote refuses what a booking would: the pet is the customer's, active and not
    deceased (``pet_deceased``); every test is bookable — active, in an active category (``test_unavailable``) —
    and offered for the pet's species (``test_not_for_species``).

    Read fresh on every call: the pet, the address, the slot, the coupon and its offer, the customer's uses of it.
    From the shared cache (``diagnopet.reference_cache``: invalidated when a change commits) and with their date
    rules applied here: the clinic's holidays and location, the automatic offers and every offer's applicable
    tests; for a quote also the active tests' prices and the distance pricing. A booking reads those two from the
    database in its transaction (two small queries): what it charges never comes from a cache entry older than the
    row, whatever a write without signals (``QuerySet.update()``) or a restore left in the cache.

    ``for_booking`` (``booking_create``, inside its transaction): the customer's row is locked with the pet read and
    the customer's and the pet's open bookings on the slot's day are counted with the slot read; a limit reached
    raises ``Conflict`` ``booking_limit`` (system settings: open bookings per customer and per pet per day).
    """
    now = now or timezone.now()
    if collection_type not in CollectionType.values:
        raise ValidationFailed(
            "Collection type must be 'home' or 'lab'.", code="invalid_collection_type", field="collection_type"
        )
    pet = _pet(user, pet_id, lock=for_booking)
    tests = _tests(test_ids, from_database=for_booking)
    _check_species(tests, pet)
    address = _address(user, address_id) if collection_type == CollectionType.HOME else None
    slot = _slot(slot_id, collection_type, now=now, limits_for=pet if for_booking else None)

    lines = _lines(tests, from_database=for_booking)
    subtotal = sum((line.amount for line in lines), ZERO)

    distance_km, distance_charge = None, ZERO
    if address is not None:
        clinic = clinic_info_cached()
        if clinic is None:
            raise Conflict("The clinic has not been set up yet.", code="clinic_not_configured")
        distance_km = road_distance_km(
            origin=(clinic.latitude, clinic.longitude),
            destination=(address.latitude, address.longitude),
            road_factor=clinic.road_factor,
        )
        distance_charge = distance_charge_compute(
            distance_km=distance_km, on=timezone.localdate(now), cached=not for_booking
        ).charge

    cart = Cart(
        lines=tuple((line.test.id, line.amount) for line in lines), subtotal=subtotal, distance_charge=distance_charge
    )
    decision = discount_choose(user=user, cart=cart, coupon_code=coupon_code, now=now)
    applied = decision.discount
    discount = applied.amount if applied else ZERO
    eligible = applied.eligible_amount if applied else subtotal
    return Quote(
        pet=pet,
        collection_type=collection_type,
        slot=slot,
        address=address,
        lines=lines,
        subtotal=subtotal,
        eligible_subtotal=eligible,
        discount=discount,
        distance_km=distance_km,
        distance_charge=distance_charge,
        total=subtotal - discount + distance_charge,
        applied=applied,
        coupon=decision.coupon_verdict,
    )
