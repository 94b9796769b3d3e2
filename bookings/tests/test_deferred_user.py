"""The customer's bookings and reports (list and detail), quotes and new bookings authenticate through their own
query: the user row is not read first (``DeferredUser``, diagnopet/api/authentication.py), the rows' query keeps
only rows of the token's user whose account is active (a booking's: its pet's), and when no row answers the user
is read to tell a refused user (401) from an empty answer, a 404 or a 400. These tests hold it to simplejwt's
rules: a deactivated, anonymised or deleted account is refused whatever it owns, and nobody sees another
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
from bookings.tests.factories import BookingFactory, BookingItemFactory
from bookings.tests.test_reports_api import report_for
from conftest import client_for
from diagnopet.api.authentication import DeferredUser

pytestmark = pytest.mark.django_db

BOOKINGS = reverse("bookings:booking-list")
REPORTS = reverse("bookings:report-list")
USER_TABLE = get_user_model()._meta.db_table


def _detail(booking) -> str:
    return reverse("bookings:booking-detail", args=[booking.id])


def _reads(client, url, **params):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params)
    return response, [query["sql"] for query in ctx.captured_queries]


def _reads_user_row(statements) -> bool:
    """A statement reading from the user table itself (not a join of it into the rows' query)."""
    return any(f'FROM "{USER_TABLE}"' in sql for sql in statements)


def test_a_customer_with_rows_is_not_read_before_them(customer, customer_client):
    booking = BookingFactory(user=customer)
    BookingItemFactory(booking=booking)
    report = report_for(customer)

    for url, statement_count in ((BOOKINGS, 3), (_detail(booking), 2), (REPORTS, 2)):
        response, statements = _reads(customer_client, url)
        assert response.status_code == 200, response.json()
        # list: count, page, items; detail: the booking, its items; reports: count, page
        assert len(statements) == statement_count, statements
        assert not _reads_user_row(statements), statements
        # The rows' query is the proof: the token's user, and the account active.
        page = statements[-2 if url != REPORTS else -1]
        assert f'"{USER_TABLE}"."is_active"' in page
        if url != _detail(booking):
            assert " LIMIT " in page  # the page is read, not every row

    detail = customer_client.get(reverse("bookings:report-detail", args=[report.id]))
    assert detail.status_code == 200


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
    """A request that fails before any row answered still checks the account first (as every other view does),
    and a refused user's error is rendered without reading the user again (no 500 from an HTML renderer)."""
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

    response, statements = _reads(customer_client, _detail(theirs))
    assert response.status_code == 404
    assert response.json()["detail"] == "No Booking matches the given query."
    # Nothing answered: the user row is read to tell a 404 from a refused account.
    assert _reads_user_row(statements)
    assert customer_client.get(reverse("bookings:report-detail", args=[their_report.id])).status_code == 404
    assert theirs.id not in [row["id"] for row in customer_client.get(BOOKINGS).json()["results"]]
    assert customer_client.get(BOOKINGS, {"page": 2}).status_code == 404
    assert customer_client.get(REPORTS).json() == {"count": 0, "next": None, "previous": None, "results": []}


def test_an_empty_list_of_an_active_customer_is_200(customer, customer_client):
    response, statements = _reads(customer_client, BOOKINGS)
    assert response.status_code == 200
    assert response.json()["count"] == 0
    assert _reads_user_row(statements)


def test_writes_and_actions_read_the_user_first(customer, customer_client):
    """Only list, retrieve, quote and create defer: a cancel (a write, with its audit actor) reads the account before
    anything."""
    booking = BookingFactory(user=customer)
    customer.is_active = False
    customer.save(update_fields=["is_active"])
    with CaptureQueriesContext(connection) as ctx:
        response = customer_client.post(reverse("bookings:booking-cancel", args=[booking.id]), {}, format="json")
    assert response.status_code == 401
    assert len(ctx.captured_queries) == 1  # the user row, and nothing else


def test_deferred_user_reads_the_row_only_for_more_than_its_id(customer):
    loads = []

    def load():
        loads.append(1)
        return customer

    user = DeferredUser(customer.pk, load)
    assert (user.pk, user.id, bool(user), user.is_authenticated, user.is_anonymous) == (
        customer.pk,
        customer.pk,
        True,
        True,
        False,
    )
    assert loads == []
    assert user.phone == customer.phone
    assert isinstance(user, get_user_model())
    assert user == customer
    assert loads == [1]


def test_deferred_user_takes_only_its_own_active_row(customer):
    loads = []
    user = DeferredUser(customer.pk, lambda: loads.append(1) or customer)
    user.provide(UserFactory())  # another user's row
    inactive = get_user_model().objects.get(pk=customer.pk)
    inactive.is_active = False
    user.provide(inactive)
    assert not user.loaded

    user.provide(customer)
    assert user.loaded
    assert user.phone == customer.phone
    assert loads == []


QUOTE = reverse("bookings:booking-quote")


def test_a_booking_reads_its_customer_with_the_pet(customer, customer_client, booking_setup):
    """Quote and book do not read the user row first either: the pet's query reads its owner's row (active) with
    it, and the booking's audit entries name that customer."""
    for url in (QUOTE, BOOKINGS):
        with CaptureQueriesContext(connection) as ctx:
            response = customer_client.post(url, booking_payload(booking_setup), format="json")
        assert response.status_code in (200, 201), response.json()
        statements = [query["sql"] for query in ctx.captured_queries]
        assert not _reads_user_row(statements), statements
        assert f'"{USER_TABLE}"."is_active"' in next(sql for sql in statements if 'FROM "pets_pet"' in sql)

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
