"""The promotions admin by staff role: an analyst reads offers but cannot change them (roles: accounts/tests)."""

import pytest
from django.urls import reverse

from accounts.models import StaffRole
from accounts.tests.staff import logged_in as _client
from accounts.tests.staff import staff_of as _staff
from promotions.models import Offer
from promotions.tests.factories import OfferFactory


@pytest.mark.django_db
def test_analyst_reads_but_cannot_write():
    offer = OfferFactory(name="Monsoon")
    client = _client(_staff(StaffRole.ANALYST))
    url = reverse("admin:promotions_offer_change", args=[offer.pk])

    page = client.get(url)
    response = client.post(url, {"name": "Hacked", "discount_type": "percentage", "discount_value": "90"})

    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    assert response.status_code == 403
    assert Offer.objects.get(pk=offer.pk).name == "Monsoon"
    assert client.get(reverse("admin:promotions_offer_add")).status_code == 403
