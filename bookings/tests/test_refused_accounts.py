"""A bearer token's account is checked on every request (simplejwt's user load): a deactivated, anonymised or
deleted account is refused with a 401 whatever it owns and before any other error, and nobody sees another
customer's rows."""

import pytest
from auditlog.models import LogEntry
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.throttling import SimpleRateThrottle

from accounts.tests.factories import UserFactory
from bookings.models import Booking
from bookings.services.operations import user_anonymize
from bookings.tests.conftest import booking_payload
from bookings.tests.factories import BookingFactory
from bookings.tests.test_reports_api import report_for
from conftest import client_for

pytestmark = pytest.mark.django_db

BOOKINGS = reverse("bookings:booking-list")
REPORTS = reverse("bookings:report-list")


def _detail(booking) -> str:
    return reverse("bookings:booking-detail", args=[booking.id])


@pytest.mark.parametrize("how", ["deactivated", "anonymised"])
def test_a_refused_account_gets_401_whatever_it_owns(customer, how):
    client = client_for(customer)
    booking = BookingFactory(user=customer)
    report = report_for(customer)
    assert client.get(_detail(booking)).status_code == 200
    if how == "deactivated":
        customer.is_active = False
        customer.save(update_fields=["is_active"])
    else:
        user_anonymize(user=customer)

    for url, params in (
        (BOOKINGS, {}),
        (BOOKINGS, {"page": 2}),
        (BOOKINGS, {"status": "cancelled"}),
        (_detail(booking), {}),
        (reverse("bookings:booking-detail", args=["abc"]), {}),
        (REPORTS, {}),
        (reverse("bookings:report-detail", args=[report.id]), {}),
    ):
        response = client.get(url, params)
        assert response.status_code == 401, (url, params, response.json())
        assert response.json()["code"] == "user_inactive"
        assert response["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.parametrize(
    "params",
    [{"foo": "1"}, {"page_size": "0"}, {"status": "bogus"}, {"page": ""}, {"format": "api"}],
    ids=["unknown parameter", "bad page size", "bad filter", "empty page", "browsable API"],
)
def test_a_refused_account_gets_401_before_any_other_error(customer, params):
    """A request that would fail for another reason checks the account first, and a refused user's error renders
    (no 500 from an HTML renderer)."""
    client = client_for(customer)
    booking = BookingFactory(user=customer)
    report = report_for(customer)
    customer.is_active = False
    customer.save(update_fields=["is_active"])

    for url in (BOOKINGS, _detail(booking), REPORTS, reverse("bookings:report-detail", args=[report.id])):
        response = client.get(url, params, HTTP_ACCEPT="text/html" if "format" in params else "application/json")
        assert response.status_code == 401, (url, params, response.content[:300])


def test_a_throttled_refused_account_gets_401_and_an_active_one_429(customer, monkeypatch):
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {**SimpleRateThrottle.THROTTLE_RATES, "user": "1/min"})
    cache.clear()
    refused = UserFactory(is_active=False)
    refused_client, active_client = client_for(refused), client_for(customer)
    assert [refused_client.get(BOOKINGS).status_code for _ in range(2)] == [401, 401]
    assert [active_client.get(BOOKINGS).status_code for _ in range(2)] == [200, 429]
    cache.clear()


def test_an_active_customer_still_gets_the_other_errors(customer, customer_client):
    response = customer_client.get(BOOKINGS, {"foo": "1"})
    assert response.status_code == 400
    assert response.json()["code"] == "unknown_parameter"
    assert customer_client.get(BOOKINGS, {"format": "api"}, HTTP_ACCEPT="text/html").status_code == 200


def test_a_deleted_account_gets_401(db):
    gone = UserFactory()
    client = client_for(gone)
    someone_elses = BookingFactory()
    gone.delete()

    for url in (BOOKINGS, _detail(someone_elses), REPORTS):
        response = client.get(url)
        assert response.status_code == 401, response.json()
        assert response.json()["code"] == "user_not_found"


