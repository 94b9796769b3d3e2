"""What a quote reads from the shared cache (the active tests and their prices, the clinic and its holidays, the
distance pricing, the automatic offers) follows every change at once, and a new booking's response is the same as
reading the booking back.

The cache tests commit (``transaction=True``) as production does: each change is a real transaction whose signals
invalidate the cache, and the quotes before and after it read through the cache.
"""

import datetime
from decimal import Decimal

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from billing.models import DistancePricingConfig
from billing.tests.factories import DistancePricingConfigFactory
from bookings.services import booking_quote
from bookings.tests.conftest import booking_payload
from catalog.models import LabTest
from catalog.tests.admin_forms import labtest_form
from catalog.tests.factories import LabTestFactory
from clinic.models import ClinicHoliday
from clinic.tests.test_admin_clinic import clinic_form
from diagnopet.tests.system_settings_factories import system_settings_form
from promotions.models import Offer
from promotions.tests.factories import CouponFactory, OfferFactory

QUOTE = reverse("bookings:booking-quote")
CREATE = reverse("bookings:booking-list")
committed = pytest.mark.django_db(transaction=True)


def _quote(client, setup, **overrides) -> dict:
    response = client.post(QUOTE, booking_payload(setup, **overrides), format="json")
    assert response.status_code == 200, response.json()
    return response.json()


class RolledBack(Exception):
    pass


def _service_quote(user, setup, *, now=None, **overrides):
    payload = booking_payload(setup, **overrides)
    return booking_quote(
        user=user,
        pet_id=payload["pet"],
        test_ids=payload["tests"],
        collection_type=payload["collection_type"],
        address_id=payload["address"],
        slot_id=payload["slot"],
        now=now,
    )


def _offer_form(offer: Offer, **changes) -> dict:
    data = {
        "name": offer.name,
        "description": offer.description,
        "event_tag": offer.event_tag,
        "is_active": "on" if offer.is_active else "",
        "auto_apply": "on" if offer.auto_apply else "",
        "applies_to": offer.applies_to,
        "discount_type": offer.discount_type,
        "discount_value": str(offer.discount_value),
        "max_discount_amount": "",
        "minimum_order_value": "",
        "applicable_tests": [t.pk for t in offer.applicable_tests.all()],
        "start_date": f"{offer.start_date:%Y-%m-%d}",
        "end_date": f"{offer.end_date:%Y-%m-%d}",
        "coupons-TOTAL_FORMS": "0",
        "coupons-INITIAL_FORMS": "0",
        "coupons-MIN_NUM_FORMS": "0",
        "coupons-MAX_NUM_FORMS": "1000",
        "_save": "Save",
    }
    return {key: value for key, value in (data | changes).items() if value != ""}


