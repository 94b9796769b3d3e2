import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.tests.factories import LabTestFactory
from promotions.models import Offer
from promotions.tests.factories import CouponFactory, OfferFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/offers/"
DAY = datetime.timedelta(days=1)


def names(response) -> list[str]:
    return [row["name"] for row in response.data["results"]]


def test_offers_are_public_and_show_their_terms(api_client):
    test = LabTestFactory()
    offer = OfferFactory(
        name="Diwali",
        description="20% off blood work",
        event_tag="Diwali",
        discount_type=Offer.DiscountType.PERCENTAGE,
        discount_value=Decimal("20.00"),
        max_discount_amount=Decimal("300.00"),
        minimum_order_value=Decimal("1000.00"),
        auto_apply=True,
    )
    offer.applicable_tests.set([test])

    response = api_client.get(URL)

    assert response.status_code == 200
    assert response.json()["results"] == [
        {
            "id": offer.pk,
            "name": "Diwali",
            "description": "20% off blood work",
            "event_tag": "Diwali",
            "discount_type": "percentage",
            "discount_value": "20.00",
            "max_discount_amount": "300.00",
            "minimum_order_value": "1000.00",
            "applies_to": "tests",
            "applicable_tests": [test.pk],
            "start_date": offer.start_date.isoformat(),
            "end_date": offer.end_date.isoformat(),
            "auto_apply": True,
        }
    ]


def test_only_active_offers_running_today_are_listed(customer_client):
    today = timezone.localdate()
    OfferFactory(name="Starts today", start_date=today, end_date=today + DAY)
    OfferFactory(name="Ends today", start_date=today - DAY, end_date=today)
    OfferFactory(name="Switched off", is_active=False)
    OfferFactory(name="Not started", start_date=today + DAY, end_date=today + 10 * DAY)
    OfferFactory(name="Expired", start_date=today - 10 * DAY, end_date=today - DAY)

    response = customer_client.get(URL)

    assert sorted(names(response)) == ["Ends today", "Starts today"]


def test_coupon_codes_are_never_shown(api_client):
    CouponFactory(code="SECRET-CODE-42", offer=OfferFactory(name="Coupon offer"))

    response = api_client.get(URL)

    assert names(response) == ["Coupon offer"]
    assert "SECRET-CODE-42" not in response.content.decode()
    assert not {"code", "coupon", "coupons"} & set(response.json()["results"][0])


def test_offers_are_read_only(customer_client):
    assert customer_client.post(URL, {"name": "Free"}, format="json").status_code == 405


@pytest.mark.parametrize("offers", [1, 40])
def test_query_count_does_not_grow_with_offers(api_client, django_assert_max_num_queries, offers):
    tests = LabTestFactory.create_batch(3)
    for _ in range(offers):
        OfferFactory().applicable_tests.set(tests)

    # The count, the page, the applicable tests of the page.
    with django_assert_max_num_queries(3):
        response = api_client.get(URL, {"page_size": 50})

    assert len(response.data["results"]) == offers
    assert all(len(row["applicable_tests"]) == 3 for row in response.data["results"])


def test_page_size_is_capped_at_100(api_client):
    OfferFactory.create_batch(101)

    response = api_client.get(URL, {"page_size": 100000})

    assert response.data["count"] == 101
    assert len(response.data["results"]) == 100
