"""Object-level authorization beyond project_tests/test_ownership.py (customer A vs customer B):

- a collector against another collector's visit, on every staff/collections route: 404 (or absent), nothing changed;
- every staff route refused to customers (403) and to staff of the wrong role;
- mass assignment on every writable operation of the schema: server-owned fields sent by the client (price, status,
  user, is_staff, is_superuser, totals, amount_paid, current_uses, booked, …) change nothing.

Routes and operations are read from the URL conf and the OpenAPI schema, so a new one fails the coverage tests
until it is listed here.
"""

import contextlib
import datetime
import io
import json
from decimal import Decimal

import pytest
import responses
from django.conf import settings
from django.test import Client, TestCase, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from accounts.models import StaffRole, User
from accounts.tests.staff import logged_in, staff_of
from billing.models import BillingRecord, Payment, PaymentOrder
from billing.tests import provider_fixtures as fx
from bookings.models import Booking, BookingItem, CollectionSlot, PrescriptionUpload, ReportShare
from bookings.services import report_deliver, report_verify
from bookings.tests.factories import BookingFactory, CollectionSlotFactory
from bookings.tests.publishing_helpers import submitted_report
from conftest import client_for
from pets.models import Pet
from project_tests.test_ownership import fingerprint
from promotions.models import Coupon
from promotions.tests.factories import CouponFactory
from reliability.conftest import staff
from reviews.models import Review
from reviews.tests.factories import CompletedBookingFactory, ReviewFactory

pytestmark = pytest.mark.django_db

RZP_ORDER = "order_IluGWxBm9U8zJ8"
RZP_PAYMENT = "pay_29QQoUBi66xm2f"


def _named_routes(patterns=None, namespace=""):
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            ns = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _named_routes(pattern.url_patterns, ns)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}{pattern.name}", str(pattern.pattern).lstrip("^")


STAFF_ROUTES = {name for name, route in _named_routes() if route.startswith("staff/")}


# --- A collector against another collector's visits ---------------------------------------------------------------

COLLECTION_ROUTES = {
    "bookings:collection-list",
    "bookings:collection-lookup",
    "bookings:collection-collected",
    "bookings:collection-no-show",
    "bookings:collection-refuse",
}
# The door actions on one visit, each with a body that would succeed for the visit's own collector.
VISIT_ACTIONS = {
    "bookings:collection-collected": {"payment": {"amount": "500.00", "method": "cash"}},
    "bookings:collection-no-show": {"reason": "nobody_home"},
    "bookings:collection-refuse": {"reason": "clotted"},
}


def test_every_collection_route_is_covered():
    assert {name for name in STAFF_ROUTES if name.startswith("bookings:collection-")} == COLLECTION_ROUTES


def test_collector_cannot_see_or_touch_another_collectors_visit(world):
    theirs = world["visit"]
    intruder = client_for(world["other_collector"])
    before = fingerprint()
    day = theirs.booking_date.isoformat()

    listing = intruder.get(reverse("bookings:collection-list"), {"date": day})
    assert listing.status_code == 200
    assert theirs.id not in [v["id"] for v in listing.json()["results"]]
    assert intruder.get(reverse("bookings:collection-lookup"), {"code": theirs.code}).status_code == 404
    for route, payload in VISIT_ACTIONS.items():
        url = reverse(route, args=[theirs.id])
        assert intruder.post(url, payload, format="json").status_code == 404, route
        for method in ("get", "put", "patch", "delete"):
            assert getattr(intruder, method)(url, {}, format="json").status_code in (404, 405), (route, method)

    assert fingerprint() == before
    theirs.refresh_from_db()
    assert (theirs.status, theirs.no_show_reason) == (Booking.Status.CONFIRMED, "")
    assert set(theirs.items.values_list("status", "rejection_reason")) == {(BookingItem.Status.PENDING, "")}
    assert not Booking.objects.filter(recollection_of=theirs).exists()
    assert Payment.objects.count() == 0
    # The owner does reach it: the 404 is about ownership.
    owner = client_for(world["collector"])
    assert owner.get(reverse("bookings:collection-lookup"), {"code": theirs.code}).status_code == 200


