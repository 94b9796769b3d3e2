"""Bulk coupon codes from the Coupons list: a "Generate codes" button, the offer chosen on the page, the codes as
CSV."""

import csv
import io

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import StaffRole
from accounts.roles import roles_setup, staff_set_role
from accounts.tests.factories import StaffProfileFactory
from promotions.models import Coupon
from promotions.tests.factories import OfferFactory

pytestmark = pytest.mark.django_db

COUPONS = reverse("admin:promotions_coupon_changelist")
GENERATE = reverse("admin:promotions_coupon_generate")


def test_the_coupons_list_has_a_generate_codes_button(admin_client):
    html = admin_client.get(COUPONS).content.decode()

    assert f'<a href="{GENERATE}">Generate codes</a>' in html


def test_the_page_generates_codes_for_the_chosen_offer_as_csv(admin_client, admin_user):
    offer = OfferFactory()
    assert admin_client.get(GENERATE).status_code == 200

    response = admin_client.post(GENERATE, {"offer": offer.pk, "count": "5", "prefix": "xmas-", "max_uses": "1"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 5
    assert {row["Code"] for row in rows} == set(Coupon.objects.filter(offer=offer).values_list("code", flat=True))
    assert all(row["Code"].startswith("XMAS-") for row in rows)
    assert set(Coupon.objects.values_list("created_by", flat=True)) == {admin_user.pk}


def test_an_offer_is_required(admin_client):
    response = admin_client.post(GENERATE, {"count": "5", "prefix": "", "max_uses": "1"})

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["offer"]
    assert not Coupon.objects.exists()


def test_an_analyst_gets_no_button_and_no_page():
    roles_setup()
    user = StaffProfileFactory(role=StaffRole.ANALYST).user
    staff_set_role(user=user, role=StaffRole.ANALYST)
    client = Client()
    client.force_login(user)
    offer = OfferFactory()

    listing = client.get(COUPONS)
    assert listing.status_code != 200 or "Generate codes" not in listing.content.decode()
    assert client.post(GENERATE, {"offer": offer.pk, "count": "5", "max_uses": "1"}).status_code == 403
    assert not Coupon.objects.exists()
