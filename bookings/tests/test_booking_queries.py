"""Booking create and quote run a bounded number of queries, whatever the number of tests booked.

Measured in committed transactions (``transaction=True``), as in production: the clinic and its holidays and the
automatic offers then come from the cache, and for a quote the active tests and the distance pricing too (a test
transaction that created them would read them from the database until it ends, see ``diagnopet.reference_cache``).
The budgets count the request's SQL statements until its transaction commits; the transaction's own BEGIN and
COMMIT lines (SAVEPOINT and RELEASE inside a test transaction) are left out, as production counts them. What runs
after the commit is queued work (the "booking placed" deliveries, made and sent), done by a Celery worker in production
and only run in the request here because the tests have no broker.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bookings.tests.conftest import booking_payload
from bookings.tests.factories import CollectionDayFactory
from catalog.tests.factories import LabTestFactory, package_of
from promotions.tests.factories import CouponFactory, OfferFactory

pytestmark = pytest.mark.django_db(transaction=True)

TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")

# Budgets: the Performance issue's, at most 15 statements per booking and 20 with a coupon, on a day that has its
# CollectionDay row (as generated days do) and for a customer who gets text messages (every user's default). A
# quote reads the user, the pet, the address and the slot (and the coupon).
CREATE_BUDGET = 15
CREATE_WITH_COUPON_BUDGET = 20
# Booking a package reads its components (one query, however many): what a package costs on top.
PACKAGE_COMPONENTS_READ = 1
QUOTE_BUDGET = 4
QUOTE_WITH_COUPON_BUDGET = 5


def _statements(client, url, payload, **headers) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.post(url, payload, format="json", **headers)
    assert response.status_code in (200, 201), response.json()
    return len(_until_commit(ctx.captured_queries))


def _until_commit(queries) -> list[str]:
    """The statements up to the request's COMMIT (the queued work after it is a worker's), without BEGIN/COMMIT."""
    statements = []
    for query in queries:
        sql = query["sql"].upper()
        if sql == "COMMIT":
            break
        if sql not in TRANSACTION_CONTROL:
            statements.append(query["sql"])
    return statements


@pytest.mark.parametrize("with_coupon", [False, True])
@pytest.mark.parametrize("day_row", [True, False], ids=["daily-cap", "no-day-row"])
def test_create_and_quote_queries_do_not_grow_with_items(
    customer_client, booking_setup, with_coupon, day_row, settings
):
    settings.BOOKING_MAX_OPEN_PER_PET_PER_DAY = 0  # one pet, four bookings on one day
    if day_row:
        CollectionDayFactory(date=booking_setup["slot"].date, capacity=50)
    OfferFactory(auto_apply=True, discount_value=5)
    extra = {}
    if with_coupon:
        CouponFactory(code="TEN", offer=OfferFactory(discount_value=10), max_uses_per_user=5)
        extra["coupon_code"] = "TEN"
    tests = [LabTestFactory() for _ in range(10)]
    one = booking_payload(booking_setup, tests=[tests[0].id], **extra)
    ten = booking_payload(booking_setup, tests=[t.id for t in tests], **extra)
    quote = reverse("bookings:booking-quote")
    create = reverse("bookings:booking-list")
    # Warm the per-process caches (content types for the audit log) and the shared cache (a quote's tests and
    # pricing; a booking reads those from the database) so that both measurements compare alike.
    _statements(customer_client, create, one, HTTP_IDEMPOTENCY_KEY="warm-up")
    _statements(customer_client, quote, one)

    quote_one, quote_ten = _statements(customer_client, quote, one), _statements(customer_client, quote, ten)
    create_one = _statements(customer_client, create, one, HTTP_IDEMPOTENCY_KEY="a")
    create_ten = _statements(customer_client, create, ten, HTTP_IDEMPOTENCY_KEY="b")

    assert quote_one == quote_ten <= (QUOTE_WITH_COUPON_BUDGET if with_coupon else QUOTE_BUDGET), quote_ten
    assert create_one == create_ten <= (CREATE_WITH_COUPON_BUDGET if with_coupon else CREATE_BUDGET), create_ten


def test_replay_reads_the_booking_it_returns(customer_client, booking_setup):
    """A replay (rare: a retry) runs the booking flow until the unique (user, key) index refuses its insert, which
    spares every first request a key lookup; then the key lookup, the booking and its items for the answer."""
    create = reverse("bookings:booking-list")
    payload = booking_payload(booking_setup)
    first = customer_client.post(create, payload, format="json", HTTP_IDEMPOTENCY_KEY="same")

    with CaptureQueriesContext(connection) as ctx:
        again = customer_client.post(create, payload, format="json", HTTP_IDEMPOTENCY_KEY="same")

    assert again.status_code == 200
    assert again.json() == first.json()
    statements = [q["sql"] for q in ctx.captured_queries if q["sql"].upper() not in TRANSACTION_CONTROL]
    assert len(statements) <= CREATE_BUDGET, statements
    assert sum(1 for sql in statements if sql.startswith("INSERT")) == 1


def test_booking_a_package_does_not_add_a_query_per_component(customer_client, booking_setup, settings):
    """A package's components are read in one query with the tests, and its items go in with the others."""
    settings.BOOKING_MAX_OPEN_PER_PET_PER_DAY = 0
    small = package_of([LabTestFactory()])
    large = package_of([LabTestFactory() for _ in range(10)])
    create = reverse("bookings:booking-list")
    _statements(customer_client, create, booking_payload(booking_setup), HTTP_IDEMPOTENCY_KEY="warm-up")

    one = _statements(
        customer_client, create, booking_payload(booking_setup, tests=[small.id]), HTTP_IDEMPOTENCY_KEY="a"
    )
    ten = _statements(
        customer_client, create, booking_payload(booking_setup, tests=[large.id]), HTTP_IDEMPOTENCY_KEY="b"
    )

    assert one == ten <= CREATE_BUDGET + PACKAGE_COMPONENTS_READ, ten