@pytest.mark.parametrize("route", sorted(VISIT_ACTIONS))
def test_the_clinic_admin_acts_on_any_collectors_visit(route, world):
    visit = world["visit"]
    response = client_for(world["admin"]).post(reverse(route, args=[visit.id]), VISIT_ACTIONS[route], format="json")
    assert response.status_code == 200, response.json()
    visit.refresh_from_db()
    assert visit.collection_staff_id == world["collector"].id  # acting on it does not take it over


def test_a_customers_own_booking_code_does_not_open_the_staff_lookup(world):
    customer = client_for(world["customer"])
    response = customer.get(reverse("bookings:collection-lookup"), {"code": world["booking"].code})
    assert response.status_code == 403


# --- Staff routes refused to the wrong people ---------------------------------------------------------------------

STAFF_ACCESS = {
    "bookings:collection-list": {StaffRole.COLLECTOR, StaffRole.ADMIN},
    "bookings:collection-lookup": {StaffRole.COLLECTOR, StaffRole.ADMIN},
    "bookings:collection-collected": {StaffRole.COLLECTOR, StaffRole.ADMIN},
    "bookings:collection-no-show": {StaffRole.COLLECTOR, StaffRole.ADMIN},
    "bookings:collection-refuse": {StaffRole.COLLECTOR, StaffRole.ADMIN},
    "billing:billing-summary": {StaffRole.ANALYST, StaffRole.ADMIN},
}


def test_every_staff_route_is_covered():
    assert set(STAFF_ACCESS) == STAFF_ROUTES


def _staff_url(route, world):
    if route in VISIT_ACTIONS:
        return reverse(route, args=[world["visit"].id])
    return reverse(route)


@pytest.mark.parametrize("route", sorted(STAFF_ACCESS))
def test_staff_routes_refuse_customers_and_other_roles(route, world):
    url = _staff_url(route, world)
    callers = {"customer": world["customer"]}
    callers |= {role: staff(role) for role in StaffRole.values if role not in STAFF_ACCESS[route]}
    before = fingerprint()
    for who, user in callers.items():
        client = client_for(user)
        for method in ("get", "post", "put", "patch", "delete"):
            status = getattr(client, method)(url, {}, format="json").status_code
            assert status in (403, 405), (who, method, status)
        assert client.get(url).status_code in (403, 405), who
    assert fingerprint() == before


@pytest.mark.parametrize("route", sorted(STAFF_ACCESS))
def test_staff_routes_refuse_anonymous(route, world, api_client):
    for method in ("get", "post"):
        assert getattr(api_client, method)(_staff_url(route, world), {}, format="json").status_code in (401, 405)


# --- The lab's own back-office pages (beyond the model admins' permissions) ---------------------------------------

LAB_PAGES = {
    "admin:bookings_resultvalue_worklist": {StaffRole.LAB_TECH, StaffRole.ADMIN},
    "admin:bookings_resultvalue_analyser_import": {StaffRole.LAB_TECH, StaffRole.ADMIN},
}
MODEL_ADMIN_VIEWS = ("changelist", "add", "change", "delete", "history", "autocomplete")


def test_every_result_entry_page_is_covered():
    pages = {
        name
        for name, _route in _named_routes()
        if name.startswith("admin:bookings_resultvalue_") and not name.endswith(MODEL_ADMIN_VIEWS)
    }
    assert set(LAB_PAGES) == pages


@pytest.mark.parametrize("route", sorted(LAB_PAGES))
def test_lab_pages_refuse_customers_anonymous_and_other_roles(route, world):
    url = reverse(route)
    phones = iter(f"+9198777000{n:02d}" for n in range(50))
    callers = {role: staff_of(role, phone=next(phones)) for role in StaffRole.values if role not in LAB_PAGES[route]}
    before = fingerprint()
    for who, user in callers.items():
        client = logged_in(user)
        assert client.get(url).status_code == 403, who
        assert client.post(url, {"confirm": "1", "token": "x"}).status_code == 403, who
    customer = logged_in(world["customer"])
    assert customer.get(url).status_code == 302  # to the admin's login: not staff
    assert Client().get(url).status_code == 302
    assert fingerprint() == before
    for allowed in LAB_PAGES[route]:
        assert logged_in(staff_of(allowed, phone=next(phones))).get(url).status_code == 200, allowed


