"""One deterministic regression test per gap the API fuzz found (test_fuzz.GAP_SIGNATURES, same names).

A gap still open (test_fuzz.OPEN_GAPS) is marked ``@gap``: ``xfail(strict=True)`` with the bug in its reason and the
fix in reliability/README.md, so CI stays green; the fix makes the test pass, the strict xfail then fails the run,
and the name moves from OPEN_GAPS to ``@fixed``. A ``@fixed`` test guards the fix from then on.
"""

import pytest
from schemathesis.core import NOT_SET
from schemathesis.core.failures import FailureGroup

from bookings.models import Booking
from bookings.tests.factories import BookingFactory, BookingItemFactory
from conftest import client_for
from reliability.conftest import bearer
from reliability.test_fuzz import CHECKS, GAP_SIGNATURES, OPEN_GAPS, schema


def gap(name: str, reason: str):
    assert name in OPEN_GAPS, name
    return pytest.mark.xfail(strict=True, reason=f"{name}: {reason}")


def fixed(name: str, reason: str):
    """A gap the fuzz found and the lead fixed (``reason`` says what it was)."""
    assert name in GAP_SIGNATURES, name
    assert name not in OPEN_GAPS, name
    return lambda test: test


def call(user, method: str, path: str, *, path_parameters=None, query=None, body=NOT_SET):
    """One explicit schemathesis case through the WSGI app, validated with the fuzz's checks."""
    operation = schema[path][method]
    media_type = "application/json" if body is not NOT_SET else None
    case = operation.Case(path_parameters=path_parameters or {}, query=query, body=body, media_type=media_type)
    headers = {"Authorization": bearer(user)} if user else {}
    response = case.call(headers=headers)
    return case, response


def assert_gap_closed(name: str, case, response):
    """Fail on the failures that gap ``name`` is about (other open gaps have their own tests)."""
    try:
        case.validate_response(response, checks=CHECKS)
    except FailureGroup as group:
        label = f"{case.operation.method.upper()} {case.operation.path}"
        found = [f for f in group.exceptions if GAP_SIGNATURES[name](f, label, response)]
        if found:
            pytest.fail("; ".join(f"{f.title}: {f.message}" for f in found))


@fixed("html_404", "a non-integer id misses the URL pattern and Django answers its HTML 404 page")
def test_unknown_api_path_answers_json_404(wsgi_world):
    case, response = call(wsgi_world["customer"], "GET", "/api/v1/pets/{id}/", path_parameters={"id": "0.5"})
    assert response.status_code == 404
    content_type = {name.lower(): value for name, value in response.headers.items()}["content-type"]
    assert content_type[0].startswith("application/json")


@fixed("page_404", "a page past the end answers 404 'Invalid page.', undocumented on paginated lists")
def test_page_past_the_end_is_documented(wsgi_world):
    case, response = call(wsgi_world["customer"], "GET", "/api/v1/addresses/", query={"page": 99})
    assert response.status_code == 404
    assert_gap_closed("page_404", case, response)


@fixed("lenient_query", "page_size=abc is silently ignored instead of refused")
def test_invalid_page_size_is_refused(wsgi_world):
    case, response = call(wsgi_world["customer"], "GET", "/api/v1/pets/", query={"page_size": "abc"})
    assert response.status_code == 400


@fixed("time_format", "'08:00:00' is documented as format: time (RFC 3339, needs an offset)")
def test_clinic_opening_times_match_their_schema(wsgi_world):
    assert_gap_closed("time_format", *call(wsgi_world["customer"], "GET", "/api/v1/clinic/"))


@fixed("prescriptions_list", "the listing is a plain list, documented as a paginated, booking-filtered list")
def test_prescription_listing_matches_its_schema(wsgi_world):
    booking = wsgi_world["booking"]
    case, response = call(
        wsgi_world["customer"], "GET", "/api/v1/bookings/{id}/prescriptions/", path_parameters={"id": booking.id}
    )
    assert_gap_closed("prescriptions_list", case, response)


@fixed("prescriptions_list", "another customer's booking answers 404, undocumented")
def test_prescription_listing_404_is_documented(wsgi_world):
    case, response = call(
        wsgi_world["analyst"], "GET", "/api/v1/bookings/{id}/prescriptions/", path_parameters={"id": 1}
    )
    assert_gap_closed("prescriptions_list", case, response)


@fixed("reports_list_400", "an invalid filter value answers 400, undocumented")
def test_reports_filter_error_is_documented(wsgi_world):
    case, response = call(wsgi_world["customer"], "GET", "/api/v1/reports/", query={"booking": "x"})
    assert response.status_code == 400
    assert_gap_closed("reports_list_400", case, response)


@fixed("slot_not_nullable", "a lab visit's slot is null; the schema says a Slot object")
def test_booking_without_slot_matches_its_schema(wsgi_world):
    customer = wsgi_world["customer"]
    booking = BookingFactory(user=customer, pet=wsgi_world["pet"], slot=None, collection_type="lab", address=None)
    response = call(customer, "GET", "/api/v1/bookings/{id}/", path_parameters={"id": booking.id})
    assert_gap_closed("slot_not_nullable", *response)


@fixed("rejection_reason_blank", "an item's rejection_reason is '' until rejected; the enum has no ''")
def test_booking_items_match_their_schema(wsgi_world):
    customer = wsgi_world["customer"]
    booking = BookingFactory(user=customer, pet=wsgi_world["pet"], slot=wsgi_world["slot"])
    BookingItemFactory(booking=booking)
    response = call(customer, "GET", "/api/v1/bookings/{id}/", path_parameters={"id": booking.id})
    assert_gap_closed("rejection_reason_blank", *response)