def _admin_post(client, url_name: str, data: dict, *args):
    response = client.post(reverse(url_name, args=args), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    return response


@committed
def test_auto_offer_changes_in_the_admin_reach_the_next_quote(admin_client, customer_client, booking_setup):
    cbc, lft = booking_setup["tests"][:2]  # 450.00 and 800.00
    offer = OfferFactory(auto_apply=True, discount_value=Decimal("10.00"))
    assert _quote(customer_client, booking_setup)["discount"] == "125.00"
    change = "admin:promotions_offer_change"

    _admin_post(admin_client, change, _offer_form(offer, discount_value="20.00"), offer.pk)
    assert _quote(customer_client, booking_setup)["discount"] == "250.00"

    # Only the applicable tests change (the admin saves them after the row).
    offer.refresh_from_db()
    _admin_post(admin_client, change, _offer_form(offer, applicable_tests=[lft.pk]), offer.pk)
    assert _quote(customer_client, booking_setup)["discount"] == "160.00"

    _admin_post(admin_client, change, _offer_form(offer, applicable_tests=[lft.pk], is_active=""), offer.pk)
    quote = _quote(customer_client, booking_setup)
    assert quote["discount"] == "0.00"
    assert quote["offer"] is None


@committed
def test_a_new_auto_offer_and_a_deleted_one_reach_the_next_booking(customer_client, booking_setup):
    assert _quote(customer_client, booking_setup)["discount"] == "0.00"
    OfferFactory(auto_apply=True, discount_value=Decimal("10.00"))

    response = customer_client.post(CREATE, booking_payload(booking_setup), format="json")
    assert response.json()["discount"] == "125.00"

    better = OfferFactory(auto_apply=True, discount_value=Decimal("20.00"))
    assert _quote(customer_client, booking_setup)["discount"] == "250.00"
    better.delete()
    assert _quote(customer_client, booking_setup)["discount"] == "125.00"


@committed
def test_applicable_tests_changed_without_saving_the_offer_reach_the_next_quote(customer_client, booking_setup):
    lft = booking_setup["tests"][1]  # 800.00
    offer = OfferFactory(auto_apply=True, discount_value=Decimal("10.00"))
    assert _quote(customer_client, booking_setup)["discount"] == "125.00"

    offer.applicable_tests.set([lft])
    assert _quote(customer_client, booking_setup)["discount"] == "80.00"

    # Limited to a test nobody books, then that test is deleted: its links go without an m2m signal, and an offer
    # without applicable tests covers every test.
    retired = LabTestFactory()
    offer.applicable_tests.set([retired])
    assert _quote(customer_client, booking_setup)["discount"] == "0.00"
    retired.delete()
    assert _quote(customer_client, booking_setup)["discount"] == "125.00"


@committed
def test_distance_pricing_added_in_the_admin_reaches_the_next_quote(
    admin_client, customer_client, booking_setup, far_address
):
    before = _quote(customer_client, booking_setup, address=far_address.id)
    assert before["distance_charge"] == "109.00"  # 50 + (8.90 − 3) × 10
    today = timezone.localdate()
    data = {
        "base_charge": "80.00",
        "charge_per_km": "10.00",
        "max_free_distance_km": "3.00",
        "max_service_distance_km": "25.00",
        "effective_from": f"{today:%Y-%m-%d}",
        "is_active": "on",
        "notes": "new rates",
        "_save": "Save",
    }

    _admin_post(admin_client, "admin:billing_distancepricingconfig_add", data)

    assert _quote(customer_client, booking_setup, address=far_address.id)["distance_charge"] == "139.00"


@committed
def test_clinic_moved_in_the_admin_changes_the_next_distance(admin_client, customer_client, booking_setup):
    clinic = booking_setup["clinic"]
    assert _quote(customer_client, booking_setup)["distance_km"] == "1.11"
    data = clinic_form(clinic, latitude=str(clinic.latitude - Decimal("0.01")))  # 1.1 km further south

    _admin_post(admin_client, "admin:clinic_clinicinfo_change", data, clinic.pk)

    assert _quote(customer_client, booking_setup)["distance_km"] == "2.22"


@committed
def test_price_changes_in_the_admin_reach_the_next_quote_and_booking(admin_client, customer_client, booking_setup):
    cbc, lft = booking_setup["tests"][:2]  # 450.00 and 800.00 (discounted from 900.00)
    assert _quote(customer_client, booking_setup)["subtotal"] == "1250.00"  # now cached
    change = "admin:catalog_labtest_change"

    _admin_post(admin_client, change, labtest_form(cbc, price="500.00"), cbc.pk)
    assert _quote(customer_client, booking_setup)["subtotal"] == "1300.00"

    _admin_post(admin_client, change, labtest_form(lft, discounted_price=""), lft.pk)  # the discount ends
    booked = customer_client.post(CREATE, booking_payload(booking_setup), format="json").json()
    assert booked["subtotal"] == "1400.00"
    assert [item["unit_price"] for item in booked["items"]] == ["500.00", "900.00"]


@committed
def test_tests_withdrawn_or_added_in_the_admin_reach_the_next_quote(admin_client, customer_client, booking_setup):
    cbc = booking_setup["tests"][0]
    _quote(customer_client, booking_setup)

    _admin_post(admin_client, "admin:catalog_labtest_change", labtest_form(cbc, is_active=""), cbc.pk)
    response = customer_client.post(QUOTE, booking_payload(booking_setup), format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "test_unavailable"

    new = LabTestFactory.build(code="NEW-1", category=cbc.category, price=Decimal("300.00"))
    _admin_post(admin_client, "admin:catalog_labtest_add", labtest_form(new, is_active="on"))
    added = LabTest.objects.get(code="NEW-1")
    assert _quote(customer_client, booking_setup, tests=[added.pk])["subtotal"] == "300.00"


@committed
def test_holiday_added_in_the_admin_closes_the_slot_for_the_next_booking(admin_client, customer_client, booking_setup):
    _quote(customer_client, booking_setup)
    day = booking_setup["slot"].date

    _admin_post(admin_client, "admin:clinic_clinicholiday_add", {"date": f"{day:%Y-%m-%d}", "name": "Diwali"})

    response = customer_client.post(CREATE, booking_payload(booking_setup), format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "slot_unavailable"
    ClinicHoliday.objects.all().delete()
    assert customer_client.post(CREATE, booking_payload(booking_setup), format="json").status_code == 201


@committed
def test_an_uncommitted_change_is_seen_by_its_own_transaction_only(customer, customer_client, booking_setup):
    offer = OfferFactory(auto_apply=True, discount_value=Decimal("10.00"))
    assert _quote(customer_client, booking_setup)["discount"] == "125.00"  # now cached

    seen_inside = []

    def change_quote_and_roll_back():
        with transaction.atomic():
            changed = Offer.objects.get(pk=offer.pk)
            changed.discount_value = Decimal("50.00")
            changed.save()
            seen_inside.append(_service_quote(customer, booking_setup).discount)
            raise RolledBack

    with pytest.raises(RolledBack):
        change_quote_and_roll_back()

    assert seen_inside == [Decimal("625.00")]
    assert _quote(customer_client, booking_setup)["discount"] == "125.00"


@committed
def test_cached_rows_still_follow_their_dates(customer, customer_client, booking_setup, far_address):
    today = timezone.localdate()
    tomorrow = today + datetime.timedelta(days=1)
    pricing = booking_setup["pricing"]
    pricing.effective_until = today
    pricing.save()
    DistancePricingConfigFactory(effective_from=tomorrow, base_charge=Decimal("80.00"))
    OfferFactory(auto_apply=True, discount_value=Decimal("10.00"), end_date=today)
    quote_today = _quote(customer_client, booking_setup, address=far_address.id)  # fills the cache
    assert (quote_today["discount"], quote_today["distance_charge"]) == ("125.00", "109.00")

    # Nothing changes in the database; tomorrow the other pricing applies and the offer has ended.
    tomorrow_morning = timezone.make_aware(datetime.datetime.combine(tomorrow, datetime.time(8)))
    quote = _service_quote(customer, booking_setup, address=far_address.id, now=tomorrow_morning)
    assert (quote.discount, quote.distance_charge) == (Decimal("0.00"), Decimal("139.00"))


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["home with coupon", "home with auto offer", "lab"])
def test_new_booking_response_is_the_booking_read_back(customer_client, booking_setup, kind):
    OfferFactory(auto_apply=True, discount_value=Decimal("5.00"))
    overrides = {}
    if kind == "home with coupon":
        CouponFactory(code="TEN", offer=OfferFactory(discount_value=Decimal("10.00")))
        overrides["coupon_code"] = "TEN"
    if kind == "lab":
        overrides |= {"collection_type": "lab", "address": None}

    created = customer_client.post(CREATE, booking_payload(booking_setup, **overrides), format="json")

    assert created.status_code == 201, created.json()
    body = created.json()
    assert len(body["items"]) == 2
    assert body["slot"]["remaining"] == booking_setup["slot"].capacity - (1 if kind != "lab" else 0)
    detail = customer_client.get(reverse("bookings:booking-detail", args=[body["id"]]))
    assert created.content == detail.content


@committed
def test_cancellation_cutoff_changed_in_the_admin_applies_to_the_next_cancellation(
    admin_client, customer_client, booking_setup
):
    first = customer_client.post(CREATE, booking_payload(booking_setup), format="json")
    second = customer_client.post(CREATE, booking_payload(booking_setup), format="json")
    assert first.status_code == second.status_code == 201
    cancel = reverse("bookings:booking-cancel", args=[first.json()["id"]])
    assert customer_client.post(cancel, {}, format="json").status_code == 200  # the 2-hour default: allowed

    # The slot is two days away: a 72-hour cutoff has passed.
    response = admin_client.post(
        reverse("admin:diagnopet_systemsettings_add"), system_settings_form(cancellation_cutoff_hours=72)
    )
    assert response.status_code == 302

    response = customer_client.post(reverse("bookings:booking-cancel", args=[second.json()["id"]]), {}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "cancellation_cutoff_passed"


@committed
def test_a_booking_charges_the_rows_even_when_the_cache_holds_older_prices(customer_client, booking_setup, far_address):
    cbc = booking_setup["tests"][0]  # 450.00
    quoted = _quote(customer_client, booking_setup, address=far_address.id)  # fills the cache
    assert (quoted["subtotal"], quoted["distance_charge"]) == ("1250.00", "109.00")

    # Rows changed without signals (a restore, a QuerySet.update()): the cached entries are now older than the rows.
    LabTest.objects.filter(pk=cbc.pk).update(price=Decimal("500.00"))
    DistancePricingConfig.objects.filter(pk=booking_setup["pricing"].pk).update(base_charge=Decimal("80.00"))

    booked = customer_client.post(CREATE, booking_payload(booking_setup, address=far_address.id), format="json")
    assert booked.status_code == 201, booked.json()
    body = booked.json()
    assert (body["subtotal"], body["distance_charge"]) == ("1300.00", "139.00")
    assert body["items"][0]["unit_price"] == "500.00"