# --- Mass assignment ------------------------------------------------------------------------------------------------


def _writable_operations() -> set[str]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        f"{method.upper()} {path}"
        for path, operations in schema["paths"].items()
        for method in operations
        if method in ("post", "put", "patch")
    }


def _server_owned(world) -> dict:
    """Fields a client must never set, with values that would do harm if they were taken."""
    return {
        "id": 999999,
        "user": world["analyst"].id,
        "owner": world["analyst"].id,
        "is_staff": True,
        "is_superuser": True,
        "is_active": False,
        "is_verified": True,
        "is_locked": False,
        "failed_login_count": 0,
        "groups": [1],
        "price": "1.00",
        "unit_price": "1.00",
        "subtotal": "1.00",
        "discount": "9999.00",
        "discount_amount": "9999.00",
        "distance_km": "0",
        "distance_charge": "0.00",
        "total": "1.00",
        "total_amount": "1.00",
        "final_amount": "1.00",
        "amount_paid": "9999.00",
        "amount_due": "0.00",
        "current_uses": 0,
        "booked": 0,
        "capacity": 999,
        "status": "completed",
        "collection_staff": world["other_collector"].id,
        "verified": True,
        "invoice_number": "INV-2000-000001",
        "read_at": "2000-01-01T00:00:00Z",
        "version": 99,
    }


def _with(world, body: dict) -> dict:
    """``body`` plus every server-owned field that the operation does not legitimately read."""
    return {**_server_owned(world), **body}


def _user_flags(user: User) -> tuple:
    user.refresh_from_db()
    return (user.is_staff, user.is_superuser, user.is_active, user.is_verified, user.phone, user.groups.count())


def _pet_body():
    return {"name": "Rex", "species": "dog", "sex": "male"}


def _address_body():
    return {"label": "Work", "line1": "1 Road", "city": "Bengaluru", "postal_code": "560038"}


def _booking_body(world):
    return {
        "pet": world["pet"].id,
        "tests": [t.id for t in world["tests"]],
        "collection_type": "home",
        "address": world["address"].id,
        "slot": world["slot"].id,
    }


def _ma_register(world, client, api_client):
    response = api_client.post(
        "/api/v1/auth/register",
        _with(world, {"phone": "+919811122233", "password": "a-long-Passphrase-42", "full_name": "New One"}),
        format="json",
    )
    assert response.status_code == 201, response.json()
    user = User.objects.get(phone="+919811122233")
    assert (user.is_staff, user.is_superuser, user.is_active, user.groups.count()) == (False, False, True, 0)
    assert user.id != 999999


def _ma_token(world, client, api_client):
    customer = world["customer"]
    customer.set_password("a-long-Passphrase-42")
    customer.save()
    before = _user_flags(customer)
    body = _with(world, {"username": customer.phone, "password": "a-long-Passphrase-42"})
    assert api_client.post("/api/v1/auth/token", body, format="json").status_code == 200
    assert _user_flags(customer) == before


def _ma_refresh(world, client, api_client):
    from rest_framework_simplejwt.tokens import RefreshToken

    before = _user_flags(world["customer"])
    body = _with(world, {"refresh": str(RefreshToken.for_user(world["customer"]))})
    assert api_client.post("/api/v1/auth/token/refresh", body, format="json").status_code == 200
    assert _user_flags(world["customer"]) == before


def _ma_logout(world, client, api_client):
    from rest_framework_simplejwt.tokens import RefreshToken

    before = _user_flags(world["customer"])
    body = _with(world, {"refresh": str(RefreshToken.for_user(world["customer"]))})
    assert client.post("/api/v1/auth/logout", body, format="json").status_code == 204
    assert _user_flags(world["customer"]) == before


def _ma_otp_request(world, client, api_client):
    before = _user_flags(world["customer"])
    body = _with(world, {"phone": world["customer"].phone})
    assert api_client.post("/api/v1/auth/otp/request", body, format="json").status_code == 202
    assert _user_flags(world["customer"]) == before


def _ma_otp_verify(world, client, api_client):
    before = _user_flags(world["customer"])
    body = _with(world, {"phone": world["customer"].phone, "code": "000000"})
    assert api_client.post("/api/v1/auth/otp/verify", body, format="json").status_code == 400
    assert _user_flags(world["customer"]) == before


