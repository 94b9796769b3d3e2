"""Coupon codes in the back-office are taken as staff type them and stored as printed; a code already held (in any
case) is refused on the code field in words, never as a constraint name."""

import datetime

import pytest
from django.urls import reverse

from promotions.models import Coupon
from promotions.tests.factories import CouponFactory, OfferFactory

pytestmark = pytest.mark.django_db

ADD = reverse("admin:promotions_coupon_add")


def _coupon_data(offer, code: str) -> dict:
    return {
        "code": code,
        "offer": offer.pk,
        "start_at_0": "2026-12-01",
        "start_at_1": "00:00:00",
        "end_at_0": "2026-12-31",
        "end_at_1": "23:00:00",
        "is_active": "on",
        "max_uses": "",
        "max_uses_per_user": "1",
        "_save": "Save",
    }


def _offer_data(page) -> dict:
    initial = page.context["adminform"].form.initial
    return {k: v for k, v in initial.items() if v is not None and k != "applicable_tests"}


def test_a_typed_code_is_stripped_and_upper_cased(admin_client):
    offer = OfferFactory()

    response = admin_client.post(ADD, _coupon_data(offer, "  diwali50 "))

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Coupon.objects.get(offer=offer).code == "DIWALI50"


def test_a_duplicate_code_in_another_case_is_a_field_message(admin_client):
    CouponFactory(code="DIWALI50")
    offer = OfferFactory()

    response = admin_client.post(ADD, _coupon_data(offer, "Diwali50"))

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors == {"code": ["A coupon with this code already exists."]}
    assert "is violated" not in response.content.decode()
    assert Coupon.objects.filter(code__iexact="diwali50").count() == 1


def test_saving_a_coupon_unchanged_is_not_a_duplicate_of_itself(admin_client):
    coupon = CouponFactory(code="SAVE10")
    data = _coupon_data(coupon.offer, "save10")

    response = admin_client.post(reverse("admin:promotions_coupon_change", args=[coupon.pk]), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    coupon.refresh_from_db()
    assert coupon.code == "SAVE10"


def test_a_duplicate_code_in_the_offer_inline_is_named(admin_client):
    CouponFactory(code="FESTIVE")
    offer = OfferFactory(start_date=datetime.date(2026, 12, 1), end_date=datetime.date(2026, 12, 31))
    url = reverse("admin:promotions_offer_change", args=[offer.pk])
    page = admin_client.get(url)
    data = _offer_data(page)
    data.update(
        {
            "start_date": "2026-12-01",
            "end_date": "2026-12-31",
            "coupons-TOTAL_FORMS": "1",
            "coupons-INITIAL_FORMS": "0",
            "coupons-0-code": "festive",
            "coupons-0-start_at_0": "2026-12-01",
            "coupons-0-start_at_1": "00:00:00",
            "coupons-0-end_at_0": "2026-12-31",
            "coupons-0-end_at_1": "23:00:00",
            "coupons-0-max_uses_per_user": "1",
            "_save": "Save",
        }
    )

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert "A coupon with this code already exists." in response.content.decode()
    assert "is violated" not in response.content.decode()


def test_an_offer_check_constraint_reads_as_a_sentence(admin_client):
    offer = OfferFactory(start_date=datetime.date(2026, 12, 1), end_date=datetime.date(2026, 12, 31))
    url = reverse("admin:promotions_offer_change", args=[offer.pk])
    page = admin_client.get(url)
    data = _offer_data(page)
    data.update(
        {
            "start_date": "2026-12-31",
            "end_date": "2026-12-01",
            "coupons-TOTAL_FORMS": "0",
            "coupons-INITIAL_FORMS": "0",
            "_save": "Save",
        }
    )

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert "The end date cannot be before the start date." in response.content.decode()
    assert "is violated" not in response.content.decode()
