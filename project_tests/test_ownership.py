"""Another customer's objects answer 404 on every route that takes an id, for every method, and nothing changes.

The routes are read from the URL conf, so a new route with an id fails this test until it is listed here.
"""

import io
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from accounts.tests.factories import AddressFactory, NotificationFactory, StaffUserFactory, UserFactory
from bookings.services import report_deliver, report_verify
from bookings.tests.factories import BookingFactory, BookingItemFactory, ReportShareFactory, TestReportFactory
from bookings.tests.publishing_helpers import submitted_report
from conftest import client_for
from pets.tests.factories import PetFactory

pytestmark = pytest.mark.django_db

# Public (catalog) and staff routes have their own access rules and tests.
NOT_CUSTOMER_OWNED = {
    "catalog:test-detail",
    "bookings:collection-collected",
    "bookings:collection-no-show",
    "bookings:collection-refuse",
}


def _delivered_report(*, user):
    item = BookingItemFactory(booking=BookingFactory(user=user))
    return TestReportFactory(booking_item=item, status="delivered", report_file=ContentFile(b"%PDF", name="r.pdf"))


def _pet_with_results(*, user):
    """A pet with a delivered report of results (HCT among them)."""
    pet = PetFactory(user=user)
    report = submitted_report(booking=BookingFactory(user=user, pet=pet))
    report_deliver(report=report_verify(report=report, by=StaffUserFactory()), by=StaffUserFactory())
    return pet


def _weighed_pet(*, user):
    booking = BookingFactory(user=user, status="collected", collected_at=timezone.now(), pet_weight_kg=Decimal("9.5"))
    return booking.pet


def _report_share(*, user):
    return ReportShareFactory(report=_delivered_report(user=user))


PET_ROUTES = {"bookings:pet-reports", "bookings:pet-results", "bookings:pet-result-trend", "bookings:pet-weights"}

OWNED_OBJECT = {
    "accounts:address-detail": AddressFactory,
    "accounts:notification-read": NotificationFactory,
    "pets:pet-detail": PetFactory,
    "bookings:pet-reports": PetFactory,
    "bookings:booking-detail": BookingFactory,
    "bookings:booking-cancel": BookingFactory,
    "bookings:booking-pay": BookingFactory,
    "bookings:booking-reschedule": BookingFactory,
    "bookings:booking-qr": BookingFactory,
    "bookings:booking-prescriptions": BookingFactory,
    "bookings:report-detail": _delivered_report,
    "bookings:report-download": _delivered_report,
    "bookings:pet-results": _pet_with_results,
    "bookings:pet-result-trend": _pet_with_results,
    "bookings:pet-weights": _weighed_pet,
    "bookings:report-share": _delivered_report,
    "bookings:report-share-revoke": _report_share,
}


def _kwargs(route, obj) -> dict:
    if route in PET_ROUTES:
        kwargs = {"pet_id": obj.pk}
        if route == "bookings:pet-result-trend":
            kwargs["analyte"] = "HCT"
        return kwargs
    if route == "bookings:report-share-revoke":
        return {"pk": obj.report_id, "share_id": obj.pk}
    return {"pk": obj.pk}


def _routes_with_ids(patterns=None, namespace=""):
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            ns = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _routes_with_ids(pattern.url_patterns, ns)
        elif isinstance(pattern, URLPattern) and pattern.name:
            keys = set(pattern.pattern.regex.groupindex)
            if keys & {"pk", "pet_id", "share_id"}:
                yield f"{namespace}{pattern.name}", keys


def fingerprint():
    """Row counts and the latest change of every table of our apps."""
    state = {}
    for label in ("accounts", "pets", "bookings", "billing", "promotions"):
        for model in apps.get_app_config(label).get_models():
            rows = model.objects.order_by("-updated_at").values_list("updated_at", flat=True)
            state[model.__name__] = (model.objects.count(), rows.first())
    return state


def test_every_route_with_an_id_is_covered():
    found = {name for name, _ in _routes_with_ids() if name.split(":")[0] in {"accounts", "pets", "bookings"}}
    assert found - NOT_CUSTOMER_OWNED == set(OWNED_OBJECT), "list new routes with ids in OWNED_OBJECT"


@pytest.mark.parametrize("route", sorted(OWNED_OBJECT))
def test_other_customers_object_is_404_for_every_method(route):
    owner, intruder = UserFactory(), UserFactory()
    obj = OWNED_OBJECT[route](user=owner)
    url = reverse(route, kwargs=_kwargs(route, obj))
    client = client_for(intruder)
    before = fingerprint()
    statuses = {}
    for method in ("get", "patch", "put", "delete", "post"):
        # The upload's file goes in a body; a GET has none (the test client would put it in the query string).
        upload = route == "bookings:booking-prescriptions" and method != "get"
        body = {"file": io.BytesIO(b"%PDF-1.4\n%%EOF\n")} if upload else {}
        fmt = "multipart" if body else "json"
        statuses[method] = getattr(client, method)(url, body, format=fmt).status_code
    # 405 only where the route has no such method at all; every method it has answers 404.
    assert set(statuses.values()) <= {404, 405}, statuses
    assert 404 in statuses.values(), statuses
    assert fingerprint() == before
    # The owner does reach it (the 404 is about ownership, not a broken route).
    owner_status = client_for(owner).get(url).status_code
    assert owner_status in (200, 405), owner_status