def _ma_me(world, client, api_client):
    before = _user_flags(world["customer"])
    response = client.patch("/api/v1/me", _with(world, {"full_name": "Renamed", "phone": "+919800000001"}), "json")
    assert response.status_code == 200
    assert _user_flags(world["customer"]) == before  # phone is read-only too
    assert User.objects.get(pk=world["customer"].pk).full_name == "Renamed"


def _ma_password(world, client, api_client):
    customer = world["customer"]
    customer.set_password("old-Passphrase-42")
    customer.save()
    before = _user_flags(customer)
    body = _with(world, {"old_password": "old-Passphrase-42", "new_password": "new-Passphrase-4242"})
    assert client.post("/api/v1/me/password", body, format="json").status_code == 200
    assert _user_flags(customer) == before


def _ma_close(world, client, api_client):
    customer = world["customer"]
    customer.set_password("old-Passphrase-42")
    customer.save()
    # A booking under way blocks closing; with none, only the caller's own account closes.
    Booking.objects.filter(user=customer).update(status=Booking.Status.COMPLETED)
    others = {u.pk: _user_flags(u) for u in User.objects.exclude(pk=customer.pk)}
    response = client.post("/api/v1/me/close", _with(world, {"password": "old-Passphrase-42"}), format="json")
    assert response.status_code == 200, response.json()
    customer.refresh_from_db()
    assert (customer.is_active, customer.is_staff, customer.is_superuser) == (False, False, False)
    assert {u.pk: _user_flags(u) for u in User.objects.exclude(pk=customer.pk)} == others