@fixed("visit_money_number", "amount_due/amount_paid are decimal strings documented as numbers")
def test_collector_visits_match_their_schema(wsgi_world):
    visit = wsgi_world["visit"]
    case, response = call(
        wsgi_world["collector"], "GET", "/api/v1/staff/collections/", query={"date": visit.booking_date.isoformat()}
    )
    assert response.json()["count"] == 1
    assert_gap_closed("visit_money_number", case, response)


@fixed("otp_code_field", "the input field `code` clashes with the error body's `code` string")
def test_otp_verify_field_errors_match_their_schema(wsgi_world):
    response = call(None, "POST", "/api/v1/auth/otp/verify", body={"phone": "+919800012345", "code": "x"})
    assert_gap_closed("otp_code_field", *response)


@fixed("collected_500", "a non-integer id reaches the ORM through django's get_object_or_404: 500")
def test_collected_with_a_non_integer_id_is_404_not_500(wsgi_world):
    case, response = call(
        wsgi_world["collector"],
        "POST",
        "/api/v1/staff/collections/{id}/collected",
        path_parameters={"id": "null,null"},
        body={},
    )
    assert response.status_code == 404
    assert Booking.objects.get(pk=wsgi_world["visit"].pk).status == Booking.Status.CONFIRMED


def _documented(method: str, path: str) -> set[str]:
    return set(schema.raw_schema["paths"][path][method.lower()]["responses"])


@fixed("lenient_body", "a JSON number for a string field is coerced to a string instead of refused")
def test_a_number_for_a_string_field_is_refused(wsgi_world):
    body = {"name": "Rex", "species": "cat", "sex": "male", "medical_history": 0.0}
    response = client_for(wsgi_world["customer"]).post("/api/v1/pets/", body, format="json")
    assert response.status_code == 400


@fixed("lenient_body", "whitespace was trimmed before max_length was checked, so an over-long string passed")
def test_an_over_long_string_with_surrounding_whitespace_is_refused(wsgi_world):
    booking = wsgi_world["booking"]
    case, response = call(
        wsgi_world["customer"],
        "POST",
        "/api/v1/bookings/{id}/cancel",
        path_parameters={"id": booking.id},
        body={"reason": " " * 501},
    )
    assert response.status_code == 400
    assert_gap_closed("lenient_body", case, response)
    assert Booking.objects.get(pk=booking.pk).status == Booking.Status.PENDING


@fixed("lenient_empty_query", "an empty value of a declared filter was ignored (no filter)")
@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/api/v1/bookings/", {"date_from": ""}),
        ("/api/v1/bookings/", {"collection_type": ""}),
        ("/api/v1/pets/", {"species": ""}),
        ("/api/v1/pets/", {"is_deceased": ""}),
        ("/api/v1/catalog/tests/", {"is_package": ""}),
        ("/api/v1/addresses/", {"page": ""}),
    ],
)
def test_an_empty_query_value_is_refused(wsgi_world, path, query):
    case, response = call(wsgi_world["customer"], "GET", path, query=query)
    assert response.status_code == 400
    assert response.json()["code"] == "empty_parameter"
    assert_gap_closed("lenient_empty_query", case, response)


@fixed("lenient_empty_query", "a repeated single-valued key was read as its last value")
def test_a_repeated_query_key_is_refused(wsgi_world):
    response = client_for(wsgi_world["customer"]).get("/api/v1/pets/?page=x&page=2")
    assert response.status_code == 400
    assert response.json()["code"] == "repeated_parameter"
    assert "page" in response.json()["detail"]


@fixed("lenient_empty_query", "an unknown query parameter was ignored")
@pytest.mark.parametrize(
    ("user", "path"),
    [
        ("customer", "/api/v1/pets/?foo=1"),
        ("customer", "/api/v1/bookings/?=false"),
        ("customer", "/api/v1/slots/?foo=1"),
        ("customer", "/api/v1/me?foo=1"),
        ("analyst", "/api/v1/staff/billing/summary?from=2026-01-01&to=2026-01-31&foo=1"),
    ],
)
def test_an_unknown_query_parameter_is_refused(wsgi_world, user, path):
    response = client_for(wsgi_world[user]).get(path)
    assert response.status_code == 400
    assert response.json()["code"] == "unknown_parameter"
    assert "400" in _documented("GET", path.split("?")[0])


@fixed("unsupported_media_415", "a body in a media type the API does not read answers 415, undocumented")
def test_unsupported_media_type_status_is_documented(wsgi_world):
    url = f"/api/v1/bookings/{wsgi_world['booking'].id}/cancel"
    response = client_for(wsgi_world["customer"]).generic("POST", url, b"reason", content_type="text/plain")
    assert response.status_code == 415
    assert "415" in _documented("POST", "/api/v1/bookings/{id}/cancel")


@fixed("list_error_body", "a NUL in ?search= answers 400 with a bare list, not the error object")
def test_search_with_a_nul_answers_an_error_object(wsgi_world):
    response = client_for(wsgi_world["customer"]).get("/api/v1/bookings/", {"search": "a\x00b"})
    assert response.status_code == 400
    assert isinstance(response.json(), dict)
    assert response.json()["code"]


@fixed("lookup_nul_500", "a NUL character in ?code= reached PostgreSQL, which refuses it: 500")
def test_lookup_with_a_nul_character_is_a_4xx_not_500(wsgi_world):
    case, response = call(
        wsgi_world["collector"], "GET", "/api/v1/staff/collections/lookup", query={"code": "\x00\x02"}
    )
    assert response.status_code in (400, 404)


@fixed("lenient_empty_query", "an empty ?date= on slots/ was read as no date")
def test_an_empty_date_is_refused(wsgi_world):
    case, response = call(wsgi_world["customer"], "GET", "/api/v1/slots/", query={"date": ""})
    assert response.status_code == 400
