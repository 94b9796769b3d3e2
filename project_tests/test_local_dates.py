"""Dates in the back-office are typed and shown day first (31/12/2026, Django's localization: LANGUAGE_CODE en-in
and diagnopet/formats/en_IN), ISO still taken; the admin's calendar writes the same format. The API keeps ISO 8601."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from promotions.models import Coupon, Offer
from promotions.tests.factories import OfferFactory

pytestmark = pytest.mark.django_db


def _offer_data(**dates) -> dict:
    return {
        "name": "Winter wellness",
        "description": "",
        "event_tag": "",
        "is_active": "on",
        "applies_to": "tests",
        "discount_type": "percentage",
        "discount_value": "10",
        "coupons-TOTAL_FORMS": "0",
        "coupons-INITIAL_FORMS": "0",
        "_save": "Save",
        **dates,
    }


def test_an_offer_takes_day_first_dates(admin_client):
    response = admin_client.post(
        reverse("admin:promotions_offer_add"), _offer_data(start_date="01/12/2026", end_date="31/12/2026")
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    offer = Offer.objects.get()
    assert (offer.start_date, offer.end_date) == (datetime.date(2026, 12, 1), datetime.date(2026, 12, 31))


def test_iso_dates_are_still_taken(admin_client):
    response = admin_client.post(
        reverse("admin:promotions_offer_add"), _offer_data(start_date="2026-12-01", end_date="2026-12-31")
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Offer.objects.get().end_date == datetime.date(2026, 12, 31)


def test_date_inputs_show_day_first_with_the_calendar(admin_client):
    offer = OfferFactory(start_date=datetime.date(2026, 12, 1), end_date=datetime.date(2026, 12, 31))

    html = admin_client.get(reverse("admin:promotions_offer_change", args=[offer.pk])).content.decode()

    assert 'name="end_date" value="31/12/2026"' in html
    assert 'class="vDateField"' in html  # the admin's calendar (DateTimeShortcuts) is attached to these
    catalog = admin_client.get(reverse("admin:jsi18n")).content.decode()
    # What the calendar writes into the field: the first input format in the admin's JavaScript catalog.
    formats = catalog[catalog.index('"DATE_INPUT_FORMATS"') :]
    assert formats.split('"', 3)[3].startswith("%d/%m/%Y")


def test_a_coupon_takes_day_first_date_and_time(admin_client):
    offer = OfferFactory()
    data = {
        "code": "WINTER",
        "offer": offer.pk,
        "start_at_0": "01/12/2026",
        "start_at_1": "09:30",
        "end_at_0": "31/12/2026",
        "end_at_1": "23:00:00",
        "is_active": "on",
        "max_uses_per_user": "1",
        "_save": "Save",
    }

    response = admin_client.post(reverse("admin:promotions_coupon_add"), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    start = timezone.localtime(Coupon.objects.get().start_at)
    assert (start.date(), start.time()) == (datetime.date(2026, 12, 1), datetime.time(9, 30))


def test_a_nonsense_date_is_a_field_error(admin_client):
    response = admin_client.post(
        reverse("admin:promotions_offer_add"), _offer_data(start_date="31/31/2026", end_date="31/12/2026")
    )

    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["start_date"]


def test_the_api_keeps_iso_dates(api_client):
    today = timezone.localdate()
    OfferFactory(start_date=today, end_date=today + datetime.timedelta(days=30))

    response = api_client.get("/api/v1/offers/")

    assert response.status_code == 200
    offer = response.json()["results"][0] if "results" in response.json() else response.json()[0]
    assert offer["start_date"] == today.isoformat()