def _ma_address_create(world, client, api_client):
    response = client.post("/api/v1/addresses/", _with(world, _address_body()), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["id"] != 999999
    assert world["customer"].addresses.filter(label="Work").count() == 1
    assert world["analyst"].addresses.count() == 0


def _ma_address_update(method):
    def check(world, client, api_client):
        url = f"/api/v1/addresses/{world['address'].id}/"
        response = getattr(client, method)(url, _with(world, _address_body()), format="json")
        assert response.status_code == 200, response.json()
        world["address"].refresh_from_db()
        assert world["address"].user_id == world["customer"].id
        assert world["analyst"].addresses.count() == 0

    return check


def _ma_pet_create(world, client, api_client):
    response = client.post("/api/v1/pets/", _with(world, _pet_body()), format="json")
    assert response.status_code == 201, response.json()
    pet = Pet.objects.get(pk=response.json()["id"])
    assert (pet.user_id, pet.is_active) == (world["customer"].id, True)
    assert pet.id != 999999


def _ma_pet_update(method):
    def check(world, client, api_client):
        url = f"/api/v1/pets/{world['pet'].id}/"
        response = getattr(client, method)(url, _with(world, _pet_body()), format="json")
        assert response.status_code == 200, response.json()
        world["pet"].refresh_from_db()
        assert (world["pet"].user_id, world["pet"].is_active) == (world["customer"].id, True)

    return check


def _ma_quote(world, client, api_client):
    clean = client.post("/api/v1/bookings/quote", _booking_body(world), format="json")
    dirty = client.post("/api/v1/bookings/quote", _with(world, _booking_body(world)), format="json")
    assert clean.status_code == dirty.status_code == 200, dirty.json()
    assert clean.json() == dirty.json()


def _ma_book(world, client, api_client):
    coupon = CouponFactory(code="SAVE", max_uses=5)
    quote = client.post("/api/v1/bookings/quote", _booking_body(world), format="json").json()
    slot_before = CollectionSlot.objects.get(pk=world["slot"].pk).booked
    body = _with(world, _booking_body(world))
    response = client.post("/api/v1/bookings/", body, format="json")
    assert response.status_code == 201, response.json()
    booking = Booking.objects.get(pk=response.json()["id"])
    assert booking.user_id == world["customer"].id
    assert booking.status == Booking.Status.PENDING
    assert booking.collection_staff_id is None
    assert (str(booking.subtotal), str(booking.total_amount)) == (quote["subtotal"], quote["total"])
    assert {str(p) for p in booking.items.values_list("unit_price", flat=True)} == {"450.00", "900.00"}
    record = BillingRecord.objects.get(booking=booking)
    assert (record.amount_paid, record.status) == (Decimal("0.00"), BillingRecord.Status.DRAFT)
    assert CollectionSlot.objects.get(pk=world["slot"].pk).booked == slot_before + 1
    assert Coupon.objects.get(pk=coupon.pk).current_uses == 0


def _ma_cancel(world, client, api_client):
    booking = world["booking"]
    response = client.post(f"/api/v1/bookings/{booking.id}/cancel", _with(world, {"reason": "x"}), format="json")
    assert response.status_code == 200, response.json()
    booking.refresh_from_db()
    assert (booking.status, booking.user_id) == (Booking.Status.CANCELLED, world["customer"].id)
    assert booking.total_amount == Decimal("500.00")
    record = BillingRecord.objects.get(booking=booking)
    assert (record.amount_paid, record.status) == (Decimal("0.00"), BillingRecord.Status.VOID)


def _ma_reschedule(world, client, api_client):
    booking = world["booking"]
    later = CollectionSlotFactory(
        date=world["slot"].date + datetime.timedelta(days=1), start_time=datetime.time(11), end_time=datetime.time(12)
    )
    body = _with(world, {"slot": later.id, "status": "completed", "booking_date": "2000-01-01"})
    response = client.post(f"/api/v1/bookings/{booking.id}/reschedule", body, format="json")
    assert response.status_code == 200, response.json()
    booking.refresh_from_db()
    assert (booking.slot_id, booking.booking_date, booking.status) == (later.id, later.date, Booking.Status.PENDING)
    assert (booking.user_id, booking.total_amount) == (world["customer"].id, Decimal("500.00"))


def _ma_prescription(world, client, api_client):
    booking = world["booking"]
    upload = io.BytesIO(b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n")
    upload.name = "rx.pdf"
    body = {
        "file": upload,
        "verified": "true",
        "verified_at": "2000-01-01T00:00:00Z",
        "verified_by": world["admin"].id,
        "user": world["analyst"].id,
        "booking": world["visit"].id,
    }
    response = client.post(f"/api/v1/bookings/{booking.id}/prescriptions/", body, format="multipart")
    assert response.status_code == 201, response.json()
    stored = PrescriptionUpload.objects.get()
    assert (stored.verified_at, stored.verified_by_id) == (None, None)
    assert (stored.user_id, stored.booking_id) == (world["customer"].id, booking.id)


def _ma_notification_read(world, client, api_client):
    note = world["notification"]
    response = client.post(f"/api/v1/notifications/{note.id}/read", _with(world, {}), format="json")
    assert response.status_code == 200
    note.refresh_from_db()
    assert note.user_id == world["customer"].id
    assert note.read_at is not None
    assert note.read_at.year != 2000


def _ma_read_all(world, client, api_client):
    response = client.post("/api/v1/notifications/read-all", _with(world, {}), format="json")
    assert response.status_code == 200
    world["notification"].refresh_from_db()
    assert world["notification"].user_id == world["customer"].id
    assert world["notification"].read_at.year != 2000


def _ma_collected(world, client, api_client):
    visit = world["visit"]
    collector = client_for(world["collector"])
    body = _with(world, {"payment": {"amount": "100.00", "method": "cash", "status": "refunded", "kind": "refund"}})
    response = collector.post(f"/api/v1/staff/collections/{visit.id}/collected", body, format="json")
    assert response.status_code == 200, response.json()
    visit.refresh_from_db()
    assert visit.status == Booking.Status.COLLECTED  # what the route does, not the "completed" sent
    assert visit.collection_staff_id == world["collector"].id
    assert visit.total_amount == Decimal("500.00")
    record = BillingRecord.objects.get(booking=visit)
    assert record.amount_paid == Decimal("100.00")
    payment = Payment.objects.get()
    assert (payment.kind, payment.amount) == ("payment", Decimal("100.00"))
    assert payment.received_by_id == world["collector"].id
    assert set(BookingItem.objects.filter(booking=visit).values_list("status", flat=True)) == {"collected"}


def _ma_no_show(world, client, api_client):
    visit = world["visit"]
    collector = client_for(world["collector"])
    body = _with(world, {"reason": "nobody_home", "notes": "Rang twice", "no_show_at": "2000-01-01T00:00:00Z"})
    response = collector.post(f"/api/v1/staff/collections/{visit.id}/no-show", body, format="json")
    assert response.status_code == 200, response.json()
    visit.refresh_from_db()
    assert (visit.status, visit.no_show_reason) == (Booking.Status.NO_SHOW, "nobody_home")  # not "completed"
    assert visit.no_show_at.year != 2000
    assert visit.collection_staff_id == world["collector"].id
    assert visit.total_amount == Decimal("500.00")
    assert BillingRecord.objects.get(booking=visit).amount_paid == Decimal("0.00")
    assert Payment.objects.count() == 0


def _ma_refuse(world, client, api_client):
    visit = world["visit"]
    collector = client_for(world["collector"])
    body = _with(world, {"reason": "clotted", "rejection_reason": "leaked", "recollection_of": world["booking"].id})
    response = collector.post(f"/api/v1/staff/collections/{visit.id}/refuse", body, format="json")
    assert response.status_code == 200, response.json()
    visit.refresh_from_db()
    assert visit.status == Booking.Status.CONFIRMED  # the items are refused, not the visit "completed"
    assert visit.collection_staff_id == world["collector"].id
    assert visit.total_amount == Decimal("500.00")
    assert set(visit.items.values_list("status", "rejection_reason")) == {(BookingItem.Status.CANCELLED, "clotted")}
    again = Booking.objects.get(recollection_of=visit)
    assert (again.user_id, again.total_amount, again.collection_staff_id) == (visit.user_id, Decimal("0.00"), None)
    assert set(again.items.values_list("unit_price", flat=True)) == {Decimal("0.00")}
    assert not Booking.objects.filter(recollection_of=world["booking"]).exists()
    assert Payment.objects.count() == 0


def _completed_booking(world) -> Booking:
    return CompletedBookingFactory(user=world["customer"], pet=world["pet"], collection_staff=world["collector"])


def _review_owned(world) -> dict:
    """What the server decides about a review, sent by the client as another booking's, another collector's and
    as given long ago (past its 7 days of changes)."""
    return {
        "booking": world["visit"].id,
        "collector": world["other_collector"].id,
        "created_at": "2000-01-01T00:00:00Z",
        "updated_at": "2000-01-01T00:00:00Z",
        "editable_until": "2000-01-08T00:00:00Z",
    }


def _ma_review_create(world, client, api_client):
    booking = _completed_booking(world)
    body = _with(world, {"visit_rating": 4, "collector_rating": 5, **_review_owned(world)})
    response = client.post(f"/api/v1/bookings/{booking.id}/review", body, format="json")
    assert response.status_code == 201, response.json()
    review = Review.objects.get()
    assert (review.booking_id, review.collector_id) == (booking.id, booking.collection_staff_id)
    assert (review.visit_rating, review.collector_rating) == (4, 5)
    assert review.created_at.year != 2000
    assert review.id != 999999


def _ma_review_update(world, client, api_client):
    review = ReviewFactory(booking=_completed_booking(world))
    before = (review.booking_id, review.collector_id, review.created_at)
    body = _with(world, {"comment": "Even better", **_review_owned(world)})
    response = client.patch(f"/api/v1/bookings/{review.booking_id}/review", body, format="json")
    assert response.status_code == 200, response.json()
    review.refresh_from_db()
    assert (review.booking_id, review.collector_id, review.created_at) == before
    assert review.comment == "Even better"
    assert not Review.objects.filter(booking=world["visit"]).exists()


@contextlib.contextmanager
def _razorpay():
    """The provider's keys set and its HTTP faked (the real SDK runs), answering an order for the bill's ₹500."""
    with override_settings(**fx.RAZORPAY_KEYS), responses.RequestsMock(assert_all_requests_are_fired=False) as http:
        http.post(f"{fx.RAZORPAY_API}/orders", json=fx.razorpay_order(RZP_ORDER, 50000))
        http.get(f"{fx.RAZORPAY_API}/payments/{RZP_PAYMENT}", json=fx.razorpay_payment(RZP_PAYMENT, RZP_ORDER, 50000))
        yield http


def _pay_owned(world) -> dict:
    """Money and ownership a client could try to name when paying: a smaller amount, another bill, another booking,
    a payment already made."""
    return {
        "amount": "1.00",
        "currency": "USD",
        "booking": world["visit"].id,
        "billing_record": BillingRecord.objects.get(booking=world["visit"]).id,
        "kind": "refund",
        "method": "cash",
        "received_by": world["admin"].id,
        "status": "succeeded",
        "provider_order_id": "order_forged",
    }


def _ma_pay(world, client, api_client):
    booking = world["booking"]
    with _razorpay() as http:
        body = _with(world, {"provider": "razorpay", **_pay_owned(world)})
        response = client.post(f"/api/v1/bookings/{booking.id}/pay", body, format="json")
        assert response.status_code == 200, response.json()
        assert json.loads(http.calls[0].request.body)["amount"] == 50000  # the amount due, in paise
    assert (response.json()["amount"], response.json()["currency"]) == ("500.00", "INR")
    order = PaymentOrder.objects.get()
    assert order.billing_record == BillingRecord.objects.get(booking=booking)
    assert (order.amount, order.provider_order_id, order.status) == (Decimal("500.00"), RZP_ORDER, "created")
    assert Payment.objects.count() == 0  # asking to pay pays nothing
    assert BillingRecord.objects.get(booking=booking).amount_paid == Decimal("0.00")


def _ma_payment_confirm(world, client, api_client):
    booking = world["booking"]
    with _razorpay():
        assert client.post(f"/api/v1/bookings/{booking.id}/pay", {"provider": "razorpay"}, format="json").json()
        signature = fx.razorpay_signature(f"{RZP_ORDER}|{RZP_PAYMENT}", fx.RAZORPAY_KEYS["RAZORPAY_KEY_SECRET"])
        body = {
            "provider": "razorpay",
            "razorpay_order_id": RZP_ORDER,
            "razorpay_payment_id": RZP_PAYMENT,
            "razorpay_signature": signature,
        }
        response = client.post("/api/v1/payments/confirm", _with(world, {**_pay_owned(world), **body}), format="json")
    assert response.status_code == 201, response.json()
    payment = Payment.objects.get()
    assert payment.billing_record == BillingRecord.objects.get(booking=booking)
    assert (payment.kind, payment.amount, payment.status) == ("payment", Decimal("500.00"), "succeeded")
    assert (payment.provider_order_id, payment.provider_payment_id) == (RZP_ORDER, RZP_PAYMENT)
    assert payment.received_by_id in (None, world["customer"].id)
    assert BillingRecord.objects.get(booking=booking).amount_paid == Decimal("500.00")
    assert BillingRecord.objects.get(booking=world["visit"]).amount_paid == Decimal("0.00")


def _ma_payment_webhook(world, client, api_client):
    """The event is the provider's, signed: fields added beside it (by a relay, or a forger who holds a signature)
    are not read; the payment comes from the provider's payment entity."""
    booking = world["booking"]
    with _razorpay():
        assert client.post(f"/api/v1/bookings/{booking.id}/pay", {"provider": "razorpay"}, format="json").json()
        event = fx.razorpay_event("payment.captured", payment=fx.razorpay_payment(RZP_PAYMENT, RZP_ORDER, 50000))
        raw = fx.dumps(_with(world, {**_pay_owned(world), **event}))
        with TestCase.captureOnCommitCallbacks(execute=True):  # the event is processed after commit
            response = api_client.post(
                "/api/v1/payments/webhooks/razorpay",
                data=raw,
                content_type="application/json",
                HTTP_X_RAZORPAY_SIGNATURE=fx.razorpay_signature(raw, fx.RAZORPAY_KEYS["RAZORPAY_WEBHOOK_SECRET"]),
                HTTP_X_RAZORPAY_EVENT_ID="evt_ma_1",
            )
    assert response.status_code == 200, response.json()
    payment = Payment.objects.get()
    assert payment.billing_record == BillingRecord.objects.get(booking=booking)
    assert (payment.kind, payment.amount, payment.status) == ("payment", Decimal("500.00"), "succeeded")
    assert BillingRecord.objects.get(booking=world["visit"]).amount_paid == Decimal("0.00")


def _ma_report_share(world, client, api_client):
    booking = BookingFactory(user=world["customer"], pet=world["pet"])
    lab = {"entered_by": world["other_collector"]}  # staff of the world: the check counts new staff accounts
    report = report_verify(report=submitted_report(booking=booking, **lab), by=world["admin"])
    report = report_deliver(report=report, by=world["admin"])
    other = report_verify(report=submitted_report(**lab), by=world["admin"])
    body = _with(
        world,
        {
            "expires_in_days": 2,
            "report": other.id,
            "created_by": world["analyst"].id,
            "expires_at": "2100-01-01T00:00:00Z",
            "revoked_at": "2000-01-01T00:00:00Z",
            "token_sha256": "0" * 64,
            "url": "https://evil.example/x",
        },
    )
    response = client.post(f"/api/v1/reports/{report.id}/share", body, format="json")
    assert response.status_code == 201, response.json()
    share = ReportShare.objects.get()
    assert (share.report_id, share.created_by_id, share.revoked_at) == (report.id, world["customer"].id, None)
    assert share.expires_at < timezone.now() + datetime.timedelta(days=2, minutes=1)
    assert share.token_sha256 != "0" * 64
    assert response.json()["url"].startswith(settings.PUBLIC_BASE_URL)


MASS_ASSIGNMENT = {
    "POST /api/v1/auth/register": _ma_register,
    "POST /api/v1/auth/token": _ma_token,
    "POST /api/v1/auth/token/refresh": _ma_refresh,
    "POST /api/v1/auth/logout": _ma_logout,
    "POST /api/v1/auth/otp/request": _ma_otp_request,
    "POST /api/v1/auth/otp/verify": _ma_otp_verify,
    "PATCH /api/v1/me": _ma_me,
    "POST /api/v1/me/password": _ma_password,
    "POST /api/v1/me/close": _ma_close,
    "POST /api/v1/addresses/": _ma_address_create,
    "PUT /api/v1/addresses/{id}/": _ma_address_update("put"),
    "PATCH /api/v1/addresses/{id}/": _ma_address_update("patch"),
    "POST /api/v1/pets/": _ma_pet_create,
    "PUT /api/v1/pets/{id}/": _ma_pet_update("put"),
    "PATCH /api/v1/pets/{id}/": _ma_pet_update("patch"),
    "POST /api/v1/bookings/quote": _ma_quote,
    "POST /api/v1/bookings/": _ma_book,
    "POST /api/v1/bookings/{id}/cancel": _ma_cancel,
    "POST /api/v1/bookings/{id}/pay": _ma_pay,
    "POST /api/v1/bookings/{id}/review": _ma_review_create,
    "PATCH /api/v1/bookings/{id}/review": _ma_review_update,
    "POST /api/v1/payments/confirm": _ma_payment_confirm,
    "POST /api/v1/payments/webhooks/{provider}": _ma_payment_webhook,
    "POST /api/v1/bookings/{id}/reschedule": _ma_reschedule,
    "POST /api/v1/bookings/{id}/prescriptions/": _ma_prescription,
    "POST /api/v1/reports/{id}/share": _ma_report_share,
    "POST /api/v1/notifications/{id}/read": _ma_notification_read,
    "POST /api/v1/notifications/read-all": _ma_read_all,
    "POST /api/v1/staff/collections/{id}/collected": _ma_collected,
    "POST /api/v1/staff/collections/{id}/no-show": _ma_no_show,
    "POST /api/v1/staff/collections/{id}/refuse": _ma_refuse,
}


def test_every_writable_operation_has_a_mass_assignment_check():
    assert _writable_operations() == set(MASS_ASSIGNMENT)


@pytest.mark.parametrize("operation", sorted(MASS_ASSIGNMENT))
def test_server_owned_fields_sent_by_the_client_change_nothing(operation, world, api_client):
    staff_before = set(User.objects.filter(is_staff=True).values_list("pk", flat=True))
    MASS_ASSIGNMENT[operation](world, client_for(world["customer"]), api_client)
    # Nobody became staff or superuser on the way.
    assert set(User.objects.filter(is_staff=True).values_list("pk", flat=True)) == staff_before
    assert not User.objects.filter(is_superuser=True).exists()