def test_an_active_customer_sees_only_their_own(customer, customer_client):
    theirs = BookingFactory()
    their_report = report_for(theirs.user)
    BookingFactory(user=customer)

    response = customer_client.get(_detail(theirs))
    assert response.status_code == 404
    assert response.json()["detail"] == "No Booking matches the given query."
    assert customer_client.get(reverse("bookings:report-detail", args=[their_report.id])).status_code == 404
    assert theirs.id not in [row["id"] for row in customer_client.get(BOOKINGS).json()["results"]]
    assert customer_client.get(BOOKINGS, {"page": 2}).status_code == 404
    assert customer_client.get(REPORTS).json() == {"count": 0, "next": None, "previous": None, "results": []}


def test_an_empty_list_of_an_active_customer_is_200(customer, customer_client):
    response = customer_client.get(BOOKINGS)
    assert response.status_code == 200
    assert response.json()["count"] == 0


def test_writes_and_actions_read_the_user_first(customer, customer_client):
    """A cancel (a write, with its audit actor) reads the account before anything."""
    booking = BookingFactory(user=customer)
    customer.is_active = False
    customer.save(update_fields=["is_active"])
    with CaptureQueriesContext(connection) as ctx:
        response = customer_client.post(reverse("bookings:booking-cancel", args=[booking.id]), {}, format="json")
    assert response.status_code == 401
    assert len(ctx.captured_queries) == 1  # the user row, and nothing else


QUOTE = reverse("bookings:booking-quote")


def test_a_booking_names_its_customer_in_the_audit_trail(customer, customer_client, booking_setup):
    for url in (QUOTE, BOOKINGS):
        response = customer_client.post(url, booking_payload(booking_setup), format="json")
        assert response.status_code in (200, 201), response.json()

    booking = Booking.objects.get(pk=response.json()["id"])
    for row in (booking, booking.billing_record):
        entry = LogEntry.objects.get_for_object(row).get()
        assert (entry.actor, entry.actor_email) == (customer, customer.email)


@pytest.mark.parametrize("how", ["deactivated", "anonymised", "deleted"])
def test_a_refused_account_cannot_quote_or_book(customer, booking_setup, how):
    client = client_for(customer)
    good = booking_payload(booking_setup)
    someone_elses_pet = booking_payload(booking_setup, pet=BookingFactory().pet_id)
    bad = booking_payload(booking_setup, collection_type="drone")
    if how == "deactivated":
        customer.is_active = False
        customer.save(update_fields=["is_active"])
    elif how == "anonymised":
        user_anonymize(user=customer)
    else:
        get_user_model().objects.filter(pk=customer.pk).delete()

    for url in (QUOTE, BOOKINGS):
        for payload in (good, someone_elses_pet, bad, {}):
            response = client.post(url, payload, format="json", HTTP_IDEMPOTENCY_KEY="k")
            assert response.status_code == 401, (url, payload, response.json())
            assert response.json()["code"] == ("user_not_found" if how == "deleted" else "user_inactive")
    assert not Booking.objects.filter(user_id=customer.pk).exists()


def test_an_active_customer_still_gets_the_booking_errors(customer_client, booking_setup):
    someone_elses_pet = booking_payload(booking_setup, pet=BookingFactory().pet_id)
    for url in (QUOTE, BOOKINGS):
        response = customer_client.post(url, someone_elses_pet, format="json")
        assert response.status_code == 400
        assert response.json()["code"] == "invalid_pet"


@pytest.mark.parametrize(
    "url",
    [reverse("pets:pet-list"), reverse("accounts:address-list"), reverse("accounts:notification-list")],
)
def test_a_refused_account_gets_401_on_the_other_customer_endpoints(customer, url):
    client = client_for(customer)
    customer.is_active = False
    customer.save(update_fields=["is_active"])

    response = client.get(url)

    assert response.status_code == 401, response.json()
    assert response.json()["code"] == "user_inactive"
